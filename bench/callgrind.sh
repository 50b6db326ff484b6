#!/usr/bin/env bash
# bench/callgrind.sh: user-space instructions per proxied request, weir vs HAProxy, under callgrind.
#
#   bench/callgrind.sh [--build DIR] [--requests N1,N2] [--proxies weir,haproxy] [--cases small,64k]
#                      [--connections C] [--record] [--keep] [--quiet]
#
# Three weir-fake-backends run natively on 127.0.0.1; the proxy runs under
# `valgrind --tool=callgrind`, configured from bench/weir.yaml.in / bench/haproxy.cfg.in as
# bench/run.sh renders them for roundrobin (one thread, keep-alive on both sides, forwardfor).
# For each proxy and case the proxy is started twice, fresh: it answers one readiness request,
# a warm-up of W requests and then N1 (first run) or N2 (second run) requests from
# bench/fixed_requests.py (keep-alive, C connections, every response checked), and is stopped
# (weir: SIGTERM, HAProxy: SIGUSR1, its soft stop); callgrind's total Ir of each run gives
#   instructions/request = (Ir(N2) - Ir(N1)) / (N2 - N1),
# so start-up, warm-up and shutdown cancel. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BUILD=build
REQUESTS=2000,20000
PROXY_LIST=weir,haproxy
CASE_LIST=small,64k
CONNECTIONS=4
WARMUP=200           # requests before the counted ones, in both runs: fills the upstream pools
RECORD=0
KEEP=0
QUIET=0
READY_DEADLINE=60    # seconds for a backend or a proxy under valgrind to answer
STOP_DEADLINE=60     # seconds for a proxy under valgrind to exit after its stop signal
LOAD_TIMEOUT=600     # seconds for one fixed_requests.py run

usage() {
  sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF
  --build DIR        build directory with weir and tests/weir-fake-backend (default: build);
                     configured and built with Ninja if either binary is missing
  --requests N1,N2   counted requests of the short and of the long run (default: $REQUESTS)
  --proxies LIST     weir, haproxy or both (default: $PROXY_LIST)
  --cases LIST       small (GET /, a 3-byte body) and/or 64k (GET /?size=65536) (default: $CASE_LIST)
  --connections C    keep-alive client connections, one request in flight on each (default: $CONNECTIONS)
  --record           append the table to bench/RESULTS.md
  --keep             keep the temporary directory (configs, logs, callgrind files)
  --quiet            print only one line per proxy and case: PROXY CASE INSTRUCTIONS_PER_REQUEST
EOF
}

while (($#)); do
  case $1 in
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --build=*) BUILD=${1#*=}; shift ;;
    --requests) REQUESTS=${2:?--requests needs N1,N2}; shift 2 ;;
    --requests=*) REQUESTS=${1#*=}; shift ;;
    --proxies) PROXY_LIST=${2:?--proxies needs a list}; shift 2 ;;
    --proxies=*) PROXY_LIST=${1#*=}; shift ;;
    --cases) CASE_LIST=${2:?--cases needs a list}; shift 2 ;;
    --cases=*) CASE_LIST=${1#*=}; shift ;;
    --connections) CONNECTIONS=${2:?--connections needs a number}; shift 2 ;;
    --connections=*) CONNECTIONS=${1#*=}; shift ;;
    --record) RECORD=1; shift ;;
    --keep) KEEP=1; shift ;;
    --quiet) QUIET=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "callgrind.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

if ! [[ $REQUESTS =~ ^([0-9]+),([0-9]+)$ ]]; then
  echo "callgrind.sh: --requests must be N1,N2" >&2; exit 2
fi
N1=${BASH_REMATCH[1]}
N2=${BASH_REMATCH[2]}
if ((N1 < 1 || N2 <= N1 || N2 > 1000000)); then
  echo "callgrind.sh: --requests needs 1 <= N1 < N2 <= 1000000" >&2; exit 2
