#!/usr/bin/env bash
# bench/abuse.sh: weir's throughput for normal clients, alone and beside 10 000 idle keep-alive
# connections plus 1000 slowloris connections (bench/abuse_clients.py). Issue 11, point 4.
#
#   bench/abuse.sh [--build DIR] [--idle N] [--slow M] [--duration SECONDS] [--rounds N]
#
# weir (one worker) is pinned to core 0; wrk (50 keep-alive connections), the backend and the
# attackers to core 1. Rounds alternate quiet / attacked; the medians and their ratio are printed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=build IDLE=10000 SLOW=1000 DURATION=5 ROUNDS=3
while (($#)); do
  case $1 in
    --build) BUILD=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    --slow) SLOW=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) sed -n '2,7p' "$0"; exit 2 ;;
  esac
done
# shellcheck source=bench/processes.sh disable=SC1091
source "$ROOT/bench/processes.sh"
WORK=$(mktemp -d)
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -Sn $(( IDLE + SLOW + 500 ))  # the attackers' sockets (weir raises its own limit)

wait_for_line() {  # wait_for_line FILE PATTERN: up to 10 s
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "abuse.sh: no '$2' in $1:" >&2; cat "$1" >&2; return 1
}

taskset -c 1 "$ROOT/$BUILD/tests/weir-fake-backend" --name b --listen 127.0.0.1:0 >"$WORK/backend.out" 2>&1 &
PIDS+=($!)
wait_for_line "$WORK/backend.out" listening
BACKEND=$(sed -n 's/^listening //p' "$WORK/backend.out")
cat >"$WORK/weir.yaml" <<YAML
global: {threads: 1, log: none, maxconn: $(( IDLE + SLOW + 1000 ))}
defaults:
  timeout: {connect: 1s, client: 60s, server: 10s, http_request: 60s, http_keep_alive: 60s}
frontends:
  web: {bind: ["127.0.0.1:0"], default_backend: app}
backends:
  app: {keepalive: 64, servers: [{name: b, address: "$BACKEND"}]}
YAML
taskset -c 0 "$ROOT/$BUILD/weir" -f "$WORK/weir.yaml" 2>"$WORK/weir.log" &
WEIR=$!
PIDS+=("$WEIR")
wait_for_line "$WORK/weir.log" "listening frontend=web"
PORT=$(sed -n 's/.*listening frontend=web address=127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/weir.log")

run_wrk() {  # run_wrk LABEL: appends "LABEL req/s p99ms" to $WORK/results
  local out
  out=$(taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/" 2>&1)
  awk -v label="$1" '/Requests\/sec/ {rps=$2} /^ +99%/ {p=$2} END {
    v = p + 0; if (p ~ /us$/) v /= 1000; else if (p ~ /[^m]s$/) v *= 1000; print label, rps, v }' \
    <<<"$out" >>"$WORK/results"
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "abuse.sh: wrk saw errors in the $1 run:" >&2; echo "$out" >&2; tail -20 "$WORK/weir.log" >&2; exit 1
  fi
}

for ((round = 1; round <= ROUNDS; round++)); do
  run_wrk quiet
  coproc ATTACK { taskset -c 1 python3 "$ROOT/bench/abuse_clients.py" --port "$PORT" --idle "$IDLE" \
                    --slow "$SLOW" --duration $(( DURATION + 60 )); }
  PIDS+=("$ATTACK_PID")
  read -r ready <&"${ATTACK[0]}"
  [[ $ready == ready* ]] || { echo "abuse.sh: attackers did not start: $ready" >&2; exit 1; }
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$WEIR/status")
  run_wrk attacked
  echo "round $round: $ready, weir RSS ${rss} KiB" >&2
  attacker=$ATTACK_PID
  stop_pid "$attacker"
  forget_pid "$attacker"
done

python3 - "$WORK/results" "$IDLE" "$SLOW" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
def med(label, col): return statistics.median(float(r[col]) for r in rows if r[0] == label)
q, a = med("quiet", 1), med("attacked", 1)
print(f"weir, 1 worker, wrk -c50, medians of {len(rows)//2} rounds")
print(f"| case | req/s | p99 ms |\n|---|---:|---:|")
print(f"| quiet | {q:.0f} | {med('quiet', 2):.2f} |")
print(f"| beside {sys.argv[2]} idle + {sys.argv[3]} slowloris | {a:.0f} | {med('attacked', 2):.2f} |")
print(f"attacked/quiet req/s: {a/q:.2f}")
PY
