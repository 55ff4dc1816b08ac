#!/bin/sh
# UMCA's topics and consumer groups on a RocketMQ 5 cluster, made once before the first start of
# servers and workers with --bus rocketmq://... (RocketMQ's gRPC proxy refuses a topic or a group
# nobody created). Idempotent: making them again changes nothing. docs/scale-out.md.
#   umca-events      FIFO topic: every umca-event, its run as the message group
#   umca-work        normal topic: executions for `umca worker`s
#   umca-workers     the workers' shared consumer group
#   umca-replica-N   one consumer group per server or worker reading umca-events (N from 0)
# Usage: sh scripts/rocketmq-topics.sh [--namesrv HOST:PORT] [--cluster NAME] [--groups N]
#   --namesrv  the name server (default 127.0.0.1:9876)
#   --cluster  the broker cluster (default DefaultCluster)
#   --groups   how many umca-replica-N groups: servers plus workers at once (default 16)
# Environment: UMCA_MQADMIN, RocketMQ's admin tool (default: mqadmin on PATH, else the one
# scripts/setup-rocketmq.sh made).
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca rocketmq topics: %s\n' "$*" >&2; }

namesrv=127.0.0.1:9876
cluster=DefaultCluster
groups=16
while [ $# -gt 0 ]; do
  case $1 in
    --namesrv) namesrv=${2:?--namesrv needs HOST:PORT}; shift 2 ;;
    --cluster) cluster=${2:?--cluster needs a name}; shift 2 ;;
    --groups) groups=${2:?--groups needs a number}; shift 2 ;;
    *) say "unknown option '$1': use --namesrv HOST:PORT, --cluster NAME or --groups N"; exit 2 ;;
  esac
done
case $groups in
  '' | *[!0-9]*) say "--groups '$groups' must be a whole number from 1 to 256"; exit 2 ;;
esac
if [ "$groups" -lt 1 ] || [ "$groups" -gt 256 ]; then say "--groups '$groups' must be a whole number from 1 to 256"; exit 2; fi

mqadmin=${UMCA_MQADMIN:-}
if [ -z "$mqadmin" ]; then
  if command -v mqadmin >/dev/null 2>&1; then mqadmin=mqadmin
  elif home=$(sh scripts/setup-rocketmq.sh --print-home 2>/dev/null); then mqadmin="$home/bin/mqadmin"
  else say "RocketMQ's admin tool was not found: set UMCA_MQADMIN to its mqadmin, or run 'sh scripts/setup-rocketmq.sh'"; exit 1
  fi
fi

# Each mqadmin call starts a JVM (a second or two): four at a time.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
{
  printf 'updateTopic -n %s -c %s -t umca-events -a +message.type=FIFO\n' "$namesrv" "$cluster"
  printf 'updateTopic -n %s -c %s -t umca-work -a +message.type=NORMAL\n' "$namesrv" "$cluster"
  printf 'updateSubGroup -n %s -c %s -g umca-workers\n' "$namesrv" "$cluster"
  i=0
  while [ "$i" -lt "$groups" ]; do
    printf 'updateSubGroup -n %s -c %s -g umca-replica-%s\n' "$namesrv" "$cluster" "$i"
    i=$((i + 1))
  done
} | xargs -P 4 -L 1 sh -c '
  # mqadmin exits 0 whatever happened: its "success" line is the only sign that it worked.
  out=$("$0" "$@" 2>&1) && printf "%s\n" "$out" | grep -q success && exit 0
  printf "mqadmin %s:\n%s\n" "$*" "$(printf "%s\n" "$out" | grep -i -m 3 "exception\|failed\|error" || printf "%s\n" "$out" | tail -n 3)" >>"'"$log"'"
  exit 255' "$mqadmin" || {
  cat "$log" >&2
  say "making the topics and groups on $namesrv failed (above); check that the name server and a broker of cluster $cluster run there"
  exit 1
}
say "topics umca-events (FIFO) and umca-work, groups umca-workers and umca-replica-0..$((groups - 1)) are on $namesrv"
