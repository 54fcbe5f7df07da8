#!/usr/bin/env bash
# The whole test suite, set-up included (README: "Run the tests"; .ci/run calls this).
# Every stage runs even if an earlier one failed, so one run shows all problems;
# the exit code is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --test || exit $?
# The TypeScript parts run on the pinned Node 24 (the main run) and the fast unit suite runs
# again on the pinned Node 22, whatever node this machine has (scripts/node-toolchain.sh).
node24=$(bash scripts/node-toolchain.sh pinned 24) || exit $?
node22=$(bash scripts/node-toolchain.sh pinned 22) || exit $?
export PATH="$node24:$PATH"

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
failed_stages=()
stage() { # name command...
  local name=$1; shift
  printf '\n=== %s ===\n' "$name"
  "$@" || failed_stages+=("$name")
}

stage "typecheck (tsc)" npm run --silent typecheck
# Each linter counts as one test in the closing line: passed or failed.
lint() { # name npm-script
  npm run --silent "$2"; local rc=$?; echo "$rc" > "$reports/lint-$1.rc"; return "$rc"
}
stage "lint TypeScript (eslint)" lint eslint lint
stage "lint Python (ruff)" lint ruff lint:py
stage "TypeScript tests (jest, Node $(node --version))" npm run --silent test:ts -- --json --outputFile="$reports/jest.json"
stage "TypeScript unit tests again (jest test/unit, Node $("$node22/node" --version))" \
  env PATH="$node22:$PATH" npm run --silent test:ts -- test/unit --json --outputFile="$reports/jest-node22.json"
stage "Python job tests (pytest)" .venv/bin/python -m pytest -q --junitxml="$reports/pytest.xml"
stage "security scan (checkov)" bash scripts/checkov-scan.sh
# Real Terraform against moto on 127.0.0.1 (README "Deploy rehearsal"); one skip line without terraform or the mirror.
rehearse() { # counted in the closing line as one test: passed, failed or skipped (its own skip line)
  PYTHONUNBUFFERED=1 .venv-tools/bin/python test/rehearsal/rehearse.py 2>&1 | tee "$reports/rehearsal.log"
  local rc=${PIPESTATUS[0]}; echo "$rc" > "$reports/rehearsal.rc"; return "$rc"
}
stage "deploy rehearsal (terraform + moto)" rehearse

# One closing line over both runners (jest twice: Node 24, then the unit suite on Node 22), the
# two linters (one test each) and the rehearsal: "N passed, N failed".
node - "$reports" <<'JS'
const fs = require('node:fs');
const dir = process.argv[2];
let passed = 0, failed = 0, skipped = 0;
for (const [file, name] of [['jest.json', 'jest'], ['jest-node22.json', 'jest (Node 22 unit run)']]) {
  try {
    const j = JSON.parse(fs.readFileSync(`${dir}/${file}`, 'utf8'));
    passed += j.numPassedTests; failed += j.numFailedTests; skipped += j.numPendingTests + j.numTodoTests;
    if (!j.success && j.numFailedTests === 0) failed += Math.max(1, j.numFailedTestSuites);
  } catch { failed += 1; console.log(`${name}: no report (it did not run to the end)`); }
}
for (const linter of ['eslint', 'ruff']) {
  try {
    if (Number(fs.readFileSync(`${dir}/lint-${linter}.rc`, 'utf8').trim()) === 0) passed += 1; else failed += 1;
  } catch { failed += 1; console.log(`${linter}: no result (it did not run to the end)`); }
}
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
