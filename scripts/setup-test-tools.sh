#!/bin/sh
# Tools the tests drive UMCA with, beyond the npm dev dependencies. Idempotent.
#  - the Python MCP SDK (PyPI `mcp`), a second, independent MCP client, in a virtualenv kept in
#    node_modules so it goes away with them;
#  - Node 22 (the npm package `node@22`), which the official MCP conformance suite needs;
#  - Chromium (Debian's package), which the web UI tests drive through playwright-core.
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca test setup: %s\n' "$*" >&2; }

PYTHON_MCP_VERSION=2.3.0
venv=node_modules/.umca-python
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$PYTHON_MCP_VERSION')" 2>/dev/null; then
  command -v python3 >/dev/null 2>&1 || { say "python3 is required for the Python MCP client tests"; exit 1; }
  say "installing the Python MCP SDK $PYTHON_MCP_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$PYTHON_MCP_VERSION" >&2
fi

if ! npx --yes node@22 --version >/dev/null 2>&1; then
  say "fetching Node 22 for the MCP conformance suite failed"
  exit 1
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Chromium with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    } || { say "apt-get could not install chromium"; exit 1; }
  else
    say "the web UI tests need Chromium: install it (Debian/Ubuntu: sudo apt-get install -y chromium)"
    exit 1
  fi
fi
