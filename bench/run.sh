#!/usr/bin/env bash
# bench/run.sh: weir vs HAProxy vs nginx under wrk, same job, same conditions. See bench/README.md.
#
#   bench/run.sh [--build DIR] [--rounds N] [--duration SECONDS] [--record] [--keep] [--cases A,B]
#                [--threads N]
#
# Layout: three weir-fake-backends, and weir, HAProxy and nginx all running at once on 127.0.0.1,
# each proxy configured from bench/*.in for the same job (one thread, keep-alive on both sides,
# the case's balancing: roundrobin, leastconn or source). One set of the three proxies runs at a
# time: it is started for a balancing mode and stopped before the set for the next mode starts.
# The proxies are pinned to core 0, wrk and the backends to core 1. For each case the
# runs are interleaved: weir HAProxy nginx weir HAProxy nginx ... For each run we keep wrk's
# output and the proxy's CPU time (utime+stime from /proc, over the proxy and its children)
# sampled just before and just after wrk; bench/compare.py turns that into the tables.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
BUILD=build
ROUNDS=3
DURATION=5
RECORD=0
KEEP=0
THREADS=1
PROXY_CPU=0
LOAD_CPU=1
WARMUP=1          # seconds of unmeasured load per proxy before each case
READY_DEADLINE=10 # seconds to wait for anything we start to become ready

usage() {
  sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  cat <<EOF
  --build DIR       build directory with weir and tests/weir-fake-backend (default: build);
                    configured and built with Ninja if either binary is missing
  --rounds N        interleaved rounds per case (default: 3)
  --duration S      seconds of wrk per run (default: 5)
  --record          append the results to bench/RESULTS.md
  --keep            keep the temporary directory (configs, logs, every wrk output)
  --cases A,B,...   run only these cases (default: all; names as in the results table)
  --threads N       worker threads (weir), nbthread (HAProxy), worker_processes (nginx) (default: 1).
                    Above 1 the proxies may use every core, shared with wrk and the backends:
                    compare CPU per request between thread counts, not req/s
EOF
}

while (($#)); do
  case $1 in
    --build) BUILD=${2:?--build needs a directory}; shift 2 ;;
    --build=*) BUILD=${1#*=}; shift ;;
    --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
    --rounds=*) ROUNDS=${1#*=}; shift ;;
    --duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
    --duration=*) DURATION=${1#*=}; shift ;;
    --record) RECORD=1; shift ;;
    --keep) KEEP=1; shift ;;
    --cases) ONLY_CASES=${2:?--cases needs a list}; shift 2 ;;
    --cases=*) ONLY_CASES=${1#*=}; shift ;;
    --threads) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --threads=*) THREADS=${1#*=}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1 || ROUNDS > 50)); then
  echo "run.sh: --rounds must be 1..50" >&2; exit 2
fi
if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION < 1 || DURATION > 300)); then
  echo "run.sh: --duration must be 1..300 seconds" >&2; exit 2
fi
if ! [[ $THREADS =~ ^[0-9]+$ ]] || ((THREADS < 1 || THREADS > 64)); then
  echo "run.sh: --threads must be 1..64" >&2; exit 2
fi
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD

for tool in wrk haproxy nginx taskset curl python3 getconf openssl; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' not found in PATH" >&2; exit 1; }
done
NPROC=$(nproc)
if ((NPROC < 2)); then
  echo "run.sh: needs at least 2 cores (proxy on core $PROXY_CPU, load on core $LOAD_CPU); this machine has $NPROC" >&2
  exit 1
fi

# With more than one thread the proxies get cores 0..THREADS-1 (the last one shared with the load).
if ((THREADS > 1)); then
  PROXY_CPU=0-$(((THREADS < NPROC ? THREADS : NPROC) - 1))
fi

