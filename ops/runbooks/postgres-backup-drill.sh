#!/bin/sh
# The backup-and-restore drill of a UMCA on PostgreSQL (docs/runbooks/postgres-backup.md), end to
# end on a database of its own: on the PostgreSQL server that --store names, it creates a scratch
# database, starts `umca serve` on it, makes runs, dumps the database with pg_dump while the
# server serves, makes one more run (the one the disaster will lose), kills the server, drops the
# database and creates it empty again (the disaster), restores the dump with pg_restore, starts a
# server again and checks what the runbook promises: every run and event the dump holds is back,
# each run's events and a client resuming from an offset read exactly as before, and the only loss
# is what came after the dump. It prints the recovery point and time and, with --evidence DIR,
# writes them there as JSON. Exit 0 when every promise held, 1 when one did not, 2 for bad usage.
#
#   ops/runbooks/postgres-backup-drill.sh --store postgres://USER:PASSWORD@HOST:5432/DB
#       [--runs N] [--evidence DIR] [--pg-bin DIR]
#
# --store: a PostgreSQL server and a role that may create databases. DB is only connected to (to
# create and drop the scratch database); nothing in it is read or changed. The drill drops only
# the scratch database it created (umca_drill_<time>_<pid>), and always drops it at the end.
# --pg-bin: where pg_dump, pg_restore and psql are (default /usr/lib/postgresql/<the server's
# major version>/bin, Debian's layout; env UMCA_PG_BIN).
# UMCA_CLI: how to start UMCA (default ./umca); the drill needs curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
drill=postgres-backup
runs=3
evidence=""
store=""
pg_bin=${UMCA_PG_BIN:-}
# shellcheck source=lib/drill.sh
. "$root/ops/runbooks/lib/drill.sh"
usage() { usage_error "$1; usage: $0 --store postgres://USER:PASSWORD@HOST:5432/DB [--runs N] [--evidence DIR] [--pg-bin DIR]"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --store) [ $# -ge 2 ] || usage '--store needs a postgres:// URL'; store=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage '--runs needs a number'; runs=$2; shift 2 ;;
    --evidence) [ $# -ge 2 ] || usage '--evidence needs a folder'; evidence=$2; shift 2 ;;
    --pg-bin) [ $# -ge 2 ] || usage '--pg-bin needs a folder'; pg_bin=$2; shift 2 ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
case "$runs" in '' | *[!0-9]* | 0) usage "--runs must be a whole number from 1, not '$runs'" ;; esac
case "$store" in
  postgres://* | postgresql://*) ;;
  '') usage '--store is required: the PostgreSQL server to drill on, as postgres://USER:PASSWORD@HOST:5432/DB' ;;
  *) usage '--store must be a postgres:// URL (postgres://USER:PASSWORD@HOST:5432/DB)' ;;
esac
for tool in curl node; do
  command -v "$tool" >/dev/null 2>&1 || usage "the drill needs $tool on PATH"
done

# The URL, `full` with its password or `public` without (the password goes to PGPASSWORD instead,
# so it is in no command line and no message), and with database $2 when given; or `password`.
url_with() {
  node -e 'const u = new URL(process.argv[1]); const [what, name] = process.argv.slice(2);
    if (what === "password") { process.stdout.write(decodeURIComponent(u.password)); process.exit(0); }
    if (name) u.pathname = "/" + name;
    if (what !== "full") u.password = "";
    process.stdout.write(u.href);' "$store" "$@" 2>/dev/null || usage '--store is not a URL: write it as postgres://USER:PASSWORD@HOST:5432/DB'
}
server_url=$(url_with public) || exit 2
PGPASSWORD=$(url_with password) || exit 2
export PGPASSWORD
psql_any=$pg_bin/psql
[ -n "$pg_bin" ] || psql_any=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
[ -x "${psql_any:-}" ] || psql_any=$(command -v psql || true)
[ -n "$psql_any" ] || usage 'no psql found: install PostgreSQL client tools (Debian: apt-get install -y postgresql-client) or give --pg-bin'
sql() { "$psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
psql=$psql_any
version=$(sql "$server_url" 'SHOW server_version_num' 2>"$work/psql.err") \
  || usage "could not connect to --store $server_url: $(tail -n 2 "$work/psql.err")"
major=$((version / 10000))
# pg_dump refuses a server newer than itself, and a dump is best read by the same major version.
[ -n "$pg_bin" ] || pg_bin=/usr/lib/postgresql/$major/bin
for tool in pg_dump pg_restore psql; do
  [ -x "$pg_bin/$tool" ] || usage "$pg_bin/$tool is missing: install PostgreSQL $major's client tools (Debian: apt-get install -y postgresql-client-$major) or point --pg-bin at them"
done
tools_major=$("$pg_bin/pg_dump" --version | sed -n 's/.* \([0-9][0-9]*\)\..*/\1/p')
[ "$tools_major" = "$major" ] || usage "$pg_bin/pg_dump is PostgreSQL $tools_major and the server $major: give --pg-bin the tools of version $major"
psql=$pg_bin/psql
[ "$(sql "$server_url" 'SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user')" = t ] \
  || usage "the role in --store may not create databases, which the drill needs for its scratch database: ALTER ROLE ... CREATEDB, or use another role"

scratch=umca_drill_$(date -u +%Y%m%d%H%M%S)_$$
scratch_url=$(url_with public "$scratch") || exit 2
scratch_full=$(url_with full "$scratch") || exit 2
# UMCA must never be pointed at the database --store names, only at the scratch one.
case "$scratch_url" in *"/$scratch" | *"/$scratch?"*) ;; *) say "could not make the scratch database's URL from --store"; exit 1 ;; esac
created=""
# The library's cleanup, and the scratch database: only the one this drill created, by its name.
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$created" ] && sql "$server_url" "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" 2>/dev/null
  rm -rf "$work"
}
[ -z "$(sql "$server_url" "SELECT 1 FROM pg_database WHERE datname = '$scratch'")" ] || { say "a database $scratch exists already; run the drill again"; exit 1; }
sql "$server_url" "CREATE DATABASE \"$scratch\""
created=yes
# Every `umca serve` this drill starts uses the scratch database (in the environment, not on a command line).
UMCA_STORE=$scratch_full
export UMCA_STORE
# The rows of one table in the dump, as pg_restore writes them back (COPY ... FROM stdin; rows; \.).
dump_rows() { "$pg_bin/pg_restore" --data-only --table="$1" --file=- "$work/umca.dump" | sed -n '/^COPY /,/^\\\.$/p' | sed '1d;$d'; }

