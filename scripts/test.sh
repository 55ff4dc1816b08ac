#!/bin/sh
# The whole test suite, as CI runs it: set up (idempotent), lint, every test (vitest, then the
# Python SDK's pytest), then the escape suite again as an unprivileged user (when run as root, as
# CI does).
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
sh scripts/setup-test-tools.sh
npx --no-install biome check .
npx --no-install vitest run "$@"
if [ $# -eq 0 ]; then
  # The Python SDK against a real server of this checkout (sdk/python/README.md).
  (cd sdk/python && ../../node_modules/.umca-python/bin/python -m pytest -q)
  sh scripts/test-unprivileged.sh
else
  printf 'umca test: only the vitest tests named ran; not the Python SDK tests nor the unprivileged escape suite\n' >&2
fi
