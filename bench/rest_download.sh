#!/bin/bash
# rest_download.sh - peak RSS of a REST export whose document is small or
# large (the Tallis mock's "large-file" fault, TALLIS_LARGE_BYTES), to show
# that a downloaded document goes to a work file, not to memory: the peak
# should not follow the document's size. A benchmark: nothing is asserted.
#
#   bench/rest_download.sh              SIZES="8 256" bench/rest_download.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PORTEX=${PORTEX:-$top/build/portex}
[ -x "$PORTEX" ] || make -C "$top" -s build/portex
T=$(mktemp -d)
cleanup() {
	[ -n "${MOCK:-}" ] && kill "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
export TL_CLIENT_ID=tallis-portex TL_CLIENT_SECRET=tl-s3cret-5e6f7a8b9c0d
for mb in ${SIZES:-8 256}; do
	bytes=$((mb * 1000000))
	rm -f "$T/port"
	TALLIS_LARGE_BYTES=$bytes /usr/bin/python3 "$top/tests/mock/server.py" \
		--port-file "$T/port" --fault "large-file:1:/files/cert-1" \
		>/dev/null 2>&1 &
	MOCK=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	sed "s/\"max_bytes\": 100000/\"max_bytes\": $((bytes + 1))/" \
		"$top/tests/mock/tallis.json" >"$T/tl.json"
	/usr/bin/python3 - "$T" "$(cat "$T/port")" <<'PY'
import json, sys
t, port = sys.argv[1:]
src = {"name": "tallis", "connector": "rest", "profile": t + "/tl.json",
       "base_url": "http://127.0.0.1:%s/tallis" % port,
       "auth": {"client_id": "${TL_CLIENT_ID}", "client_secret": "${TL_CLIENT_SECRET}"}}
json.dump({"controller": {"name": "T", "contact": "dpo@example.org"},
           "ledger": "sqlite:" + t + "/ledger.db", "sources": [src]},
          open(t + "/cfg.json", "w"))
PY
	rm -f "$T/out.zip"
	/usr/bin/time -f "%M %e" -o "$T/time" "$PORTEX" export --config "$T/cfg.json" \
		--subject email=alice@example.org --out "$T/out.zip" --unsigned --force >/dev/null
	read -r kb secs <"$T/time"
	echo "document ${mb} MB: peak RSS $((kb / 1024)) MiB, ${secs} s, package $(($(stat -c %s "$T/out.zip") / 1000000)) MB"
	kill "$MOCK"
	wait "$MOCK" 2>/dev/null || true
	MOCK=
done
