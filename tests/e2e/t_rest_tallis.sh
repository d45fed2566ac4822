#!/bin/bash
# End-to-end: Tallis (tests/mock/tallis.py), a partner in a style unlike
# Polylearn's, exported from its profile alone (tests/mock/tallis.json):
# mutual TLS, OAuth2 client_secret_post with an audience, static headers, a
# POST search, body next links (JSON:API, HAL, OData), starting_after +
# has_more, sub-resources and per-item details, order lines in cents, an
# async export job (NDJSON, CSV), documents by URL, RateLimit-* pacing; and
# each fault of those paths ending with a clear error and no package.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/rest_lib.sh"

export TL_CLIENT_ID=tallis-portex TL_CLIENT_SECRET=tl-s3cret-5e6f7a8b9c0d
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

# pki: a CA, the server's certificate for 127.0.0.1, a client certificate.
pki() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
		-keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
	for who in server client; do
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$who" \
			-keyout "$T/$who.key" -out "$T/$who.csr" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1\n' >"$T/$who.ext"
		openssl x509 -req -in "$T/$who.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
			-CAcreateserial -days 2 -extfile "$T/$who.ext" \
			-out "$T/$who.pem" 2>/dev/null
	done
}

# tallis_start: the mock over HTTPS, client certificates required.
tallis_start() {
	pki
	mock_start --tls-cert "$T/server.pem" --tls-key "$T/server.key" \
		--client-ca "$T/ca.pem"
	URL="https://127.0.0.1:$PORT"
	MOCK_CURL_ARGS="--cacert $T/ca.pem --cert $T/client.pem --key $T/client.key"
}

# tallis_config [PROFILE] [EXTRA_JSON]
tallis_config() {
	/usr/bin/python3 - "$T/cfg.json" "$URL" "${1:-$PX_TOP/tests/mock/tallis.json}" "${2:-{\}}" "$T" <<'PY'
import json, sys
path, url, prof, extra, t = sys.argv[1:]
src = {"name": "tallis", "connector": "rest", "profile": prof,
       "base_url": url + "/tallis", "concurrency": 2,
       "ca_file": t + "/ca.pem", "client_cert": t + "/client.pem",
       "client_key": t + "/client.key",
       "auth": {"client_id": "${TL_CLIENT_ID}", "client_secret": "${TL_CLIENT_SECRET}"}}
src.update(json.loads(extra))
json.dump({"controller": {"name": "T", "contact": "dpo@example.org"},
           "ledger": "sqlite:ledger.db", "sources": [src]}, open(path, "w"), indent=1)
PY
}

# has ENTITY JSON_FRAGMENT: data/ENTITY.json holds the fragment
has() {
	grep -qF -- "$2" "$T/pkg/data/$1.json" || fail "$1 lacks $2: $(head -c 1500 "$T/pkg/data/$1.json")"
}

