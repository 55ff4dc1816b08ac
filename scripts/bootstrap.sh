#!/bin/sh
# Gets a checkout ready to run: system packages, npm dependencies, the build. Safe to run again:
# each step is skipped when already done. Progress goes to stderr so that `./umca exec --json`
# keeps a clean stdout.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'umca setup: %s\n' "$*" >&2; }
die() { printf 'umca setup: %s\n' "$*" >&2; exit 1; }

# --- Node.js 20.19 or later (the web UI bundler, rolldown, needs it) ---------------------------
command -v node >/dev/null 2>&1 || die "Node.js 20.19 or later is required: install it (e.g. from your distribution or nodejs.org) and run this again."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node -v) is too old: UMCA needs 20.19 or later."

# --- Debian packages: bubblewrap (the OS sandbox), C and C++ compilers (the sandbox addons) -----
missing=""
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
# native/umca_oom.cc reaches V8's C++ API; cc compiles it once g++ is there.
command -v c++ >/dev/null 2>&1 || missing="$missing g++"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing$missing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null; } \
      || die "apt-get could not install$missing; install it yourself and run this again."
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
    say "installing$missing with sudo apt-get"
    # shellcheck disable=SC2086
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null \
      || die "apt-get could not install$missing; install it yourself and run this again."
  else
    case "$missing" in
      *gcc* | *g++*) die "UMCA needs C and C++ compilers to build its sandbox addons. Install them (Debian/Ubuntu: sudo apt-get install -y gcc g++) and run this again." ;;
    esac
    say "bubblewrap is missing, so the OS sandbox is unavailable and UMCA will refuse to run code."
    say "Install it (Debian/Ubuntu: sudo apt-get install -y bubblewrap), or accept weaker isolation with UMCA_ALLOW_REDUCED_ISOLATION=1."
  fi
fi

# --- npm dependencies ----------------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# --- build (TypeScript, the sandbox addon) when any source is newer than the last build -----------
stamp=node_modules/.umca-build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find packages apps tsconfig*.json package.json \
     \( -path '*/node_modules' -o -path '*/dist' -o -path '*/build' \) -prune -o -type f -newer "$stamp" -print 2>/dev/null | head -n 1)" ]; then
  say "building"
  npm run --silent build >&2
  touch "$stamp"
fi

# --- the Wasmtime lane (Python with numpy, pandas, matplotlib): prepared once, in the background --
# About 13 minutes the first time (cargo builds the Wasmtime host, then the interpreter is
# pre-initialized and compiled). Until it is ready, Python that imports them runs on Pyodide,
# which has not got them, and says why; a running server takes the lane up when it is ready.
# UMCA_WASMTIME=0 skips it.
if [ "${UMCA_WASMTIME:-1}" != 0 ]; then
  status=0
  node packages/runner/scripts/prepare-wasmtime.mjs --status || status=$?
  if [ "$status" = 1 ]; then
    if ! command -v cargo >/dev/null 2>&1; then
      say "the Wasmtime lane (numpy, pandas, matplotlib) needs cargo (Rust 1.95+) once, to build its host; install it (https://rustup.rs) and run this again. Python runs on Pyodide only until then."
    else
      log="${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}/wasmtime-prepare.log"
      mkdir -p "$(dirname "$log")"
      say "preparing the Wasmtime lane (numpy, pandas, matplotlib) in the background, about 13 minutes the first time; progress in $log"
      nohup node packages/runner/scripts/prepare-wasmtime.mjs >"$log" 2>&1 </dev/null &
    fi
  fi
fi
