# shellcheck shell=bash
# bench/templates.sh: sourced by bench/run.sh, bench/callgrind.sh and bench/profile.sh. Fills the
# @NAME@ placeholders of the proxies' templates (bench/*.in) from these variables, so that every
# script runs the same job:
#   PORT, BACKEND_PORTS (3), RUNDIR, THREADS (default 1), BIND_CONF (default "127.0.0.1:PORT"),
#   BALANCE_CONF, and the mode parts RULES_CONF, STATIC_CONF, CACHE_CONF, CACHES_CONF,
#   TLS_GLOBAL, TLS_SERVER, TLS_SUFFIX (default empty: the plain roundrobin job).
# A sed replacement: \n in a value is a newline.

# render TEMPLATE OUT: OUT is TEMPLATE filled in; a placeholder left over is an error.
render() {
  sed -e "s|@PORT@|$PORT|g" -e "s|@B1@|${BACKEND_PORTS[0]}|g" -e "s|@B2@|${BACKEND_PORTS[1]}|g" \
      -e "s|@B3@|${BACKEND_PORTS[2]}|g" -e "s|@RUNDIR@|${RUNDIR:-}|g" -e "s|@BALANCE@|${BALANCE_CONF:-}|g" \
      -e "s|@RULES@|${RULES_CONF:-}|g" -e "s|@STATIC@|${STATIC_CONF:-}|g" -e "s|@CACHE@|${CACHE_CONF:-}|g" \
      -e "s|@CACHES@|${CACHES_CONF:-}|g" -e "s|@BIND@|${BIND_CONF:-\"127.0.0.1:$PORT\"}|g" \
      -e "s|@TLSGLOBAL@|${TLS_GLOBAL:-}|g" -e "s|@TLSCONF@|${TLS_SERVER:-}|g" -e "s|@TLS@|${TLS_SUFFIX:-}|g" \
      -e "s|@USER@|$(id -un)|g" -e "s|@GROUP@|$(id -gn)|g" -e "s|@THREADS@|${THREADS:-1}|g" "$1" >"$2"
  local left
  left=$(grep -v '^ *#' "$2" | grep -o '@[A-Z0-9]*@' | sort -u | tr '\n' ' ' || true)
  if [[ -n $left ]]; then
    echo "${0##*/}: placeholders left in $2: $left" >&2
    return 1
  fi
}

# roundrobin_balance PROXY: BALANCE_CONF of the roundrobin job for weir or haproxy.
roundrobin_balance() {
  case $1 in
    weir) echo roundrobin ;;
    haproxy) echo "balance roundrobin" ;;
    *) echo "# roundrobin: nginx's default balancing" ;;
  esac
}