say "starting UMCA on the scratch database $scratch_url (PostgreSQL $major)"
start_server "$work/data"
i=0
ids=""
while [ "$i" -lt "$runs" ]; do
  ids="$ids $(run_code "$i")"
  i=$((i + 1))
done
first=${ids# }
first=${first%% *}
for id in $ids; do resume "$id" 0 >"$work/before-$id"; done
# Where a client following the first run had got to: its second event.
offset=$(second_offset "$first")
before_resume=$(resume "$first" "$offset")
case "$before_resume" in *dev.umca.run.ended.v1*) ;; *) say "the first run's events after offset $offset hold no run.ended: $before_resume"; exit 1 ;; esac

say "dumping the database with pg_dump --format=custom while the server serves"
dump_started=$(now_ms)
"$pg_bin/pg_dump" --format=custom --file="$work/umca.dump" --dbname="$scratch_url"
dump_ms=$(($(now_ms) - dump_started))
dump_bytes=$(wc -c <"$work/umca.dump" | tr -d ' ')
dumped_runs=$(dump_rows runs | wc -l | tr -d ' ')
dumped_events=$(dump_rows events | wc -l | tr -d ' ')
dumped_offset=$(dump_rows event_offset | cut -f2)
lost_run=$(run_code 99)
lost_offset=$(curl -sf "$url/v1/runs/$lost_run/events" | grep '^id:' | tail -n 1 | cut -d' ' -f2)
runs_before=$(run_count)

say "disaster: the server is killed and its database dropped and created again, empty"
kill_server
sql "$server_url" "DROP DATABASE \"$scratch\" WITH (FORCE)"
sql "$server_url" "CREATE DATABASE \"$scratch\""

say "restoring the dump with pg_restore and starting again"
restore_started=$(now_ms)
"$pg_bin/pg_restore" --exit-on-error --single-transaction --no-owner --dbname="$scratch_url" "$work/umca.dump"
# The runbook's next step: new offsets go past a gap, beyond any the lost server gave out after the dump.
sql "$scratch_url" "$PG_SKIP_OFFSETS_SQL" >/dev/null
restore_ms=$(($(now_ms) - restore_started))
start_server "$work/data"
wait_ready
recovery_ms=$(($(now_ms) - restore_started))
runs_after=$(run_count)
events_after=$(sql "$scratch_url" 'SELECT count(*) || chr(32) || coalesce(max(position), 0) FROM events')
after_resume=$(resume "$first" "$offset")
lost_back=$(run_status "$lost_run")
same_runs=0
for id in $ids; do
  [ "$(resume "$id" 0)" = "$(cat "$work/before-$id")" ] && same_runs=$((same_runs + 1))
done
new_run=$(run_code 7)
# A stream opens with the offset it resumes from (id: 0); the first event's offset comes next.
new_offset=$(second_offset "$new_run")

check "$runs_after" "$dumped_runs" "every run the dump holds is back ($dumped_runs)"
check "$events_after" "$dumped_events $dumped_offset" "every event the dump holds is back ($dumped_events, up to offset $dumped_offset)"
check "$same_runs" "$runs" "each run's events read, event for event, as before the disaster ($runs runs)"
check "$after_resume" "$before_resume" "resuming run ${first}'s events after offset $offset gives, event for event, what it gave before"
check "$lost_back" "404" "the run made after the dump is the one lost (the recovery point)"
check "$new_offset" "$((dumped_offset + 1000000001))" "a new run after the restore goes on past the gap after the dump's last offset"
check "$([ "$new_offset" -gt "$lost_offset" ] && echo past || echo "$new_offset")" past \
  "new events are numbered past every offset the lost server gave out (a client that saw offset $lost_offset misses none)"

finish "$(printf '"postgres":%s,"runsInDump":%s,"eventsInDump":%s,"lastOffsetInDump":%s,"runsBeforeDisaster":%s,"runsAfterRestore":%s,"lostRuns":%s,"dumpBytes":%s,"dumpMs":%s,"restoreMs":%s,"recoveryMs":%s' \
  "$major" "$dumped_runs" "$dumped_events" "$dumped_offset" "$runs_before" "$runs_after" \
  "$((runs_before - runs_after))" "$dump_bytes" "$dump_ms" "$restore_ms" "$recovery_ms")"
