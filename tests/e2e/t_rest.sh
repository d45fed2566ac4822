#!/bin/bash
# End-to-end: `portex export` from partner REST APIs (the Polylearn profile
# and a second partner described by a profile alone), against the mock
# partner server on 127.0.0.1 (tests/mock/server.py, CONTRACT.md), with
# each fault it can inject.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/rest_lib.sh"

# The mock's credentials (tests/mock/CONTRACT.md). Exported for ${VAR}.
export PL_CLIENT_ID=portex-test-client
export PL_CLIENT_SECRET=pl-secret-9f8e7d6c5b4a3921
export SH_API_KEY=sk-live-4b3c2d1e0f9a8b7c
# Loopback only: a proxy from the environment must not intercept the mock.
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

# write_config [polylearn] [skillhub] [EXTRA_JSON]: $T/cfg.json with the
# named sources; EXTRA_JSON is merged into every REST source.
write_config() {
	local pl=0 sh=0 extra="{}" a
	for a in "$@"; do
		case $a in
		polylearn) pl=1 ;;
		skillhub) sh=1 ;;
		*) extra=$a ;;
		esac
	done
	/usr/bin/python3 - "$T/cfg.json" "$URL" "$pl" "$sh" "$extra" "$PX_TOP" <<'PY'
import json, sys
path, url, pl, sh, extra, top = sys.argv[1:]
srcs = []
if pl == "1":
    srcs.append({"name": "polylearn", "connector": "rest",
                 "profile": top + "/connectors/polylearn.json",
                 "base_url": url,
                 "auth": {"client_id": "${PL_CLIENT_ID}",
                          "client_secret": "${PL_CLIENT_SECRET}"}})
if sh == "1":
    srcs.append({"name": "skillhub", "connector": "rest",
                 "profile": top + "/tests/mock/skillhub.json",
                 "base_url": url + "/skillhub",
                 "auth": {"api_key": "${SH_API_KEY}"}})
for s in srcs:
    s.update(json.loads(extra))
json.dump({"controller": {"name": "T", "contact": "dpo@example.org"},
           "ledger": "sqlite:ledger.db", "sources": srcs},
          open(path, "w"), indent=1)
PY
}

test_polylearn_export_is_valid_and_complete() {
	mock_start
	write_config polylearn
	expect_exit 0 export_subject alice@example.org
	check_package
	for e in profile:1 licence:2 progress:3 score:2 answer:3 document:1; do
		[ "$(records "${e%:*}")" = "${e#*:}" ] ||
			fail "${e%:*}: $(records "${e%:*}") records, expected ${e#*:}"
	done
	unpack "$T/out.zip" "$T/pkg"
	grep -q '^%PDF-1.4' "$T/pkg/files/polylearn/certificat-bases.pdf" ||
		fail "the base64 certificate was not decoded into its PDF bytes"
	grep -qF '"taken_at":"2023-11-15T00:13:20.500Z"' "$T/pkg/data/score.json" ||
		fail "epoch ms not converted: $(cat "$T/pkg/data/score.json")"
	grep -qF '"status":"in_progress"' "$T/pkg/data/progress.json" ||
		fail "status values not mapped"
	if grep -rlF -e BOB-ONLY -e "Bob secret quiz" -e pl_b0b2 "$T/pkg"; then
		fail "another learner's data is in the package"
	fi
}

test_subject_unknown_to_the_partner_is_not_found_not_an_error() {
	mock_start
	write_config polylearn
	expect_exit 67 export_subject nobody@example.org
	expect_no_file "$T/out.zip"
}

test_second_partner_works_from_its_profile_alone() {
	mock_start
	write_config skillhub
	expect_exit 0 export_subject alice@example.org
	check_package
	[ "$(records connection)" = 7 ] || fail "connections: $(records connection), expected 7 over 3 cursor pages"
	unpack "$T/out.zip" "$T/pkg"
	grep -qF '"amount":"19.90"' "$T/pkg/data/purchase.json" &&
		grep -qF '"amount":"1234567890123456789.01"' "$T/pkg/data/purchase.json" ||
		fail "amounts lost digits: $(cat "$T/pkg/data/purchase.json")"
	[ "$(mock_stat requests)" = 5 ] ||
		fail "$(mock_stat requests) requests, expected 1 lookup + 3 activity pages + 1 orders page"
}

test_429_with_retry_after_seconds_is_waited_out() {
	mock_start
	write_config polylearn
	mock_fault 429 1 /scores
	start=$(date +%s.%N)
	expect_exit 0 export_subject alice@example.org
	end=$(date +%s.%N)
	[ "$(mock_stat faults_served)" = 1 ] || fail "the 429 was not served"
	/usr/bin/python3 -c "import sys; sys.exit(0 if $end - $start >= 0.95 else 1)" ||
		fail "did not wait the 1 s Retry-After"
	check_package
}

