#!/bin/sh
# The upgrade drill (docs/runbooks/upgrade.md): an embedded UMCA upgraded across a store schema
# migration, and rolled back. It builds the previous version (--from REF, a git ref; default: the
# commit before the newest store migration) in a git worktree of its own, serves it on a scratch
# data directory and makes runs; backs the data up while it serves (`umca backup`); stops it;
# upgrades to this checkout (`umca migrate`, then `umca serve`) and checks every run and event
# survived and the schema moved from N to M; then the rollback: the old version refuses the
# migrated data with its clear message, the pre-upgrade backup is restored, the old version starts
# again and every run and event it had is back (the run made after the upgrade is what a rollback
# loses). It reports the schema versions and the downtime of the upgrade and of the rollback.
# With --store postgres://... the same on a PostgreSQL store: an EMPTY database the drill may fill
# and, for the rollback, empty again (DROP SCHEMA public CASCADE) and restore with pg_restore from
# the pg_dump it took before the upgrade; it needs pg_dump, pg_restore and psql.
# It prints `ok:`/`FAILED:` lines on stderr and one JSON result on stdout; with --evidence DIR it
# writes that JSON to DIR/upgrade-<UTC time>.json. Exit 0 when every promise held, 1 when one did
# not, 2 for bad usage (an unknown ref, a shallow clone, no migration between REF and this checkout).
#
#   ops/runbooks/upgrade-drill.sh [--from REF] [--runs N] [--store postgres://USER:PASSWORD@HOST/DB] [--evidence DIR]
#
# The previous version is built once per commit under ${UMCA_CACHE_DIR:-~/.cache/umca}/upgrade-drill
# (sh ops/runbooks/prepare-previous-umca.sh); later runs reuse it. UMCA_CLI: how to start this
# checkout's UMCA (default ./umca). Needs git, curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
drill=upgrade
# shellcheck source=lib/drill.sh
. "$root/ops/runbooks/lib/drill.sh"
from=""
runs=3
evidence=""
store=""
usage() { usage_error "$1; usage: $0 [--from REF] [--runs N] [--store postgres://...] [--evidence DIR]"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] && [ -n "$2" ] || usage "--from needs a git ref (a commit, tag or branch)"; from=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage "--runs needs a number"; runs=$2; shift 2 ;;
    --evidence) [ $# -ge 2 ] && [ -n "$2" ] || usage "--evidence needs a folder"; evidence=$2; shift 2 ;;
    --store) [ $# -ge 2 ] && [ -n "$2" ] || usage "--store needs a postgres:// URL"; store=$2; shift 2 ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
case "$runs" in '' | *[!0-9]* | 0 | 0*) usage "--runs must be a whole number from 1 to 50, not '$runs'" ;; esac
[ "$runs" -le 50 ] || usage "--runs must be a whole number from 1 to 50, not '$runs'"
kind=sqlite
if [ -n "$store" ]; then
  case "$store" in postgres://* | postgresql://*) kind=postgres ;; *) usage "--store takes a postgres:// URL (the embedded store is the default), not '$store'" ;; esac
  for tool in pg_dump pg_restore psql; do
    command -v "$tool" >/dev/null 2>&1 || usage "--store needs $tool (Debian: apt-get install -y postgresql-client)"
  done
  tables=$(psql "$store" -Atqc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'" 2>&1) ||
    usage "--store: psql could not connect: $tables"
  [ "$tables" = 0 ] || usage "--store must name an empty database (it has $tables tables): the drill fills it and, for the rollback, empties it again"
fi

# Which commit the old version is, and the build of it: the preparation script says what is wrong
# (a shallow clone, an unknown ref, no migration since it) and exits 2 itself.
prepared=$(sh "$root/ops/runbooks/prepare-previous-umca.sh" ${from:+--from "$from"})
old_commit=$(printf '%s\n' "$prepared" | sed -n 's/^commit //p')
old_home=$(printf '%s\n' "$prepared" | sed -n 's/^home //p')
prepare_ms=$(printf '%s\n' "$prepared" | sed -n 's/^prepared-ms //p')
old_umca="node $old_home/apps/cli/bin/umca.js"
say "previous version: $old_commit (built in $old_home)"

data="$work/data"
# An orderly stop (SIGTERM), as an operator stops a server before an upgrade.
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# The store flags every UMCA command here gets.
where() { if [ "$kind" = postgres ]; then printf '%s\n' --data-dir "$data" --store "$store"; else printf '%s\n' --data-dir "$data"; fi; }
# serve_version UMCA: starts `UMCA serve` (this checkout's or the previous version's command) on
# the store; sets server_pid and url once it answers /readyz.
serve_version() {
  # shellcheck disable=SC2046
  serve_cli "$1" $(where)
  wait_ready
}
# Every run (id and status) and every event of each (its SSE id and data, whole), one line per
# run in id order: what the promise "every run and event survived" compares, and its digest.
inventory() {
  curl -sf "$url/v1/runs?limit=100" | json "v.runs.map(r=>r.id+' '+r.status+'\n').sort().join('')" >"$work/runs.txt"
  while read -r id status; do
    printf '%s %s ' "$id" "$status"
    curl -sf "$url/v1/runs/$id/events" | grep -E '^(id|data):' | tr '\n' ' '
    printf '\n'
  done <"$work/runs.txt"
}
event_count() { grep -o 'id: [0-9]*' "$1" | wc -l | tr -d ' '; }

say "serving the previous version on $data"
serve_version "$old_umca"
i=0
while [ "$i" -lt "$runs" ]; do run_code "$i" >/dev/null; i=$((i + 1)); done
inventory >"$work/before.txt"
runs_before=$(wc -l <"$work/before.txt" | tr -d ' ')
events_before=$(event_count "$work/before.txt")
check "$runs_before" "$runs" "the previous version holds the $runs runs made on it"

say "backing up while it serves"
if [ "$kind" = postgres ]; then
  pg_dump -Fc -f "$work/backup.dump" "$store"
  schema_from=$(psql "$store" -Atqc 'SELECT version FROM umca_schema')
else
  $umca backup --data-dir "$data" --to "$work/backup" >"$work/backup.out"
  schema_from=$(json 'v.schema' <"$work/backup/manifest.json")
fi

say "upgrading: stop, umca migrate, umca serve"
upgrade_started=$(now_ms)
stop_server
# shellcheck disable=SC2046
$umca migrate $(where) >"$work/migrate.out"
migrate_done=$(now_ms)
serve_version "$umca"
upgrade_ms=$(($(now_ms) - upgrade_started))
migrate_ms=$((migrate_done - upgrade_started))
schema_to=$(sed -n 's/.* to \([0-9]*\)$/\1/p' "$work/migrate.out")
inventory >"$work/after.txt"
check "$(sed -n 's/.*migrated from schema \([0-9]*\) to.*/\1/p' "$work/migrate.out")" "$schema_from" "umca migrate started from the backup's schema ($schema_from)"
if [ -n "$schema_to" ] && [ "$schema_to" -gt "$schema_from" ]; then
  say "ok: the schema moved from $schema_from to $schema_to"
else
  say "FAILED: the schema did not move forward ($(cat "$work/migrate.out"))"
  ok=false
fi
check "$(cat "$work/after.txt")" "$(cat "$work/before.txt")" "every run ($runs_before) and event ($events_before) survived the upgrade, event for event"
after_upgrade_run=$(run_code 99)

say "rollback: the previous version on the migrated data"
rollback_started=$(now_ms)
stop_server
refused=0
# shellcheck disable=SC2046
$old_umca serve --port 0 $(where) --log-level warn >"$work/refused.out" 2>"$work/refused.err" </dev/null & refused_pid=$!
waited=0
while kill -0 "$refused_pid" 2>/dev/null && [ "$waited" -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done
if kill -0 "$refused_pid" 2>/dev/null; then kill "$refused_pid"; wait "$refused_pid" 2>/dev/null || true; else wait "$refused_pid" 2>/dev/null || refused=$?; fi
refusal=$(grep -o "written by a newer UMCA (schema [0-9]*, this one knows [0-9]*)" "$work/refused.err" || true)
check "$refusal" "written by a newer UMCA (schema $schema_to, this one knows $schema_from)" "the previous version refuses the migrated data and says why"
[ "$refused" -ne 0 ] && say "ok: ... and exits with status $refused, serving nothing" || { say "FAILED: the previous version did not exit on the migrated data"; ok=false; }

if [ "$kind" = postgres ]; then
  # Into an empty schema: pg_restore --clean would drop only what the dump holds, and leave what the migration added.
  psql "$store" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' >/dev/null
  pg_restore --no-owner --exit-on-error --single-transaction -d "$store" "$work/backup.dump"
  # New offsets past a gap, as docs/runbooks/postgres-backup.md restores: a client that saw the
  # new version's events must not take the old version's next ones for them.
  psql "$store" -qc "$PG_SKIP_OFFSETS_SQL" >/dev/null
else
  $umca restore --data-dir "$data" --from "$work/backup" --force >"$work/restore.out"
fi
serve_version "$old_umca"
rollback_ms=$(($(now_ms) - rollback_started))
inventory >"$work/rolled-back.txt"
check "$(cat "$work/rolled-back.txt")" "$(cat "$work/before.txt")" "after the rollback every run and event of the previous version is back, event for event"
check "$(run_status "$after_upgrade_run")" 404 "the run made after the upgrade is what the rollback lost"
stop_server

finish "$(printf '"from":"%s","to":"%s","store":"%s","schemaFrom":%s,"schemaTo":%s,"runs":%s,"events":%s,"upgradeDowntimeMs":%s,"migrateMs":%s,"rollbackDowntimeMs":%s,"runsLostInRollback":1,"previousVersionPreparedMs":%s' \
  "$old_commit" "$(git -C "$root" rev-parse HEAD)" "$kind" "$schema_from" "${schema_to:-null}" "$runs_before" "$events_before" \
  "$upgrade_ms" "$migrate_ms" "$rollback_ms" "${prepare_ms:-0}")"
