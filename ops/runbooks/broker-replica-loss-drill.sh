#!/bin/sh
# The broker-and-replica loss drill of a scaled-out UMCA (docs/runbooks/broker-replica-loss.md):
# two or more `umca serve --workers remote` replicas and `umca worker`s on PostgreSQL and RocketMQ.
# It does not know how a site stops its broker or its replicas, so the operator gives commands
# (hooks) and the drill runs them at the right moments, with `sh -c`:
#  (a) the broker: --stop-broker, then runs are submitted through the replicas. Promised
#      (docs/scale-out.md): they are accepted (202) and recorded `queued`, /readyz shows the work
#      queue down and how many runs wait, a client following the events on another replica goes on
#      (from the store) and misses and repeats nothing. Then --start-broker: every waiting run
#      completes, once (none lost, none run twice).
#  (b) a replica: a client follows a run's events through the first replica while runs submitted
#      there wait or execute; --kill-replica kills it (the drill exports its URL as
#      UMCA_DRILL_REPLICA). The client resumes on the second replica from its Last-Event-ID and gets
#      exactly the events it missed, none twice; every run submitted through the dead replica ends.
# It prints each recovery time and, with --evidence DIR, writes them there as JSON. Exit 0 when
# every promise held, 1 when one did not, 2 for bad usage. The replicas are not restarted.
#
#   ops/runbooks/broker-replica-loss-drill.sh --replicas URL,URL[,...] \
#       --stop-broker CMD --start-broker CMD --kill-replica CMD \
#       [--token TOKEN] [--runs N] [--evidence DIR]
#
# --replicas: base URLs of the replicas; the first is the one killed, the second is where the
# client resumes. --token (env UMCA_TOKEN): a bearer token allowed to run code and read every run
# (none needed when the replicas bind to loopback without auth). --runs: runs submitted while the
# broker is down (default 4). If the drill stops early, it runs --start-broker itself when it has
# stopped the broker. Needs curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
drill=broker-replica-loss
replicas=""
stop_broker=""
start_broker=""
kill_replica=""
token=${UMCA_TOKEN:-}
runs=4
evidence=""
# shellcheck source=lib/drill.sh
. "$root/ops/runbooks/lib/drill.sh"
usage() { usage_error "$1; usage: $0 --replicas URL,URL --stop-broker CMD --start-broker CMD --kill-replica CMD [--token TOKEN] [--runs N] [--evidence DIR]"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas | --stop-broker | --start-broker | --kill-replica | --token | --runs | --evidence)
      [ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
      case "$1" in
        --replicas) replicas=$2 ;;
        --stop-broker) stop_broker=$2 ;;
        --start-broker) start_broker=$2 ;;
        --kill-replica) kill_replica=$2 ;;
        --token) token=$2 ;;
        --runs) runs=$2 ;;
        --evidence) evidence=$2 ;;
      esac
      shift 2 ;;
    *) usage "unknown argument $1" ;;
  esac
done
[ -n "$replicas" ] || usage '--replicas is required: the base URLs of two replicas or more, comma-separated (http://10.0.0.1:8787,http://10.0.0.2:8787)'
for hook in stop-broker start-broker kill-replica; do
  eval "given=\$$(echo "$hook" | tr - _)"
  [ -n "$given" ] || usage "--$hook is required: the shell command that does it at this site (for example --$hook 'systemctl ...')"
