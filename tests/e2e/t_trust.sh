#!/bin/bash
# End-to-end: packages are trusted by validators portex did not write:
# GnuTLS certtool, NSS cmsutil, gpgsm and PKI.js take keygen's CA certificate as
# the trust anchor with no warning; the CMS carries no S/MIME capabilities; with
# SOURCE_DATE_EPOCH an unsigned package is the same bytes on every run.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# signed_demo: $T/alice.zip signed by a key from `keygen --ca $T/ca.pem`,
# its manifest and signature extracted into $T/x
signed_demo() {
	demo_setup
	"$PORTEX" keygen --force --key "$T/out/keys/portex.key" \
		--cert "$T/out/keys/portex.crt" --ca "$T/ca.pem" --name "portex test" >/dev/null
	export_alice >/dev/null
	unpack "$T/alice.zip" "$T/x"
}

test_keygen_makes_a_ca_and_a_signer_it_issued() {
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem --ca ca.pem --name "Éd Démo"
	expect_out "CA certificate: ca.pem"
	openssl x509 -in ca.pem -noout -text >ca.txt
	grep -A1 "Basic Constraints: critical" ca.txt | grep -q "CA:TRUE" || fail "CA basicConstraints"
	grep -A1 "Key Usage: critical" ca.txt | grep -q "Certificate Sign" || fail "CA keyUsage"
	openssl x509 -in c.pem -noout -issuer -nameopt utf8 | grep -q "CN *= *Éd Démo CA" ||
		fail "issuer: $(openssl x509 -in c.pem -noout -issuer)"
	# the signer's certificate is first, the CA's follows (the chain)
	[ "$(grep -c 'BEGIN CERTIFICATE' c.pem)" = 2 ] || fail "c.pem lacks the CA"
	openssl verify -CAfile ca.pem c.pem >v.txt 2>&1 || fail "openssl verify: $(cat v.txt)"
	[ "$(stat -c %a ca.pem)" = 644 ] || fail "ca.pem mode $(stat -c %a ca.pem)"
}

test_keygen_ca_path_must_differ() {
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem --ca c.pem
	expect_err "--cert and --ca name the same file c.pem"
	echo old >ca.pem
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem --ca ca.pem
	expect_err "ca.pem exists"
	[ ! -e k.pem ] && [ ! -e c.pem ] || fail "files written though --ca was refused"
}

test_gnutls_certtool_verifies_the_package_without_warning() {
	command -v certtool >/dev/null || fail "certtool missing (scripts/deps.sh check: gnutls-bin)"
	signed_demo
	certtool --p7-verify --load-ca-certificate "$T/ca.pem" --inder \
		--infile "$T/x/META-INF/signature001.p7s" \
		--load-data "$T/x/META-INF/ASiCManifest.xml" >out.txt 2>err.txt ||
		fail "certtool refuses: $(cat out.txt err.txt)"
	grep -q "Signature status: ok" err.txt out.txt || fail "certtool: $(cat out.txt err.txt)"
	! grep -qi "warn" out.txt err.txt || fail "certtool warns: $(grep -i warn out.txt err.txt)"
}

test_nss_cmsutil_verifies_the_package_with_the_ca_as_anchor() {
	command -v cmsutil >/dev/null || fail "cmsutil missing (scripts/deps.sh check: libnss3-tools)"
	signed_demo
	mkdir db
	certutil -N -d sql:db --empty-password
	certutil -A -d sql:db -n portex-ca -t "C,C,C" -i "$T/ca.pem"
	cmsutil -D -d sql:db -i "$T/x/META-INF/signature001.p7s" \
		-c "$T/x/META-INF/ASiCManifest.xml" -o /dev/null >out.txt 2>err.txt ||
		fail "cmsutil refuses: $(cat out.txt err.txt)"
	! grep -qi -e "not trusted" -e "error" -e "warn" out.txt err.txt ||
		fail "cmsutil: $(cat out.txt err.txt)"
}

