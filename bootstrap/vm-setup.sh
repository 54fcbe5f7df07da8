#!/usr/bin/env bash
# Sets up the Ubuntu VM (VMware Workstation) for `fruits run vm`:
#   - Java 17 (openjdk-17-jre-headless)
#   - rsync (photos and run folders travel with it) and, in a VMware guest, open-vm-tools
#   - Apache Spark matching the pyspark pin of requirements.txt, in /opt/spark-<ver>,
#     with /opt/spark -> /opt/spark-<ver> (the runner's default vm.sparkSubmit is
#     /opt/spark/bin/spark-submit); the download is checked against Apache's SHA-512
#   - Python 3.11 venv /opt/fruits/venv with the shared pinned requirements.txt, installed by
#     install-python-requirements.sh beside this script (the EMR bootstrap runs the same one);
#     the runner's default vm.python is /opt/fruits/venv/bin/python
#   - /etc/profile.d/fruits-spark.sh (SPARK_HOME, PATH, PYSPARK_PYTHON)
#
# Usage (on the VM):  sudo bash vm-setup.sh [path/to/requirements.txt]
#   (install-python-requirements.sh must sit beside vm-setup.sh, as in the repository's bootstrap/)
# Idempotent: finished steps are detected and skipped; re-run after changing the pins.
# Logged to /var/log/fruits-vm-setup.log (and stderr). Any failure stops with
# `error: ...` and a non-zero exit.
#
# Overrides (environment): FRUITS_PREFIX (/opt), SPARK_VERSION (from the pyspark pin),
# SPARK_HADOOP (hadoop3), SPARK_MIRROR (https://archive.apache.org/dist/spark),
# SPARK_TGZ (a local Spark tarball; skips the download), PYTHON (python3.11),
# FRUITS_SKIP_APT=1 (no apt-get; Java and Python must already be there),
# FRUITS_PROFILE_D (/etc/profile.d), FRUITS_SETUP_LOG (/var/log/fruits-vm-setup.log),
# FRUITS_VM_ROLE (driver: every pin, the default, since `fruits run vm` runs the Spark driver
# here and it converts Keras weights to ONNX; worker: skip the `# driver-only` lines, i.e.
# TensorFlow and the converter, for a VM whose runs pass --weights <converted>.onnx).
set -Eeuo pipefail

REQS=${1:-"$(dirname "$0")/../requirements.txt"}
PREFIX=${FRUITS_PREFIX:-/opt}
PROFILE_D=${FRUITS_PROFILE_D:-/etc/profile.d}
LOG=${FRUITS_SETUP_LOG:-/var/log/fruits-vm-setup.log}
SPARK_HADOOP=${SPARK_HADOOP:-hadoop3}
SPARK_MIRROR=${SPARK_MIRROR:-https://archive.apache.org/dist/spark}
PYTHON=${PYTHON:-python3.11}
VENV="$PREFIX/fruits/venv"

mkdir -p "$(dirname "$LOG")" 2>/dev/null && touch "$LOG" 2>/dev/null || LOG=/dev/null
log() { printf '%s [vm-setup] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
die() { printf 'error: %s\n' "$*" | tee -a "$LOG" >&2; exit 1; }
trap 'die "vm-setup.sh failed at line $LINENO: $BASH_COMMAND (full log: $LOG)"' ERR

[ -f "$REQS" ] || die "requirements file $REQS not found: pass it (sudo bash vm-setup.sh requirements.txt)"
if [ "${FRUITS_SKIP_APT:-0}" != 1 ] && [ "$(id -u)" != 0 ]; then die "run as root: sudo bash $0 $REQS"; fi

APT_UPDATED=0
apt_install() {
  [ "${FRUITS_SKIP_APT:-0}" = 1 ] && die "missing $* and FRUITS_SKIP_APT=1: install it first"
  if [ "$APT_UPDATED" = 0 ]; then log "apt-get update"; apt-get update -qq >>"$LOG" 2>&1; APT_UPDATED=1; fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$LOG" 2>&1
}

# --- Java 17 ------------------------------------------------------------------------
java_major() { java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}'; }
if command -v java >/dev/null && [ "$(java_major)" = 17 ]; then
  log "Java 17 present"
else
  apt_install openjdk-17-jre-headless
  [ "$(java_major)" = 17 ] || die "Java 17 not active after install: select it with update-alternatives --config java"
fi

# --- rsync and VMware Tools ---------------------------------------------------------
# `fruits run vm` syncs photos and run folders with rsync; VMware Tools (open-vm-tools)
# reports the VM's address to `vmrun getGuestIPAddress` and shuts the guest down cleanly.
if command -v rsync >/dev/null; then log "rsync present"; else apt_install rsync; fi
if [ "$(systemd-detect-virt 2>/dev/null || true)" = vmware ] && ! command -v vmtoolsd >/dev/null; then apt_install open-vm-tools; fi

# --- Spark, the same version as the pinned pyspark ----------------------------------
pin=$(awk -F'==' 'tolower($1) ~ /^[[:space:]]*pyspark[[:space:]]*$/ {gsub(/[[:space:]]/, "", $2); print $2}' "$REQS")
SPARK_VERSION=${SPARK_VERSION:-$pin}
[ -n "$SPARK_VERSION" ] || die "no pyspark==X pin in $REQS and no SPARK_VERSION: pin pyspark in requirements.txt"
case "$SPARK_VERSION" in 3.5.*) ;; *) die "Spark $SPARK_VERSION is not 3.5.x (EMR 7 runs Spark 3.5): fix the pyspark pin";; esac
SPARK_DIR="$PREFIX/spark-$SPARK_VERSION"
if [ -x "$SPARK_DIR/bin/spark-submit" ]; then
  log "Spark $SPARK_VERSION present in $SPARK_DIR"