done
case "$runs" in '' | *[!0-9]* | 0) usage "--runs must be a whole number from 1, not '$runs'" ;; esac
replica_a=${replicas%%,*}
rest=${replicas#*,}
replica_b=${rest%%,*}
[ "$rest" != "$replicas" ] && [ -n "$replica_b" ] || usage '--replicas needs two URLs or more, comma-separated: the drill kills the first and resumes on the second'
for replica in $(echo "$replicas" | tr ',' ' '); do
  case "$replica" in http://* | https://*) ;; *) usage "--replicas: '$replica' is not an http(s):// URL" ;; esac
done
for tool in curl node; do
  command -v "$tool" >/dev/null 2>&1 || usage "the drill needs $tool on PATH"
done

followers=""
broker_stopped=""
# The library's cleanup (this drill starts no server), the clients it started, and the broker.
cleanup() {
  for pid in $followers; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$broker_stopped" ]; then
    say "starting the broker again, as the drill stopped it"
    sh -c "$start_broker" >&2 || say "--start-broker failed: start the broker by hand"
  fi
  rm -rf "$work"
}
# The token goes in a header file, not on curl's command line.
(
  umask 077
  if [ -n "$token" ]; then printf 'authorization: Bearer %s\n' "$token"; else printf 'x-umca-drill: 1\n'; fi >"$work/auth"
)
api() { curl -sf -H @"$work/auth" "$@"; }

# `sse FILE` prints each complete event of an SSE capture as "OFFSET TYPE SUBJECT DATA" (a frame
# cut off by a dead connection is not an event the client has).
sse() {
  node -e 'const text = require("fs").readFileSync(process.argv[1], "utf8");
    const frames = text.split("\n\n"); frames.pop();
    for (const frame of frames) {
      const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
      const id = frame.split("\n").find((l) => l.startsWith("id: "));
      if (!data || !id) continue;
      const event = JSON.parse(data);
      console.log(id.slice(4), event.type, event.subject, data);
    }' "$1"
}
# "BUS WORKQUEUE WAITING" from a replica's /readyz.
readiness() {
  api "$1/readyz" | json '(() => { const d = v.dependencies ?? []; const of = (n) => d.find((x) => x.name === n) ?? {};
    const w = of("work queue"); return [of("bus").status, w.status, Number((w.detail ?? "").match(/^(\d+) run/)?.[1] ?? 0)].join(" "); })()' || echo "unreachable unreachable 0"
}
all_up() {
  for replica in $(echo "$replicas" | tr ',' ' '); do
    [ "$(readiness "$replica")" = "up up 0" ] || return 1
  done
}
submit() {
  api -X POST "$1/v1/executions" -H 'content-type: application/json' -H 'prefer: respond-async' -d "$2" -w ' %{http_code}' | sed 's/.*"runId":"\([^"]*\)".* \([0-9]*\)$/\2 \1/'
}
status_of() { api "$replica_b/v1/runs/$1" | json 'v.status' || echo unknown; }
final() { case "$1" in queued | running | unknown) return 1 ;; *) return 0 ;; esac; }
# Polls `$1` (a command) every 0.2 s until it succeeds; fails after $2 seconds.
wait_for() {
  polls=$(($2 * 5))
  while ! eval "$1"; do
    polls=$((polls - 1))
    [ "$polls" -gt 0 ] || return 1
    sleep 0.2
  done
}
# A client following an event stream in the background (curl itself, so that its pid is $!).
follow() {
  curl -sf -N -H @"$work/auth" -H "Last-Event-ID: $3" "$1$2" >"$4" 2>/dev/null &
  followers="$followers $!"
}
hook() {
  say "running --$1"
  UMCA_DRILL_REPLICA=$replica_a sh -c "$2" >&2 || { say "FAILED: --$1 exited with status $?"; exit 1; }
}
# A finished run read from the second replica: "ENDED STARTED RESTARTED STATUS STDOUT" (stdout as JSON).
run_summary() {
  api "$replica_b/v1/runs/$1/events" >"$work/run-$1" || true
  sse "$work/run-$1" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const events = s.split("\n").filter(Boolean).map((l) => JSON.parse(l.split(" ").slice(3).join(" ")));
    const count = (t) => events.filter((e) => e.type === "dev.umca." + t + ".v1").length;
    const out = events.filter((e) => e.type === "dev.umca.output.appended.v1").map((e) => e.data.text).join("");
    const end = events.find((e) => e.type === "dev.umca.run.ended.v1");
    console.log(count("run.ended"), count("run.started"), count("run.restarted"), end?.data.status ?? "none", JSON.stringify(out)); })'
}

for replica in $(echo "$replicas" | tr ',' ' '); do
  api "$replica/readyz" >"$work/ready" || usage "--replicas: $replica/readyz does not answer 200 (is it a ready UMCA? a token needed: --token)"
  [ "$(json 'v.workers' <"$work/ready")" = remote ] || usage "--replicas: $replica runs code itself (workers local): the drill is for servers with --workers remote"
done
all_up || usage "--replicas: not every dependency of every replica is up before the drill: $(readiness "$replica_a")"

