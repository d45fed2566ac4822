#!/bin/bash
# End-to-end: a REST partner over HTTP/2. nghttpd (nghttp2-server, which
# speaks HTTP/2 only: an answer at all means h2 was negotiated by ALPN)
# serves a static partner over TLS; a lookup, a list and eight per-item
# detail fetches with concurrency 4 must come out exact, the detail fetches
# multiplexed as streams of one connection (HTTP/1.1 would need four).
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/rest_lib.sh"

export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

# h2_start: the partner's files, a certificate for 127.0.0.1, nghttpd on a
# free port; $URL. Stopped when the test's subshell exits.
h2_start() {
	command -v nghttpd >/dev/null || fail "nghttpd missing (scripts/deps.sh installs nghttp2-server)"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$T/h2.key" -out "$T/h2.pem" 2>/dev/null
	PORT=$(/usr/bin/python3 - "$T" <<'PY'
import json, os, socket, sys
t = sys.argv[1]
w = t + "/www"
for d in ("users/h2-u-1", "attempts"):
    os.makedirs(w + "/" + d)
json.dump({"data": [{"id": "h2-u-1"}]}, open(w + "/lookup.json", "w"))
json.dump({"data": [{"id": "att-%d" % i} for i in range(1, 9)]},
          open(w + "/users/h2-u-1/attempts.json", "w"))
for i in range(1, 9):
    json.dump({"attempt": {"id": "att-%d" % i, "assessment": "quiz-%d" % i,
                           "score": {"value": 120 + i, "scale": 1}, "max": 20,
                           "at": 1700000000 + 60 * i}},
              open(w + "/attempts/att-%d.json" % i, "w"))
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
)
	nghttpd -v -a 127.0.0.1 -d "$T/www" "$PORT" "$T/h2.key" "$T/h2.pem" >"$T/h2.log" 2>&1 &
	H2_PID=$!
	# shellcheck disable=SC2064 # this server's pid, expanded now
	trap "kill $H2_PID 2>/dev/null || true; wait $H2_PID 2>/dev/null || true" EXIT
	URL="https://127.0.0.1:$PORT"
	for _ in $(seq 100); do
		curl -sf --cacert "$T/h2.pem" "$URL/lookup.json" >/dev/null && break
		sleep 0.05
	done
	curl -sf --cacert "$T/h2.pem" "$URL/lookup.json" >/dev/null || fail "nghttpd did not start: $(tail -5 "$T/h2.log")"
	# the probes' sessions are not portex's
	sleep 0.2
	H2_SKIP=$(wc -l <"$T/h2.log")
}

# h2_config CONCURRENCY
h2_config() {
	/usr/bin/python3 - "$T" "$URL" "$1" <<'PY'
import json, sys
t, url, n = sys.argv[1:]
prof = {"profile": 1, "name": "h2static", "auth": {"type": "none"},
        "lookups": [{"provides": "h2_id", "path": "/lookup.json",
                     "query": {"email": "{email}"}, "items": "/data", "value": "/id"}],
        "endpoints": [{"entity": "score", "category": "observed",
                       "for_each": {"path": "/users/{h2_id}/attempts.json", "items": "/data",
                                    "pagination": {"type": "none"}},
                       "path": "/attempts/{item.id}.json", "items": "/attempt",
                       "pagination": {"type": "none"},
                       "fields": {"id": "/id", "assessment": "/assessment",
                                  "score": {"path": "/score", "convert": "value_scale"},
                                  "max_score": "/max",
                                  "taken_at": {"path": "/at", "convert": "epoch_s"}}}]}
json.dump(prof, open(t + "/h2.json", "w"))
src = {"name": "h2", "connector": "rest", "profile": t + "/h2.json",
       "base_url": url, "ca_file": t + "/h2.pem", "concurrency": int(n)}
json.dump({"controller": {"name": "T", "contact": "dpo@example.org"},
           "ledger": "sqlite:ledger.db", "sources": [src]}, open(t + "/cfg.json", "w"))
PY
}

# sessions: how many HTTP/2 connections carried a request (nghttpd -v
# numbers them [id=N]); streams: how many requests
h2_log() { tail -n "+$((H2_SKIP + 1))" "$T/h2.log" | grep -a ':path: '; }
sessions() { h2_log | sed 's/^\[id=\([0-9]*\)\].*/\1/' | sort -u | wc -l; }
streams() { h2_log | wc -l; }

test_partner_over_http2_multiplexes_one_connection() {
	h2_start
	h2_config 4
	expect_exit 0 export_subject alice@example.org
	check_package
	[ "$(records score)" = 8 ] || fail "$(records score) scores, expected 8"
	unpack "$T/out.zip" "$T/pkg"
	/usr/bin/python3 - "$T/pkg/data/score.json" <<'PY' || fail "scores are not exact: $(cat "$T/pkg/data/score.json")"
import json, sys
r = json.load(open(sys.argv[1]))["records"]
got = [(x["id"], x["assessment"], x["score"], x["taken_at"]) for x in r]
want = [("att-%d" % i, "quiz-%d" % i, (120 + i) / 10, "2023-11-14T22:%02d:20Z" % (13 + i))
        for i in range(1, 9)]
assert got == want, got
PY
	[ "$(streams)" = 10 ] || fail "$(streams) requests over HTTP/2, expected 10 (lookup, list, 8 details): $(h2_log)"
	[ "$(sessions)" = 1 ] || fail "$(sessions) HTTP/2 connections with concurrency 4: the detail fetches were not multiplexed"
}

run_tests