test_tallis_exports_from_its_profile_alone() {
	tallis_start
	tallis_config
	expect_exit 0 export_subject alice@example.org
	check_package
	for e in profile:1 progress:5 purchase:14 score:4 document:3 connection:5 consent:2 licence:3 answer:3; do
		[ "$(records "${e%:*}")" = "${e#*:}" ] ||
			fail "${e%:*}: $(records "${e%:*}") records, expected ${e#*:}"
	done
	unpack "$T/out.zip" "$T/pkg"
	has profile '"birth_date":"1990-07-14"'
	# sub-resources with fields of the parent enrolment
	has progress '"course":"crs-3","course_title":"Course 3"'
	# Paris local time in the autumn overlap: the first (CEST) reading
	has progress '"updated_at":"2024-10-27T00:30:00Z"'
	has progress '"updated_at":"2024-07-02T07:00:00Z"'
	has progress '"time_spent_seconds":4500'
	# order lines in cents, with the order's fields
	has purchase '"order":"ord_1","product":"SKU-1-1","quantity":1,"amount":"19.90","currency":"EUR"'
	has purchase '"order":"ord_3","product":"SKU-3-1","quantity":1,"amount":"-20.10"'
	has purchase '"order":"ord_7","product":"SKU-7-2"'
	# per-attempt details: {value, scale}, epoch microseconds
	has score '"assessment":"quiz-1","score":15.1'
	has score '"taken_at":"2023-11-14T22:14:20.250Z"'
	# async export: NDJSON with epoch nanoseconds and ISO durations, CSV
	has connection '"at":"2023-11-14T23:13:20.123Z","event":"login"'
	has connection '"duration_seconds":60'
	has consent '"purpose":"analytics, \"basic\"","given":false,"at":"2024-01-15T07:30:00Z"'
	# a ZIP export: licences from two JSON members (in the archive's
	# order), answers from its CSV member; one job for both entities
	/usr/bin/python3 - "$T/pkg/data" <<'PY' || fail "licences or answers from the ZIP export are not exact"
import json, sys
d = sys.argv[1]
lic = [(r["id"], r["product"], r["starts_at"], r["ends_at"], r["status"])
       for r in json.load(open(d + "/licence.json"))["records"]]
assert lic == [("lic-1", "Manuel 1", "2023-11-15T22:13:20Z", "2024-11-14T22:13:20Z", "expired"),
               ("lic-2", "Manuel 2", "2023-11-16T22:13:20Z", "2024-11-15T22:13:20Z", "active"),
               ("lic-3", "Manuel 3", "2023-11-17T22:13:20Z", "2024-11-16T22:13:20Z", "active")], lic
ans = [(r["question"], r["response"], r["correct"], r["submitted_at"])
       for r in json.load(open(d + "/answer.json"))["records"]]
assert ans == [("q-1", 'réponse 1, "libre"', True, "2024-03-01T13:00:00Z"),
               ("q-2", 'réponse 2, "libre"', False, "2024-03-02T13:00:00Z"),
               ("q-3", 'réponse 3, "libre"', True, "2024-03-03T13:00:00Z")], ans
PY
	[ "$(mock_stat exports_started)" = 3 ] ||
		fail "$(mock_stat exports_started) export jobs started: sessions, consents, and one archive for licences and answers"
	# documents by URL, bytes in files/
	for i in 1 2 3; do
		grep -q "cert-$i.pdf" "$T/pkg/files/tallis/cert-$i.pdf" ||
			fail "cert-$i.pdf is not the downloaded document: $(ls -R "$T/pkg/files")"
	done
	# 204 No Content: no annotation
	if [ -e "$T/pkg/data/annotation.json" ] && [ "$(records annotation)" != 0 ]; then
		fail "annotations from a 204"
	fi
	[ "$(mock_stat connections)" -le 2 ] || fail "$(mock_stat connections) connections, concurrency is 2"
	[ "$(mock_stat max_inflight)" -le 2 ] || fail "$(mock_stat max_inflight) requests at once, concurrency is 2"
	[ "$(mock_stat ratelimited)" = 0 ] || fail "$(mock_stat ratelimited) requests got 429: the RateLimit headers were not paced"
}

# mock_reset: counters and jobs back to zero
mock_reset() {
	# shellcheck disable=SC2086 # MOCK_CURL_ARGS: several words, for TLS
	curl -sf ${MOCK_CURL_ARGS:-} -X POST "$URL/_reset" >/dev/null || fail "cannot reach the mock's /_reset"
}

# Per-attempt detail fetches held 0.4 s each by the mock: with concurrency
# 3 the mock sees 3 of them at once (never more), with 1 never two; the
# data files are the same bytes either way.
test_fan_out_requests_go_out_at_once_within_the_bound() {
	local f
	tallis_start
	tallis_config "" '{"concurrency": 1}'
	mock_fault delay -1 /v2/attempts/att-
	expect_exit 0 export_subject alice@example.org
	[ "$(mock_stat max_inflight)" = 1 ] || fail "$(mock_stat max_inflight) requests at once with concurrency 1"
	unpack "$T/out.zip" "$T/one"
	rm -f "$T/out.zip"
	mock_reset
	mock_fault delay -1 /v2/attempts/att-
	tallis_config "" '{"concurrency": 3}'
	expect_exit 0 export_subject alice@example.org
	check_package
	[ "$(mock_stat max_inflight)" = 3 ] || fail "$(mock_stat max_inflight) requests at once, concurrency is 3"
	[ "$(mock_stat connections)" -le 3 ] || fail "$(mock_stat connections) connections, concurrency is 3"
	[ "$(mock_stat ratelimited)" = 0 ] || fail "$(mock_stat ratelimited) requests got 429 with requests at once"
	unpack "$T/out.zip" "$T/three"
	for f in "$T"/one/data/*.json; do
		cmp -s "$f" "$T/three/data/${f##*/}" || fail "data/${f##*/} differs between concurrency 1 and 3"
	done
	[ "$(records score)" = 4 ] || fail "$(records score) scores"
}

