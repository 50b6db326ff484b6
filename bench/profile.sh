#!/usr/bin/env bash
# bench/profile.sh: where a proxy's CPU goes, as text for bench/profiles/. See bench/README.md.
#
#   bench/profile.sh [--proxy weir|haproxy] [--connections N] [--path PATH] [--seconds S]
#                    [--build DIR] [--out FILE]
#
# The bench's layout (bench/run.sh): the proxy alone on core 0 with one thread, configured from
# bench/*.in for roundrobin over three weir-fake-backends; wrk -t1 and the backends on core 1.
# While wrk runs, `perf record -g` samples the proxy; the summary (CPU by object, system calls
# and the kernel paths under them, user-space symbols, system calls per request counted by
# `perf stat -e raw_syscalls:sys_enter`) goes to FILE (default: stdout) as Markdown.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROXY=weir
CONNS=50
URLPATH=/
SECONDS_PROFILED=5
BUILD=$ROOT/build
OUT=
while (($#)); do
  case $1 in
    --proxy) PROXY=${2:?}; shift 2 ;;
    --connections) CONNS=${2:?}; shift 2 ;;
    --path) URLPATH=${2:?}; shift 2 ;;
    --seconds) SECONDS_PROFILED=${2:?}; shift 2 ;;
    --build) BUILD=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "profile.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ $PROXY == weir || $PROXY == haproxy ]] || { echo "profile.sh: --proxy is weir or haproxy" >&2; exit 2; }
[[ $CONNS =~ ^[0-9]+$ && $CONNS -ge 1 && $CONNS -le 10000 ]] || { echo "profile.sh: --connections 1..10000" >&2; exit 2; }
[[ $SECONDS_PROFILED =~ ^[0-9]+$ && $SECONDS_PROFILED -ge 1 && $SECONDS_PROFILED -le 60 ]] || { echo "profile.sh: --seconds 1..60" >&2; exit 2; }
for tool in perf wrk taskset python3; do command -v "$tool" >/dev/null || { echo "profile.sh: '$tool' not found" >&2; exit 1; }; done
[[ -x $BUILD/weir && -x $BUILD/tests/weir-fake-backend ]] || { echo "profile.sh: build weir first ($BUILD)" >&2; exit 1; }

RUN=$(mktemp -d "${TMPDIR:-/tmp}/weir-profile.XXXXXX")
declare -a PIDS=()
cleanup() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

wait_for_line() {  # wait_for_line FILE REGEX: up to 10 s
  local i
  for ((i = 0; i < 200; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "profile.sh: '$2' did not appear in $1" >&2; cat "$1" >&2; exit 1
}

# shellcheck source=bench/templates.sh
source "$ROOT/bench/templates.sh"
BACKEND_PORTS=()
for n in 1 2 3; do
  taskset -c 1 "$BUILD/tests/weir-fake-backend" --name "b$n" --listen 127.0.0.1:0 --threads 1 >"$RUN/b$n.out" 2>&1 &
  PIDS+=($!)
done
for n in 1 2 3; do
  wait_for_line "$RUN/b$n.out" '^listening '
  BACKEND_PORTS+=("$(grep -m1 '^listening ' "$RUN/b$n.out" | sed 's/.*://')")
done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

BALANCE_CONF=$(roundrobin_balance "$PROXY")  # the roundrobin job of bench/run.sh, one thread
case $PROXY in
  weir)
    render "$ROOT/bench/weir.yaml.in" "$RUN/weir.yaml"
    taskset -c 0 "$BUILD/weir" -f "$RUN/weir.yaml" >"$RUN/proxy.out" 2>&1 & ;;
  haproxy)
    render "$ROOT/bench/haproxy.cfg.in" "$RUN/haproxy.cfg"
    taskset -c 0 haproxy -db -f "$RUN/haproxy.cfg" >"$RUN/proxy.out" 2>&1 & ;;
esac
PROXY_PID=$!
PIDS+=("$PROXY_PID")
for ((i = 0; i < 100; i++)); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/" && break
  sleep 0.1