test_gpgsm_verifies_the_package_with_the_ca_as_anchor() {
	command -v gpgsm >/dev/null || fail "gpgsm missing (scripts/deps.sh check: gpgsm)"
	signed_demo
	export GNUPGHOME="$T/gnupg"
	mkdir -m 700 "$GNUPGHOME"
	# Offline: no CRL to fetch for a one-shot CA; trusted as a root CA.
	printf 'disable-crl-checks\ndisable-dirmngr\n' >"$GNUPGHOME/gpgsm.conf"
	openssl x509 -in "$T/ca.pem" -noout -fingerprint -sha1 |
		sed 's/.*=//; s/://g; s/$/ S/' >"$GNUPGHOME/trustlist.txt"
	trap 'gpgconf --kill gpg-agent' EXIT
	gpgsm --batch --import "$T/ca.pem" 2>err.txt || fail "gpgsm import: $(cat err.txt)"
	gpgsm --batch --status-fd 1 --verify "$T/x/META-INF/signature001.p7s" \
		"$T/x/META-INF/ASiCManifest.xml" >out.txt 2>err.txt ||
		fail "gpgsm refuses: $(cat out.txt err.txt)"
	grep -q "^\[GNUPG:\] GOODSIG" out.txt || fail "gpgsm: $(cat out.txt err.txt)"
	grep -q "^\[GNUPG:\] TRUST_FULLY" out.txt || fail "gpgsm does not trust it: $(cat out.txt err.txt)"
	sed 's/xmlenc#sha256/xmlenc#sha512/' "$T/x/META-INF/ASiCManifest.xml" >bad.xml
	gpgsm --batch --status-fd 1 --verify "$T/x/META-INF/signature001.p7s" bad.xml >out.txt 2>&1 || true
	grep -q "^\[GNUPG:\] BADSIG" out.txt || fail "gpgsm accepted an edited manifest: $(cat out.txt)"
}

PKIJS="$PX_TOP/tests/tools/pkijs_verify.js"

# have_pkijs: pkijs is under build/npm (scripts/deps.sh npm); skips, with a
# message, only where npm is absent
have_pkijs() {
	have_npm_tool "$PX_TOP/build/npm/node_modules/pkijs/package.json" pkijs
}

# pkijs_verify SIG DATA CA: tests/tools/pkijs_verify.js, output in out.txt
pkijs_verify() {
	node "$PKIJS" "$@" >out.txt 2>&1
}

test_pkijs_verifies_the_package_with_the_ca_as_only_anchor() {
	have_pkijs || return 0
	signed_demo
	pkijs_verify "$T/x/META-INF/signature001.p7s" "$T/x/META-INF/ASiCManifest.xml" "$T/ca.pem" ||
		fail "pkijs refuses keygen's package: $(cat out.txt)"
	grep -qx "pkijs: signature valid, chain: portex test <- portex test CA" out.txt ||
		fail "pkijs: $(cat out.txt)"
}

test_pkijs_refuses_an_edited_manifest_and_an_untrusted_ca() {
	have_pkijs || return 0
	signed_demo
	sed 's/xmlenc#sha256/xmlenc#sha512/' "$T/x/META-INF/ASiCManifest.xml" >bad.xml
	! pkijs_verify "$T/x/META-INF/signature001.p7s" bad.xml "$T/ca.pem" ||
		fail "pkijs accepted an edited manifest: $(cat out.txt)"
	grep -q "Message digest doesn't match" out.txt || fail "pkijs: $(cat out.txt)"
	"$PORTEX" keygen --key other.key --cert other.crt --ca other-ca.pem --name other >/dev/null
	! pkijs_verify "$T/x/META-INF/signature001.p7s" "$T/x/META-INF/ASiCManifest.xml" other-ca.pem ||
		fail "pkijs accepted another CA as anchor: $(cat out.txt)"
	grep -q "No valid certificate paths found" out.txt || fail "pkijs: $(cat out.txt)"
	# the checker is strict about anchors: a self-signed CA:FALSE certificate,
	# as keygen made before it made a CA, is refused
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout old.key \
		-out old.crt -subj "/CN=old" -days 30 -addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=critical,digitalSignature,nonRepudiation" 2>/dev/null
	openssl cms -sign -binary -nosmimecap -in "$T/x/META-INF/ASiCManifest.xml" -signer old.crt \
		-inkey old.key -outform DER -out old.p7s
	! pkijs_verify old.p7s "$T/x/META-INF/ASiCManifest.xml" old.crt ||
		fail "pkijs accepted a CA:FALSE anchor: $(cat out.txt)"
	grep -q "not a CA certificate" out.txt || fail "pkijs: $(cat out.txt)"
}