test_429_with_retry_after_http_date_is_waited_out() {
	mock_start
	write_config polylearn
	mock_fault 429-date 1 /answers
	expect_exit 0 export_subject alice@example.org
	[ "$(mock_stat faults_served)" = 1 ] || fail "the 429 was not served"
	[ "$(records answer)" = 3 ] || fail "answers incomplete after the 429"
}

test_429_every_time_fails_69_after_the_attempts() {
	mock_start
	write_config polylearn '{"max_attempts": 2}'
	mock_fault 429 -1 /progress
	failed_cleanly 69 "source polylearn" "collection progress" "HTTP 429" \
		"2 attempts"
}

test_one_500_is_retried() {
	mock_start
	write_config polylearn
	mock_fault 500 1 /licences
	expect_exit 0 export_subject alice@example.org
	[ "$(records licence)" = 2 ] || fail "licences incomplete after the 500"
}

test_expired_token_is_refreshed_once() {
	mock_start
	write_config polylearn
	mock_fault expired-token 1 /progress
	expect_exit 0 export_subject alice@example.org
	[ "$(mock_stat tokens_issued)" = 2 ] || fail "tokens issued: $(mock_stat tokens_issued), expected 2"
	[ "$(records progress)" = 3 ] || fail "progress incomplete"
}

test_500_every_time_fails_69_naming_source_endpoint_status() {
	mock_start
	write_config polylearn '{"max_attempts": 3}'
	mock_fault 500 -1 /scores
	failed_cleanly 69 "source polylearn" "collection score" \
		"$URL/v1/learners/pl_7f3a/scores" "HTTP 500" "3 attempts"
	[ "$(mock_stat faults_served)" = 3 ] || fail "$(mock_stat faults_served) attempts, expected 3"
}

test_slow_partner_times_out_69() {
	mock_start --slow-seconds 2.5
	write_config polylearn '{"timeout_seconds": 1, "max_attempts": 2}'
	mock_fault slow -1 /answers
	failed_cleanly 69 "source polylearn" "/v1/learners/pl_7f3a/answers" \
		"timed out"
}

test_retry_budget_bounds_total_time() {
	mock_start
	write_config polylearn '{"max_attempts": 50, "max_total_seconds": 2}'
	mock_fault 500 -1 /scores
	start=$(date +%s)
	failed_cleanly 69 "HTTP 500" "retry budget"
	[ $(($(date +%s) - start)) -le 5 ] || fail "took longer than the budget"
}

test_malformed_json_fails_65() {
	mock_start
	write_config polylearn
	mock_fault malformed 1 /scores
	failed_cleanly 65 "source polylearn" "collection score" \
		"/v1/learners/pl_7f3a/scores" "HTTP 200" "malformed JSON"
}

test_truncated_body_fails_65() {
	mock_start
	write_config polylearn
	mock_fault truncated 1 /answers
	failed_cleanly 65 "source polylearn" "/v1/learners/pl_7f3a/answers" \
		"truncated body"
}

test_next_link_loop_is_detected_65() {
	mock_start
	write_config polylearn
	mock_fault loop -1 /answers
	failed_cleanly 65 "source polylearn" "collection answer" "page loop"
	[ "$(mock_stat faults_served)" -le 3 ] || fail "followed the loop $(mock_stat faults_served) times"
}

test_cursor_loop_is_detected_65() {
	mock_start
	write_config skillhub
	mock_fault loop -1 /activity
	failed_cleanly 65 "source skillhub" "collection connection" "page loop" \
		"same cursor"
}

test_client_error_fails_65_with_body_snippet_and_no_secret() {
	mock_start
	write_config skillhub
	mock_fault echo-secret 1 /orders
	failed_cleanly 65 "source skillhub" "collection purchase" "HTTP 400" \
		"bad_request" "***"
	[ -s "$T/stderr" ] || fail "no stderr captured"
	if grep -F -e "$SH_API_KEY" "$T/stderr"; then
		fail "the API key the server echoed reached stderr"
	fi
}

# request CMD...: `portex request` on $T/cfg.json's ledger
request() {
	"$PORTEX" request "$@" --config "$T/cfg.json"
}

