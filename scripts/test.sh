#!/bin/sh
# The whole test suite, as CI runs it: set up (idempotent), lint, the fast tier (in process, fakes
# of the ports: seconds), the real tier (real sandbox, servers, browser, model), the Python SDK's
# pytest against a real server, then the escape suite again as an unprivileged user (when run as
# root, as CI does), and last the table of the drills' evidence. Arguments run just those vitest
# files or filters, in both tiers.
set -eu
cd "$(dirname "$0")/.."
sh scripts/bootstrap.sh
sh scripts/setup-test-tools.sh
npx --no-install biome check .
if [ $# -gt 0 ]; then
  npx --no-install vitest run "$@"
  printf 'umca test: only the vitest tests named ran; not the Python SDK tests nor the unprivileged escape suite\n' >&2
else
  npx --no-install vitest run --project fast
  npx --no-install vitest run --project real
  # The Python SDK against a real server of this checkout (sdk/python/README.md).
  (cd sdk/python && ../../node_modules/.umca-python/bin/python -m pytest -q)
  sh scripts/test-unprivileged.sh
  # What the drills left for an auditor, kept by the retention rule (docs/operations.md#evidence).
  node apps/cli/bin/umca.js evidence prune >/dev/null
  node apps/cli/bin/umca.js evidence list
fi
