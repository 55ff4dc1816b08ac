# Shared by the runbook drills (ops/runbooks/*-drill.sh): sourced, not run. It gives a drill a
# scratch folder that goes when the drill ends, a UMCA server of its own on a data directory, the
# API calls drills make, checks that print `ok:`/`FAILED:` lines, and the result as JSON on
# stdout and, with --evidence, as a file an auditor reads (umca.drill.result.v1).
#
# The drill sets `drill` (its name) before sourcing this, and `root` (the checkout).
# UMCA_CLI: how to start UMCA (default ./umca); drills need curl and node.

umca=${UMCA_CLI:-"$root/umca"}
say() { printf '%s: %s\n' "$drill" "$*" >&2; }
usage_error() { printf '%s: %s\n' "$drill" "$*" >&2; exit 2; }
whole_number() { case "$2" in '' | *[!0-9]*) usage_error "$1 must be a whole number, not '$2'" ;; esac; }

work=$(mktemp -d "/tmp/umca-$drill-XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { node -e 'process.stdout.write(String(Date.now()))'; }
# json EXPR: evaluates EXPR with `v` the JSON on stdin.
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const v=JSON.parse(s);process.stdout.write(String($1))})"; }

# serve_cli CLI FLAGS...: starts `CLI serve` (this checkout's UMCA, or another version's) on a free
# port with these flags; sets server_pid and url once it prints its URL.
serve_cli() {
  cli=$1
  shift
  : >"$work/serve.out"
  # shellcheck disable=SC2086 # CLI may be a command and its arguments ("node .../umca.js").
  $cli serve --port 0 --log-level warn "$@" >"$work/serve.out" 2>"$work/serve.err" &
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
# start_server DATA_DIR [FLAGS...]: this checkout's UMCA on a data directory.
start_server() {
  dir=$1
  shift
  serve_cli "$umca" --data-dir "$dir" "$@"
}
wait_ready() { until curl -sf "$url/readyz" >/dev/null; do sleep 0.1; done; }
# kill_server: the disaster's way: SIGKILL, nothing flushed.
kill_server() {
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# run_code EXPR: runs print(EXPR) in Python, waits for it, prints the run id.
run_code() {
  curl -sf -X POST "$url/v1/executions" -H 'content-type: application/json' -d "{\"language\":\"python\",\"code\":\"print($1)\"}" | json 'v.runId'
}
run_count() { curl -sf "$url/v1/runs?limit=100" | json 'v.runs.length'; }
run_status() { curl -s -o /dev/null -w '%{http_code}' "$url/v1/runs/$1"; }
# resume RUN OFFSET: a run's events after OFFSET as a resuming client gets them: each SSE id and event, whole.
resume() { curl -sf -H "Last-Event-ID: $2" "$url/v1/runs/$1/events" | grep -E '^(id|data):' | tr '\n' ' '; }
# second_offset RUN: where a client following the run had got to (its second event).
second_offset() { curl -sf "$url/v1/runs/$1/events" | grep '^id:' | sed -n 2p | cut -d' ' -f2; }

# After pg_restore, the runbook's step (docs/runbooks/postgres-backup.md): new event and MCP stream
# offsets go 10^9 past the dump's (RESTORE_OFFSET_GAP, as umca restore does for the embedded store).
PG_SKIP_OFFSETS_SQL="UPDATE event_offset SET last = last + 1000000000; SELECT setval('stream_events_id_seq', (SELECT last_value FROM stream_events_id_seq) + 1000000000)"

ok=true
# check GOT EXPECTED WHAT
check() { if [ "$1" = "$2" ]; then say "ok: $3"; else say "FAILED: $3 (expected $2, got $1)"; ok=false; fi; }

# finish FIELDS: prints {"drill","at","ok",FIELDS} and, with evidence set, writes it there; exits 0 when every check held.
finish() {
  result=$(printf '{"drill":"%s","at":"%s","ok":%s,%s}' "$drill" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ok" "$1")
  printf '%s\n' "$result"
  if [ -n "${evidence:-}" ]; then
    mkdir -p "$evidence"
    # Whole or not at all: a reader never sees half a result.
    file="$evidence/$drill-$(date -u +%Y%m%dT%H%M%SZ).json"
    printf '%s\n' "$result" >"$file.partial"
    mv "$file.partial" "$file"
  fi
  [ "$ok" = true ]
}