# Lookups whose keys are known go out together, within the same bound:
# three searches held 0.4 s each by the mock are seen 3 at once with
# concurrency 3, 2 with 2, 1 with 1; the identity found is the same.
test_lookups_go_out_at_once_within_the_bound() {
	local n
	tallis_start
	/usr/bin/python3 - "$PX_TOP/tests/mock/tallis.json" "$T/tl.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
look = p["lookups"][0]
p["lookups"] = [dict(look, provides=k, body=dict(look["body"], limit=i + 2))
                for i, k in enumerate(("tallis_id", "tallis_uid", "tallis_ref"))]
p["endpoints"] = [e for e in p["endpoints"] if e["entity"] == "profile"]
json.dump(p, open(sys.argv[2], "w"))
PY
	for n in 1 2 3; do
		mock_reset
		mock_fault delay -1 /v2/search/users
		tallis_config "$T/tl.json" "{\"concurrency\": $n}"
		rm -f "$T/out.zip"
		expect_exit 0 export_subject alice@example.org
		[ "$(mock_stat max_inflight)" = "$n" ] ||
			fail "$(mock_stat max_inflight) lookups at once, concurrency is $n"
		[ "$(records profile)" = 1 ] || fail "$(records profile) profiles with concurrency $n"
		/usr/bin/python3 - "$T/out.zip" <<'PY' || fail "the identity resolved differs with concurrency $n"
import json, sys, zipfile
m = json.loads(zipfile.ZipFile(sys.argv[1]).read("manifest.json"))
r = m["subject"]["resolved"]
assert r["tallis_id"] == r["tallis_uid"] == r["tallis_ref"] == "tl-u-77", r
PY
	done
}

# Documents by URL go out at once too: the certificates come two a page
# (OData), their files held 0.4 s each by the mock; with concurrency 1 never
# two at once, with 2 and 3 two (a page's worth), never more; the files
# and records are the same bytes either way.
test_documents_go_out_at_once_within_the_bound() {
	local n f
	tallis_start
	/usr/bin/python3 - "$PX_TOP/tests/mock/tallis.json" "$T/tl.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["endpoints"] = [e for e in p["endpoints"] if e["entity"] in ("profile", "document")]
json.dump(p, open(sys.argv[2], "w"))
PY
	for n in 1 2 3; do
		mock_reset
		mock_fault delay -1 /files/cert-
		tallis_config "$T/tl.json" "{\"concurrency\": $n}"
		rm -f "$T/out.zip"
		expect_exit 0 export_subject alice@example.org
		check_package
		[ "$(mock_stat max_inflight)" = "$((n < 2 ? n : 2))" ] ||
			fail "$(mock_stat max_inflight) downloads at once with concurrency $n"
		[ "$(mock_stat connections)" -le "$n" ] || fail "$(mock_stat connections) connections, concurrency is $n"
		unpack "$T/out.zip" "$T/c$n"
	done
	for f in data/document.json files/tallis/cert-1.pdf files/tallis/cert-2.pdf files/tallis/cert-3.pdf; do
		{ cmp -s "$T/c1/$f" "$T/c2/$f" && cmp -s "$T/c1/$f" "$T/c3/$f"; } ||
			fail "$f differs between concurrency 1, 2 and 3"
	done
	grep -q "cert-3.pdf" "$T/c2/files/tallis/cert-3.pdf" || fail "cert-3.pdf is not its document"
}

test_concurrency_past_16_is_refused() {
	tallis_start
	tallis_config "" '{"concurrency": 17}'
	expect_exit 78 export_subject alice@example.org
	expect_err "/concurrency"
	expect_err "expected a whole number from 1 to 16"
}

