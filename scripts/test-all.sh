#!/usr/bin/env bash
# The whole test suite, set-up included (README: "Run the tests"; .ci/run calls this).
# Every stage runs even if an earlier one failed, so one run shows all problems;
# the exit code is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test || exit $?

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
failed_stages=()
stage() { # name command...
  local name=$1; shift
  printf '\n=== %s ===\n' "$name"
  "$@" || failed_stages+=("$name")
}

stage "typecheck (tsc)" npm run --silent typecheck
stage "TypeScript tests (jest)" npm run --silent test:ts -- --json --outputFile="$reports/jest.json"
stage "Python job tests (pytest)" .venv/bin/python -m pytest -q --junitxml="$reports/pytest.xml"
stage "security scan (checkov)" bash scripts/checkov-scan.sh
# Real Terraform against moto on 127.0.0.1 (README "Deploy rehearsal"); one skip line without terraform or the mirror.
rehearse() { # counted in the closing line as one test: passed, failed or skipped (its own skip line)
  PYTHONUNBUFFERED=1 .venv-tools/bin/python test/rehearsal/rehearse.py 2>&1 | tee "$reports/rehearsal.log"
  local rc=${PIPESTATUS[0]}; echo "$rc" > "$reports/rehearsal.rc"; return "$rc"
}
stage "deploy rehearsal (terraform + moto)" rehearse

# One closing line over both runners and the rehearsal: "N passed, N failed".
node - "$reports" <<'JS'
const fs = require('node:fs');
const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
try {
  const j = JSON.parse(fs.readFileSync(`${dir}/jest.json`, 'utf8'));
  passed += j.numPassedTests; failed += j.numFailedTests; skipped += j.numPendingTests + j.numTodoTests;
  if (!j.success && j.numFailedTests === 0) failed += Math.max(1, j.numFailedTestSuites);
} catch { failed += 1; console.log('jest: no report (it did not run to the end)'); }
try {
  const x = fs.readFileSync(`${dir}/pytest.xml`, 'utf8');
  const m = x.match(/<testsuite [^>]*/)[0];
  const n = (k) => Number((m.match(new RegExp(`${k}="(\\d+)"`)) || [0, 0])[1]);
  const sk = n('skipped'), fl = n('failures') + n('errors');
  passed += n('tests') - sk - fl; failed += fl; skipped += sk;
} catch { failed += 1; console.log('pytest: no report (it did not run to the end)'); }
try {
  const rc = Number(fs.readFileSync(`${dir}/rehearsal.rc`, 'utf8').trim());
  const log = fs.readFileSync(`${dir}/rehearsal.log`, 'utf8');
  if (rc !== 0) failed += 1; else if (/^rehearsal: skipped/m.test(log)) skipped += 1; else passed += 1;
} catch { failed += 1; console.log('rehearsal: no result (it did not run to the end)'); }
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
JS

if [ ${#failed_stages[@]} -gt 0 ]; then
  printf 'FAILED stages: %s\n' "${failed_stages[*]}"
  exit 1
fi
echo "all stages passed"
