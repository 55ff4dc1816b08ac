#!/bin/sh
# What test/ops/compose.real.test.ts checks ops/compose/compose.yaml with, installed when missing:
#  - Debian's docker-compose (1.29), a real Compose implementation whose `config` command resolves
#    and validates a project without a container engine;
#  - the Compose specification's JSON Schema, compose-spec.json from the Go module
#    github.com/compose-spec/compose-go/v2 (the loader of `docker compose`), copied to
#    node_modules/.umca-compose/ with the version it came from;
#  - compose-go-config, a small program around that loader (test/support/compose-go-config),
#    built into node_modules/.umca-compose/: it loads a project as `docker compose` v2 does.
# Idempotent: a second run checks and returns (it rebuilds the program when its source changed).
#
#   sh scripts/setup-compose-tools.sh
#
# Needs apt-get (as root) for docker-compose and Go (the Go module proxy) for the rest; the Go
# module and build caches keep the downloads, as for any Go module.
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca compose tools: %s\n' "$*" >&2; }
[ $# -eq 0 ] || { say "takes no arguments (it was given: $*)"; exit 2; }

if ! command -v docker-compose >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing docker-compose with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
    } || { say "apt-get could not install docker-compose"; exit 1; }
  else
    say "the Compose tests need docker-compose: install it (Debian/Ubuntu: sudo apt-get install -y docker-compose)"
    exit 1
  fi
fi

COMPOSE_GO_VERSION=v2.16.2
schema_dir=node_modules/.umca-compose
gobin=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$gobin" ] || { say "Go is needed to fetch compose-go (the Go module proxy): install Go 1.24 or newer"; exit 1; }
if [ "$(cat "$schema_dir/compose-go.version" 2>/dev/null || true)" != "$COMPOSE_GO_VERSION" ] || [ ! -s "$schema_dir/compose-spec.json" ]; then
  say "fetching github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION for its compose-spec.json"
  # Outside any module (a scratch folder), so no go.mod is read or written.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  dir=$(cd "$scratch" && GOFLAGS=-mod=mod "$gobin" mod download -json "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" |
    node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const m=JSON.parse(s);if(m.Error){console.error(m.Error);process.exit(1)}process.stdout.write(m.Dir)})")
  [ -s "$dir/schema/compose-spec.json" ] || { say "the module has no schema/compose-spec.json (in $dir)"; exit 1; }
  mkdir -p "$schema_dir"
  cat "$dir/schema/compose-spec.json" >"$schema_dir/compose-spec.json.part"
  mv "$schema_dir/compose-spec.json.part" "$schema_dir/compose-spec.json"
  printf '%s\n' "$COMPOSE_GO_VERSION" >"$schema_dir/compose-go.version"
fi

# The loader program: rebuilt when its source or module files are newer than the binary.
loader_src=test/support/compose-go-config
loader="$PWD/$schema_dir/compose-go-config"
if [ ! -x "$loader" ] || [ -n "$(find "$loader_src" -newer "$loader" -type f 2>/dev/null)" ]; then
  say "building compose-go-config (compose-go $COMPOSE_GO_VERSION's loader) into $schema_dir"
  mkdir -p "$schema_dir"
  (cd "$loader_src" && "$gobin" build -mod=readonly -o "$loader.part" .)
  mv "$loader.part" "$loader"
fi
