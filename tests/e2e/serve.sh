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
