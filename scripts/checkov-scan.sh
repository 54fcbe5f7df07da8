#!/usr/bin/env bash
# Static security scan of the synthesized Terraform JSON with checkov.
# Synthesizes both stacks in each compute mode (cluster with JupyterHub, transient and serverless,
# Spot task capacity and managed scaling on) with a throwaway, fully specified config (so the operator's
# own fruits.config.json / FRUITS_* variables never change what is scanned), runs
# checkov from .venv-tools over <outdir>/stacks/*/cdk.tf.json and compares the findings
# with the reviewed skip list test/checkov/skip.yaml.
# Exit codes: 0 clean (all findings justified), 1 unjustified finding or stale skip,
# 2 usage / setup problem (missing checkov, synth failure).
# Usage: scripts/checkov-scan.sh [--json] [--scan-existing DIR] [--skips FILE]
#   --scan-existing DIR  skip synthesis and scan DIR/stacks/*/cdk.tf.json (e.g. cdktf.out)
#   --json               one JSON line with the verdict (for other scripts)
#   --skips FILE         use another skip list (tests prove the scan fails without entries)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOV="${ROOT}/.venv-tools/bin/checkov"
PYTHON="${ROOT}/.venv-tools/bin/python"
SKIPS="${ROOT}/test/checkov/skip.yaml"
JSON_FLAG=""
EXISTING=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --json) JSON_FLAG="--json"; shift ;;
    --scan-existing) EXISTING="${2:?--scan-existing needs a directory}"; shift 2 ;;
    --skips) SKIPS="${2:?--skips needs a file}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (usage: scripts/checkov-scan.sh [--json] [--scan-existing DIR])" >&2; exit 2 ;;
  esac
done
[[ -x "$CHECKOV" ]] || { echo "error: ${CHECKOV} not found; create .venv-tools from requirements-tools.txt (scripts/setup)" >&2; exit 2; }

say() { [[ -n "$JSON_FLAG" ]] || echo "$*" >&2; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [[ -n "$EXISTING" ]]; then
  OUT="$(cd "$EXISTING" && pwd)"
else
  OUT="${WORK}/cdktf.out"
  say "synthesizing stacks with a throwaway config into ${OUT}"
  # Throwaway ed25519 public key in OpenSSH format (no ssh-keygen needed); the private half is discarded.
  node -e '
    const { generateKeyPairSync } = require("node:crypto");
    const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const str = (b) => { const l = Buffer.alloc(4); l.writeUInt32BE(b.length); return Buffer.concat([l, b]); };
    const blob = Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]);
    process.stdout.write("ssh-ed25519 " + blob.toString("base64") + " checkov-scan\n");
  ' >"${WORK}/scan_key.pub"
  # Every compute mode: each builds other resources (cluster; network and roles only; EMR Serverless).
  mapfile -t fruit_vars < <(env | sed -n 's/^\(FRUITS_[A-Z_]*\)=.*/\1/p')
  mkdir -p "$OUT"
  for mode in cluster transient serverless; do
    cat >"${WORK}/${mode}.json" <<JSON
{
  "region": "us-east-1",
  "namePrefix": "fruits",
  "operatorCidr": "203.0.113.7/32",
  "publicKeyPath": "${WORK}/scan_key.pub",
  "jupyterHub": $([[ $mode == cluster ]] && echo true || echo false),
  "stateBucket": "fruits-scan-state-bucket",
  "compute": "${mode}",
  "capacity": {"taskSpotUnits": 2, "maxTaskUnits": 4},
  "serverless": {"imageTag": "fruits-0123456789abcdef"}
}
JSON
    # Drop every FRUITS_* variable so only the scan config counts.
    (cd "$ROOT" && env ${fruit_vars[@]/#/-u } FRUITS_CONFIG="${WORK}/${mode}.json" CDKTF_OUTDIR="${OUT}/${mode}" \
        npx --no-install tsx main.ts) >"${WORK}/synth-${mode}.log" 2>&1 ||
      { cat "${WORK}/synth-${mode}.log" >&2; echo "error: synthesis (compute ${mode}) failed (see above)" >&2; exit 2; }
  done
fi

shopt -s nullglob
files=("$OUT"/stacks/*/cdk.tf.json "$OUT"/*/stacks/*/cdk.tf.json)
[[ ${#files[@]} -gt 0 ]] || { echo "error: no ${OUT}/stacks/*/cdk.tf.json to scan; run npx cdktf synth first" >&2; exit 2; }
say "running checkov on ${#files[@]} stack(s)"
# BC_SKIP_MAPPING / --skip-download: no calls to the Prisma Cloud API (offline, deterministic).
checkov_rc=0
BC_SKIP_MAPPING=TRUE "$CHECKOV" -d "${OUT}" --framework terraform_json --skip-download --quiet \
  -o json >"${WORK}/report.json" 2>"${WORK}/checkov.err" || checkov_rc=$?
if [[ $checkov_rc -gt 1 || ! -s "${WORK}/report.json" ]]; then
  cat "${WORK}/checkov.err" >&2
  echo "error: checkov did not produce a report (exit ${checkov_rc})" >&2
  exit 2
fi
"$PYTHON" "${ROOT}/test/checkov/filter_findings.py" "${WORK}/report.json" "$SKIPS" $JSON_FLAG
