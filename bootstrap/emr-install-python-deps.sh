#!/usr/bin/env bash
# EMR bootstrap action (runs on every node, as user hadoop, before applications start).
# Builds the job's Python environment: python3.11 from Amazon Linux 2023's dnf repos and
# a virtualenv (default /opt/fruits-venv) holding the pinned packages of the repository's
# single requirements.txt. The stack uploads requirements.txt and the shared installer
# (install-python-requirements.sh, also used by the VM setup) next to this script; this
# script downloads both, checks them against the hashes the stack deployed, and runs the
# installer, which holds the rules (pinned pip/setuptools/wheel, binary wheels only, the
# driver-only filter, the idempotency marker, the import check).
#
# - The pyspark pin is skipped (--skip-pyspark): EMR ships its own Spark (and its pyspark,
#   on the PYTHONPATH that spark-submit sets up); a pip-installed pyspark would shadow it and
#   could mismatch the cluster's Spark build. spark-env/spark-defaults point PYSPARK_PYTHON at
#   this venv.
# - Role: the master node runs the Spark driver (client mode), which converts the Keras
#   weights to ONNX once, so it installs every line; core/task nodes only run Python
#   workers (ONNX Runtime, no TensorFlow), so lines tagged `# driver-only` are skipped
#   there. --role auto (default) reads isMaster from /mnt/var/lib/info/instance.json.
# - Idempotent: a re-run with the same pins is a no-op; a changed set is installed over the venv.
# - Loud: every step is logged (EMR copies stdout/stderr to
#   <log_uri>/<cluster>/node/<instance>/bootstrap-actions/), and any failure names the
#   failing command and exits non-zero, which makes EMR fail the cluster launch.
#
# Usage: emr-install-python-deps.sh --requirements s3://bucket/bootstrap/requirements.txt
#          [--requirements-sha256 HEX] [--installer s3://.../install-python-requirements.sh]
#          [--installer-sha256 HEX] [--venv /opt/fruits-venv] [--python python3.11]
#          [--role auto|driver|worker]
#   --installer defaults to install-python-requirements.sh in the folder of --requirements.
set -Eeuo pipefail

log() { printf '[fruits-bootstrap %s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "FAILED: $*" >&2; exit 1; }
trap 'rc=$?; log "FAILED (exit ${rc}) at line ${LINENO}: ${BASH_COMMAND}" >&2; exit ${rc}' ERR

REQUIREMENTS_URI=""
EXPECTED_SHA256=""
INSTALLER_URI=""
INSTALLER_SHA256=""
VENV="/opt/fruits-venv"
PYTHON="python3.11"
ROLE="auto"
INSTANCE_INFO="${FRUITS_INSTANCE_INFO:-/mnt/var/lib/info/instance.json}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requirements) REQUIREMENTS_URI="${2:?--requirements needs a value}"; shift 2 ;;
    --requirements-sha256) EXPECTED_SHA256="${2:?--requirements-sha256 needs a value}"; shift 2 ;;
    --installer) INSTALLER_URI="${2:?--installer needs a value}"; shift 2 ;;
    --installer-sha256) INSTALLER_SHA256="${2:?--installer-sha256 needs a value}"; shift 2 ;;
    --venv) VENV="${2:?--venv needs a value}"; shift 2 ;;
    --python) PYTHON="${2:?--python needs a value}"; shift 2 ;;
    --role) ROLE="${2:?--role needs a value}"; shift 2 ;;
    *) fail "unknown argument '$1' (usage: $0 --requirements s3://... [--requirements-sha256 HEX] [--installer s3://... --installer-sha256 HEX] [--venv DIR] [--role auto|driver|worker])" ;;
  esac
done
[[ -n "$REQUIREMENTS_URI" ]] || fail "--requirements s3://.../requirements.txt is required"
INSTALLER_URI="${INSTALLER_URI:-${REQUIREMENTS_URI%/*}/install-python-requirements.sh}"
if [[ "$ROLE" == "auto" ]]; then
  if [[ ! -r "$INSTANCE_INFO" ]]; then
    ROLE="driver"  # cannot tell: install everything, which works on any node
    log "no ${INSTANCE_INFO}: cannot tell master from core, installing the full (driver) set"
  elif grep -Eq '"isMaster"[[:space:]]*:[[:space:]]*true' "$INSTANCE_INFO"; then ROLE="driver"; else ROLE="worker"; fi
fi
[[ "$ROLE" == "driver" || "$ROLE" == "worker" ]] || fail "--role ${ROLE}: use auto, driver or worker"

log "start on $(hostname) as $(id -un): requirements=${REQUIREMENTS_URI} venv=${VENV} python=${PYTHON} role=${ROLE}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

verify() { # file expected-sha256 what
  [[ -z "$2" ]] && return 0
  local actual; actual="$(sha256sum "$1" | cut -d' ' -f1)"
  [[ "$actual" == "$2" ]] ||
    fail "$3 sha256 ${actual} differs from the deployed $2; redeploy the stack (npx cdktf deploy fruits-emr)"
}
log "downloading ${REQUIREMENTS_URI} and ${INSTALLER_URI}"
aws s3 cp --only-show-errors "$REQUIREMENTS_URI" "$WORK/requirements.txt"
verify "$WORK/requirements.txt" "$EXPECTED_SHA256" requirements.txt
aws s3 cp --only-show-errors "$INSTALLER_URI" "$WORK/install-python-requirements.sh"
verify "$WORK/install-python-requirements.sh" "$INSTALLER_SHA256" install-python-requirements.sh

if command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON already present: $("$PYTHON" --version 2>&1)"
else
  # Amazon Linux 2023 (EMR 7) ships python3.9 as the system python; 3.11 is a dnf package.
  log "installing ${PYTHON} and ${PYTHON}-pip from dnf"
  sudo dnf install -y -q "$PYTHON" "${PYTHON}-pip"
fi

bash "$WORK/install-python-requirements.sh" --requirements "$WORK/requirements.txt" --venv "$VENV" \
  --role "$ROLE" --python "$PYTHON" --skip-pyspark --sudo
log "done: ${VENV} is ready (${ROLE} set)"
