#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in build-fuzz and runs each
# for SECONDS (default 30) on a scratch copy of its seed corpus plus its regression inputs, then
# prints each target's executions and coverage. Exits 1 on any crash, sanitizer report, leak,
# timeout (-timeout=10) or out-of-memory (-rss_limit_mb=2048); the input is kept under
# build-fuzz/artifacts/. Installs nothing: it needs clang-14 and libclang-rt-14-dev.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   fuzz every target (FUZZ_TARGETS="a b" for some)
#        scripts/fuzz.sh --replay               run the committed regression inputs and seeds once
set -euo pipefail
cd "$(dirname "$0")/.."

targets=${FUZZ_TARGETS:-"http_request http_response config_loader acl_condition path_normalizer"}
cc=${FUZZ_CC:-clang-14}
cxx=${FUZZ_CXX:-clang++-14}
jobs=${FUZZ_JOBS:-$(nproc)}
build="build-fuzz"

mode=fuzz
seconds=30
case "${1:-}" in
  --replay) mode=replay ;;
  "") ;;
  *[!0-9]* | 0) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] | --replay" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

for tool in "$cc" "$cxx" cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "scripts/fuzz.sh: $tool not found (Debian: apt-get install clang-14 libclang-rt-14-dev cmake ninja-build)" >&2
    exit 2
  fi
done
libfuzzer="$("$cxx" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a"
if [ ! -f "$libfuzzer" ]; then
  echo "scripts/fuzz.sh: libFuzzer's runtime is missing ($libfuzzer): apt-get install libclang-rt-14-dev" >&2
  exit 2
fi

start=$SECONDS
echo "== build: $build (WEIR_FUZZ=ON, $cxx, RelWithDebInfo)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIR_FUZZ=ON \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
ninja -C "$build" -j "$jobs" weir_fuzzers
build_time=$((SECONDS - start))

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"

if [ "$mode" = replay ]; then
  status=0
  for t in $targets; do
    inputs=()
    for dir in "tests/fuzz/regressions/$t" "tests/fuzz/corpus/$t"; do
      [ -d "$dir" ] && while IFS= read -r -d '' f; do inputs+=("$f"); done < <(find "$dir" -type f -print0)
    done
    if "$build/tests/fuzz/${t}_fuzzer" -timeout=10 -rss_limit_mb=2048 "${inputs[@]}" >"$build/replay-$t.log" 2>&1; then
      echo "$t: ${#inputs[@]} inputs ok"
    else
      echo "$t: FAILED (log: $build/replay-$t.log)"
      tail -n 30 "$build/replay-$t.log"
      status=1
    fi
  done
  exit $status
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts="$build/artifacts"
mkdir -p "$artifacts"
status=0
rows=()
run_start=$SECONDS
for t in $targets; do
  echo "== fuzz: $t for ${seconds}s"
  mkdir -p "$scratch/$t"
  cp tests/fuzz/corpus/"$t"/* "$scratch/$t/"  # the committed corpus stays as it is
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$t-")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  corpora=("$scratch/$t")
  [ -d "tests/fuzz/regressions/$t" ] && corpora+=("tests/fuzz/regressions/$t")  # read, never written
  log="$build/fuzz-$t.log"
  result=ok
  if ! "$build/tests/fuzz/${t}_fuzzer" "${args[@]}" "${corpora[@]}" >"$log" 2>&1; then
    result=FAILED
    status=1
    grep -E "FUZZ_CHECK|ERROR: |SUMMARY: |Test unit written" "$log" || tail -n 40 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")
  rows+=("$(printf '%-16s %12s %8s %8s  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result")")
done
run_time=$((SECONDS - run_start))

echo
printf '%-16s %12s %8s %8s  %s\n' target executions cov ft result
printf '%s\n' "${rows[@]}"
echo "build ${build_time}s, fuzzing ${run_time}s (${seconds}s per target); logs: $build/fuzz-*.log"
if [ $status -ne 0 ]; then
  echo "a target failed: its input is in $artifacts/ (add it under tests/fuzz/regressions/TARGET/ once fixed)"
fi
exit $status
