#!/bin/bash
# End-to-end: CAdES-T. With signing.tsa_url, the signature carries an RFC
# 3161 time-stamp from a local TSA (openssl ts -reply behind a tiny HTTP
# server on 127.0.0.1); `openssl ts -verify` and `portex verify` accept it
# and verify shows the TSA's time; a token over other data, a TSA that is
# down, or an untrusted TSA are refused.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

TOOLS="$PX_TOP/tests/tools"

# tsa_start: a TSA in $T/tsa, its URL in $TSA_URL
tsa_start() {
	"$TOOLS/tsa_setup.sh" "$T/tsa"
	/usr/bin/python3 "$TOOLS/tsa_server.py" "$T/tsa" &
	TSA_PID=$!
	trap 'kill $TSA_PID 2>/dev/null' EXIT
	for _ in $(seq 100); do [ -s "$T/tsa/port" ] && break; sleep 0.1; done
	[ -s "$T/tsa/port" ] || fail "the TSA did not start"
	TSA_URL="http://127.0.0.1:$(cat "$T/tsa/port")/tsa"
}

# stamped_alice: $T/alice.zip signed and time-stamped, extracted in $T/x
stamped_alice() {
	demo_setup
	tsa_start
	edit_config "c['signing']['tsa_url'] = '$TSA_URL'"
	export_alice >/dev/null || fail "export with a TSA failed"
	[ "$(wc -l <"$T/tsa/requests")" = 1 ] || fail "expected one request to the TSA"
	unpack "$T/alice.zip" "$T/x"
}

test_openssl_ts_verifies_the_token_over_the_signature_value() {
	stamped_alice
	/usr/bin/python3 "$TOOLS/cms_parts.py" "$T/x/META-INF/signature001.p7s" \
		"$T/sv.bin" "$T/tok.der" || fail "no time-stamp in the signature"
	openssl ts -verify -data "$T/sv.bin" -in "$T/tok.der" -token_in \
		-CAfile "$T/tsa/tsa-ca.pem" >out.txt 2>&1 || fail "openssl ts: $(cat out.txt)"
	grep -q "Verification: OK" out.txt || fail "openssl ts: $(cat out.txt)"
	# and the CAdES signature itself still verifies with openssl cms
	"$TOOLS/openssl_verify.sh" "$T/alice.zip" "$T/out/keys/portex.crt" 2>err.txt ||
		fail "openssl cms: $(cat err.txt)"
}

test_portex_verify_checks_the_time_stamp_and_shows_its_time() {
	stamped_alice
	expect_exit 0 "$PORTEX" verify --tsa-ca "$T/tsa/tsa-ca.pem" "$T/alice.zip"
	expect_out "time-stamp: 20"
	expect_out "by CN=Test TSA (TSA checked against --tsa-ca)"
	expect_out "result: valid"
	tsa_time=$(openssl ts -reply -in <(/usr/bin/python3 "$TOOLS/cms_parts.py" \
		"$T/x/META-INF/signature001.p7s" /dev/null /dev/stdout) -token_in \
		-token_out -text 2>/dev/null | sed -n 's/^Time stamp: //p')
	want=$(date -u -d "$tsa_time" +%Y-%m-%dT%H:%M:%SZ)
	expect_out "time-stamp: $want"
	expect_exit 0 "$PORTEX" verify --json "$T/alice.zip"
	/usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["timestamped"] and r["tsa_time"] == sys.argv[2], r' \
		"$T/stdout" "$want" || fail "JSON report: $(cat "$T/stdout")"
}

test_an_untrusted_tsa_is_refused_with_tsa_ca() {
	stamped_alice
	"$TOOLS/tsa_setup.sh" "$T/other"
	expect_exit 1 "$PORTEX" verify --tsa-ca "$T/other/tsa-ca.pem" "$T/alice.zip"
	expect_err "the time-stamp's signature (CN=Test TSA) does not verify against --tsa-ca"
}

test_a_token_over_other_data_is_refused() {
	stamped_alice
	/usr/bin/python3 "$TOOLS/cms_parts.py" "$T/x/META-INF/signature001.p7s" "$T/sv.bin"
	# change the token's message imprint (SHA-256 of the signature value)
	/usr/bin/python3 - "$T/x/META-INF/signature001.p7s" "$T/sv.bin" "$T/bad.p7s" <<'PY'
import hashlib, sys
sig, sv = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
h = hashlib.sha256(sv).digest()
i = sig.index(h)
open(sys.argv[3], "wb").write(sig[:i] + bytes([h[0] ^ 1]) + sig[i + 1:])
PY
	/usr/bin/python3 "$TOOLS/make_hostile.py" replace "$T/bad.zip" "$T/alice.zip" \
		META-INF/signature001.p7s "$T/bad.p7s"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "is over other data than this signature"
}

test_a_tsa_that_is_down_fails_the_export_and_leaves_nothing() {
	demo_setup
	edit_config "c['signing']['tsa_url'] = 'http://127.0.0.1:9/tsa'"
	expect_exit 69 export_alice
	expect_err "time-stamp authority http://127.0.0.1:9/tsa"
	expect_no_file "$T/alice.zip"
}

test_without_tsa_url_there_is_no_time_stamp_and_tsa_ca_demands_one() {
	demo_setup
	export_alice >/dev/null
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
	! grep -q "time-stamp" "$T/stdout" || fail "a time-stamp without tsa_url"
	"$TOOLS/tsa_setup.sh" "$T/tsa"
	expect_exit 1 "$PORTEX" verify --tsa-ca "$T/tsa/tsa-ca.pem" "$T/alice.zip"
	expect_err "no signature time-stamp (CAdES-T), but --tsa-ca was given"
}

run_tests