# (a) the broker
base=$(api "$replica_b/readyz" | json 'v.lastEventOffset')
follow "$replica_b" /v1/events "$base" "$work/follow-b"
say "(a) stopping the broker"
lost=$(now_ms)
broker_stopped=yes
hook stop-broker "$stop_broker"
stop_ms=$(($(now_ms) - lost))
if wait_for '[ "$(readiness "$replica_a" | cut -d" " -f1)" = down ]' 120; then
  detect_ms=$(($(now_ms) - lost))
  say "ok: /readyz says the bus is down"
  say "note: with no run waiting yet, /readyz says the work queue is $(readiness "$replica_a" | cut -d' ' -f2)"
else
  detect_ms=null
  say "FAILED: /readyz did not say the bus is down within 120 s: $(readiness "$replica_a")"
  ok=false
fi
waiting=""
accepted=0
i=0
while [ "$i" -lt "$runs" ]; do
  if [ $((i % 2)) = 0 ]; then target=$replica_a; else target=$replica_b; fi
  set -- $(submit "$target" "{\"language\":\"python\",\"code\":\"print($i * 7)\"}")
  [ "${1:-}" = 202 ] && accepted=$((accepted + 1))
  waiting="$waiting ${2:-none}"
  i=$((i + 1))
done
check "$accepted" "$runs" "submissions with the broker down are accepted (202)"
queued=0
for id in $waiting; do [ "$(status_of "$id")" = queued ] && queued=$((queued + 1)); done
check "$queued" "$runs" "they are recorded and wait, queued"
# Each replica counts the runs it could not send; the first try's retries take a while to fail.
waiting_count() {
  total=0
  for replica in $(echo "$replicas" | tr ',' ' '); do total=$((total + $(readiness "$replica" | cut -d' ' -f3))); done
  echo "$total"
}
wait_for '[ "$(waiting_count)" = "$runs" ]' 120 || true
check "$(waiting_count)" "$runs" "/readyz shows the work queue down, with how many runs wait"
seen_all() {
  for id in $waiting; do sse "$work/follow-b" | grep -q "^[0-9]* dev.umca.run.created.v1 $id " || return 1; done
}
wait_for seen_all 60 || true
created=0
for id in $waiting; do sse "$work/follow-b" | grep -q "^[0-9]* dev.umca.run.created.v1 $id " && created=$((created + 1)); done
check "$created" "$runs" "a client following every event on $replica_b sees each run made on either replica, with the broker down (from the store)"

say "(a) starting the broker"
back=$(now_ms)
hook start-broker "$start_broker"
broker_stopped=""
start_ms=$(($(now_ms) - back))
first_ms=null
all_ms=null
healthy_ms=null
# Both clocks at once: when every replica is healthy again, and when the waiting runs end.
recovered() {
  [ "$healthy_ms" = null ] && all_up && healthy_ms=$(($(now_ms) - back))
  left=0
  for id in $waiting; do
    if final "$(status_of "$id")"; then
      [ "$first_ms" = null ] && first_ms=$(($(now_ms) - back))
    else
      left=$((left + 1))
    fi
  done
  [ "$left" = 0 ] && [ "$all_ms" = null ] && all_ms=$(($(now_ms) - back))
  [ "$all_ms" != null ] && [ "$healthy_ms" != null ]
}
wait_for recovered 300 || true
if [ "$healthy_ms" != null ]; then healthy=yes; else healthy="no: $(readiness "$replica_a")"; fi
check "$healthy" yes "/readyz says every dependency is up again on every replica"
once=0
i=0
for id in $waiting; do
  [ "$(run_summary "$id")" = "1 1 0 ok \"$((i * 7))\\n\"" ] && once=$((once + 1))
  i=$((i + 1))
done
check "$once" "$runs" "every waiting run completed, once: one start, one end, its output once, none restarted"
ended_seen() {
  for id in $waiting; do sse "$work/follow-b" | grep -q "^[0-9]* dev.umca.run.ended.v1 $id " || return 1; done
}
wait_for ended_seen 60 && saw_ends=yes || saw_ends=no
check "$saw_ends" yes "the client on $replica_b saw each waiting run end"
sse "$work/follow-b" | cut -d' ' -f1 >"$work/offsets-b"
last_b=$(tail -n 1 "$work/offsets-b")
check "$(cat "$work/offsets-b" | tr '\n' ' ')" "$(seq $((base + 1)) "${last_b:-$base}" | tr '\n' ' ')" "the client on $replica_b got every event through the outage in order, none missed or twice ($((${last_b:-$base} - base)))"