test_portex_and_openssl_verify_with_the_ca_only() {
	signed_demo
	expect_exit 0 "$PORTEX" verify --ca "$T/ca.pem" "$T/alice.zip"
	expect_out "result: valid"
	"$PX_TOP/tests/tools/openssl_verify.sh" "$T/alice.zip" "$T/ca.pem" 2>err.txt ||
		fail "openssl: $(cat err.txt)"
}

test_signature_has_no_smime_capabilities() {
	signed_demo
	openssl cms -cmsout -print -inform DER -in "$T/x/META-INF/signature001.p7s" >p.txt
	grep -q "signingTime" p.txt || fail "not the signed attributes: $(head -c 500 p.txt)"
	! grep -qi "smimeCapabilities\|des-cbc\|rc2-cbc" p.txt || fail "S/MIME capabilities present"
}

test_unsigned_package_is_the_same_bytes_with_source_date_epoch() {
	demo_setup
	SOURCE_DATE_EPOCH=1700000000 TZ=UTC export_alice --unsigned --out "$T/a.zip" >/dev/null
	sleep 2
	SOURCE_DATE_EPOCH=1700000000 TZ=Pacific/Kiritimati export_alice --unsigned --out "$T/b.zip" >/dev/null
	cmp "$T/a.zip" "$T/b.zip" || fail "two runs differ"
	/usr/bin/python3 - "$T/a.zip" <<'PY' || fail "entry times"
import sys, zipfile
t = {i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}
print(t, file=sys.stderr)
sys.exit(0 if t == {(2023, 11, 14, 22, 13, 20)} else 1)
PY
}

RESIGN="$PX_TOP/tests/tools/resign_manifest.sh"

# resigned ALG [EXT [DOREXT]]: $T/r.zip, alice.zip's manifest rewritten
# and signed again by openssl
resigned() {
	"$RESIGN" "$T/alice.zip" "$T/r.zip" "$T/out/keys/portex.key" \
		"$T/out/keys/portex.crt" "$@"
}

test_verify_accepts_sha384_sha512_and_sha3_manifests_made_by_openssl() {
	signed_demo
	for alg in sha384 sha512 sha3-256; do
		resigned $alg
		expect_exit 0 "$PORTEX" verify --ca "$T/ca.pem" "$T/r.zip"
		expect_out "result: valid"
	done
	# and a changed file is still caught under SHA-512
	resigned sha512
	/usr/bin/python3 "$PX_TOP/tests/tools/make_hostile.py" flip "$T/bad.zip" "$T/r.zip" data/score.json
	expect_exit 1 "$PORTEX" verify --ca "$T/ca.pem" "$T/bad.zip"
	expect_err "data/score.json: SHA-512 differs from META-INF/ASiCManifest.xml"
}

test_verify_refuses_sha1_and_md5() {
	signed_demo
	resigned sha1
	expect_exit 1 "$PORTEX" verify --ca "$T/ca.pem" "$T/r.zip"
	expect_err "digest algorithm http://www.w3.org/2000/09/xmldsig#sha1 is not one of SHA-256"
}

test_verify_accepts_non_critical_extensions() {
	signed_demo
	resigned sha256 '<asic:Extension Critical="false"><x:note xmlns:x="urn:example">made <x:b>elsewhere</x:b></x:note></asic:Extension>' \
		'<asic:Extension><x:hint xmlns:x="urn:example"/></asic:Extension>'
	expect_exit 0 "$PORTEX" verify --ca "$T/ca.pem" "$T/r.zip"
	expect_out "result: valid"
}

test_verify_refuses_critical_extensions_and_bad_order() {
	signed_demo
	resigned sha256 '<asic:Extension Critical="true"><x:must xmlns:x="urn:example"/></asic:Extension>'
	expect_exit 1 "$PORTEX" verify --ca "$T/ca.pem" "$T/r.zip"
	expect_err "a critical Extension portex does not know"
	resigned sha256 ' '
	expect_exit 1 "$PORTEX" verify --ca "$T/ca.pem" "$T/r.zip"
	expect_err "an extensions list without Extension"
}

run_tests
