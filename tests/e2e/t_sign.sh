#!/bin/bash
# End-to-end: exported packages are signed ASiC-E containers that
# `portex verify` and, with no portex code, openssl + python accept.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

OSSL_VERIFY="$PX_TOP/tests/tools/openssl_verify.sh"

test_demo_package_verifies_with_portex() {
	demo_setup
	expect_exit 0 export_alice --scope access
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --ca "$T/out/keys/portex.crt"
	expect_out "signer: CN=portex test"
	expect_out "signing time: 20"
	expect_out "trust: chain checked against $T/out/keys/portex.crt"
	expect_out "records: 21"
	expect_out "result: valid"
	files=$(/usr/bin/python3 -c "import zipfile,sys; print(sum(1 for n in zipfile.ZipFile(sys.argv[1]).namelist() if n != 'mimetype' and not n.startswith('META-INF/')))" "$T/alice.zip")
	expect_out "files: $files"
	[ ! -s "$T/stderr" ] || fail "stderr not empty: $(cat "$T/stderr")"
}

test_demo_package_verifies_with_openssl_alone() {
	demo_setup
	expect_exit 0 export_alice --scope access
	expect_exit 0 "$OSSL_VERIFY" "$T/alice.zip" "$T/out/keys/portex.crt"
	expect_err "CAdES Verification successful"
	expect_out "0 problems"
}

test_openssl_check_fails_on_a_changed_file() {
	demo_setup
	expect_exit 0 export_alice
	/usr/bin/python3 "$PX_TOP/tests/tools/make_hostile.py" flip \
		"$T/bad.zip" "$T/alice.zip" data/score.json
	expect_exit 1 "$OSSL_VERIFY" "$T/bad.zip" "$T/out/keys/portex.crt"
	expect_err "data/score.json: SHA-256 differs from the manifest"
}

test_signature_has_the_cades_attributes() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	openssl cms -cmsout -print -inform DER \
		-in "$T/pkg/META-INF/signature001.p7s" >"$T/cms.txt"
	for attr in contentType messageDigest signingTime \
		id-smime-aa-signingCertificateV2; do
		grep -q "object: $attr" "$T/cms.txt" ||
			fail "signed attribute $attr missing"
	done
	grep -q "eContent: <ABSENT>" "$T/cms.txt" || fail "signature is not detached"
	grep -q "CN=portex test" "$T/cms.txt" || fail "signer certificate not included"
}

test_manifest_is_asic_e_with_one_reference_per_file() {
	demo_setup
	expect_exit 0 export_alice
	/usr/bin/python3 - "$T/alice.zip" <<'PY' || fail "ASiCManifest.xml is wrong"
import base64, hashlib, sys, urllib.parse, zipfile
import xml.etree.ElementTree as ET
z = zipfile.ZipFile(sys.argv[1])
root = ET.fromstring(z.read("META-INF/ASiCManifest.xml"))
A = "{http://uri.etsi.org/02918/v1.2.1#}"
D = "{http://www.w3.org/2000/09/xmldsig#}"
assert root.tag == A + "ASiCManifest"
(sig,) = root.findall(A + "SigReference")
assert sig.get("URI") == "META-INF/signature001.p7s"
assert sig.get("MimeType") == "application/pkcs7-signature"
refs = {urllib.parse.unquote(r.get("URI")): r for r in root.findall(A + "DataObjectReference")}
data = [n for n in z.namelist() if n != "mimetype" and not n.startswith("META-INF/")]
assert sorted(refs) == sorted(data), (sorted(refs), sorted(data))
for name, r in refs.items():
    assert r.find(D + "DigestMethod").get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    assert base64.b64decode(r.find(D + "DigestValue").text) == hashlib.sha256(z.read(name)).digest()
# a document with a non-ASCII name is percent-encoded in its URI
assert any("%C3%A9" in r.get("URI") for r in refs.values()), "no encoded URI"
PY
}

test_verify_json_report() {
	demo_setup
	expect_exit 0 export_alice --scope access
	expect_exit 0 "$PORTEX" verify --json "$T/alice.zip"
	/usr/bin/python3 - "$T/stdout" <<'PY' || fail "bad JSON report: $(cat "$T/stdout")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["valid"] is True and r["signed"] is True and r["signature_ok"] is True
assert r["chain_checked"] is False
assert r["signer"] == "CN=portex test"
assert r["records"] == 21 and r["files"] > 20
assert r["problems"] == [] and r["problem_count"] == 0
assert r["signing_time"].endswith("Z")
PY
}