else
  command -v tar >/dev/null || apt_install tar
  tmp=$(mktemp -d)
  name="spark-$SPARK_VERSION-bin-$SPARK_HADOOP"
  if [ -n "${SPARK_TGZ:-}" ]; then
    [ -f "$SPARK_TGZ" ] || die "SPARK_TGZ=$SPARK_TGZ not found"
    cp "$SPARK_TGZ" "$tmp/$name.tgz"
    if [ -f "$SPARK_TGZ.sha512" ]; then cp "$SPARK_TGZ.sha512" "$tmp/$name.tgz.sha512"; fi
  else
    command -v curl >/dev/null || apt_install curl ca-certificates
    url="$SPARK_MIRROR/spark-$SPARK_VERSION/$name.tgz"
    log "downloading $url"
    curl -fsSL --retry 3 -o "$tmp/$name.tgz" "$url" || die "download of $url failed: check the VM's internet access or set SPARK_MIRROR / SPARK_TGZ"
    curl -fsSL --retry 3 -o "$tmp/$name.tgz.sha512" "$url.sha512" || die "download of $url.sha512 failed"
  fi
  if [ -f "$tmp/$name.tgz.sha512" ]; then
    # Apache publishes either "<hash>  <file>" or "<file>: <hash in groups>"; compare hex only.
    want=$(sed -e 's/^[^:]*: //' -e 's/ [^ ]*\.tgz$//' "$tmp/$name.tgz.sha512" | tr -d ' \n' | tr 'A-F' 'a-f' | grep -oE '^[0-9a-f]{128}' || true)
    got=$(sha512sum "$tmp/$name.tgz" | cut -d' ' -f1)
    [ -n "$want" ] && [ "$want" = "$got" ] || die "checksum mismatch for $name.tgz (want ${want:-none}, got $got): the download is corrupt or tampered"
    log "SHA-512 verified"
  elif [ -z "${SPARK_TGZ:-}" ]; then
    die "no checksum for $name.tgz"
  else
    log "SPARK_TGZ given without $SPARK_TGZ.sha512: not verified"
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/$name.tgz" -C "$tmp/x"
  [ -x "$tmp/x/$name/bin/spark-submit" ] || die "$name.tgz holds no $name/bin/spark-submit"
  mkdir -p "$PREFIX"
  rm -rf "$SPARK_DIR.partial"
  mv "$tmp/x/$name" "$SPARK_DIR.partial"
  mv "$SPARK_DIR.partial" "$SPARK_DIR" # only a complete tree gets the final name
  rm -rf "$tmp"
  log "Spark $SPARK_VERSION installed in $SPARK_DIR"
fi
ln -sfn "$SPARK_DIR" "$PREFIX/spark"

# --- Python venv with the pinned requirements ----------------------------------------
if ! command -v "$PYTHON" >/dev/null; then
  apt_install software-properties-common
  if ! apt-cache show python3.11 >/dev/null 2>&1; then
    log "python3.11 is not in this Ubuntu's archive: adding ppa:deadsnakes/ppa"
    add-apt-repository -y ppa:deadsnakes/ppa >>"$LOG" 2>&1
    APT_UPDATED=0
  fi
  apt_install python3.11 python3.11-venv
fi
"$PYTHON" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3.11-venv
# The shared installer (also the EMR bootstrap's): pinned pip/setuptools/wheel, binary wheels
# only, the driver-only filter, an idempotency marker, an import check.
INSTALLER="$(dirname "$0")/install-python-requirements.sh"
[ -f "$INSTALLER" ] || die "$INSTALLER not found: keep it beside vm-setup.sh (fruits vm-setup copies both)"
ROLE=${FRUITS_VM_ROLE:-driver}
case "$ROLE" in
  driver|worker) ;;
  *) die "FRUITS_VM_ROLE=$ROLE: use driver (default) or worker" ;;
esac
log "Python packages: the $ROLE set of $REQS into $VENV (FRUITS_VM_ROLE=$ROLE)"
bash "$INSTALLER" --requirements "$REQS" --venv "$VENV" --role "$ROLE" --python "$PYTHON" 2>&1 | tee -a "$LOG" >&2 ||
  die "installing the Python packages failed (exit ${PIPESTATUS[0]}): see the lines above and $LOG"

# --- Environment for login shells ---------------------------------------------------
mkdir -p "$PROFILE_D"
cat > "$PROFILE_D/fruits-spark.sh" <<PROFILE
# Written by bootstrap/vm-setup.sh
export SPARK_HOME=$PREFIX/spark
export PATH=\$SPARK_HOME/bin:\$PATH
export PYSPARK_PYTHON=$VENV/bin/python
export PYSPARK_DRIVER_PYTHON=$VENV/bin/python
PROFILE

# --- Verify -------------------------------------------------------------------------
spark_v=$("$PREFIX/spark/bin/spark-submit" --version 2>&1 | grep -oE 'version [0-9]+\.[0-9]+\.[0-9]+' | head -1 | cut -d' ' -f2 || true)
[ "$spark_v" = "$SPARK_VERSION" ] || die "spark-submit reports version '${spark_v:-?}', expected $SPARK_VERSION"
if [ -n "$pin" ]; then
  py_v=$("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)')
  [ "$py_v" = "$SPARK_VERSION" ] || die "venv pyspark $py_v does not match Spark $SPARK_VERSION"
fi
log "done: spark-submit $PREFIX/spark/bin/spark-submit ($spark_v), python $VENV/bin/python"
