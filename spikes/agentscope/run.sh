#!/bin/sh
# The AgentScope spike end to end (not part of the test suite): a venv with AgentScope (cached in
# node_modules/.umca-agentscope), a `umca serve` on a free port with a temporary data directory,
# then compare.py over the smoke suite, then everything it started is stopped.
#
#   spikes/agentscope/run.sh scripted [compare.py options]   # the scripted model: both flows can pass
#   spikes/agentscope/run.sh local --repetitions 1            # SmolLM2-135M in UMCA's process (slow)
#   spikes/agentscope/run.sh deepseek:deepseek-chat           # any provider:model UMCA can reach
#
# UMCA_CLI overrides how UMCA is started (default ./umca, which builds what changed first);
# UMCA_SPIKE_GGUF the GGUF file for `local`; UMCA_SPIKE_VENV an existing venv to use instead.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here=spikes/agentscope
venv=${UMCA_SPIKE_VENV:-node_modules/.umca-agentscope}
umca=${UMCA_CLI:-./umca}
choice=${1:-scripted}
[ $# -gt 0 ] && shift

say() { printf 'agentscope spike: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv (AgentScope 2.0.11 and its dependencies, pinned)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt" || die "pip could not install $here/requirements.txt into $venv"
fi

work=$(mktemp -d /tmp/umca-agentscope-XXXXXX)
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work/data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The first line a process writes to $1, waiting at most $2 seconds while $3 is alive.
first_line() {
  waited=0
  while [ ! -s "$1" ]; do
    kill -0 "$3" 2>/dev/null || die "it stopped before it was ready; see ${1%.out}.err"
    [ "$waited" -ge $(($2 * 10)) ] && die "not ready after $2 s; see ${1%.out}.err"
    sleep 0.1
    waited=$((waited + 1))
  done
  head -n 1 "$1"
}

extra=""
case "$choice" in
  scripted)
    "$venv/bin/python" "$here/scripted_model.py" >"$work/scripted.out" 2>"$work/scripted.err" &
    pid=$!
    pids="$pids $pid"
    scripted=$(first_line "$work/scripted.out" 30 "$pid")
    export UMCA_PROVIDER_SCRIPTED_BASE_URL="$scripted"
    model=scripted:coder
    extra="--scripted-url $scripted"
    ;;
  local)
    gguf=${UMCA_SPIKE_GGUF:-$HOME/.cache/umca/models/SmolLM2-135M-Instruct.Q4_1.gguf}
    [ -f "$gguf" ] || die "no GGUF at $gguf: set UMCA_SPIKE_GGUF (npm test downloads SmolLM2-135M-Instruct there)"
    model="local:$gguf"
    ;;
  *) model=$choice ;;
esac

# shellcheck disable=SC2086
$umca serve --port 0 --data-dir "$work/data" --log-level warn >"$work/serve.out" 2>"$work/serve.err" &
pid=$!
pids="$pids $pid"
server=$(first_line "$work/serve.out" 900 "$pid")
say "UMCA at $server, model $model, results in $work"

# shellcheck disable=SC2086
"$venv/bin/python" "$here/compare.py" --server "$server" --data-dir "$work/data" --model "$model" \
  --agentscope-tracing --out "$work/results.json" $extra "$@"
