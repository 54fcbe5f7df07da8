#!/usr/bin/env bash
# EMR bootstrap action (runs on every node, as user hadoop, before applications start).
# Builds the job's Python environment: python3.11 from Amazon Linux 2023's dnf repos and
# a virtualenv (default /opt/fruits-venv) holding the pinned packages of the repository's
# single requirements.txt, which the stack uploads next to this script.
#
# - The pyspark pin is skipped: EMR ships its own Spark (and its pyspark, on the
#   PYTHONPATH that spark-submit sets up); a pip-installed pyspark would shadow it and
#   could mismatch the cluster's Spark build. spark-env/spark-defaults point
#   PYSPARK_PYTHON at this venv.
# - Role: the master node runs the Spark driver (client mode), which converts the Keras
#   weights to ONNX once, so it installs every line; core/task nodes only run Python
#   workers (ONNX Runtime, no TensorFlow), so lines tagged `# driver-only` are skipped
#   there. --role auto (default) reads isMaster from /mnt/var/lib/info/instance.json.
# - Idempotent: a marker holding the sha256 of the installed requirement set makes a
#   re-run a no-op; a changed set is installed over the existing venv.
# - Loud: every step is logged (EMR copies stdout/stderr to
#   <log_uri>/<cluster>/node/<instance>/bootstrap-actions/), and any failure names the
#   failing command and exits non-zero, which makes EMR fail the cluster launch.
#
# Usage: emr-install-python-deps.sh --requirements s3://bucket/bootstrap/requirements.txt
#          [--requirements-sha256 HEX] [--venv /opt/fruits-venv] [--python python3.11]
#          [--role auto|driver|worker]
set -Eeuo pipefail

log() { printf '[fruits-bootstrap %s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "FAILED: $*" >&2; exit 1; }
trap 'rc=$?; log "FAILED (exit ${rc}) at line ${LINENO}: ${BASH_COMMAND}" >&2; exit ${rc}' ERR

# The installer itself is pinned like every other package: an unpinned "pip install
# --upgrade pip" would make two launches of the same cluster build different venvs.
# Part of the marker hash, so changing a pin here rebuilds the venv.
BOOTSTRAP_TOOLS=(pip==26.3 setuptools==84.2.1 wheel==0.48.0)

REQUIREMENTS_URI=""
EXPECTED_SHA256=""
VENV="/opt/fruits-venv"
PYTHON="python3.11"
ROLE="auto"
INSTANCE_INFO="${FRUITS_INSTANCE_INFO:-/mnt/var/lib/info/instance.json}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requirements) REQUIREMENTS_URI="${2:?--requirements needs a value}"; shift 2 ;;
    --requirements-sha256) EXPECTED_SHA256="${2:?--requirements-sha256 needs a value}"; shift 2 ;;
    --venv) VENV="${2:?--venv needs a value}"; shift 2 ;;
    --python) PYTHON="${2:?--python needs a value}"; shift 2 ;;
    --role) ROLE="${2:?--role needs a value}"; shift 2 ;;
    *) fail "unknown argument '$1' (usage: $0 --requirements s3://... [--requirements-sha256 HEX] [--venv DIR])" ;;
  esac
done
[[ -n "$REQUIREMENTS_URI" ]] || fail "--requirements s3://.../requirements.txt is required"
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

log "downloading ${REQUIREMENTS_URI}"
aws s3 cp --only-show-errors "$REQUIREMENTS_URI" "$WORK/requirements.txt"
if [[ -n "$EXPECTED_SHA256" ]]; then
  actual="$(sha256sum "$WORK/requirements.txt" | cut -d' ' -f1)"
  [[ "$actual" == "$EXPECTED_SHA256" ]] ||
    fail "requirements.txt sha256 ${actual} differs from the deployed ${EXPECTED_SHA256}; redeploy the stack (npx cdktf deploy fruits-emr)"
fi

# Drop the pyspark pin (see header); keep everything else byte for byte.
awk 'tolower($0) !~ /^[[:space:]]*pyspark[[:space:]]*([=<>!~;[]|$)/' "$WORK/requirements.txt" >"$WORK/requirements-emr.txt"
skipped="$(grep -ciE '^[[:space:]]*pyspark' "$WORK/requirements.txt" || true)"
log "skipping ${skipped} pyspark line(s): EMR provides Spark and pyspark"
if [[ "$ROLE" == "worker" ]]; then
  # Workers run ONNX Runtime only: TensorFlow, Keras, tf2onnx and their dependencies stay off.
  # Only pin lines carry the tag; the header comment that explains it does not count.
  driver_only="$(grep -cE '^[^#[:space:]].*#[[:space:]]*driver-only' "$WORK/requirements-emr.txt" || true)"
  grep -vE '^[^#[:space:]].*#[[:space:]]*driver-only' "$WORK/requirements-emr.txt" >"$WORK/requirements-role.txt" || true
  cp "$WORK/requirements-role.txt" "$WORK/requirements-emr.txt"
  log "worker node: skipping ${driver_only} driver-only line(s) (TensorFlow and the ONNX converter)"
fi
want="$( { printf '%s\n' "${BOOTSTRAP_TOOLS[@]}"; cat "$WORK/requirements-emr.txt"; } | sha256sum | cut -d' ' -f1)"
MARKER="${VENV}/.fruits-requirements.sha256"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$want" && -x "${VENV}/bin/python" ]]; then
  log "requirements ${want} already installed in ${VENV}; nothing to do"
  exit 0
fi

if command -v "$PYTHON" >/dev/null 2>&1; then
  log "$PYTHON already present: $("$PYTHON" --version 2>&1)"
else
  # Amazon Linux 2023 (EMR 7) ships python3.9 as the system python; 3.11 is a dnf package.
  log "installing ${PYTHON} and ${PYTHON}-pip from dnf"
  sudo dnf install -y -q "$PYTHON" "${PYTHON}-pip"
fi

if [[ ! -x "${VENV}/bin/python" ]]; then
  log "creating virtualenv ${VENV}"
  sudo "$PYTHON" -m venv "$VENV"
fi

log "pinning the installer: ${BOOTSTRAP_TOOLS[*]}"
sudo "${VENV}/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: \
  "${BOOTSTRAP_TOOLS[@]}"

log "installing pinned packages into ${VENV} (binary wheels only)"
# Wheels only: nodes have no compilers, and a source build would mean an unpinned toolchain.
sudo "${VENV}/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: \
  -r "$WORK/requirements-emr.txt"

log "checking imports"
sudo "${VENV}/bin/python" -c 'import numpy, pandas, pyarrow, PIL, onnxruntime as ort; print("onnxruntime", ort.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "pillow", PIL.__version__)'
if [[ "$ROLE" == "driver" ]]; then
  sudo "${VENV}/bin/python" -c 'import tensorflow as tf, tf2onnx; print("tensorflow", tf.__version__, "tf2onnx", tf2onnx.__version__)'
fi
sudo "${VENV}/bin/python" -m pip freeze --disable-pip-version-check | sudo tee "${VENV}/fruits-freeze.txt" >/dev/null
echo "$want" | sudo tee "$MARKER" >/dev/null
log "done: ${VENV} matches requirements ${want} ($(wc -l <"${VENV}/fruits-freeze.txt") packages frozen to ${VENV}/fruits-freeze.txt)"