test_tallis_refuses_a_client_without_its_certificate() {
	tallis_start
	tallis_config "" '{"client_cert": null, "client_key": null, "max_attempts": 1}'
	/usr/bin/python3 - "$T/cfg.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for k in ("client_cert", "client_key"):
    del c["sources"][0][k]
json.dump(c, open(sys.argv[1], "w"))
PY
	failed_cleanly 69 "source tallis" "OAuth2 token"
}

# tallis_profile SED: a copy of the profile, edited, in $T/tl.json
tallis_profile() {
	sed "$1" "$PX_TOP/tests/mock/tallis.json" >"$T/tl.json"
	tallis_config "$T/tl.json"
}

test_export_job_that_never_finishes_fails_69() {
	tallis_start
	tallis_profile 's/"max_wait_seconds": 20$/"max_wait_seconds": 2/'
	mock_fault job-never-finishes -1 /v2/exports
	failed_cleanly 69 "source tallis" "collection connection" \
		"export job is not finished after max_wait_seconds" "running"
}

# A ZIP export the directory of which gives it away is refused before any
# member is inflated, with portex verify's limits; a member the profile
# names must be there. Each: exit 65, what and where, no package.
test_zip_export_bomb_is_refused_65() {
	tallis_start
	tallis_config
	mock_fault zip-bomb -1 /v2/exports
	failed_cleanly 65 "source tallis" "collection licence" \
		"ZIP archive is refused" "licences/part-2.json" "a zip bomb?"
}

test_zip_export_member_missing_fails_65() {
	tallis_start
	tallis_config
	mock_fault zip-no-answers -1 /v2/exports
	failed_cleanly 65 "source tallis" "collection answer" \
		'no member matching "answers.csv"' "licences/part-1.json"
}

test_zip_export_corrupt_archive_fails_65() {
	tallis_start
	tallis_config
	mock_fault zip-corrupt -1 /v2/exports
	failed_cleanly 65 "source tallis" "collection licence" \
		"the export file is not a sound ZIP archive"
}

test_zip_export_unsafe_member_name_fails_65() {
	tallis_start
	tallis_config
	mock_fault zip-unsafe -1 /v2/exports
	failed_cleanly 65 "source tallis" "collection licence" \
		'entry "../answers.csv": unsafe name'
}

# A total cap below the archive's size (max_unzipped_bytes) is refused the
# same way.
test_zip_export_over_max_unzipped_bytes_fails_65() {
	tallis_start
	tallis_profile 's/"member_format": "json",/"member_format": "json", "max_unzipped_bytes": 100,/'
	failed_cleanly 65 "collection licence" "expand to more than 100 bytes"
}

# The export file goes to a work file; its cap (max_bytes) still holds.
test_export_file_over_max_bytes_fails_65() {
	tallis_start
	tallis_profile 's/"poll_seconds": 1,/"poll_seconds": 1, "max_bytes": 300,/'
	failed_cleanly 65 "source tallis" "collection connection" "size cap of 300 bytes"
}

test_detail_fetch_404_fails_65() {
	tallis_start
	tallis_config
	mock_fault 404 1 /v2/attempts/att-3
	failed_cleanly 65 "source tallis" "collection score" "/v2/attempts/att-3" "HTTP 404"
}

test_document_over_the_size_cap_fails_65() {
	tallis_start
	tallis_config
	mock_fault big-file 1 /files/cert-2
	failed_cleanly 65 "source tallis" "collection document: record 2" \
		"size cap of 100000 bytes"
}

# A document goes to a work file on its way, not to memory: 3 MB arrive
# whole, byte for byte, also after a 429 on the first attempt.
test_large_document_is_stored_whole() {
	tallis_start
	tallis_profile 's/"max_bytes": 100000/"max_bytes": 4000000/'
	mock_fault 429 1 /files/cert-1
	mock_fault large-file 1 /files/cert-1
	expect_exit 0 export_subject alice@example.org
	check_package
	unpack "$T/out.zip" "$T/pkg"
	/usr/bin/python3 - "$T/pkg/files/tallis/cert-1.pdf" <<'PY' || fail "cert-1.pdf is not the 3 MB document"
import sys
want = (bytes(range(256)) * 256 * 46)[:3000000]
assert open(sys.argv[1], "rb").read() == want
PY
	grep -q "cert-2.pdf" "$T/pkg/files/tallis/cert-2.pdf" || fail "cert-2.pdf is not its own document"
	grep -q '"size":3000000' "$T/pkg/data/document.json" || fail "size: $(cat "$T/pkg/data/document.json")"
}

