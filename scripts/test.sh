#!/bin/sh
# The whole test suite, as CI runs it: set up (idempotent), lint, then every test.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
sh scripts/setup-test-tools.sh
npx --no-install biome check .
npx --no-install vitest run "$@"