WEIR=$BUILD/weir
FAKE=$BUILD/tests/weir-fake-backend
if [[ ! -x $WEIR || ! -x $FAKE ]]; then
  echo "== building weir and weir-fake-backend in $BUILD"
  [[ -f $BUILD/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release
  ninja -C "$BUILD" weir weir-fake-backend
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/weir-bench.XXXXXX")
# shellcheck source=bench/processes.sh
source "$ROOT/bench/processes.sh"
# shellcheck source=bench/templates.sh
source "$ROOT/bench/templates.sh"

cleanup() {
  local status=$? i
  trap - EXIT INT TERM
  # nginx workers are children of the master we started: note them before stopping the master.
  local -a extra=()
  if [[ -n ${NGINX_PID:-} ]]; then mapfile -t extra < <(pgrep -P "$NGINX_PID" 2>/dev/null || true); fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}"; done
  for pid in "${extra[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if ((KEEP)); then echo "== kept $RUN"; else rm -rf "$RUN"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Raise the descriptor limit as far as the hard limit allows (400 clients + upstream connections).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# start NAME CPU CMD...: runs CMD pinned to CPU in the background, stdout/stderr in $RUN/NAME.*.
# taskset execs CMD, so $! is CMD's own PID.
start() {
  local name=$1 cpu=$2; shift 2
  taskset -c "$cpu" "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" </dev/null &
  PIDS+=("$!")
  LAST_PID=$!
}

die_with_log() {  # die_with_log MESSAGE NAME
  echo "run.sh: $1" >&2
  for f in "$RUN/$2.out" "$RUN/$2.err"; do
    [[ -s $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

# wait_listening NAME PID: polls NAME's stdout for "listening HOST:PORT"; prints PORT.
wait_listening() {
  local name=$1 pid=$2 deadline=$((SECONDS + READY_DEADLINE)) line
  while ((SECONDS < deadline)); do
    line=$(grep -m1 '^listening ' "$RUN/$name.out" 2>/dev/null || true)
    if [[ -n $line ]]; then echo "${line##*:}"; return 0; fi
    kill -0 "$pid" 2>/dev/null || die_with_log "$name exited before listening" "$name"
    sleep 0.05
  done
  die_with_log "$name did not print 'listening' within ${READY_DEADLINE}s" "$name"
}

# wait_http NAME PID URL: polls URL until it answers 200, within the deadline.
wait_http() {
  local name=$1 pid=$2 url=$3 deadline=$((SECONDS + READY_DEADLINE)) code
  while ((SECONDS < deadline)); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    kill -0 "$pid" 2>/dev/null || die_with_log "$name exited before answering $url" "$name"
    sleep 0.1
  done
  die_with_log "$name did not answer 200 on $url within ${READY_DEADLINE}s (last: '$code')" "$name"
}

# free_ports N: N currently free TCP ports on 127.0.0.1.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# rules_conf PROXY MODE: what @RULES@ becomes (a sed replacement: \n is a newline). In the
# `rules` mode: 50 ACLs and 20 use_backend rules that the bench's requests never match, so every
# request evaluates all of them before default_backend; HAProxy gets the same lines (its own
# syntax is weir's); nginx has no equivalent and keeps its plain config.
rules_conf() {
  [[ $2 == rules ]] || { echo ""; return; }
  local i acls="" uses=""
  for i in $(seq 1 50); do
    case $((i % 5)) in
      0) m="path_beg /svc$i/" ;;
      1) m="hdr(host) -i svc$i.example" ;;
      2) m="path_reg ^/re$i/[a-z]+[.]json$" ;;
      3) m="src 10.$i.0.0/16" ;;
      4) m="hdr_beg(x-tenant) t$i" ;;
    esac
    if [[ $1 == weir ]]; then acls+="\n      a$i: $m"; else acls+="\n    acl a$i $m"; fi
  done
  for i in $(seq 0 19); do
    local cond="a$((i * 2 + 1)) a$((i * 2 + 2)) or a$(((i * 2 + 11) % 50 + 1))"
    if [[ $1 == weir ]]; then uses+="\n      - app if $cond"; else uses+="\n    use_backend app if $cond"; fi
  done
  case $1 in
    weir) echo "acl:$acls\n    use_backend:$uses" ;;
    haproxy) echo "${acls#\\n    }$uses" ;;
    *) echo "" ;;
  esac
}

