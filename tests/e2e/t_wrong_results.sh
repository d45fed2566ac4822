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

run_tests
