# shellcheck shell=bash disable=SC2034 # kb, secs, pkg_mb: for the caller
# rest_lib.sh - shared by bench/rest_download.sh and bench/rest_export.sh:
# the Tallis mock (tests/mock/server.py) on a free port, and one timed
# export from a profile. Sourced; needs $top and $T.
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
export TL_CLIENT_ID=tallis-portex TL_CLIENT_SECRET=tl-s3cret-5e6f7a8b9c0d
PORTEX=${PORTEX:-$top/build/portex}
[ -x "$PORTEX" ] || make -C "$top" -s build/portex

cleanup() {
	[ -n "${MOCK:-}" ] && kill "$MOCK" 2>/dev/null && wait "$MOCK" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# mock_start FAULT: the mock with --fault FAULT (environment as given)
mock_start() {
	rm -f "$T/port"
	/usr/bin/python3 "$top/tests/mock/server.py" --port-file "$T/port" \
		--fault "$1" >/dev/null 2>&1 &
	MOCK=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
}

mock_stop() {
	kill "$MOCK"
	wait "$MOCK" 2>/dev/null || true
	MOCK=
}

# timed_export: exports alice with the profile $T/tl.json; sets $kb (peak
# RSS), $secs and $pkg_mb
timed_export() {
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
	pkg_mb=$(($(stat -c %s "$T/out.zip") / 1000000))
}
