#!/bin/sh
# The whole test suite, as CI runs it: set up (idempotent), lint, every test, then the escape
# suite again as an unprivileged user (when run as root, as CI does).
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
sh scripts/setup-test-tools.sh
npx --no-install biome check .
npx --no-install vitest run "$@"
if [ $# -eq 0 ]; then sh scripts/test-unprivileged.sh; fi