# static_conf PROXY MODE: what @STATIC@ becomes. In the `static` mode /static/ is served from
# $RUN/www: weir with a static rule, nginx with root + sendfile + open_file_cache (its usual
# tuning), both with a year of expiry; HAProxy cannot serve files and sits these cases out.
static_conf() {
  [[ $2 == static ]] || { echo ""; return; }
  case $1 in
    weir) echo "static:\n      - if: \"{ path_beg /static/ }\"\n        root: $RUN/www\n        expires: 1y" ;;
    nginx) echo "location /static/ { root $RUN/www; sendfile on; tcp_nopush on; open_file_cache max=1000 inactive=60s; open_file_cache_valid 1s; expires 1y; }" ;;
    *) echo "" ;;
  esac
}

# cache_conf / caches_conf PROXY MODE: what @CACHE@ (in the frontend, backend or server) and
# @CACHES@ (top level) become. In the `cache` mode /cached is kept by each proxy's response
# cache: weir's, HAProxy's `cache` section, nginx's proxy_cache; / is not, so the sanity
# check's round-robin still shows.
cache_conf() {
  [[ $2 == cache ]] || { echo ""; return; }
  case $1 in
    weir) echo "cache:\n      - use: c if { path_beg /cached }" ;;
    haproxy) echo "http-request cache-use c if { path_beg /cached }\n    http-response cache-store c" ;;
    nginx) echo "location /cached { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_cache c; proxy_cache_valid 200 1h; }" ;;
  esac
}
caches_conf() {
  [[ $2 == cache ]] || { echo ""; return; }
  case $1 in
    weir) echo "caches:\n  c: { total_max_size: 64m, max_object_size: 1m, max_age: 1h }" ;;
    haproxy) echo "cache c\n    total-max-size 64\n    max-object-size 1048576\n    max-age 3600" ;;
    nginx) echo "proxy_cache_path $RUN/nginx-cache keys_zone=c:10m max_size=64m;" ;;
  esac
}

# The `tls` mode: each proxy terminates TLS with the same ECDSA P-256 certificate, TLS 1.2 and
# 1.3 with the same cipher lists (Mozilla "intermediate", weir's default), ALPN http/1.1.
TLS_CIPHERS="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
TLS_SUITES="TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
# bind_conf / tls_conf PROXY MODE: what @BIND@ (weir), @TLS@ (after the port), @TLSGLOBAL@
# (HAProxy's global section) and @TLSCONF@ (nginx's server block) become.
bind_conf() {
  if [[ $2 == tls ]]; then echo "{ address: \"127.0.0.1:$PORT\", ssl: { certs: [\"$RUN/cert.pem\"] } }"
  else echo "\"127.0.0.1:$PORT\""; fi
}
tls_conf() {  # tls_conf PROXY MODE PART (PART: suffix, global or server)
  [[ $2 == tls ]] || { echo ""; return; }
  case $1:$3 in
    haproxy:suffix) echo " ssl crt $RUN/cert.pem alpn http/1.1" ;;
    haproxy:global) echo "ssl-default-bind-ciphers $TLS_CIPHERS\n    ssl-default-bind-ciphersuites $TLS_SUITES\n    ssl-default-bind-options ssl-min-ver TLSv1.2" ;;
    nginx:suffix) echo " ssl" ;;
    nginx:server) echo "ssl_certificate $RUN/cert.pem; ssl_certificate_key $RUN/cert.pem; ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers $TLS_CIPHERS; ssl_conf_command Ciphersuites $TLS_SUITES; ssl_session_cache shared:SSL:10m;" ;;
    *) echo "" ;;
  esac
}

