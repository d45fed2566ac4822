#!/bin/bash
# End-to-end: every change to a signed package after signing is caught by
# `portex verify`, with a message naming what changed.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

HOSTILE="/usr/bin/python3 $PX_TOP/tests/tools/make_hostile.py"

# signed_package: $T/alice.zip, signed by $T/out/keys/portex.{key,crt}
signed_package() {
	demo_setup
	export_alice --scope access >/dev/null
	"$PORTEX" verify "$T/alice.zip" >/dev/null || fail "fresh package does not verify"
}

# read_entry ZIP NAME OUT: one entry's bytes, with python's zipfile
read_entry() {
	/usr/bin/python3 -c 'import sys, zipfile; open(sys.argv[3], "wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$@"
}

test_one_changed_byte_in_a_data_file_is_named() {
	signed_package
	$HOSTILE flip "$T/bad.zip" "$T/alice.zip" data/score.json
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "data/score.json: SHA-256 differs from META-INF/ASiCManifest.xml (the file was changed)"
	expect_err "data/score.json: SHA-256 differs from manifest.json"
	expect_out "result: NOT VALID"
}

test_an_entry_turned_into_a_symlink_is_refused() {
	signed_package
	# bytes and digests unchanged; unzip would create a link to whatever
	# path the entry's bytes name
	$HOSTILE symlink "$T/bad.zip" "$T/alice.zip" data/score.json
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "data/score.json: not a regular file but a symbolic link"
	expect_out "result: NOT VALID"
}

