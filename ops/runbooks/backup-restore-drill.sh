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
umca=${UMCA_CLI:-"$root/umca"}
runs=3
evidence=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?--runs needs a number}; shift 2 ;;
    --evidence) evidence=${2:?--evidence needs a folder}; shift 2 ;;
    *) printf 'usage: %s [--runs N] [--evidence DIR]\n' "$0" >&2; exit 2 ;;
  esac
done
case "$runs" in '' | *[!0-9]*) printf 'drill: --runs must be a whole number, not %s\n' "$runs" >&2; exit 2 ;; esac

say() { printf 'drill: %s\n' "$*" >&2; }
work=$(mktemp -d /tmp/umca-drill-XXXXXX)
data="$work/data"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now_ms() { node -e 'process.stdout.write(String(Date.now()))'; }
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);process.stdout.write(String($1))})"; }

start_server() {
  : >"$work/serve.out"
  $umca serve --port 0 --data-dir "$data" --log-level warn >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  waited=0
  while [ ! -s "$work/serve.out" ]; do
    kill -0 "$server_pid" 2>/dev/null || { say "the server stopped: $(tail -n 5 "$work/serve.err")"; exit 1; }
    [ "$waited" -ge 1200 ] && { say "the server was not up after 120 s"; exit 1; }
    sleep 0.1
    waited=$((waited + 1))
  done
  url=$(head -n 1 "$work/serve.out")
}
run_code() {
  curl -sf -X POST "$url/v1/executions" -H 'content-type: application/json' -d "{\"language\":\"python\",\"code\":\"print($1)\"}" | json 'v.runId'
}
run_count() { curl -sf "$url/v1/runs?limit=100" | json 'v.runs.length'; }
# A run's events after offset $2, as a resuming client gets them: each SSE id and event, whole.
resume() { curl -sf -H "Last-Event-ID: $2" "$url/v1/runs/$1/events" | grep -E '^(id|data):' | tr '\n' ' '; }

say "starting UMCA on $data"
start_server
i=0
first=""
while [ "$i" -lt "$runs" ]; do
  id=$(run_code "$i")
  [ -n "$first" ] || first=$id
  i=$((i + 1))
done
# Where a client following the first run had got to: its second event.
offset=$(curl -sf "$url/v1/runs/$first/events" | grep '^id:' | sed -n 2p | cut -d' ' -f2)
before_resume=$(resume "$first" "$offset")
case "$before_resume" in *dev.umca.run.ended.v1*) ;; *) say "the first run's events after offset $offset hold no run.ended: $before_resume"; exit 1 ;; esac

say "backing up while the server serves"
backup_started=$(now_ms)
$umca backup --data-dir "$data" --to "$work/backup" >"$work/backup.out"
backup_ms=$(($(now_ms) - backup_started))
backed_runs=$(json 'v.runs' <"$work/backup/manifest.json")
lost_run=$(run_code 99)
runs_before=$(run_count)

say "disaster: the server is killed and its data directory deleted"
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
rm -rf "$data"

say "restoring the backup and starting again"
restore_started=$(now_ms)
$umca restore --data-dir "$data" --from "$work/backup" >"$work/restore.out"
start_server
until curl -sf "$url/readyz" >/dev/null; do sleep 0.1; done
recovery_ms=$(($(now_ms) - restore_started))
runs_after=$(run_count)
after_resume=$(resume "$first" "$offset")
lost_back=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/runs/$lost_run")

ok=true
check() { if [ "$1" = "$2" ]; then say "ok: $3"; else say "FAILED: $3 (expected $2, got $1)"; ok=false; fi; }
check "$runs_after" "$backed_runs" "every run the backup holds is back ($backed_runs)"
check "$after_resume" "$before_resume" "resuming run ${first}'s events after offset $offset gives, event for event, what it gave before"
check "$lost_back" "404" "the run made after the backup is the one lost (the recovery point)"

result=$(printf '{"drill":"backup-restore","at":"%s","ok":%s,"runsBackedUp":%s,"runsBeforeDisaster":%s,"runsAfterRestore":%s,"lostRuns":%s,"backupMs":%s,"recoveryMs":%s}' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ok" "$backed_runs" "$runs_before" "$runs_after" "$((runs_before - runs_after))" "$backup_ms" "$recovery_ms")
printf '%s\n' "$result"
if [ -n "$evidence" ]; then
  mkdir -p "$evidence"
  printf '%s\n' "$result" >"$evidence/backup-restore-$(date -u +%Y%m%dT%H%M%SZ).json"
fi
[ "$ok" = true ]