# (b) a replica
say "(b) a client follows a run through $replica_a while runs submitted there wait"
set -- $(submit "$replica_a" '{"language":"python","code":"import time\nfor i in range(12):\n    print(\"tick\", i, flush=True)\n    time.sleep(0.5)"}')
followed=${2:-none}
through_a=""
i=0
while [ "$i" -lt 3 ]; do
  set -- $(submit "$replica_a" "{\"language\":\"python\",\"code\":\"import time\ntime.sleep(1)\nprint($i + 100)\"}")
  through_a="$through_a ${2:-none}"
  i=$((i + 1))
done
follow "$replica_a" "/v1/runs/$followed/events" 0 "$work/client-a"
ticks() { sse "$work/client-a" | grep -c ' dev.umca.output.appended.v1 ' || true; }
wait_for '[ "$(ticks)" -ge 3 ]' 120 || { say "FAILED: the followed run printed nothing through $replica_a within 120 s"; exit 1; }
lost=$(now_ms)
hook kill-replica "$kill_replica"
sleep 0.5
if curl -s -o /dev/null --max-time 5 "$replica_a/healthz"; then gone=no; else gone=yes; fi
check "$gone" yes "$replica_a no longer answers after --kill-replica"
# What the client holds, and the Last-Event-ID it resumes with.
sse "$work/client-a" >"$work/seen"
last_id=$(tail -n 1 "$work/seen" | cut -d' ' -f1)
say "resuming on $replica_b after offset $last_id"
follow "$replica_b" "/v1/runs/$followed/events" "$last_id" "$work/client-b"
wait_for '[ -n "$(sse "$work/client-b")" ]' 120 || true
resume_ms=$(($(now_ms) - lost))
for id in $followed $through_a; do wait_for "final \"\$(status_of $id)\"" 300 || true; done
ended_ms=$(($(now_ms) - lost))
wait_for 'grep -q dev.umca.run.ended.v1 "$work/client-b"' 30 || true
sse "$work/client-b" >"$work/resumed"
api "$replica_b/v1/runs/$followed/events" >"$work/full-raw" || true
sse "$work/full-raw" >"$work/full"
cat "$work/seen" "$work/resumed" >"$work/joined"
check "$(cut -d' ' -f1 "$work/joined" | tr '\n' ' ')" "$(cut -d' ' -f1 "$work/full" | tr '\n' ' ')" "the client resumed on $replica_b from offset $last_id: with what it had, every event of the run once, in order"
if cmp -s "$work/joined" "$work/full"; then say "ok: each event it got is, byte for byte, the one the run holds"; else say "FAILED: the events the client got differ from the run's"; ok=false; fi
finished=0
i=0
for id in $through_a; do
  [ "$(run_summary "$id")" = "1 1 0 ok \"$((i + 100))\\n\"" ] && finished=$((finished + 1))
  i=$((i + 1))
done
[ "$(run_summary "$followed" | cut -d' ' -f1-4)" = "1 1 0 ok" ] && finished=$((finished + 1))
check "$finished" 4 "every run submitted through the killed replica completed, once (4)"

finish "$(printf '"replicas":%s,"runsWhileBrokerDown":%s,"stopBrokerMs":%s,"brokerDownDetectedMs":%s,"startBrokerMs":%s,"brokerFirstRunMs":%s,"brokerAllRunsMs":%s,"brokerHealthyMs":%s,"eventsFollowedThroughOutage":%s,"replicaResumeMs":%s,"replicaRunsEndedMs":%s,"eventsBeforeKill":%s,"eventsResumed":%s' \
  "$(echo "$replicas" | tr ',' '\n' | grep -c .)" "$runs" "$stop_ms" "$detect_ms" "$start_ms" "$first_ms" "$all_ms" "$healthy_ms" \
  "$((${last_b:-$base} - base))" "$resume_ms" "$ended_ms" "$(grep -c . "$work/seen" || true)" "$(grep -c . "$work/resumed" || true)")"
