#!/usr/bin/env bash
# Idempotent set-up of everything this repository needs, on a fresh Debian/Ubuntu
# machine or a developer laptop: Node packages, the job's Python virtualenv (.venv,
# from the pinned requirements.txt) and, with --test, the test tools (.venv-tools:
# checkov + moto; openssh-server and rsync for the VM-target test).
# Each step is skipped when its inputs have not changed (stamp files hold hashes).
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    -h|--help) echo "usage: scripts/setup.sh [--test]"; exit 0 ;;
    *) echo "error: unknown option '$arg': use --test or nothing" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 3; }
# Hash of what a file set means, not how it is commented: comment edits trigger no reinstall.
hash_of() { cat "$@" | sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d' | sha256sum | cut -c1-16; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "missing $*: install it with your system's package manager"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq || die "apt-get update failed: run setup as root or with sudo"; APT_UPDATED=1; fi
  log "installing system packages: $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

# --- Node.js 22 or 24 (scripts/node-toolchain.sh) -----------------------------
command -v node >/dev/null || die "Node.js is not installed: install Node.js 24 LTS (or 22.19+)"
# On an older (or not yet supported) Node: one line saying what to do; setup goes on with pinned
# builds from the npm registry, so test and demo still run on a supported Node.
bash scripts/node-toolchain.sh check || true
# npm ci on Node 22: cdktf-cli's node-pty has prebuilt binaries up to Node 22 only (see node-toolchain.sh).
node22=$(bash scripts/node-toolchain.sh line 22)
stamp=node_modules/.fruits-setup
want=$(hash_of package.json package-lock.json)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Node packages (npm ci, Node $("$node22/node" --version))"
  PATH="$node22:$PATH" npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
if [ "$WITH_TEST" = 1 ]; then
  # The test command runs on the pinned Node 24 and runs the unit suite again on the pinned 22.
  tests_node=" (tests: $("$(bash scripts/node-toolchain.sh pinned 24)/node" --version) and $("$(bash scripts/node-toolchain.sh pinned 22)/node" --version))"
fi
node_bin=$(bash scripts/node-toolchain.sh supported)

# --- Java (Spark runs on the JVM) --------------------------------------------
if ! command -v java >/dev/null; then
  apt_install openjdk-17-jre-headless
fi
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/{print $2}')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null || die "Java $java_major found; Spark 3.5 here needs Java 17: install openjdk-17-jre-headless"

# --- Python 3.11 virtualenvs --------------------------------------------------
PY=${FRUITS_SETUP_PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null && "$cand" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] || die "Python 3.11 not found: install python3.11 (with venv) or set FRUITS_SETUP_PYTHON=/path/to/python3.11 (the interpreter that creates .venv)"
"$PY" -c 'import venv, ensurepip' 2>/dev/null || apt_install python3.11-venv

make_venv() { # dir requirements-file...
  local dir=$1; shift
  local want; want=$(hash_of "$@" requirements.txt)
  if [ "$(cat "$dir/.fruits-setup" 2>/dev/null)" = "$want" ]; then return; fi
  log "installing $* into $dir (the first time takes several minutes)"
  # Updated in place, never deleted: a running job or test may be using it.
  [ -x "$dir/bin/python" ] || "$PY" -m venv "$dir"
  # python -m pip, not bin/pip: a venv copied from another checkout keeps pip's old #! line.
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  local req; for req in "$@"; do "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"; done
  echo "$want" > "$dir/.fruits-setup"
}
make_venv .venv requirements-dev.txt requirements-notebook.txt  # (named too, so a change to it re-runs pip)

if [ "$WITH_TEST" = 1 ]; then
  make_venv .venv-tools requirements-tools.txt
  # The VM-target test talks to a real sshd on 127.0.0.1.
  if ! command -v sshd >/dev/null && [ ! -x /usr/sbin/sshd ]; then apt_install openssh-server openssh-client; fi
  command -v ssh >/dev/null || apt_install openssh-client
  # ... and rsync moves photos and run folders between the host and the VM.
  command -v rsync >/dev/null || apt_install rsync
  # S3A for the deploy rehearsal's node-policy job (test/rehearsal): hadoop-aws of the
  # exact Hadoop version pyspark bundles, and the AWS SDK bundle that version was built
  # against, from Maven Central, checked against Central's SHA-1 files.
  hadoop_version=$(ls .venv/lib/python3.*/site-packages/pyspark/jars/ | sed -n 's/^hadoop-client-api-\(.*\)\.jar$/\1/p')
  [ -n "$hadoop_version" ] || die "cannot find pyspark's hadoop-client-api jar in .venv to match hadoop-aws to"
  case "$hadoop_version" in
    3.3.4) sdk_version=1.12.262 ;;  # hadoop-project/pom.xml of 3.3.4: aws-java-sdk.version
    *) die "hadoop $hadoop_version: add the matching aws-java-sdk-bundle version to scripts/setup.sh" ;;
  esac
  mkdir -p .jars
  for coord in "org/apache/hadoop/hadoop-aws/$hadoop_version/hadoop-aws-$hadoop_version.jar" \
               "com/amazonaws/aws-java-sdk-bundle/$sdk_version/aws-java-sdk-bundle-$sdk_version.jar"; do
    jar=.jars/$(basename "$coord")
    [ -s "$jar" ] && continue
    log "downloading $(basename "$coord") from Maven Central"
    url="https://repo1.maven.org/maven2/$coord"
    curl -fsSL --retry 3 -o "$jar.part" "$url" || die "download of $url failed"
    [ "$(curl -fsSL --retry 3 "$url.sha1" | cut -c1-40)" = "$(sha1sum "$jar.part" | cut -c1-40)" ] || { rm -f "$jar.part"; die "$jar: SHA-1 differs from Maven Central's"; }
    mv "$jar.part" "$jar"
  done
fi
log "ready: node $("$node_bin/node" --version)${tests_node:-}, java $java_major, $(.venv/bin/python --version)"
