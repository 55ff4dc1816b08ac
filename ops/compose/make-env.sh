#!/bin/sh
# Writes the .env of ops/compose/compose.yaml from ops/compose/.env.example: every empty
# `NAME=` line gets a random secret (48 hex characters from /dev/urandom), every other line is
# copied as it is. Run it once, before the first `docker compose up`: the databases keep the
# passwords they were first started with.
#
#   sh ops/compose/make-env.sh                          # prints the file
#   sh ops/compose/make-env.sh --output ops/compose/.env   # writes it (0600); refuses to overwrite
#
# Exit 0 written, 2 bad usage or an existing --output (nothing written).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
output=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output)
      [ $# -ge 2 ] && [ -n "$2" ] || { printf 'make-env: --output needs a file name, e.g. --output ops/compose/.env\n' >&2; exit 2; }
      output=$2
      shift 2
      ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'make-env: unknown argument %s; usage: make-env.sh [--output FILE]\n' "$1" >&2; exit 2 ;;
  esac
done
if [ -n "$output" ] && [ -e "$output" ]; then
  printf 'make-env: %s exists; its secrets may already be in the databases: remove it first if you mean to start over (docker compose down -v)\n' "$output" >&2
  exit 2
fi

secret() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }
render() {
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      [A-Z]*=) printf '%s%s\n' "$line" "$(secret)" ;;
      *) printf '%s\n' "$line" ;;
    esac
  done <"$here/.env.example"
}

if [ -z "$output" ]; then
  render
  exit 0
fi
tmp="$output.tmp.$$"
trap 'rm -f "$tmp"' EXIT
(umask 077 && render >"$tmp")
mv "$tmp" "$output"
trap - EXIT
printf 'make-env: wrote %s (mode 0600); keep it out of version control\n' "$output" >&2
