#!/usr/bin/env bash
# Installs what is missing, builds (Release, and an ASan+UBSan build) and runs every test, then
# bench/check: weir's instructions per request against bench/check-baseline.txt (about 10 s).
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

jobs=$(nproc)
run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
}

if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== ASan+UBSan build: unit and integration tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIR_SANITIZE=ON
fi
echo "== Release build: unit and integration tests"
run_suite build -DCMAKE_BUILD_TYPE=Release
echo "== Fault injection under load (tests/soak, 60 s)"
python3 tests/soak/soak.py --weir build/weir --fake-backend build/tests/weir-fake-backend --duration 60
if [ "${1:-}" != "--no-sanitize" ]; then
  echo "== ThreadSanitizer build: the integration tests that run several threads"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEIR_TSAN=ON >/dev/null
  ninja -C build-tsan -j "$jobs" weir weir-fake-backend weir_integration_tests
  suites=$(grep -v '^#' tests/tsan-suites.txt | paste -sd'|')
  (cd build-tsan && TSAN_OPTIONS="suppressions=$PWD/../tests/tsan.supp:halt_on_error=1:abort_on_error=1" \
    ctest --output-on-failure -j "$jobs" --timeout 300 -R "^(${suites})\.")
  echo "== libFuzzer targets, 30 s each under ASan+UBSan (tests/fuzz)"
  bash scripts/fuzz.sh 30
fi
echo "== bench/check: instructions per request against the committed baseline"
bash bench/check --build build