# private_key_jwt (RFC 7523): the token request carries a JWT signed with
# the client's RSA key; the mock checks the RS256 signature with openssl and
# the claims. A key the partner does not know is refused, and no form of
# the key reaches the output.
jwt_setup() {
	tallis_start
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/jwt.key" 2>/dev/null
	openssl pkey -in "$T/jwt.key" -pubout -out "$T/jwt.pub" 2>/dev/null
	# shellcheck disable=SC2086
	curl -sf ${MOCK_CURL_ARGS:-} -X POST --data "{\"jwt_public_key\": \"$T/jwt.pub\"}" \
		"$URL/_control" >/dev/null || fail "cannot reach the mock's /_control"
	sed 's/"client_auth": "client_secret_post"/"client_auth": "private_key_jwt"/' \
		"$PX_TOP/tests/mock/tallis.json" >"$T/tl.json"
}

test_private_key_jwt_gets_a_token_without_a_secret() {
	jwt_setup
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/jwt.key\"}}"
	expect_exit 0 export_subject alice@example.org
	check_package
	[ "$(records purchase)" = 14 ] || fail "$(records purchase) purchases"
	[ "$(mock_stat jwt_verified)" -ge 1 ] || fail "no client assertion verified"
}

test_private_key_jwt_with_an_unknown_key_is_refused() {
	jwt_setup
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/other.key\"}, \"max_attempts\": 1}"
	failed_cleanly 78 "source tallis" "OAuth2 token" "credentials refused"
	[ "$(mock_stat jwt_verified)" = 0 ] || fail "a JWT from an unknown key was verified"
	! grep -q "$(sed -n 2p "$T/other.key")" "$T/stderr" "$T/stdout" 2>/dev/null ||
		fail "the private key reached the output"
}

test_private_key_jwt_needs_a_readable_rsa_key() {
	jwt_setup
	echo "not a key" >"$T/bad.key"
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/bad.key\"}}"
	failed_cleanly 78 "/auth/private_key" "expected a PEM RSA private key"
}

# A key with a passphrase and an id: the partner has several keys of
# this client registered and checks the JWT header's kid. The passphrase
# reaches no output, error or ledger file.
test_private_key_jwt_with_kid_and_encrypted_key() {
	local pass=pp-9f8e7d6c5b4a
	jwt_setup
	# shellcheck disable=SC2086
	curl -sf ${MOCK_CURL_ARGS:-} -X POST --data '{"jwt_kid": "portex-2026"}' \
		"$URL/_control" >/dev/null || fail "cannot reach the mock's /_control"
	openssl pkey -in "$T/jwt.key" -aes256 -passout "pass:$pass" -out "$T/enc.key"
	export TL_KEY_PASS=$pass
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/enc.key\", \"private_key_passphrase\": \"\${TL_KEY_PASS}\", \"key_id\": \"portex-2026\"}}"
	expect_exit 0 export_subject alice@example.org
	check_package
	[ "$(mock_stat jwt_verified)" -ge 1 ] || fail "no client assertion verified"
	! grep -rqF "$pass" "$T/stderr" "$T/stdout" "$T/ledger.db" "$T/out.zip" 2>/dev/null ||
		fail "the passphrase reached the output, the ledger or the package"
	# the mock refuses a JWT naming another key id
	rm -f "$T/out.zip"
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/enc.key\", \"private_key_passphrase\": \"\${TL_KEY_PASS}\", \"key_id\": \"other\"}, \"max_attempts\": 1}"
	failed_cleanly 78 "source tallis" "OAuth2 token" "credentials refused"
}