done

URL="http://127.0.0.1:$PORT$URLPATH"
taskset -c 1 wrk -t1 -c"$CONNS" -d1s "$URL" >/dev/null 2>&1  # warm-up: fills the pools
DURATION=$((SECONDS_PROFILED + 4))
taskset -c 1 wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$URL" >"$RUN/wrk.out" 2>&1 &
WRK_PID=$!
PIDS+=("$WRK_PID")
sleep 1
read -r -a before <<<"$(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")"
perf stat -e raw_syscalls:sys_enter -x, -o "$RUN/syscalls.txt" -p "$PROXY_PID" -- sleep "$SECONDS_PROFILED" >/dev/null 2>&1 &
STAT_PID=$!
perf record -F 2000 -g -p "$PROXY_PID" -o "$RUN/perf.data" -- sleep "$SECONDS_PROFILED" >/dev/null 2>&1
wait "$STAT_PID" || true
read -r -a after <<<"$(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")"
wait "$WRK_PID" || true
rps=$(awk '/^Requests\/sec/ {print $2}' "$RUN/wrk.out")
syscalls=$(awk -F, '/raw_syscalls/ {print $1}' "$RUN/syscalls.txt")
tck=$(getconf CLK_TCK)

report() {
  local user=$((after[0] - before[0])) sys=$((after[1] - before[1]))
  local version
  if [[ $PROXY == weir ]]; then version="$("$BUILD/weir" --version), git $(git -C "$ROOT" rev-parse --short HEAD)"
  else version=$(haproxy -v | head -n1); fi
  echo "# $PROXY at ${CONNS} connections, GET $URLPATH: where the CPU goes"
  echo
  echo "- recorded $(date -u '+%Y-%m-%d %H:%M UTC') by \`bench/profile.sh --proxy $PROXY --connections $CONNS --path $URLPATH --seconds $SECONDS_PROFILED\`"
  echo "- $version; $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r)"
  echo "- wrk (whole run, ${DURATION}s): ${rps} req/s, $(awk '/ 99%/ {print $2}' "$RUN/wrk.out") p99"
  python3 - "$user" "$sys" "$tck" "$SECONDS_PROFILED" "$rps" "$syscalls" <<'PY'
import sys
user, sys_, tck, secs, rps, syscalls = sys.argv[1:]
user, sys_, tck, secs = int(user), int(sys_), int(tck), int(secs)
reqs = float(rps) * secs if rps else 0
if reqs:
    print(f"- over the {secs} s profiled (≈{reqs:,.0f} requests at wrk's rate): CPU {1e6 * (user + sys_) / tck / reqs:.1f} µs/req "
          f"= user {1e6 * user / tck / reqs:.1f} + kernel {1e6 * sys_ / tck / reqs:.1f}; "
          f"{int(syscalls) / reqs:.2f} system calls/req" if syscalls else "")
PY
  echo
  echo "## By object (self time)"
  echo
  echo '```'
  perf report -i "$RUN/perf.data" --stdio --no-children --sort dso -g none --percent-limit 0.3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
  echo '```'
  echo
  echo "## System calls and the kernel paths under them (with children)"
  echo
  echo '```'
  perf report -i "$RUN/perf.data" --stdio --children --sort symbol -g none --percent-limit 0.3 2>/dev/null \
    | grep -E "sys_[a-z_0-9]+ *-|ksys_|do_writev|do_readv|vfs_writev|vfs_readv|sock_ioctl|ep_poll|tcp_sendmsg |tcp_recvmsg |sock_def_readable|do_syscall_64|net_rx_action" | head -24
  echo '```'
  echo
  echo "## User-space symbols (self time)"
  echo
  echo '```'
  perf report -i "$RUN/perf.data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.4 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | grep -v 'kernel.kallsyms' | head -30
  echo '```'
}
if [[ -n $OUT ]]; then report >"$OUT"; echo "wrote $OUT"; else report; fi
