#!/bin/bash
# serve.sh - `portex serve` under load on loopback, with wrk: 200
# concurrent connections polling an export's status, then 20 downloading
# its package at once (each download streamed from disk and audited in the
# ledger). Prints requests/s, latency percentiles, errors (non-2xx and
# socket errors) and the server's RSS before, between and after, to show
# memory stays flat. A benchmark, not a test: nothing here is asserted.
#
#   bench/serve.sh                      DURATION=30 bench/serve.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PORTEX=${PORTEX:-$top/build/portex}
[ -x "$PORTEX" ] || make -C "$top" -s build/portex
duration=${DURATION:-20}
command -v wrk >/dev/null || { echo "serve.sh: wrk is not installed (scripts/deps.sh check)" >&2; exit 1; }

T=$(mktemp -d)
export T PORTEX PX_TOP=$top
cleanup() {
	[ -n "${SERVE_PID:-}" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "serve.sh: $*" >&2; exit 1; }
jget() { /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
. "$top/tests/e2e/demo.sh"
. "$top/tests/e2e/serve.sh"

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVE_PID/status"; }

# run NAME CONNECTIONS URL [wrk args]: one wrk run, its summary line
run() {
	local name=$1 conns=$2 url=$3
	shift 3
	wrk -t2 -c"$conns" -d"${duration}s" --timeout 10s --latency "$@" "$url" >"$T/$name.txt"
	/usr/bin/python3 - "$T/$name.txt" "$name" "$conns" "$(rss)" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def lat(p):
    m = re.search(r"^\s+%s%%\s+(\S+)" % p, t, re.M)
    return m.group(1) if m else "?"
rps = re.search(r"Requests/sec:\s+(\S+)", t).group(1)
total = re.search(r"(\d+) requests in", t).group(1)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
sock = re.search(r"Socket errors: (.*)", t)
print("%-10s %5s conns  %9s req/s  %8s requests  p50 %-8s p99 %-8s non-2xx %s  socket errors %s  RSS after %s KiB"
      % (sys.argv[2], sys.argv[3], rps, total, lat(50), lat(99),
         non2xx.group(1) if non2xx else 0, sock.group(1) if sock else "none", sys.argv[4]))
PY
}

serve_setup "s['max_connections'] = 512; s['timeout_seconds'] = 30"
serve_start
[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
ID=$(body 'j["id"]')
wait_status "$ID" ready
URL=$(body 'j["download_url"]')
size=$(curl -s -o "$T/p.zip" -w '%{size_download}' "$URL")
echo "portex serve: export $ID ready, package $size bytes; ${duration} s per run, wrk -t2"
echo "RSS at start: $(rss) KiB"
run status 200 "$BASE/v1/exports/$ID" -H "Authorization: Bearer $PX_TEST_TOKEN"
run download 20 "$URL"
for i in 2 3 4; do
	run "status$i" 200 "$BASE/v1/exports/$ID" -H "Authorization: Bearer $PX_TEST_TOKEN"
done
downloads=$("$PORTEX" audit log --ledger "sqlite:$T/ledger.db" --request "$ID" | grep -c package.download || true)
echo "downloads audited in the ledger: $downloads"
serve_stop