test_secrets_never_reach_stderr_package_or_ledger() {
	mock_start
	write_config polylearn skillhub
	"$PORTEX" keygen --key "$T/k.pem" --cert "$T/c.pem" --name t >/dev/null
	/usr/bin/python3 - "$T/cfg.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["signing"] = {"key": "k.pem", "cert": "c.pem"}
json.dump(c, open(sys.argv[1], "w"))
PY
	request add --subject email=alice@example.org --received 2026-11-02 >/dev/null
	request identity 1 --verified >/dev/null
	# Failures whose bodies echo the token / API key into the error...
	mock_fault echo-secret 1 /licences
	expect_exit 65 request export 1 --out "$T/out.zip"
	expect_err "HTTP 400"
	cat "$T/stderr" >"$T/stderr.all" || fail "no stderr captured"
	mock_fault echo-secret 1 /orders
	expect_exit 65 request export 1 --out "$T/out.zip"
	expect_err "HTTP 400"
	cat "$T/stderr" >>"$T/stderr.all" || fail "no stderr captured"
	# ...then a success through a token refresh and a retry.
	mock_fault expired-token 1 /scores
	mock_fault 500 1 /answers
	expect_exit 0 request export 1 --out "$T/out.zip"
	cat "$T/stderr" "$T/stdout" >>"$T/stderr.all" || fail "no output captured"
	[ "$(mock_stat tokens_issued)" -ge 2 ] || fail "no token refresh happened"
	unpack "$T/out.zip" "$T/pkg"
	[ -s "$T/pkg/manifest.json" ] || fail "the package did not unpack"
	ls "$T"/ledger.db* >/dev/null || fail "no ledger written"
	# the servers did echo the credentials: what stands there is redacted
	grep -qF '"Authorization": "Bearer ***"' "$T/stderr.all" &&
		grep -qF '"X-Api-Key": "***"' "$T/stderr.all" ||
		fail "the echoed credentials are not in the messages: $(cat "$T/stderr.all")"
	b=$(printf '%s:%s' "$PL_CLIENT_ID" "$PL_CLIENT_SECRET" | base64 -w0)
	for s in "$PL_CLIENT_SECRET" "$SH_API_KEY" plt_ "$b"; do
		if grep -rlaF -- "$s" "$T/stderr.all" "$T/pkg" "$T"/ledger.db*; then
			fail "a secret (${s:0:6}...) leaked into the files above"
		fi
	done
}

# Issue 9: a Link header of 2 KiB or more was dropped and paging ended
# early with exit 0 (100 of 10,000 answers).
test_long_link_header_is_followed_to_the_last_page() {
	mock_start
	write_config polylearn
	mock_fault long-link -1 /answers
	expect_exit 0 export_subject many@example.org
	[ "$(mock_stat faults_served)" = 100 ] || fail "$(mock_stat faults_served) long Link headers served, expected 100"
	[ "$(records answer)" = 10000 ] || fail "$(records answer) answers, expected 10000"
}

# Issue 9: a token endpoint echoing the request printed the client secret
# as Basic base64 (client_secret_basic) or URL-encoded (client_secret_post).
test_echoing_token_endpoint_shows_no_form_of_the_secret() {
	mock_start
	export PL_CLIENT_SECRET='pl-s3cret/9f8e 7d+6c&5b=4a'
	local b64 esc how
	b64=$(printf '%s:%s' "$PL_CLIENT_ID" "$PL_CLIENT_SECRET" | base64 -w0)
	esc=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PL_CLIENT_SECRET")
	for how in basic body; do
		sed "s/\"client_auth\": \"basic\"/\"client_auth\": \"$how\"/" \
			"$PX_TOP/connectors/polylearn.json" >"$T/pl-$how.json"
		write_config polylearn "{\"profile\": \"pl-$how.json\"}"
		mock_fault echo-secret 1 /oauth/token
		failed_cleanly 65 "source polylearn" "OAuth2 token" "HTTP 400" \
			"invalid_request"
		# the echo is shown, redacted
		if [ $how = basic ]; then
			expect_err '"auth": "Basic ***"'
		else
			expect_err '"form_secret": "***"'
		fi
		for s in "$PL_CLIENT_SECRET" "$b64" "$esc" "9f8e"; do
			if grep -F -- "$s" "$T/stderr"; then
				fail "client_auth $how: a form of the secret (${s:0:6}...) reached stderr"
			fi
		done
	done
}

# maxrss WHO: peak memory (KiB) of an export of WHO. Under AddressSanitizer
# freed memory is kept in quarantine, which would look like growth.
maxrss() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
		/usr/bin/python3 - "$PORTEX" "$T/cfg.json" "$1" "$T/rss.zip" <<'PY'