test_encrypted_package_opens_with_7z_and_verifies_with_password() {
	demo_setup
	printf 'correct horse battery\n' >"$T/pw"
	expect_exit 0 export_alice --scope access --password-file "$T/pw"
	7z x -y -p'correct horse battery' -o"$T/x" "$T/alice.zip" >/dev/null ||
		fail "7z cannot open the encrypted package"
	grep -q '"entity":"score"' "$T/x/data/score.json" || fail "7z output is not the data"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --password-file "$T/pw" \
		--ca "$T/out/keys/portex.crt"
	expect_out "encrypted: yes"
	expect_out "records: 21"
	expect_exit 0 "$OSSL_VERIFY" "$T/alice.zip" "$T/out/keys/portex.crt" "$T/pw"
	# mimetype, META-INF and the readme stay clear; everything else is AES
	/usr/bin/python3 - "$T/alice.zip" <<'PY' || fail "wrong entries encrypted"
import sys, zipfile
for i in zipfile.ZipFile(sys.argv[1]).infolist():
    enc = bool(i.flag_bits & 1)
    clear = i.filename in ("mimetype", "LISEZMOI-README.txt") or \
        i.filename.startswith("META-INF/")
    assert enc != clear, i.filename
PY
	# The readme reads without the password, says how to open the file and
	# holds nothing of the person; it is listed (so signed) like any file.
	/usr/bin/python3 - "$T/alice.zip" "$T/x/manifest.json" <<'PY' || fail "readme"
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
raw = z.read("LISEZMOI-README.txt")
text = raw.decode("utf-8-sig")
for want in ("7-Zip", "7z x", "mot de passe", "transmis à part", "password",
             "sent to you separately", "index.html"):
    assert want in text, want
for personal in ("Alice", "Martin", "alice.martin", "example.org", "REQ"):
    assert personal not in text, personal
files = {f["path"]: f for f in json.load(open(sys.argv[2]))["files"]}
f = files["LISEZMOI-README.txt"]
assert f["sha256"] == hashlib.sha256(raw).hexdigest() and f["media_type"] == "text/plain", f
PY
	grep -qF 'URI="LISEZMOI-README.txt"' "$T/x/META-INF/ASiCManifest.xml" ||
		fail "the readme is not signed"
	# an unencrypted package has none
	expect_exit 0 export_alice --out "$T/plain.zip"
	/usr/bin/python3 -c 'import sys, zipfile
assert "LISEZMOI-README.txt" not in zipfile.ZipFile(sys.argv[1]).namelist()' \
		"$T/plain.zip" || fail "a readme in an unencrypted package"
}

# export and verify count the same files: every entry but mimetype and
# META-INF/ (the ones the signature covers), as a zip reader lists them.
test_export_and_verify_count_the_same_files() {
	demo_setup
	expect_exit 0 export_alice --scope access --json
	cp "$T/stdout" "$T/export.json"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --ca "$T/out/keys/portex.crt" --json
	/usr/bin/python3 - "$T/export.json" "$T/stdout" "$T/alice.zip" <<'PY' || fail "files counts differ"
import json, sys, zipfile
e, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
names = [n for n in zipfile.ZipFile(sys.argv[3]).namelist()
         if n != "mimetype" and not n.startswith("META-INF/")]
assert e["files"] == v["files"] == len(names), (e["files"], v["files"], len(names))
PY
}

# Personal data in clear beside encrypted entries is a leak verify names.
test_a_clear_file_in_an_encrypted_package_does_not_verify() {
	demo_setup
	printf 'correct horse battery\n' >"$T/pw"
	expect_exit 0 export_alice --password-file "$T/pw"
	/usr/bin/python3 -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "a") as z:
    z.writestr("data/leak.json", "{}")' "$T/alice.zip"
	expect_exit 1 "$PORTEX" verify "$T/alice.zip" --password-file "$T/pw"
	expect_err "data/leak.json: not encrypted, in a package whose other files are"
}

test_encrypted_package_without_or_with_wrong_password_does_not_verify() {
	demo_setup
	printf 'correct horse battery\n' >"$T/pw"
	printf 'wrong\n' >"$T/pw2"
	expect_exit 0 export_alice --password-file "$T/pw"
	expect_exit 1 "$PORTEX" verify "$T/alice.zip"
	expect_err "entries are encrypted and cannot be checked; give --password-file"
	expect_exit 1 "$PORTEX" verify "$T/alice.zip" --password-file "$T/pw2"
	expect_err "wrong password for the encrypted entries"
	! grep -q "wrong" "$T/stdout" || fail "password printed"
}