test_private_key_jwt_encrypted_key_needs_its_passphrase() {
	jwt_setup
	openssl pkey -in "$T/jwt.key" -aes256 -passout pass:right-one -out "$T/enc.key"
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/enc.key\"}}"
	failed_cleanly 78 "/auth/private_key" "the key is encrypted" "private_key_passphrase"
	export TL_KEY_PASS=wrong-one-1234
	tallis_config "$T/tl.json" "{\"auth\": {\"client_id\": \"\${TL_CLIENT_ID}\", \"private_key\": \"$T/enc.key\", \"private_key_passphrase\": \"\${TL_KEY_PASS}\"}}"
	failed_cleanly 78 "/auth/private_key_passphrase" "does not decrypt the key"
	! grep -qF "wrong-one-1234" "$T/stderr" "$T/stdout" || fail "the passphrase reached the output"
}

test_rate_limit_of_zero_fails_69() {
	tallis_start
	tallis_config
	mock_fault ratelimit-0 1 /orders
	failed_cleanly 69 "source tallis" "collection purchase" "rate limit is 0"
}

test_source_time_budget_is_reported() {
	tallis_start
	tallis_config "" '{"max_source_seconds": 1}'
	failed_cleanly 69 "source tallis" "max_source_seconds"
}

test_profile_check_validates_a_profile_offline() {
	local p
	for p in tests/mock/tallis.json tests/mock/skillhub.json connectors/polylearn.json; do
		expect_exit 0 "$PORTEX" profile check "$PX_TOP/$p"
		expect_out "$PX_TOP/$p: valid"
	done
	expect_out "endpoint document (observed) (needs polylearn_id)"
	sed 's/"pagination": {"type": "starting_after"/"pagnation": {"type": "starting_after"/' \
		"$PX_TOP/tests/mock/tallis.json" >"$T/typo.json"
	expect_exit 78 "$PORTEX" profile check "$T/typo.json"
	expect_err "$T/typo.json: /endpoints/2/pagnation: unknown key"
	expect_err 'did you mean "pagination"?'
	sed 's/"convert": "minor_units", "scale": 2/"convert": "minor_units", "scale": 99/' \
		"$PX_TOP/tests/mock/tallis.json" >"$T/scale.json"
	expect_exit 78 "$PORTEX" profile check "$T/scale.json"
	expect_err "/endpoints/2/fields/amount/scale"
	sed 's/"member_format": "csv",//' "$PX_TOP/tests/mock/tallis.json" >"$T/zip.json"
	expect_exit 78 "$PORTEX" profile check "$T/zip.json"
	expect_err '/endpoints/9/export: source (profile check): a "zip" export needs "member"'
	expect_exit 78 "$PORTEX" profile check "$T/missing.json"
	expect_err "cannot read the profile"
	expect_exit 64 "$PORTEX" profile lint "$T/typo.json"
}

# The JSON Schema for editors (schemas/rest-profile.json) accepts what
# portex accepts and refuses the same typo, checked by python3-jsonschema.
test_profile_json_schema_matches_the_shipped_profiles() {
	sed 's/"unnest"/"unest"/' "$PX_TOP/tests/mock/tallis.json" >"$T/typo.json"
	/usr/bin/python3 - "$PX_TOP" "$T/typo.json" <<'PY' || fail "the JSON Schema disagrees"
import json, sys, jsonschema
top, typo = sys.argv[1:]
schema = json.load(open(top + "/schemas/rest-profile.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for p in ("connectors/polylearn.json", "tests/mock/skillhub.json", "tests/mock/tallis.json"):
    errs = [e.message for e in v.iter_errors(json.load(open(top + "/" + p)))]
    assert not errs, (p, errs[:3])
assert list(v.iter_errors(json.load(open(typo)))), "the typo passed"
p = json.load(open(top + "/tests/mock/tallis.json"))
del p["endpoints"][9]["export"]["member_format"]
assert list(v.iter_errors(p)), "a zip export without member_format passed"
p["endpoints"][7]["export"]["member"] = "x.csv"
del p["endpoints"][9]
assert list(v.iter_errors(p)), "member in a csv export passed"
PY
	expect_exit 78 "$PORTEX" profile check "$T/typo.json"
	expect_err 'did you mean "unnest"?'
}

run_tests