import resource, subprocess, sys
px, cfg, who, out = sys.argv[1:]
r = subprocess.run([px, "export", "--config", cfg, "--subject", "email=" + who,
                    "--out", out, "--unsigned", "--force"], capture_output=True)
assert r.returncode == 0, r.stderr
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

test_ten_thousand_items_over_100_pages_on_one_connection() {
	mock_start
	write_config polylearn
	expect_exit 0 export_subject many@example.org
	[ "$(records answer)" = 10000 ] || fail "$(records answer) answers, expected 10000"
	[ "$(mock_stat connections)" = 1 ] || fail "$(mock_stat connections) TCP connections, expected 1"
	# token, lookup, profile, licences, progress, scores, 100 answer pages,
	# certifications
	[ "$(mock_stat requests)" = 107 ] || fail "$(mock_stat requests) requests, expected 107"
	unpack "$T/out.zip" "$T/pkg"
	for q in q-00000 q-05000 q-09999; do
		grep -qF "\"question\":\"$q\"" "$T/pkg/data/answer.json" || fail "$q missing"
	done
}

# Two long exports, so that both have their writer threads (three per
# long entity; under AddressSanitizer each thread's allocator cache counts
# too): 400 pages of answers cost no more than 100.
test_memory_does_not_grow_with_pages() {
	export MOCK_MANY_ANSWERS=10000
	mock_start
	write_config polylearn
	small=$(maxrss many@example.org) || fail "export of 100 pages failed"
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	rm -f "$T/port" # the next mock's port, not this one's
	export MOCK_MANY_ANSWERS=40000
	mock_start
	write_config polylearn
	big=$(maxrss many@example.org) || fail "export of 400 pages failed"
	n=$(/usr/bin/python3 -c "import json,sys,zipfile; print(len(json.loads(zipfile.ZipFile(sys.argv[1]).read('data/answer.json'))['records']))" "$T/rss.zip")
	[ "$n" = 40000 ] || fail "$n answers in the package, expected 40000"
	# 30,000 more answers held at once would take well over 30 MiB more.
	[ "$big" -le $((small + 4096)) ] ||
		fail "peak memory $big KiB for 400 pages, $small KiB for 100"
}

test_unreachable_partner_fails_69() {
	mock_start
	write_config polylearn '{"max_attempts": 2}'
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	failed_cleanly 69 "source polylearn" "127.0.0.1:$PORT"
}

# Refused credentials are a configuration error (78), like transmit's.
test_wrong_client_secret_fails_78_without_echoing_it() {
	mock_start
	write_config polylearn
	export PL_CLIENT_SECRET=not-the-right-secret-123
	failed_cleanly 78 "source polylearn" "OAuth2 token" "HTTP 401 (credentials refused"
	[ -s "$T/stderr" ] || fail "no stderr captured"
	if grep -F -- "not-the-right-secret-123" "$T/stderr"; then
		fail "the client secret reached stderr"
	fi
}

test_tls_is_verified_and_ca_file_trusted() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
		-out "$T/cert.pem" 2>/dev/null
	mock_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	URL="https://127.0.0.1:$PORT"
	write_config polylearn '{"max_attempts": 1}'
	expect_exit 69 export_subject alice@example.org
	expect_err "source polylearn"
	expect_err "certificate"
	expect_no_file "$T/out.zip"
	write_config polylearn "{\"ca_file\": \"$T/cert.pem\"}"
	expect_exit 0 export_subject alice@example.org
}

test_tls_trusts_curl_ca_bundle_and_ssl_cert_file_but_ca_file_wins() {
	unset CURL_CA_BUNDLE SSL_CERT_FILE # the caller's, if any
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" \
		-out "$T/cert.pem" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
		-keyout "$T/okey.pem" -out "$T/other.pem" 2>/dev/null
	mock_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	URL="https://127.0.0.1:$PORT"
	write_config polylearn '{"max_attempts": 1}'
	CURL_CA_BUNDLE="$T/cert.pem" expect_exit 0 export_subject alice@example.org
	rm -f "$T/out.zip"
	SSL_CERT_FILE="$T/cert.pem" expect_exit 0 export_subject alice@example.org
	rm -f "$T/out.zip"
	write_config polylearn "{\"ca_file\": \"$T/other.pem\", \"max_attempts\": 1}"
	CURL_CA_BUNDLE="$T/cert.pem" expect_exit 69 export_subject alice@example.org
	expect_err "certificate"
	write_config polylearn "{\"ca_file\": \"$T/cert.pem\"}"
	CURL_CA_BUNDLE="$T/other.pem" expect_exit 0 export_subject alice@example.org
}