test_entries_are_regular_files_of_mode_0644() {
	signed_package
	/usr/bin/python3 - "$T/alice.zip" <<'PY' || fail "entry modes"
import sys, zipfile
bad = [(i.filename, oct(i.external_attr >> 16)) for i in zipfile.ZipFile(sys.argv[1]).infolist()
       if i.create_system != 3 or i.external_attr >> 16 != 0o100644]
print(bad, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
	mkdir "$T/x" && cd "$T/x" && unzip -q "$T/alice.zip"
	[ -z "$(find . -type f -perm /022)" ] || fail "group/world-writable: $(find . -type f -perm /022)"
}

test_an_added_file_is_named() {
	signed_package
	$HOSTILE add "$T/bad.zip" "$T/alice.zip" data/extra.json
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "data/extra.json: not listed in META-INF/ASiCManifest.xml (added after signing?)"
}

test_a_removed_file_is_named() {
	signed_package
	$HOSTILE remove "$T/bad.zip" "$T/alice.zip" data/consent.json
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "data/consent.json: listed in META-INF/ASiCManifest.xml but missing from the package (removed?)"
	expect_err "data/consent.json: listed in manifest.json but missing from the package"
}

test_an_edited_manifest_breaks_the_signature() {
	signed_package
	# the attack: change a file, then its digest in the manifest
	$HOSTILE flip "$T/step.zip" "$T/alice.zip" data/score.json
	read_entry "$T/step.zip" data/score.json "$T/score.json"
	read_entry "$T/alice.zip" META-INF/ASiCManifest.xml "$T/m.xml"
	old=$(/usr/bin/python3 -c 'import base64,hashlib,sys,zipfile; print(base64.b64encode(hashlib.sha256(zipfile.ZipFile(sys.argv[1]).read("data/score.json")).digest()).decode())' "$T/alice.zip")
	new=$(openssl dgst -sha256 -binary "$T/score.json" | base64)
	grep -qF "$old" "$T/m.xml" || fail "digest not found in the manifest"
	sed "s|$old|$new|" "$T/m.xml" >"$T/m2.xml"
	$HOSTILE replace "$T/bad.zip" "$T/step.zip" META-INF/ASiCManifest.xml "$T/m2.xml"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "META-INF/ASiCManifest.xml: does not match its signature (the manifest was changed after signing"
	! grep -q "data/score.json: SHA-256 differs from META-INF" "$T/stderr" ||
		fail "the edited manifest was believed"
}

test_a_signature_from_another_key_is_caught() {
	signed_package
	"$PORTEX" keygen --key "$T/evil.key" --cert "$T/evil.crt" --name "intruder" >/dev/null
	read_entry "$T/alice.zip" META-INF/ASiCManifest.xml "$T/m.xml"
	openssl cms -sign -binary -cades -md sha256 -outform DER -in "$T/m.xml" \
		-signer "$T/evil.crt" -inkey "$T/evil.key" -out "$T/evil.p7s"
	$HOSTILE replace "$T/bad.zip" "$T/alice.zip" META-INF/signature001.p7s "$T/evil.p7s"
	# the trusted certificate tells
	expect_exit 1 "$PORTEX" verify "$T/bad.zip" --ca "$T/out/keys/portex.crt"
	expect_err "the signer (CN=intruder) is not trusted by --ca $T/out/keys/portex.crt"
	# without --ca the signature is sound, but manifest.json names another signer
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "manifest.json names the signer \"CN=portex test\" but the signature is by \"CN=intruder\""
	expect_out "signer: CN=intruder"
}

test_a_signature_over_other_bytes_is_caught() {
	signed_package
	printf 'other manifest' >"$T/other.xml"
	openssl cms -sign -binary -cades -md sha256 -outform DER -in "$T/other.xml" \
		-signer "$T/out/keys/portex.crt" -inkey "$T/out/keys/portex.key" -out "$T/o.p7s"
	$HOSTILE replace "$T/bad.zip" "$T/alice.zip" META-INF/signature001.p7s "$T/o.p7s"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "META-INF/ASiCManifest.xml: does not match its signature"
}

test_garbage_signature_is_caught() {
	signed_package
	head -c 300 /dev/urandom >"$T/junk"
	$HOSTILE replace "$T/bad.zip" "$T/alice.zip" META-INF/signature001.p7s "$T/junk"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "META-INF/signature001.p7s: not a DER CMS SignedData"
}

test_compressed_mimetype_is_caught() {
	signed_package
	$HOSTILE mimetype-compressed "$T/bad.zip" "$T/alice.zip"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "mimetype: compressed; it must be stored"
}

test_moved_mimetype_is_caught() {
	signed_package
	$HOSTILE mimetype-last "$T/bad.zip" "$T/alice.zip"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "mimetype: not the first entry of the archive"
}

test_mimetype_with_an_extra_field_is_caught() {
	signed_package
	$HOSTILE mimetype-extra "$T/bad.zip" "$T/alice.zip"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "mimetype: has an extra field; it must have none"
}

test_wrong_mimetype_content_is_caught() {
	signed_package
	printf 'application/zip' >"$T/mt"
	$HOSTILE replace "$T/bad.zip" "$T/alice.zip" mimetype "$T/mt"
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "mimetype: content is not \"application/vnd.etsi.asic-e+zip\""
}

test_unsigned_extra_entry_in_meta_inf_is_caught() {
	signed_package
	$HOSTILE add "$T/bad.zip" "$T/alice.zip" META-INF/manifest.xml
	expect_exit 1 "$PORTEX" verify "$T/bad.zip"
	expect_err "META-INF/manifest.xml: unexpected entry in META-INF/, not covered by the signature"
}

test_json_report_lists_the_problems() {
	signed_package
	$HOSTILE flip "$T/bad.zip" "$T/alice.zip" data/profile.json
	expect_exit 1 "$PORTEX" verify --json "$T/bad.zip"
	/usr/bin/python3 - "$T/stdout" <<'PY' || fail "bad JSON report: $(cat "$T/stdout")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["valid"] is False and r["signature_ok"] is True
assert any(p.startswith("data/profile.json: SHA-256 differs") for p in r["problems"]), r["problems"]
assert r["problem_count"] == len(r["problems"]) == 2
PY
}

run_tests
