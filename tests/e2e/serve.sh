# serve.sh - sourced by t_serve.sh (and bench/serve.sh): a demo platform
# with a `serve` section, the service started on a free loopback port,
# and curl calls against it.
#
# serve_setup [PYTHON]: demo platform in $T, ledger $T/ledger.db, packages
#   in $T/out/packages; PYTHON edits the config's serve section `s`.
# serve_start: starts `portex serve`; $BASE is its URL, $SERVE_PID its pid,
#   its stderr (JSON lines) goes to $T/serve.log. Stopped when the test's
#   subshell exits.
# serve_stop: SIGTERM, then waits; fails unless it exits 0.
# api METHOD PATH [curl args]: with the portal's token; the body goes to
#   $T/body, headers to $T/headers; prints the status code.

export PX_TEST_TOKEN=portal-token-7c1e9a55d0b34f8e
export PX_TEST_LINK_KEY=link-key-1f0e2d3c4b5a69788796a5b4c3d2e1f0
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

serve_setup() {
	demo_setup
	edit_config "c['ledger'] = 'sqlite:$T/ledger.db'
c['serve'] = {'token': '\${PX_TEST_TOKEN}', 'link_key': '\${PX_TEST_LINK_KEY}',
              'listen': '127.0.0.1:0', 'out_dir': 'out/packages',
              'timeout_seconds': 5}
s = c['serve']
${1:-}"
}

serve_start() {
	: >"$T/serve.log"
	"$PORTEX" serve --config "$T/demo.json" "$@" 2>>"$T/serve.log" &
	SERVE_PID=$!
	# shellcheck disable=SC2064 # this server's pid, expanded now
	trap "kill $SERVE_PID 2>/dev/null || true; wait $SERVE_PID 2>/dev/null || true" EXIT
	BASE=
	for _ in $(seq 200); do
		BASE=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "listening":
        print(e["url"])
        break' "$T/serve.log" 2>/dev/null) || true
		[ -n "$BASE" ] && break
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$BASE" ] || fail "portex serve did not start: $(cat "$T/serve.log")"
}

serve_stop() {
	kill -TERM "$SERVE_PID"
	local rc=0
	wait "$SERVE_PID" || rc=$?
	trap - EXIT
	[ "$rc" = 0 ] || fail "portex serve exited $rc after SIGTERM: $(tail -5 "$T/serve.log")"
}

api() {
	local method=$1 path=$2
	shift 2
	curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$method" \
		-H "Authorization: Bearer $PX_TEST_TOKEN" "$@" "$BASE$path"
}

# create JSON: POST /v1/exports with that body; prints the status code
create() {
	api POST /v1/exports -H 'Content-Type: application/json' --data-binary "$1"
}

# body EXPR: evaluates EXPR on the last JSON body bound to j
body() {
	jget "$T/body" "$1"
}

# header NAME: the last response's header value
header() {
	tr -d '\r' <"$T/headers" | awk -v n="$1" 'BEGIN{IGNORECASE=1} index(tolower($0), tolower(n) ": ") == 1 {sub(/^[^:]*: /, ""); print; exit}'
}

# wait_status ID STATUS...: polls GET /v1/exports/ID until its status is
# one of STATUS (a bounded wait, not a timing assertion)
wait_status() {
	local id=$1 st
	shift
	for _ in $(seq 600); do
		[ "$(api GET "/v1/exports/$id")" = 200 ] || fail "GET /v1/exports/$id: $(cat "$T/body")"
		st=$(body 'j["status"]')
		for want in "$@"; do
			[ "$st" = "$want" ] && return 0
		done
		sleep 0.1
	done
	fail "export $id stayed $st, expected $*: $(cat "$T/body")"
}