test_plain_http_to_a_remote_host_is_refused() {
	URL=http://partner.example.com
	write_config polylearn
	expect_exit 78 export_subject alice@example.org
	expect_err "/sources/0/base_url"
	expect_err "https://"
}

test_bad_profile_is_a_config_error_naming_file_and_path() {
	mock_start
	sed 's/"epoch_ms"/"epoch_fortnights"/' "$PX_TOP/connectors/polylearn.json" >"$T/bad.json"
	write_config polylearn "{\"profile\": \"bad.json\"}"
	expect_exit 78 export_subject alice@example.org
	expect_err "$T/bad.json: /endpoints/2/fields/started_at"
	expect_no_file "$T/out.zip"
	# Issue 9: unknown keys are not ignored
	sed 's/"pagination"/"pagnation"/' "$PX_TOP/connectors/polylearn.json" >"$T/bad.json"
	expect_exit 78 export_subject alice@example.org
	expect_err "$T/bad.json: /pagnation: unknown key"
	expect_err 'did you mean "pagination"?'
	sed 's/"scope": "learners.read"/"scope": "learners.read", "headers": {}/' \
		"$PX_TOP/connectors/polylearn.json" >"$T/bad.json"
	expect_exit 78 export_subject alice@example.org
	expect_err "$T/bad.json: /auth/headers: unknown key"
	expect_no_file "$T/out.zip"
	write_config polylearn "{\"profile\": \"missing.json\"}"
	expect_exit 78 export_subject alice@example.org
	expect_err "/sources/0/profile"
	expect_err "missing.json"
}

test_missing_secret_is_a_config_error() {
	mock_start
	write_config polylearn '{"auth": {"client_id": "x"}}'
	expect_exit 78 export_subject alice@example.org
	expect_err "/sources/0/auth/client_secret"
}

# One package from PostgreSQL + SQLite + Polylearn.
test_one_package_from_postgresql_sqlite_and_polylearn() {
	[ -n "${PX_PG_DIR:-}" ] || fail "no PostgreSQL test cluster (tests/pg/cluster.sh)"
	demo_setup
	mock_start
	cat >"$T/lms.sql" <<'SQL'
CREATE TABLE users (id int PRIMARY KEY, email text, username text,
	role text, created_at timestamptz);
INSERT INTO users VALUES
	(7, 'Alice.Martin@example.org', 'amartin', 'learner', '2024-09-01 08:00:00+02'),
	(8, 'other@example.org', 'other', 'learner', '2024-09-02 08:00:00+02');
CREATE TABLE logins (user_id int, at timestamptz, ip text);
INSERT INTO logins VALUES (7, '2025-01-10 09:00:00+01', '203.0.113.7'),
	(7, '2025-01-11 09:00:00+01', '203.0.113.7'),
	(8, '2025-01-12 09:00:00+01', '198.51.100.99');
SQL
	db=px_rest_$$
	"$PX_TOP/tests/pg/cluster.sh" load "$db" "$T/lms.sql" >/dev/null 2>&1 ||
		fail "cannot load the LMS database"
	edit_config "
c['sources'].append({'name': 'lms', 'connector': 'postgres', 'conninfo': 'dbname=$db',
  'resolve': [{'provides': 'lms_user_id', 'query': 'SELECT id::text FROM users WHERE lower(email) = lower(:email)'}],
  'collections': [
    {'entity': 'account', 'category': 'provided', 'query': 'SELECT username, email, role, created_at FROM users WHERE id::text = :lms_user_id'},
    {'entity': 'connection', 'category': 'observed', 'query': 'SELECT at, ip FROM logins WHERE user_id::text = :lms_user_id ORDER BY at'}]})
c['sources'].append({'name': 'polylearn', 'connector': 'rest',
  'profile': '$PX_TOP/connectors/polylearn.json', 'base_url': '$URL',
  'auth': {'client_id': '\${PL_CLIENT_ID}', 'client_secret': '\${PL_CLIENT_SECRET}'}})
"
	expect_exit 0 export_alice --scope access
	/usr/bin/python3 -m zipfile -t "$T/alice.zip" >/dev/null || fail "zipfile -t"
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$T/alice.zip" \
		--repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
	unpack "$T/alice.zip" "$T/pkg"
	for src in classe lms polylearn; do
		grep -qF "\"source\":\"$src\"" "$T/pkg/data/"*.json ||
			fail "no records from source $src"
	done
	grep -qF '"username":"amartin"' "$T/pkg/data/account.json" || fail "no LMS account"
	if grep -rlF -e 198.51.100.99 -e pl_b0b2 "$T/pkg"; then
		fail "another person's data is in the package"
	fi
}

run_tests
