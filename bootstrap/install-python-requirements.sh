#!/usr/bin/env bash
# The one installer of the job's pinned Python packages into a virtualenv, shared by the EMR
# bootstrap action (emr-install-python-deps.sh downloads it from the artifacts bucket, where the
# stack uploads it beside requirements.txt) and the VM setup (vm-setup.sh runs the copy beside
# it; `fruits vm-setup` copies both to the VM). One copy of each rule:
#   - role: `driver` installs every line; `worker` skips the pin lines tagged `# driver-only`
#     (TensorFlow, Keras, the ONNX converter: workers run ONNX Runtime only);
#   - --skip-pyspark drops the pyspark pin (EMR ships its own Spark and pyspark);
#   - the installer itself is pinned (pip, setuptools, wheel below), installed first;
#   - binary wheels only (--only-binary=:all:): no compiler, no unpinned build toolchain. The
#     one exception is pyspark, which PyPI publishes only as a pure-Python source archive: it is
#     built with the pinned setuptools and wheel, without build isolation (nothing downloaded);
#   - idempotent: $VENV/.fruits-requirements.sha256 holds the hash of the pinned tools and the
#     installed set; the same set again is a logged no-op, a changed one installs over the venv;
#   - checks the imports of the role and writes $VENV/fruits-freeze.txt.
#
# Usage: install-python-requirements.sh --requirements FILE --venv DIR --role driver|worker
#          [--python python3.11] [--skip-pyspark] [--sudo] [--print]
#   --sudo   run venv and pip commands through sudo (EMR: the hadoop user, a venv under /opt)
#   --print  print the requirement lines this role installs and exit (the tests compare them)
# Logs `[install-python] ...` lines on stderr; any failure names the command and exits non-zero.
set -Eeuo pipefail

# Part of the marker hash, so changing a pin here rebuilds the venv.
BOOTSTRAP_TOOLS=(pip==26.3 setuptools==84.2.1 wheel==0.48.0)
# A pin line (not a comment) carrying the tag; the header comment that explains it does not count.
DRIVER_ONLY='^[^#[:space:]].*#[[:space:]]*driver-only'
PYSPARK='^[[:space:]]*[Pp][Yy][Ss][Pp][Aa][Rr][Kk][[:space:]]*([=<>!~;[]|$)'

log() { printf '[install-python] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 2; }
trap 'rc=$?; log "FAILED (exit ${rc}) at line ${LINENO}: ${BASH_COMMAND}"; exit ${rc}' ERR

REQS="" VENV="" ROLE="" PYTHON="python3.11" SKIP_PYSPARK=0 SUDO=() PRINT=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requirements) REQS="${2:?--requirements needs a file}"; shift 2 ;;
    --venv) VENV="${2:?--venv needs a folder}"; shift 2 ;;
    --role) ROLE="${2:?--role needs driver or worker}"; shift 2 ;;
    --python) PYTHON="${2:?--python needs an interpreter}"; shift 2 ;;
    --skip-pyspark) SKIP_PYSPARK=1; shift ;;
    --sudo) SUDO=(sudo); shift ;;
    --print) PRINT=1; shift ;;
    *) fail "unknown argument '$1' (usage: $0 --requirements FILE --venv DIR --role driver|worker [--python PY] [--skip-pyspark] [--sudo] [--print])" ;;
  esac
done
[[ -f "$REQS" ]] || fail "requirements file '${REQS}' not found: pass --requirements FILE"
[[ "$ROLE" == "driver" || "$ROLE" == "worker" ]] || fail "--role '${ROLE}': use driver or worker"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
SET="$WORK/requirements-${ROLE}.txt"
cp "$REQS" "$SET"
if [[ "$SKIP_PYSPARK" == 1 ]]; then
  log "skipping $(grep -cE "$PYSPARK" "$SET" || true) pyspark line(s): EMR provides Spark and pyspark"
  grep -vE "$PYSPARK" "$SET" >"$WORK/filtered" || true
  cp "$WORK/filtered" "$SET"
fi
if [[ "$ROLE" == "worker" ]]; then
  log "worker set: skipping $(grep -cE "$DRIVER_ONLY" "$SET" || true) driver-only line(s) (TensorFlow and the ONNX converter)"
  grep -vE "$DRIVER_ONLY" "$SET" >"$WORK/filtered" || true
  cp "$WORK/filtered" "$SET"
fi
if [[ "$PRINT" == 1 ]]; then cat "$SET"; exit 0; fi
[[ -n "$VENV" ]] || fail "--venv DIR is required"

want="$( { printf '%s\n' "${BOOTSTRAP_TOOLS[@]}"; cat "$SET"; } | sha256sum | cut -d' ' -f1)"
MARKER="${VENV}/.fruits-requirements.sha256"
if [[ -x "${VENV}/bin/python" && "$(cat "$MARKER" 2>/dev/null)" == "$want" ]]; then
  log "requirements ${want} already installed in ${VENV} (${ROLE} set); nothing to do"
  exit 0
fi

if [[ ! -x "${VENV}/bin/python" ]]; then
  log "creating virtualenv ${VENV} with ${PYTHON}"
  "${SUDO[@]}" mkdir -p "$(dirname "$VENV")"
  "${SUDO[@]}" "$PYTHON" -m venv "$VENV"
fi
# Wheels only: nodes have no compilers, and a source build would mean an unpinned toolchain.
pip_install() { "${SUDO[@]}" "${VENV}/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --only-binary=:all: "$@"; }

log "pinning the installer: ${BOOTSTRAP_TOOLS[*]}"
pip_install "${BOOTSTRAP_TOOLS[@]}"

source_ok=()
if grep -qE "$PYSPARK" "$SET"; then
  # PyPI has no pyspark wheel; pure Python, so building it needs no compiler.
  source_ok=(--no-binary=pyspark --no-build-isolation)
  log "pyspark comes as a source archive only: building it with the pinned setuptools (no build isolation)"
fi
log "installing the ${ROLE} set of ${REQS} into ${VENV} (binary wheels only; TensorFlow is large: this takes a few minutes)"
pip_install "${source_ok[@]}" -r "$SET"

log "checking imports"
"${SUDO[@]}" "${VENV}/bin/python" -c 'import numpy, pandas, pyarrow, PIL, onnxruntime as ort; print("onnxruntime", ort.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__, "pyarrow", pyarrow.__version__, "pillow", PIL.__version__)' >&2
if [[ "$ROLE" == "driver" ]]; then
  "${SUDO[@]}" "${VENV}/bin/python" -c 'import tensorflow as tf, tf2onnx; print("tensorflow", tf.__version__, "tf2onnx", tf2onnx.__version__)' >&2
fi
"${SUDO[@]}" "${VENV}/bin/python" -m pip freeze --disable-pip-version-check | "${SUDO[@]}" tee "${VENV}/fruits-freeze.txt" >/dev/null
echo "$want" | "${SUDO[@]}" tee "$MARKER" >/dev/null
log "done: ${VENV} holds the ${ROLE} set ${want} ($(wc -l <"${VENV}/fruits-freeze.txt") packages frozen to ${VENV}/fruits-freeze.txt)"