# balance_conf PROXY MODE: what @BALANCE@ becomes in PROXY's template for balancing MODE
# (a sed replacement: \n is a newline).
balance_conf() {
  case $1:$2 in
    weir:roundrobin | weir:leastconn | weir:source) echo "$2" ;;
    weir:rules | weir:static | weir:cache | weir:tls) echo roundrobin ;;
    haproxy:rules | haproxy:static | haproxy:cache | haproxy:tls) echo "balance roundrobin" ;;
    nginx:rules | nginx:static | nginx:cache | nginx:tls) echo "# roundrobin: nginx's default balancing" ;;
    weir:checks) echo 'roundrobin\n    health_check: { http: GET /health, interval: 1s }' ;;
    haproxy:roundrobin | haproxy:leastconn) echo "balance $2" ;;
    haproxy:source) echo 'balance source\n    hash-type consistent' ;;
    haproxy:checks) echo 'balance roundrobin\n    option httpchk GET /health\n    default-server check inter 1s' ;;
    nginx:roundrobin) echo "# roundrobin: nginx's default balancing" ;;
    nginx:checks) echo "# roundrobin; nginx (open source) has no active health checks" ;;
    nginx:leastconn) echo 'least_conn;' ;;
    nginx:source) echo 'hash $remote_addr consistent;' ;;
    *) echo "run.sh: no balancing '$2' for $1" >&2; return 1 ;;
  esac
}

# proc_ticks PID: "USER SYS" clock ticks of PID and of its children (nginx's worker), summed.
proc_ticks() {
  local user=0 sys=0 p stat
  local -a f
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    read -ra f <<<"${stat##*) }"   # f[0] is field 3 (state): utime is field 14, stime 15
    user=$((user + f[11]))
    sys=$((sys + f[12]))
  done
  echo "$user $sys"
}

# System calls per request: perf's raw_syscalls:sys_enter tracepoint counted on the proxy's
# processes (all their threads) while wrk runs. Hardware counters are not needed; where perf or
# the tracepoint is missing the column says n/a.
SYSCALL_COUNTING=0
if command -v perf >/dev/null && perf stat -e raw_syscalls:sys_enter -x, -o /dev/null true 2>/dev/null; then
  SYSCALL_COUNTING=1
fi
# start_syscall_count PID OUT: counts PID's and its children's system calls into OUT until
# stop_syscall_count; sets PERF_PID ("" when not counting).
start_syscall_count() {
  PERF_PID=
  ((SYSCALL_COUNTING)) || return 0
  local pids
  pids=$({ echo "$1"; pgrep -P "$1" 2>/dev/null || true; } | paste -sd, -)
  perf stat -e raw_syscalls:sys_enter -x, -o "$2" -p "$pids" >/dev/null 2>&1 &
  PERF_PID=$!
  PIDS+=("$PERF_PID")
  # perf attaches asynchronously: wait for it to have opened its counters (its output file).
  local i
  for ((i = 0; i < 50; i++)); do [[ -e $2 ]] && break; sleep 0.02; done
}
# stop_syscall_count OUT: stops the counting perf (SIGINT makes it print) and sets SYSCALLS to
# the count, or -1 when there is none. Not for $(...): perf must be waited for by this shell.
stop_syscall_count() {
  SYSCALLS=-1
  [[ -n ${PERF_PID:-} ]] || return 0
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  forget_pid "$PERF_PID"
  local n
  n=$(awk -F, '/raw_syscalls:sys_enter/ { print $1; exit }' "$1" 2>/dev/null)
  if [[ $n =~ ^[0-9]+$ ]]; then SYSCALLS=$n; fi
}

# ---------------------------------------------------------------------------------------------
echo "== run directory $RUN"
load1=$(cut -d' ' -f1 /proc/loadavg)
echo "== machine: $NPROC cores, load average $load1 at start"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
  echo "   warning: the machine is not idle (load $load1); numbers will be noisier than usual"
