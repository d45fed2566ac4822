#!/bin/bash
# End-to-end: `portex keygen` makes a private key and a certificate that
# openssl accepts as the trust anchor of a CAdES signature.
. "$PX_TOP/tests/e2e/lib.sh"

test_keygen_writes_a_private_key_and_a_certificate() {
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem --name "Ma Société" --days 30
	[ "$(stat -c %a k.pem)" = 600 ] || fail "key mode $(stat -c %a k.pem), expected 600"
	openssl pkey -in k.pem -noout 2>/dev/null || fail "key is not a PEM private key"
	openssl x509 -in c.pem -noout -subject -nameopt utf8 | grep -q "CN *= *Ma Société" ||
		fail "subject: $(openssl x509 -in c.pem -noout -subject)"
	openssl x509 -in c.pem -noout -text >x.txt
	grep -q "id-ecPublicKey" x.txt && grep -q "P-256" x.txt || fail "not an EC P-256 key"
	grep -A1 "Basic Constraints: critical" x.txt | grep -q "CA:FALSE" || fail "basicConstraints"
	grep -A1 "Key Usage: critical" x.txt | grep -q "Digital Signature, Non Repudiation" ||
		fail "keyUsage"
	end=$(openssl x509 -in c.pem -noout -enddate | cut -d= -f2)
	want=$(date -u -d "+30 days" +%s)
	got=$(date -u -d "$end" +%s)
	[ $((got - want)) -lt 120 ] && [ $((want - got)) -lt 120 ] || fail "notAfter $end"
	[ -z "$(ls -A | grep tmp)" ] || fail "temporary file left: $(ls -A)"
}

test_key_is_private_even_with_a_lax_umask() {
	umask 000
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem
	[ "$(stat -c %a k.pem)" = 600 ] || fail "key mode $(stat -c %a k.pem)"
}

test_openssl_accepts_the_self_signed_certificate_as_ca() {
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem
	echo "content" >m.txt
	openssl cms -sign -binary -cades -md sha256 -outform DER -in m.txt \
		-signer c.pem -inkey k.pem -out s.p7s
	openssl cms -verify -binary -cades -inform DER -in s.p7s -content m.txt \
		-CAfile c.pem -purpose any -out /dev/null 2>err.txt ||
		fail "openssl refuses: $(cat err.txt)"
}

test_keygen_rsa_and_ed25519() {
	expect_exit 0 "$PORTEX" keygen --type rsa --key r.pem --cert rc.pem
	openssl pkey -in r.pem -noout -text | grep -q "Private-Key: (3072 bit" ||
		fail "not RSA 3072"
	expect_exit 0 "$PORTEX" keygen --type ed25519 --key e.pem --cert ec.pem
	openssl pkey -in e.pem -noout -text | grep -q "ED25519" || fail "not Ed25519"
}

test_keygen_never_overwrites_without_force() {
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem
	cp k.pem k.orig
	cp c.pem c.orig
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c2.pem
	expect_err "k.pem exists; give --force to replace it"
	[ ! -e c2.pem ] || fail "certificate written though the key was refused"
	expect_exit 64 "$PORTEX" keygen --key k2.pem --cert c.pem
	expect_err "c.pem exists; give --force to replace it"
	[ ! -e k2.pem ] || fail "key written though the certificate was refused"
	cmp -s k.pem k.orig && cmp -s c.pem c.orig || fail "existing files changed"
	expect_exit 0 "$PORTEX" keygen --key k.pem --cert c.pem --force
	! cmp -s k.pem k.orig || fail "--force did not replace the key"
	[ "$(stat -c %a k.pem)" = 600 ] || fail "replaced key mode $(stat -c %a k.pem)"
}

test_keygen_usage_errors() {
	expect_exit 64 "$PORTEX" keygen --key k.pem
	expect_err "--key and --cert are required"
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem --type dsa
	expect_err "--type 'dsa': expected ec, rsa or ed25519"
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem --days 0
	expect_err "--days '0'"
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem --days 1x
	expect_exit 64 "$PORTEX" keygen --key same.pem --cert same.pem
	expect_err "name the same file"
	expect_exit 64 "$PORTEX" keygen --key k.pem --cert c.pem extra
	[ -z "$(ls -A | grep -v -x -e stdout -e stderr)" ] || fail "files written: $(ls -A)"
	expect_exit 0 "$PORTEX" keygen --help
	expect_out "usage: portex keygen"
}

# Issue 13 "keygen creates missing folders": a key's folders are private.
test_keygen_creates_missing_folders_the_keys_private() {
	umask 022
	expect_exit 0 "$PORTEX" keygen --key new/keys/k.pem --cert new/certs/c.pem \
		--ca pub/ca.pem
	[ "$(stat -c %a new/keys/k.pem)" = 600 ] || fail "key mode $(stat -c %a new/keys/k.pem)"
	[ "$(stat -c %a new)" = 700 ] || fail "key's parent folder mode $(stat -c %a new)"
	[ "$(stat -c %a new/keys)" = 700 ] || fail "key folder mode $(stat -c %a new/keys)"
	[ "$(stat -c %a new/certs)" = 755 ] || fail "certificate folder mode $(stat -c %a new/certs)"
	[ "$(stat -c %a pub)" = 755 ] || fail "CA folder mode $(stat -c %a pub)"
	openssl pkey -in new/keys/k.pem -noout 2>/dev/null || fail "key is not a PEM private key"
	openssl verify -CAfile pub/ca.pem new/certs/c.pem >/dev/null ||
		fail "certificate does not chain to the CA"
}

test_keygen_where_a_folder_is_a_file_fails_cleanly() {
	echo x >plain
	expect_exit 73 "$PORTEX" keygen --key plain/k.pem --cert c.pem
	expect_err "--key plain/k.pem: plain is not a folder"
	[ ! -e c.pem ] || fail "certificate written without its key"
	[ -z "$(ls -A | grep -v -x -e stdout -e stderr -e plain)" ] || fail "files left: $(ls -A)"
}

# SIGKILL at the worst moment (tests/tools/kill_at_publish.c): just before
# the key gets its name, then just after. No copy of the private key may
# be left under any other name, and a key never stays without its
# certificate.
test_keygen_killed_while_publishing_leaves_no_copy_of_the_key() {
	cc -shared -fPIC -o "$T/kill.so" "$PX_TOP/tests/tools/kill_at_publish.c" -ldl ||
		fail "cannot build tests/tools/kill_at_publish.c"
	mkdir d
	for when in before after; do
		rm -f d/*
		got=0
		PX_KILL_PATH=d/k.pem PX_KILL_WHEN=$when LD_PRELOAD="$T/kill.so" \
			"$PORTEX" keygen --key d/k.pem --cert d/c.pem >/dev/null 2>&1 || got=$?
		[ "$got" = 137 ] || fail "keygen was not killed $when publishing the key (exit $got)"
		held=$(grep -l "PRIVATE KEY" d/* 2>/dev/null | grep -v -x d/k.pem || true)
		[ -z "$held" ] || fail "killed $when publishing: a copy of the key is left in $held ($(ls -A d))"
		[ -z "$(ls -A d | grep -v -x -e k.pem -e c.pem)" ] ||
			fail "killed $when publishing: files left: $(ls -A d)"
		if [ -e d/k.pem ]; then
			[ -e d/c.pem ] || fail "the key was published without its certificate"
		fi
	done
	[ -e d/k.pem ] || fail "killed after publishing, but no key"
}

run_tests
