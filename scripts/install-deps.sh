#!/usr/bin/env bash
# Installs the Debian packages weir needs to build, test, demo and benchmark.
# Idempotent: runs apt-get only for what is missing, and `apt-get update` only then.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libevent-dev libssl-dev node-llhttp libyaml-cpp-dev libfmt-dev libre2-dev libcli11-dev libxxhash-dev nlohmann-json3-dev
  libsystemd-dev openssl ca-certificates  # sd_notify; the TLS tests' and the bench's openssl CLI
  googletest libgtest-dev
  curl wrk haproxy nginx procps python3
  valgrind linux-perf  # bench/check (callgrind) in the test command; bench/run.sh's system call counts
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: the libFuzzer targets of tests/fuzz, in the test command
  dnsmasq-base  # the DNS discovery tests: a name server on 127.0.0.1 whose answer changes
  chromium prometheus  # the stats tests: the dashboard in headless Chromium, promtool check metrics
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