# slow_source N: the demo's source also yields N generated connection
# records for the subject (a table `knob` holds N, so it can change)
slow_source() {
	sqlite3 "$T/out/demo.db" "CREATE TABLE IF NOT EXISTS knob (n INTEGER);
		DELETE FROM knob; INSERT INTO knob VALUES ($1);"
	edit_config "c['sources'][0]['collections'].append({'entity': 'connection', 'category': 'observed', 'query': 'WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < (SELECT n FROM knob)) SELECT \\'2024-01-01T00:00:00Z\\' AS at, \\'login\\' AS event FROM k WHERE :classe_user_id IS NOT NULL'})"
}

ALICE='{"subject": {"email": "alice.martin@example.org"}}'

# conforms SCHEMA: the last body is valid against components/schemas/SCHEMA
# of docs/openapi.yaml (python3-jsonschema, draft 2020-12 as OpenAPI 3.1)
conforms() {
	/usr/bin/python3 - "$PX_TOP/docs/openapi.yaml" "$1" "$T/body" <<'PY' || fail "body does not follow the OpenAPI schema $1: $(cat "$T/body")"
import json, sys, yaml, jsonschema
doc = yaml.safe_load(open(sys.argv[1]))
schema = {"$ref": "#/components/schemas/" + sys.argv[2], "components": doc["components"]}
jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(json.load(open(sys.argv[3])))
PY
}

# hook_start: the portal's webhook receiver on a free port; it logs each
# call to $T/hook.log ({ts, sig, id, body, answered}) and answers 500 to
# the first call, and to every call while $T/hook.fail exists; else 204.
# $HOOK_URL; $hook its pid.
hook_start() {
	cat >"$T/hook.py" <<'PY'
import http.server, json, os, sys
calls = []
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        calls.append(1)
        code = 500 if len(calls) == 1 or os.path.exists(sys.argv[3]) else 204
        with open(sys.argv[2], "a") as f:
            f.write(json.dumps({"ts": self.headers["X-Portex-Timestamp"],
                                "sig": self.headers["X-Portex-Signature"],
                                "id": self.headers["X-Portex-Delivery"],
                                "body": body.decode(), "answered": code}) + "\n")
        self.send_response(code)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()
PY
	/usr/bin/python3 "$T/hook.py" "$T/hook.port" "$T/hook.log" "$T/hook.fail" &
	hook=$!
	for _ in $(seq 100); do [ -s "$T/hook.port" ] && break; sleep 0.05; done
	HOOK_URL="http://127.0.0.1:$(cat "$T/hook.port")/portex"
	export PX_TEST_HOOK_SECRET=hook-secret-00112233445566778899
}

# hook_calls N: waits (bounded) until the receiver has had N calls
hook_calls() {
	for _ in $(seq 200); do [ "$(wc -l <"$T/hook.log" 2>/dev/null)" -ge "$1" ] && break; sleep 0.05; done
	[ "$(wc -l <"$T/hook.log" 2>/dev/null)" -ge "$1" ] || fail "expected $1 webhook calls: $(cat "$T/hook.log" 2>/dev/null)"
}

# hook_taken N: waits (bounded) until the receiver has taken N calls (204)
hook_taken() {
	for _ in $(seq 200); do [ "$(grep -c '"answered": 204' "$T/hook.log" 2>/dev/null)" -ge "$1" ] && break; sleep 0.05; done
	[ "$(grep -c '"answered": 204' "$T/hook.log" 2>/dev/null)" -ge "$1" ] || fail "expected $1 webhooks taken: $(cat "$T/hook.log" 2>/dev/null)"
}

# hook_signed: every call the receiver had is signed with the secret
hook_signed() {
	/usr/bin/python3 - "$T/hook.log" "$PX_TEST_HOOK_SECRET" <<'PY' || fail "a webhook is not signed: $(cat "$T/hook.log")"
import hashlib, hmac, json, sys
for line in open(sys.argv[1]):
    c = json.loads(line)
    want = "v1=" + hmac.new(sys.argv[2].encode(), (c["ts"] + "." + c["body"]).encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(want, c["sig"]), (want, c["sig"])
    assert json.loads(c["body"])["export"]["id"] == int(c["id"]), c
PY
}
