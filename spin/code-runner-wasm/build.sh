#!/bin/sh
# Builds the Spin app's component, app.wasm, from src/ and wit/ with componentize-py (PyPI),
# pinned, in a virtualenv of its own under node_modules. Skips the build when app.wasm is newer
# than every source. The WASI 0.2.6 WIT it builds against comes from the pinned spin-sdk wheel,
# the same files Spin's own Python SDK ships (its Python API targets WASI 0.3: see docs/spin.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
say() { printf 'code-runner-wasm build: %s\n' "$*" >&2; }

COMPONENTIZE_PY_VERSION=0.25.1
SPIN_SDK_VERSION=5.0.0
WASI_VERSION=0.2.6
venv=${UMCA_SPIN_VENV:-$root/node_modules/.umca-spin-python}
out=$here/app.wasm

if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('componentize-py') != '$COMPONENTIZE_PY_VERSION' or m.version('spin-sdk') != '$SPIN_SDK_VERSION')" 2>/dev/null; then
  command -v python3 >/dev/null 2>&1 || { say "python3 is required to build the Spin app"; exit 1; }
  say "installing componentize-py $COMPONENTIZE_PY_VERSION and spin-sdk $SPIN_SDK_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION" "spin-sdk==$SPIN_SDK_VERSION" >&2
fi

if [ -f "$out" ] && [ -z "$(find "$here/src" "$here/wit" "$here/build.sh" -newer "$out" \( -name '*.py' -o -name '*.wit' -o -name build.sh \) 2>/dev/null)" ]; then
  say "app.wasm is up to date"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work" "$out.part"' EXIT
wit=$work/wit
mkdir -p "$wit/deps"
cp "$here/wit/world.wit" "$wit/"
sdk_wit=$("$venv/bin/python" -c "import os, spin_sdk; print(os.path.join(os.path.dirname(spin_sdk.__file__), 'wit', 'deps'))")
for package in cli clocks filesystem http io random sockets; do
  cp -R "$sdk_wit/$package@$WASI_VERSION" "$wit/deps/"
done

say "componentizing src/app.py (about 15 s)"
unset VIRTUAL_ENV
"$venv/bin/componentize-py" --wit-path "$wit" --world code-runner componentize app \
  --python-path "$here/src" --output "$out.part" >&2
mv "$out.part" "$out"
say "built $out ($(wc -c <"$out") bytes)"
