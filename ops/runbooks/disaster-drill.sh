#!/bin/sh
# The disaster drill of an embedded UMCA (docs/runbooks/disaster.md): backups on a schedule, then
# the data directory lost, then the operator's recovery from the last good backup, timed. On a
# UMCA of its own it makes runs and takes a backup after every --runs-between of them into a
# folder of backups (`umca backup --into DIR --keep N`, as a cron job would); makes more runs
# after the last backup (what the disaster will lose); leaves a newer backup torn (cut off as if
# the disk died while it was copied elsewhere); then kills the server and deletes its data
# directory. Recovery is the runbook's: `umca restore --latest-in DIR` (which must pass over the
# torn backup), `umca serve`, wait for /readyz. It checks that the schedule kept --keep backups,
# that every run the last good backup holds is back with its events (resuming gives what it gave
# before), and that exactly the runs made after it are lost; it reports those (the recovery point,
# in runs and seconds) and the recovery time. Exit 0 when every promise held, 1 when one did not,
# 2 for bad usage.
#
#   ops/runbooks/disaster-drill.sh [--backups N] [--runs-between N] [--keep N] [--evidence DIR]
#
# UMCA_CLI: how to start UMCA (default ./umca); the drill needs curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
drill=disaster
backups=3
between=2
keep=2
evidence=""
# shellcheck source=lib/drill.sh
. "$root/ops/runbooks/lib/drill.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --backups) [ $# -ge 2 ] || usage_error '--backups needs a number'; backups=$2; shift 2 ;;
    --runs-between) [ $# -ge 2 ] || usage_error '--runs-between needs a number'; between=$2; shift 2 ;;
    --keep) [ $# -ge 2 ] || usage_error '--keep needs a number'; keep=$2; shift 2 ;;
    --evidence) [ $# -ge 2 ] || usage_error '--evidence needs a folder'; evidence=$2; shift 2 ;;
    *) usage_error "unknown argument '$1'; usage: $0 [--backups N] [--runs-between N] [--keep N] [--evidence DIR]" ;;
  esac
done
whole_number --backups "$backups"
whole_number --runs-between "$between"
whole_number --keep "$keep"
[ "$backups" -ge 1 ] || usage_error '--backups must be 1 or more'
[ "$between" -ge 1 ] || usage_error '--runs-between must be 1 or more'
[ "$keep" -ge 1 ] || usage_error '--keep must be 1 or more'

data="$work/data"
store="$work/backups"
make_runs() { n=0; while [ "$n" -lt "$between" ]; do printf "%s\n" "$(run_code "$1$n")" >>"$work/$2"; n=$((n + 1)); done; }

say "starting UMCA on $data"
start_server "$data"
b=1
while [ "$b" -le "$backups" ]; do
  make_runs "$b" backed.ids
  say "scheduled backup $b of $backups (--keep $keep)"
  $umca backup --data-dir "$data" --into "$store" --keep "$keep" >>"$work/backup.out"
  b=$((b + 1))
done
last_backup=$(ls -d "$store"/umca-* | sort | tail -n 1)
backup_at=$(json 'Date.parse(v.createdAt)' <"$last_backup/manifest.json")
first=$(head -n 1 "$work/backed.ids")
offset=$(second_offset "$first")
before_resume=$(resume "$first" "$offset")
make_runs 9 lost.ids
runs_before=$(run_count)

# A newer backup cut off half-way (the copy to another disk died with this one): the restore must not take it.
torn="$store/umca-99991231T235959999Z"
cp -r "$last_backup" "$torn"
head -c 4096 "$last_backup/umca.db" >"$torn/umca.db"

say "disaster: the server is killed and its data directory deleted"
kill_server
rm -rf "$data"
disaster_at=$(now_ms)

say "recovering: umca restore --latest-in, then umca serve"
$umca restore --data-dir "$data" --latest-in "$store" >"$work/restore.out" 2>"$work/restore.err"
start_server "$data"
wait_ready
recovery_ms=$(($(now_ms) - disaster_at))

kept=$(ls -d "$store"/umca-* | grep -vc 99991231)
restored_from=$(sed -n 's/^restored \([^ ]*\) .*/\1/p' "$work/restore.out")
runs_after=$(run_count)
backed_runs=$(wc -l <"$work/backed.ids" | tr -d ' ')
lost_runs=$(wc -l <"$work/lost.ids" | tr -d ' ')
missing=0
while read -r id; do [ "$(run_status "$id")" = 200 ] || missing=$((missing + 1)); done <"$work/backed.ids"
back=0
while read -r id; do [ "$(run_status "$id")" = 404 ] || back=$((back + 1)); done <"$work/lost.ids"

check "$kept" "$keep" "the schedule kept the newest $keep backups"
check "$restored_from" "$last_backup" "the restore took the last good backup"
check "$(grep -c "passed over $torn" "$work/restore.err")" 1 "the restore passed over the torn backup and said why"
check "$missing" 0 "every run the last backup holds is back ($backed_runs)"
check "$runs_after" "$backed_runs" "the restored store holds those runs and no others"
check "$(resume "$first" "$offset")" "$before_resume" "resuming run ${first}'s events after offset $offset gives, event for event, what it gave before"
check "$back" 0 "the $lost_runs runs made after the last backup are the ones lost (the recovery point)"

lost_ids=$(node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n")))' "$work/lost.ids")
finish "$(printf '"backupsTaken":%s,"backupsKept":%s,"passedOver":1,"runsBeforeDisaster":%s,"runsRestored":%s,"lostRuns":%s,"lostRunIds":%s,"recoveryPointMs":%s,"recoveryMs":%s' \
  "$backups" "$kept" "$runs_before" "$runs_after" "$((runs_before - runs_after))" "$lost_ids" "$((disaster_at - backup_at))" "$recovery_ms")"