test_key_readable_by_others_is_refused() {
	demo_setup
	chmod 644 "$T/out/keys/portex.key"
	expect_exit 78 export_alice
	expect_err "signing key $T/out/keys/portex.key has mode 0644"
	expect_err "chmod 600"
	expect_no_file "$T/alice.zip"
}

test_encrypted_key_needs_its_passphrase() {
	demo_setup
	openssl pkey -in "$T/out/keys/portex.key" -aes256 -passout pass:s3cret-phrase \
		-out "$T/out/keys/enc.key"
	chmod 600 "$T/out/keys/enc.key"
	edit_config 'c["signing"]["key"] = "out/keys/enc.key"'
	expect_exit 78 export_alice
	expect_err "is encrypted: give its passphrase"
	expect_no_file "$T/alice.zip"
	printf 'wrong-phrase\n' >"$T/phrase"
	edit_config 'c["signing"]["passphrase_file"] = "phrase"'
	expect_exit 78 export_alice
	expect_err "is the passphrase right?"
	! grep -q "wrong-phrase" "$T/stderr" || fail "passphrase printed"
	printf 's3cret-phrase\n' >"$T/phrase"
	expect_exit 0 export_alice
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --ca "$T/out/keys/portex.crt"
}

test_rsa_key_signs_and_openssl_verifies() {
	demo_setup
	"$PORTEX" keygen --type rsa --key "$T/rsa.key" --cert "$T/rsa.crt" \
		--name "rsa signer" >/dev/null
	expect_exit 0 export_alice --sign-key "$T/rsa.key" --sign-cert "$T/rsa.crt"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --ca "$T/rsa.crt"
	expect_out "signer: CN=rsa signer"
	expect_exit 0 "$OSSL_VERIFY" "$T/alice.zip" "$T/rsa.crt"
}

test_ed25519_key_is_refused_with_a_reason() {
	demo_setup
	"$PORTEX" keygen --type ed25519 --key "$T/ed.key" --cert "$T/ed.crt" >/dev/null
	expect_exit 78 export_alice --sign-key "$T/ed.key" --sign-cert "$T/ed.crt"
	expect_err "cannot make a CMS signature with a ED25519 key"
	expect_err "use an EC P-256 or RSA key"
	expect_no_file "$T/alice.zip"
}

test_key_and_certificate_that_do_not_match_are_refused() {
	demo_setup
	"$PORTEX" keygen --key "$T/other.key" --cert "$T/other.crt" >/dev/null
	expect_exit 78 export_alice --sign-key "$T/other.key" \
		--sign-cert "$T/out/keys/portex.crt"
	expect_err "signing key $T/other.key does not match the certificate"
	expect_no_file "$T/alice.zip"
}

test_chain_certificates_are_included_and_checked() {
	demo_setup
	# a CA, and a signer certificate it issued; the cert file holds both
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/ca.key" -out "$T/ca.crt" -subj "/CN=Test CA" -days 30 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/s.key" -out "$T/s.csr" -subj "/CN=Issued signer" 2>/dev/null
	openssl x509 -req -in "$T/s.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -days 10 -out "$T/s.crt" 2>/dev/null
	chmod 600 "$T/s.key"
	cat "$T/s.crt" "$T/ca.crt" >"$T/chain.pem"
	expect_exit 0 export_alice --sign-key "$T/s.key" --sign-cert "$T/chain.pem"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip" --ca "$T/ca.crt"
	expect_out "issuer: CN=Test CA"
	expect_exit 0 "$OSSL_VERIFY" "$T/alice.zip" "$T/ca.crt"
	# trusted by its CA, not by the demo key's certificate
	expect_exit 1 "$PORTEX" verify "$T/alice.zip" --ca "$T/out/keys/portex.crt"
	expect_err "is not trusted by --ca"
}

test_unsigned_package_does_not_verify() {
	demo_setup
	expect_exit 0 export_alice --unsigned
	expect_exit 1 "$PORTEX" verify "$T/alice.zip"
	expect_err "META-INF/ASiCManifest.xml: missing; the package is not signed"
}

test_verify_usage_errors() {
	expect_exit 64 "$PORTEX" verify
	expect_err "which package?"
	expect_exit 64 "$PORTEX" verify a.zip b.zip
	expect_exit 64 "$PORTEX" verify --bogus a.zip
	expect_exit 74 "$PORTEX" verify "$T/missing.zip"
	expect_err "cannot open $T/missing.zip"
	expect_exit 0 "$PORTEX" verify --help
	expect_out "usage: portex verify"
}

run_tests
