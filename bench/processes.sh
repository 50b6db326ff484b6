# shellcheck shell=bash
# bench/processes.sh: sourced by bench/run.sh and bench/callgrind.sh. Keeps track of the processes a
# script starts (PIDS) so that it stops exactly those, by PID, and never a reused one.

declare -a PIDS=()    # everything the script started and has not yet stopped, in start order

stop_pid() {  # stop_pid PID: TERM, poll up to 5 s, then KILL. Only ever called with PIDs we started.
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

forget_pid() {  # forget_pid PID: drops a stopped PID from PIDS, so cleanup never signals a reused PID
  local p
  local -a keep=()
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}
