#!/bin/sh
# The backup-and-restore drill of an embedded UMCA (docs/runbooks/backup-restore.md), end to end
# on a UMCA of its own: it starts `umca serve` on a scratch data directory, makes runs, takes a
# backup while the server is serving, makes one more run (the one the disaster will lose), kills
# the server and deletes its data directory (the disaster), restores the backup, starts a server
# again and checks what the runbook promises: every run and event the backup holds is back, a
# client resuming a run's events from an offset gets exactly what it got before, and the only
# loss is what came after the backup. It prints the recovery point and time and, with
# --evidence DIR, writes them there as JSON. Exit 0 when every promise held, 1 when one did not,
# 2 for bad usage.
#
#   ops/runbooks/backup-restore-drill.sh [--runs N] [--evidence DIR]
#
# UMCA_CLI: how to start UMCA (default ./umca); the drill needs curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
drill=backup-restore
runs=3
evidence=""
# shellcheck source=lib/drill.sh
. "$root/ops/runbooks/lib/drill.sh"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [ $# -ge 2 ] || usage_error '--runs needs a number'; runs=$2; shift 2 ;;
    --evidence) [ $# -ge 2 ] || usage_error '--evidence needs a folder'; evidence=$2; shift 2 ;;
    *) usage_error "unknown argument '$1'; usage: $0 [--runs N] [--evidence DIR]" ;;
  esac
done
whole_number --runs "$runs"
data="$work/data"

say "starting UMCA on $data"
start_server "$data"
i=0
first=""
while [ "$i" -lt "$runs" ]; do
  id=$(run_code "$i")
  [ -n "$first" ] || first=$id
  i=$((i + 1))
done
# Where a client following the first run had got to: its second event.
offset=$(second_offset "$first")
before_resume=$(resume "$first" "$offset")
case "$before_resume" in *dev.umca.run.ended.v1*) ;; *) say "the first run's events after offset $offset hold no run.ended: $before_resume"; exit 1 ;; esac

say "backing up while the server serves"
backup_started=$(now_ms)
$umca backup --data-dir "$data" --to "$work/backup" >"$work/backup.out"
backup_ms=$(($(now_ms) - backup_started))
backed_runs=$(json 'v.runs' <"$work/backup/manifest.json")
lost_run=$(run_code 99)
lost_offset=$(curl -sf "$url/v1/runs/$lost_run/events" | grep '^id:' | tail -n 1 | cut -d' ' -f2)
runs_before=$(run_count)

say "disaster: the server is killed and its data directory deleted"
kill_server
rm -rf "$data"

say "restoring the backup and starting again"
restore_started=$(now_ms)
$umca restore --data-dir "$data" --from "$work/backup" >"$work/restore.out"
start_server "$data"
wait_ready
recovery_ms=$(($(now_ms) - restore_started))
runs_after=$(run_count)
after_resume=$(resume "$first" "$offset")
lost_back=$(run_status "$lost_run")
new_run=$(run_code 7)
# The new run's first event (a stream opens with the offset it resumes from, then the events).
new_offset=$(second_offset "$new_run")

check "$runs_after" "$backed_runs" "every run the backup holds is back ($backed_runs)"
check "$after_resume" "$before_resume" "resuming run ${first}'s events after offset $offset gives, event for event, what it gave before"
check "$lost_back" "404" "the run made after the backup is the one lost (the recovery point)"
check "$([ "$new_offset" -gt "$lost_offset" ] && echo past || echo "$new_offset")" past \
  "new events are numbered past every offset the lost server gave out (a client that saw offset $lost_offset misses none)"

finish "$(printf '"runsBackedUp":%s,"runsBeforeDisaster":%s,"runsAfterRestore":%s,"lostRuns":%s,"lastLostOffset":%s,"firstNewOffset":%s,"backupMs":%s,"recoveryMs":%s' \
  "$backed_runs" "$runs_before" "$runs_after" "$((runs_before - runs_after))" "$lost_offset" "$new_offset" "$backup_ms" "$recovery_ms")"
