#!/bin/bash
# Issue 9, silent wrong results: each case once exited 0 (or with a code
# that says something false) while the package or the answer was wrong.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# "mail=" or "Email=" once ended as "found in no source" (67), which reads
# as "we hold nothing about you".
test_subject_key_no_source_starts_from_is_a_usage_error() {
	demo_setup
	for key in mail Email; do
		expect_exit 64 "$PORTEX" export --config "$T/demo.json" \
			--subject "$key=alice.martin@example.org" --out "$T/alice.zip"
		expect_err "--subject $key: no source starts from this key"
		expect_err "(did you mean email?)"
		expect_err "the sources can start from: email"
		expect_no_file "$T/alice.zip"
	done
}

test_unknown_field_alias_names_the_nearest_valid_field() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][0]["query"] = "SELECT first_name AS givn_name FROM users WHERE id = :classe_user_id"'
	expect_exit 65 export_alice
	expect_err '"givn_name" is not in the schema (did you mean "given_name"?)'
	expect_err "valid fields: "
	expect_err "family_name"
	expect_no_file "$T/alice.zip"
}

# `portex due 2026-01-31 >/dev/full` once exited 0 with nothing written.
test_output_that_cannot_be_written_exits_74() {
	[ -w /dev/full ] || fail "no /dev/full on this machine"
	for cmd in "due 2026-01-31" "due 2026-01-31 --json" "--version" \
		"export --help"; do
		got=0
		# shellcheck disable=SC2086
		"$PORTEX" $cmd >/dev/full 2>"$T/stderr" || got=$?
		[ "$got" = 74 ] || fail "portex $cmd >/dev/full: exit $got, expected 74"
		expect_err "cannot write to standard output"
	done
}

run_tests