fi
if ! [[ $CONNECTIONS =~ ^[0-9]+$ ]] || ((CONNECTIONS < 1 || CONNECTIONS > 64)); then
  echo "callgrind.sh: --connections must be 1..64" >&2; exit 2
fi
IFS=, read -r -a PROXIES <<<"$PROXY_LIST"
IFS=, read -r -a CASES <<<"$CASE_LIST"
for p in "${PROXIES[@]}"; do
  [[ $p == weir || $p == haproxy ]] || { echo "callgrind.sh: unknown proxy '$p'" >&2; exit 2; }
done
for c in "${CASES[@]}"; do
  [[ $c == small || $c == 64k ]] || { echo "callgrind.sh: unknown case '$c'" >&2; exit 2; }
done
((${#PROXIES[@]} && ${#CASES[@]})) || { echo "callgrind.sh: no proxy or no case" >&2; exit 2; }
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD

tools=(valgrind curl python3)
[[ " ${PROXIES[*]} " == *" haproxy "* ]] && tools+=(haproxy)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "callgrind.sh: '$tool' not found in PATH" >&2; exit 1; }
done

say() { ((QUIET)) || echo "$@"; }

WEIR=$BUILD/weir
FAKE=$BUILD/tests/weir-fake-backend
if [[ ! -x $WEIR || ! -x $FAKE ]]; then
  say "== building weir and weir-fake-backend in $BUILD"
  [[ -f $BUILD/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  ninja -C "$BUILD" weir weir-fake-backend >&2
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/weir-callgrind.XXXXXX")
# shellcheck source=bench/processes.sh
source "$ROOT/bench/processes.sh"
# shellcheck source=bench/templates.sh
source "$ROOT/bench/templates.sh"

cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  if ((KEEP)); then echo "== kept $RUN" >&2; else rm -rf "$RUN"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die_with_log() {  # die_with_log MESSAGE FILE...
  local msg=$1 f
  shift
  echo "callgrind.sh: $msg" >&2
  for f in "$@"; do
    [[ -s $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# start NAME CMD...: runs CMD in the background, stdout/stderr in $RUN/NAME.out/.err.
start() {
  local name=$1
  shift
  "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" </dev/null &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# wait_listening NAME PID: polls NAME's stdout for "listening HOST:PORT"; prints PORT.
wait_listening() {
  local name=$1 pid=$2 i line
  for ((i = 0; i < READY_DEADLINE * 20; i++)); do
    line=$(grep -m1 '^listening ' "$RUN/$name.out" 2>/dev/null || true)
    if [[ -n $line ]]; then echo "${line##*:}"; return 0; fi
    kill -0 "$pid" 2>/dev/null || die_with_log "$name exited before listening" "$RUN/$name.out" "$RUN/$name.err"
    sleep 0.05
  done
  die_with_log "$name did not print 'listening' within ${READY_DEADLINE}s" "$RUN/$name.out" "$RUN/$name.err"
}

# wait_http NAME PID URL: polls URL until it answers 200. Each attempt may wait long for the
# answer: a proxy under valgrind is slow to start, and a connection that curl gave up on would
# still cost the proxy some instructions (in one run and not the other).
wait_http() {
  local name=$1 pid=$2 url=$3 start_s=$SECONDS code=
  while ((SECONDS - start_s < READY_DEADLINE)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$url" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    kill -0 "$pid" 2>/dev/null || die_with_log "$name exited before answering $url" "$RUN/$name.out" "$RUN/$name.err"
    sleep 0.2
  done
  die_with_log "$name did not answer 200 on $url within ${READY_DEADLINE}s (last: '$code')" "$RUN/$name.out" "$RUN/$name.err"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case_path() { if [[ $1 == 64k ]]; then echo '/?size=65536'; else echo /; fi; }

# load PORT CASE N: N keep-alive requests of CASE, every response checked. The client runs in the
# background and we `wait` for it, so that a signal to this script is handled at once (bash
# holds a trap until a foreground command ends) and cleanup stops the client too.
load() {
  local port=$1 kase=$2 n=$3 pid status=0
  local -a size=()
  [[ $kase != 64k ]] || size=(--size 65536)
  python3 "$BENCH/fixed_requests.py" --port "$port" --requests "$n" --connections "$CONNECTIONS" \
    --path "$(case_path "$kase")" "${size[@]}" --timeout "$LOAD_TIMEOUT" </dev/null &
  pid=$!
  PIDS+=("$pid")
  wait "$pid" || status=$?
  forget_pid "$pid"
  return "$status"
}

# callgrind_total FILE: the total Ir in FILE plus any per-thread files FILE-NN.
callgrind_total() {
  local f total=0 v
  for f in "$1" "$1"-[0-9]*; do
    [[ -f $f ]] || continue
    v=$(awk '/^totals:/ { print $2; found = 1; exit } END { if (!found) print "" }' "$f")
    [[ -n $v ]] || v=$(awk '/^summary:/ { print $2; exit }' "$f")
    [[ $v =~ ^[0-9]+$ ]] || die_with_log "no totals: or summary: line in $f"
    total=$((total + v))
  done
  echo "$total"
}

# measure PROXY CASE N: starts PROXY under callgrind, sends 1 readiness request, WARMUP and then
# N requests of CASE, stops it and prints callgrind's total Ir.
measure() {
  local proxy=$1 kase=$2 n=$3 name pid i status=0 t0=$SECONDS
  name=$proxy-$kase-$n
  PORT=$(free_port)
  RUNDIR=$RUN/$name
  mkdir -p "$RUNDIR"
  local cgout=$RUN/$name.callgrind
  local -a vg=(valgrind --tool=callgrind "--callgrind-out-file=$cgout")
  BALANCE_CONF=$(roundrobin_balance "$proxy")
  case $proxy in
    weir)
      render "$BENCH/weir.yaml.in" "$RUNDIR/weir.yaml"
      start "$name" "${vg[@]}" "$WEIR" -f "$RUNDIR/weir.yaml" ;;
    haproxy)
      render "$BENCH/haproxy.cfg.in" "$RUNDIR/haproxy.cfg"
      start "$name" "${vg[@]}" haproxy -db -f "$RUNDIR/haproxy.cfg" ;;
  esac
  pid=$LAST_PID
  wait_http "$name" "$pid" "http://127.0.0.1:$PORT/"
  load "$PORT" "$kase" "$WARMUP" >"$RUN/$name.load" 2>&1 ||
    die_with_log "$proxy: the warm-up failed" "$RUN/$name.load" "$RUN/$name.err"
  load "$PORT" "$kase" "$n" >>"$RUN/$name.load" 2>&1 ||
    die_with_log "$proxy: the $n requests of $kase failed" "$RUN/$name.load" "$RUN/$name.err"
  kill -0 "$pid" 2>/dev/null || die_with_log "$proxy exited during the load" "$RUN/$name.err"
  # Stop: weir stops gracefully on SIGTERM; HAProxy is asked for its soft stop (SIGUSR1: it
  # closes its listener and exits once no stream is left, with status 0; on SIGTERM it exits at
  # once with 143). The client connections are closed by now. callgrind writes its file at exit.
  if [[ $proxy == haproxy ]]; then kill -USR1 "$pid"; else kill -TERM "$pid"; fi
  for ((i = 0; i < STOP_DEADLINE * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    stop_pid "$pid"
    forget_pid "$pid"
    die_with_log "$proxy did not exit within ${STOP_DEADLINE}s of the stop signal" "$RUN/$name.err"
  fi
  wait "$pid" || status=$?
  forget_pid "$pid"
  ((status == 0)) || echo "callgrind.sh: warning: $proxy exited with status $status when stopped" >&2
  [[ -s $cgout ]] || die_with_log "$proxy left no callgrind file" "$RUN/$name.err"
  IR=$(callgrind_total "$cgout")
  say "   $proxy $kase: $((WARMUP + n)) requests (+1 readiness), Ir $IR, $((SECONDS - t0)) s" >&2
}

# ---------------------------------------------------------------------------------------------
say "== run directory $RUN"
BACKEND_PORTS=()
for n in 1 2 3; do
  start "b$n" "$FAKE" --name "b$n" --listen 127.0.0.1:0 --threads 1
  BACKEND_PORTS+=("$(wait_listening "b$n" "$LAST_PID")")
done
say "== backends b1 b2 b3 on 127.0.0.1:${BACKEND_PORTS[0]} :${BACKEND_PORTS[1]} :${BACKEND_PORTS[2]}"
say "== $N1 and $N2 requests (+ $WARMUP warm-up) per run, $CONNECTIONS keep-alive connections"

declare -A IR1 IR2 PER
for kase in "${CASES[@]}"; do
  for proxy in "${PROXIES[@]}"; do
    measure "$proxy" "$kase" "$N1"
    IR1[$proxy:$kase]=$IR
    measure "$proxy" "$kase" "$N2"
    IR2[$proxy:$kase]=$IR
    PER[$proxy:$kase]=$(awk -v a="${IR1[$proxy:$kase]}" -v b="$IR" -v n1="$N1" -v n2="$N2" \
      'BEGIN { printf "%.1f", (b - a) / (n2 - n1) }')
    ((QUIET)) && echo "$proxy $kase ${PER[$proxy:$kase]}"
  done
done
((QUIET)) && exit 0

proxy_label() { if [[ $1 == haproxy ]]; then echo HAProxy; else echo weir; fi; }
# shellcheck disable=SC2016  # backquotes for Markdown
case_label() { if [[ $1 == 64k ]]; then echo '64k (`/?size=65536`)'; else echo 'small (`/`)'; fi; }
thousands() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta' <<<"$1"; }

table() {
  local kase proxy ratio
  echo "| case | proxy | Ir ($N1 requests) | Ir ($N2 requests) | instructions/request | weir/HAProxy |"
  echo "|---|---|---:|---:|---:|---:|"
  for kase in "${CASES[@]}"; do
    ratio=
    if [[ -n ${PER[weir:$kase]:-} && -n ${PER[haproxy:$kase]:-} ]]; then
      ratio=$(awk -v w="${PER[weir:$kase]}" -v h="${PER[haproxy:$kase]}" 'BEGIN { printf "%.2f×", w / h }')
    fi
    for proxy in "${PROXIES[@]}"; do
      printf '| %s | %s | %s | %s | %s | %s |\n' "$(case_label "$kase")" "$(proxy_label "$proxy")" \
        "$(thousands "${IR1[$proxy:$kase]}")" "$(thousands "${IR2[$proxy:$kase]}")" \
        "$(thousands "$(printf '%.0f' "${PER[$proxy:$kase]}")")" "$([[ $proxy == weir ]] && echo "$ratio")"
    done
  done
}

echo
echo "User-space instructions (callgrind Ir) per proxied request = (Ir(N2) - Ir(N1)) / (N2 - N1):"
echo
table

if ((RECORD)); then
  {
    echo
    echo "## callgrind: instructions per request, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
    [[ " ${PROXIES[*]} " == *" haproxy "* ]] && echo "- haproxy: $(haproxy -v 2>&1 | head -n1)"
    echo "- valgrind: $(valgrind --version)"
    echo "- weir: $("$WEIR" --version 2>&1 | head -n1), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ' (working tree has uncommitted changes)')"
    echo "- method: bench/callgrind.sh --requests $N1,$N2: the proxy under \`valgrind --tool=callgrind\` (backends native), roundrobin config of bench/run.sh; per run 1 readiness + $WARMUP warm-up + N keep-alive requests over $CONNECTIONS connections, every response checked; instructions/request = (Ir(N2) − Ir(N1)) / (N2 − N1), user space only"
    echo
    table
  } >>"$BENCH/RESULTS.md"
  echo
  echo "Recorded in $BENCH/RESULTS.md"
fi
