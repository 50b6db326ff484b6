#!/usr/bin/env bash
# Installs what is missing, builds, and runs weir on conf/demo.yaml in front of three fake
# backends on 127.0.0.1. Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build weir weir-fake-backend

export WEIR_DEMO_PORT=${WEIR_DEMO_PORT:-8080}
export WEIR_DEMO_STATS_PORT=${WEIR_DEMO_STATS_PORT:-8404}
export WEIR_DEMO_STATS_PASSWORD=${WEIR_DEMO_STATS_PASSWORD:-demo}
export WEIR_DEMO_TLS_PORT=${WEIR_DEMO_TLS_PORT:-8443}
pids=()
certdir=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$certdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each backend picks a free port and prints it; weir's config reads them from the environment.
start_backend() {
  local name=$1 var=$2 out
  out=$(mktemp)
  build/tests/weir-fake-backend --name "$name" --listen 127.0.0.1:0 >"$out" &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -q '^listening ' "$out"; then break; fi
    sleep 0.05
  done
  export "$var=$(sed -n 's/^listening 127.0.0.1://p' "$out" | head -1)"
  rm -f "$out"
}
start_backend app1 WEIR_DEMO_APP1
start_backend app2 WEIR_DEMO_APP2
start_backend app3 WEIR_DEMO_APP3

# A self-signed certificate for the HTTPS bind (chain + key in one PEM).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$certdir/key.pem" -out "$certdir/demo.pem" 2>/dev/null
cat "$certdir/key.pem" >>"$certdir/demo.pem"
export WEIR_DEMO_CERT=$certdir/demo.pem

build/weir -c -f conf/demo.yaml
build/weir -f conf/demo.yaml &
pids+=($!)

cat <<MSG

weir is running on conf/demo.yaml (backends app1:$WEIR_DEMO_APP1 weight 2, app2:$WEIR_DEMO_APP2, backup app3:$WEIR_DEMO_APP3)
  proxy:   http://127.0.0.1:$WEIR_DEMO_PORT/
           https://127.0.0.1:$WEIR_DEMO_TLS_PORT/   (self-signed: curl -k, or accept it in the browser)
  try:     curl -i http://127.0.0.1:$WEIR_DEMO_PORT/      (X-Server says which backend answered)
           curl -i 'http://127.0.0.1:$WEIR_DEMO_PORT/?size=100000&chunked=1'
           curl -i http://127.0.0.1:$WEIR_DEMO_PORT/health  (answered by weir itself: a return rule)
  explain: build/weir explain -f conf/demo.yaml "GET /health"
  stats:   http://127.0.0.1:$WEIR_DEMO_STATS_PORT/stats   (user admin, password $WEIR_DEMO_STATS_PASSWORD)
           http://127.0.0.1:$WEIR_DEMO_STATS_PORT/stats;csv  /stats;json  /metrics  /stub_status
  api:     curl -u admin:$WEIR_DEMO_STATS_PASSWORD -H 'Content-Type: application/json' \\
             -d '{"backend":"app","server":"app2","state":"drain"}' http://127.0.0.1:$WEIR_DEMO_STATS_PORT/stats/api/server/state
Access log below. Ctrl-C stops weir and the backends.

MSG
wait "${pids[-1]}"
