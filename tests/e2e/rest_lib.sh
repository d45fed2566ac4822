# rest_lib.sh - the mock partner server and package checks shared by the
# REST end-to-end tests (t_rest.sh, t_rest_tallis.sh). Sourced after lib.sh.

# mock_start [server.py args]: starts the mock on a free port; $PORT, $URL.
# It is stopped when the test's subshell exits, pass or fail.
mock_start() {
	/usr/bin/python3 "$PX_TOP/tests/mock/server.py" --port-file "$T/port" \
		"$@" >"$T/mock.out" 2>"$T/mock.err" &
	MOCK_PID=$!
	# shellcheck disable=SC2064 # this mock's pid, expanded now
	trap "kill $MOCK_PID 2>/dev/null || true; wait $MOCK_PID 2>/dev/null || true" EXIT
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	[ -s "$T/port" ] || fail "mock server did not start: $(cat "$T/mock.err")"
	PORT=$(cat "$T/port")
	URL="http://127.0.0.1:$PORT"
}

# mock_fault NAME [TIMES] [PATH]: the next TIMES requests (-1: all) whose
# path contains PATH get fault NAME.
mock_fault() {
	# shellcheck disable=SC2086 # MOCK_CURL_ARGS: several words, for TLS
	curl -sf ${MOCK_CURL_ARGS:-} -X POST --data "{\"fault\": \"$1\", \"times\": ${2:-1}, \"path\": \"${3:-}\"}" \
		"$URL/_control" >/dev/null || fail "cannot reach the mock's /_control"
}

# mock_stat NAME: a counter from the mock's /_stats
mock_stat() {
	# shellcheck disable=SC2086
	curl -sf ${MOCK_CURL_ARGS:-} "$URL/_stats" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

export_subject() {
	local who=$1
	shift
	"$PORTEX" export --config "$T/cfg.json" --subject "email=$who" \
		--out "$T/out.zip" --unsigned "$@"
}

check_package() {
	expect_valid_package "$T/out.zip"
}

# records ENTITY: how many records data/ENTITY.json holds
records() {
	/usr/bin/python3 -c "import json,sys,zipfile; print(len(json.loads(zipfile.ZipFile(sys.argv[1]).read('data/$1.json'))['records']))" "$T/out.zip"
}

# failed_cleanly CODE TEXT...: exit CODE, stderr names each TEXT, no package
failed_cleanly() {
	local code=$1
	shift
	expect_exit "$code" export_subject alice@example.org
	for t in "$@"; do expect_err "$t"; done
	expect_no_file "$T/out.zip"
}