fi

BACKEND_PORTS=()
for n in 1 2 3; do
  start "b$n" "$LOAD_CPU" "$FAKE" --name "b$n" --listen 127.0.0.1:0 --threads 1
  BACKEND_PORTS+=("$(wait_listening "b$n" "$LAST_PID")")
done
echo "== backends b1 b2 b3 on 127.0.0.1:${BACKEND_PORTS[0]} :${BACKEND_PORTS[1]} :${BACKEND_PORTS[2]}"

# The TLS cases' certificate (chain + key in one PEM, as all three proxies read it).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=bench.test \
  -addext subjectAltName=DNS:bench.test -keyout "$RUN/key.pem" -out "$RUN/cert.pem" 2>/dev/null
cat "$RUN/key.pem" >>"$RUN/cert.pem"

mkdir -p "$RUN/www/static"
head -c 4096 /dev/urandom >"$RUN/www/static/4k.bin"
head -c 1048576 /dev/urandom >"$RUN/www/static/1m.bin"

PROXIES=(weir haproxy nginx)
declare -A PORT_OF PID_OF

scheme() { [[ $1 == tls ]] && echo https || echo http; }

# start_proxies MODE: starts weir, HAProxy and nginx configured for balancing MODE on fresh ports,
# files in $RUN/MODE/, and waits until each answers. Sets PORT_OF, PID_OF and NGINX_PID.
start_proxies() {
  local mode=$1 i proxy
  local -a ports
  read -r -a ports <<<"$(free_ports 3)"
  for i in 0 1 2; do
    proxy=${PROXIES[i]}
    PORT=${ports[i]}
    RUNDIR=$RUN/$mode/$proxy
    BALANCE_CONF=$(balance_conf "$proxy" "$mode")
    RULES_CONF=$(rules_conf "$proxy" "$mode")
    STATIC_CONF=$(static_conf "$proxy" "$mode")
    CACHE_CONF=$(cache_conf "$proxy" "$mode")
    CACHES_CONF=$(caches_conf "$proxy" "$mode")
    BIND_CONF=$(bind_conf "$proxy" "$mode")
    TLS_SUFFIX=$(tls_conf "$proxy" "$mode" suffix)
    TLS_GLOBAL=$(tls_conf "$proxy" "$mode" global)
    TLS_SERVER=$(tls_conf "$proxy" "$mode" server)
    mkdir -p "$RUNDIR"
    case $proxy in
      weir)
        render "$BENCH/weir.yaml.in" "$RUNDIR/weir.yaml"
        start "$mode/weir" "$PROXY_CPU" "$WEIR" -f "$RUNDIR/weir.yaml" ;;
      haproxy)
        render "$BENCH/haproxy.cfg.in" "$RUNDIR/haproxy.cfg"
        start "$mode/haproxy" "$PROXY_CPU" haproxy -db -f "$RUNDIR/haproxy.cfg" ;;
      nginx)
        render "$BENCH/nginx.conf.in" "$RUNDIR/nginx.conf"
        start "$mode/nginx" "$PROXY_CPU" nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf"
        NGINX_PID=$LAST_PID ;;
    esac
    PORT_OF[$proxy]=$PORT
    PID_OF[$proxy]=$LAST_PID
  done
  for proxy in "${PROXIES[@]}"; do
    wait_http "$mode/$proxy" "${PID_OF[$proxy]}" "$(scheme "$mode")://127.0.0.1:${PORT_OF[$proxy]}/"
    echo "== $proxy ($mode) ready on 127.0.0.1:${PORT_OF[$proxy]} (pid ${PID_OF[$proxy]})"
  done
}

