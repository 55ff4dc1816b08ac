#!/bin/sh
# The escape suite (packages/runner/test/sandbox-*.test.ts) again, as an unprivileged user. A
# sandbox must hold no host privilege whoever starts UMCA, and CI runs as root: scripts/test.sh
# calls this after the whole suite has passed as root, so both ways are proved on every run.
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
if ! runuser -u "$user" -- test -r package.json -a -x node_modules/.bin/vitest; then
  say "$user cannot read this checkout ($(pwd)). Make it and its parent folders readable by all"
  say "(chmod o+rX), or set UMCA_TEST_USER to a user who can read it."
  exit 1
fi
home=$(mktemp -d "${TMPDIR:-/tmp}/umca-unprivileged-XXXXXX")
trap 'rm -rf "$home"' EXIT INT TERM
chown "$user" "$home"
say "running the escape suite again as $user"
# `--configLoader runner`: vite's default loader writes a bundled config into node_modules.
runuser -u "$user" -- env -i PATH="$PATH" HOME="$home" TMPDIR="$home" UMCA_CACHE_DIR="$home/cache" \
  node_modules/.bin/vitest run --configLoader runner packages/runner/test/sandbox-
