#!/bin/bash
# End-to-end: `portex due` prints the legal due date alone on the first
# line, for the examples of issue 6 and the options around them.
. "$PX_TOP/tests/e2e/lib.sh"

first_line_is() {
	[ "$(head -n 1 "$T/stdout")" = "$1" ] ||
		fail "first line '$(head -n 1 "$T/stdout")', expected '$1'"
}

test_due_examples_from_the_issue() {
	# 28 February 2026 is a Saturday.
	expect_exit 0 "$PORTEX" due 2026-01-31
	first_line_is 2026-03-02
	# 31 September does not exist: the month's last day.
	expect_exit 0 "$PORTEX" due 2025-08-31
	first_line_is 2025-09-30
	# 8 May 2026 is a holiday (a Friday), then a weekend.
	expect_exit 0 "$PORTEX" due 2026-04-08
	first_line_is 2026-05-11
	# 2024 is a leap year.
	expect_exit 0 "$PORTEX" due 2024-01-31
	first_line_is 2024-02-29
}

test_due_extended_is_three_months_from_receipt() {
	# 2026-04-30 is a Thursday.
	expect_exit 0 "$PORTEX" due 2026-01-31 --extended
	first_line_is 2026-04-30
	# 28 February 2026 is a Saturday again.
	expect_exit 0 "$PORTEX" due --extended 2025-11-30
	first_line_is 2026-03-02
}

test_due_alsace_moselle_adds_good_friday_and_st_stephen() {
	# 3 April 2026 is Good Friday there, then a weekend and Easter Monday.
	expect_exit 0 "$PORTEX" due 2026-03-03
	first_line_is 2026-04-03
	expect_exit 0 "$PORTEX" due 2026-03-03 --calendar FR-ALSACE-MOSELLE
	first_line_is 2026-04-07
	# 26 December 2025 is a Friday.
	expect_exit 0 "$PORTEX" due 2025-11-26 --calendar fr-alsace-moselle
	first_line_is 2025-12-29
}

test_due_suspension_moves_the_limit_then_onto_a_working_day() {
	# 2026-02-05 + 10 days = Sunday 15 February.
	expect_exit 0 "$PORTEX" due 2026-01-05 --suspended 10
	first_line_is 2026-02-16
}

test_due_json_gives_both_limits() {
	expect_exit 0 "$PORTEX" due 2026-01-31 --json
	/usr/bin/python3 - "$T/stdout" <<'PY' || fail "JSON: $(cat "$T/stdout")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j == {"received": "2026-01-31", "calendar": "FR", "suspended_days": 0,
             "due": "2026-03-02", "extended": "2026-04-30"}, j
PY
}

test_due_impossible_date_is_refused() {
	expect_exit 65 "$PORTEX" due 2026-02-30
	expect_err "2026-02-30 is not a date: February 2026 has 28 days"
	[ ! -s "$T/stdout" ] || fail "printed something on stdout"
	expect_exit 65 "$PORTEX" due 2026-2-3
	expect_err "expected YYYY-MM-DD"
}

test_due_unknown_calendar_names_the_known_ones() {
	expect_exit 64 "$PORTEX" due 2026-01-31 --calendar BE
	expect_err "unknown calendar 'BE': expected one of FR, FR-ALSACE-MOSELLE"
}

test_due_without_date_is_a_usage_error() {
	expect_exit 64 "$PORTEX" due
	expect_err "expected one DATE"
	expect_exit 0 "$PORTEX" due --help
	expect_out "usage: portex due DATE"
}

run_tests