# stop_proxies: stops the running set (nginx's worker too) and forgets their PIDs.
stop_proxies() {
  local proxy pid w
  local -a workers=()
  if [[ -n ${NGINX_PID:-} ]]; then mapfile -t workers < <(pgrep -P "$NGINX_PID" 2>/dev/null || true); fi
  for proxy in "${PROXIES[@]}"; do
    pid=${PID_OF[$proxy]:-}
    [[ -n $pid ]] || continue
    stop_pid "$pid"
    forget_pid "$pid"
  done
  for w in "${workers[@]}"; do
    if kill -0 "$w" 2>/dev/null; then kill -KILL "$w" 2>/dev/null || true; fi
  done
  NGINX_PID=
  PID_OF=()
  PORT_OF=()
}

# sanity_check MODE: every proxy must balance six requests to / as MODE does with one client at a
# time from one address (roundrobin: b1 b2 b3 twice each; leastconn: all loads equal, so every
# backend gets some; source: all six on one backend) and carry 64 KiB intact.
SANITY=$RUN/sanity.txt
: >"$SANITY"
sanity_check() {
  local mode=$1 proxy base bodies big line ok expect re
  case $mode in
    roundrobin | checks | rules | static | cache | tls) expect="b1×2 b2×2 b3×2"; re='^b1×2 b2×2 b3×2 $' ;;
    leastconn) expect="each of b1 b2 b3"; re='^b1×[0-9]+ b2×[0-9]+ b3×[0-9]+ $' ;;
    source) expect="all six on one backend"; re='^b[123]×6 $' ;;
  esac
  for proxy in "${PROXIES[@]}"; do
    base=$(scheme "$mode")://127.0.0.1:${PORT_OF[$proxy]}
    bodies=$(for _ in 1 2 3 4 5 6; do curl -sk --max-time 2 "$base/" || echo "(error)"; done | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
    big=$(curl -sk -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' "$base/?size=65536" || echo "error")
    line="$proxy ($mode): 6 requests to / -> ${bodies}; /?size=65536 -> status+bytes '$big'"
    ok=1
    [[ $bodies =~ $re ]] || ok=0
    [[ $big == "200 65536" ]] || ok=0
    if [[ $mode == static && $proxy != haproxy ]]; then
      files=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{size_download}' "$base/static/1m.bin" || echo "error")
      line+="; /static/1m.bin -> '$files'"
      [[ $files == "200 1048576" ]] || ok=0
    fi
    ((ok)) || line="WARNING $line (expected $expect and '200 65536')"
    echo "   $line" | tee -a "$SANITY"
  done
}

# Logs of the proxies: anything they said is worth a look (nginx warns when it spills to disk).
# note_logs MODE: notes the tail of each log of MODE's set while it still runs (before it is
# stopped, so the notes do not end with the shutdown).
LOGNOTES=$RUN/lognotes.txt
: >"$LOGNOTES"
note_logs() {
  local f
  for f in "$RUN/$1/weir.out" "$RUN/$1/weir.err" "$RUN/$1/haproxy.out" "$RUN/$1/haproxy.err" \
           "$RUN/$1/nginx.err" "$RUN/$1/nginx/error.log"; do
    [[ -s $f ]] || continue
    {
      echo "${f#"$RUN"/}: $(wc -l <"$f") lines, last ones:"
      tail -n 5 "$f" | cut -c1-200 | sed 's/^/    /'
    } >>"$LOGNOTES"
  done
}

CLK_TCK=$(getconf CLK_TCK)
# name  connections  path  balancing. The proxies are restarted when the balancing changes from
# one case to the next, so keep the cases of one balancing together.
CASES=(
  "small-c50 50 / roundrobin"
  "small-c400 400 / roundrobin"
  "64k-c50 50 /?size=65536 roundrobin"
  "churn-c50 50 / roundrobin close"
  "paced-c50 50 / roundrobin paced:3"
  "paced-c400 400 / roundrobin paced:25"
  "small-c50-leastconn 50 / leastconn"
  "small-c50-source 50 / source"
  "small-c50-checks 50 / checks"
  "small-c50-rules 50 / rules"
  "static-4k 50 /static/4k.bin static"
  "static-1m 50 /static/1m.bin static"
  "cache-hit 50 /cached?header=Cache-Control:%20max-age%3D3600 cache"
  "https-keepalive 50 / tls"
  "https-handshake 50 / tls close"
)
if [[ -n ${ONLY_CASES:-} ]]; then
  selected=()
  for spec in "${CASES[@]}"; do
    [[ ",$ONLY_CASES," == *",${spec%% *},"* ]] && selected+=("$spec")
  done
  ((${#selected[@]})) || { echo "run.sh: --cases matched no case" >&2; exit 2; }
  CASES=("${selected[@]}")
fi
RUNS=$RUN/runs.tsv
printf 'case\tconnections\tround\tproxy\tcpu_ticks\tuser_ticks\tsyscalls\talive\twrk_output\n' >"$RUNS"
WRK_LIMIT=$((DURATION + 30))  # hard bound on one wrk run

# run_wrk SECONDS CONNECTIONS URL OUTFILE [MODE]: MODE `close` makes every request a new
# connection; `paced:MS` makes each connection wait MS ms before each request (wrk's Lua delay()),
# which fixes the offered load below what any of the proxies can carry, so that their latencies
# are compared at the same request rate (a closed loop at full speed measures latency at
# different rates, and with the load core saturated, mostly wrk's own queueing).
run_wrk() {
  local -a extra=()
  [[ ${5:-} == close ]] && extra=(-H "Connection: close")
  if [[ ${5:-} == paced:* ]]; then
    printf 'function delay()\n  return %d\nend\n' "${5#paced:}" >"$RUN/paced-${5#paced:}.lua"
    extra=(-s "$RUN/paced-${5#paced:}.lua")
  fi
  timeout -k 5 "$((${1} + 30))" taskset -c "$LOAD_CPU" \
    wrk -t1 -c"$2" -d"${1}s" --latency "${extra[@]}" "$3" >"$4" 2>&1 || echo "(wrk exit status $?)" >>"$4"
}

total_runs=0
for spec in "${CASES[@]}"; do  # HAProxy sits out the static cases
  [[ $spec == *" static" ]] && total_runs=$((total_runs + ROUNDS * 2)) || total_runs=$((total_runs + ROUNDS * 3))
done
n=0
echo "== $total_runs runs of ${DURATION}s (wrk -t1 --latency, each bounded to ${WRK_LIMIT}s), CLK_TCK=$CLK_TCK"
MODE=
for spec in "${CASES[@]}"; do
  read -r cname conns path balance conn_mode <<<"$spec"
  url_base="$(scheme "$balance")://127.0.0.1"
  if [[ $balance != "$MODE" ]]; then
    if [[ -n $MODE ]]; then
      note_logs "$MODE"
      echo "== stopping the $MODE proxies"
      stop_proxies
    fi
    MODE=$balance
    start_proxies "$MODE"
    sanity_check "$MODE"
  fi
  for proxy in "${PROXIES[@]}"; do  # warm-up: fills the upstream keep-alive pools; not measured
    [[ $MODE == static && $proxy == haproxy ]] && continue
    kill -0 "${PID_OF[$proxy]}" 2>/dev/null || continue
    run_wrk "$WARMUP" "$conns" "$url_base:${PORT_OF[$proxy]}$path" "$RUN/warmup-$cname-$proxy.txt" "$conn_mode"
  done
  for ((round = 1; round <= ROUNDS; round++)); do
    for proxy in "${PROXIES[@]}"; do
      [[ $MODE == static && $proxy == haproxy ]] && continue  # HAProxy does not serve files
      n=$((n + 1))
      pid=${PID_OF[$proxy]}
      out=$RUN/wrk-$cname-r$round-$proxy.txt
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "(proxy $proxy is not running: pid $pid exited)" >"$out"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cname" "$conns" "$round" "$proxy" 0 0 -1 0 "$out" >>"$RUNS"
        echo "   [$n/$total_runs] $cname round $round $proxy: SKIPPED, the proxy has exited"
        continue
      fi
      start_syscall_count "$pid" "$out.perf"
      read -r user0 sys0 <<<"$(proc_ticks "$pid")"
      run_wrk "$DURATION" "$conns" "$url_base:${PORT_OF[$proxy]}$path" "$out" "$conn_mode"
      read -r user1 sys1 <<<"$(proc_ticks "$pid")"
      stop_syscall_count "$out.perf"
      alive=1
      kill -0 "$pid" 2>/dev/null || alive=0
      ticks=$((user1 + sys1 - user0 - sys0))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cname" "$conns" "$round" "$proxy" "$ticks" "$((user1 - user0))" "$SYSCALLS" "$alive" "$out" >>"$RUNS"
      echo "   [$n/$total_runs] $cname round $round $proxy: $(python3 "$BENCH/compare.py" --one "$out" "$ticks" "$CLK_TCK" "$SYSCALLS")"
      ((alive)) || echo "   warning: $proxy (pid $pid) exited during this run"
    done
  done
done

note_logs "$MODE"
if [[ -s $LOGNOTES ]]; then echo "== proxy logs"; cat "$LOGNOTES"; fi

versions() {
  echo "- haproxy: $(haproxy -v 2>&1 | head -n1)"
  echo "- nginx: $(nginx -v 2>&1 | head -n1)"
  echo "- wrk: $(wrk -v 2>&1 | head -n1)"
  echo "- weir: $("$WEIR" --version 2>&1 | head -n1), git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' (working tree has uncommitted changes)')"
}
{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "- machine: nproc $NPROC, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load average at start $load1"
  versions
  echo "- balancing: $(for spec in "${CASES[@]}"; do read -r c _ _ b <<<"$spec"; printf '%s %s, ' "$c" "$b"; done | sed 's/, $//') (one set of proxies per balancing, started fresh; source: HAProxy \`hash-type consistent\`, nginx \`hash \$remote_addr consistent\`)"
  echo "- method: $ROUNDS interleaved rounds × ${DURATION}s per case (plus ${WARMUP}s warm-up per proxy), wrk -t1 --latency; $THREADS proxy thread(s)/worker(s) on core(s) $PROXY_CPU, wrk + 3 fake backends on core $LOAD_CPU; system calls counted by \`perf stat -e raw_syscalls:sys_enter -p\` on the proxy during each run$( ((SYSCALL_COUNTING)) || echo ' (not available on this machine)'); churn-c50 sends \`Connection: close\` (a new client connection per request); paced-c50 and paced-c400 make each connection wait 3 and 25 ms before each request (wrk's Lua \`delay()\`: the same offered load, 11k–14k req/s, for every proxy), for latency at an equal rate"
} >"$RUN/header.md"

record_args=()
((RECORD)) && record_args=(--record "$BENCH/RESULTS.md")
echo
python3 "$BENCH/compare.py" --runs "$RUNS" --clk-tck "$CLK_TCK" --header "$RUN/header.md" \
  --sanity "$SANITY" --lognotes "$LOGNOTES" "${record_args[@]}"

# Routing's own cost, in-process: steadier than the end-to-end rules case on a busy machine.
if [[ -x $BUILD/weir-route-cost ]]; then
  taskset -c "$PROXY_CPU" "$BUILD/weir-route-cost" >"$RUN/route-cost.txt" 2>&1 || true
  echo
  echo "In-process: $(cat "$RUN/route-cost.txt")"
  if ((RECORD)); then
    printf '\nIn-process (bench/route_cost.cc, pinned to core %s): %s\n' "$PROXY_CPU" "$(cat "$RUN/route-cost.txt")" >>"$BENCH/RESULTS.md"
  fi
fi
