#!/bin/bash
# End-to-end: the declared conversions (minor_units, timezone) on a SQLite
# source; the cases and scenarios are in conversions.sh, shared with
# t_conversions_pg.sh.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/conversions.sh"
BACKEND=sqlite

test_cents_and_paris_wall_clock_times_become_decimals_and_utc() {
	scenario_cents_and_paris_wall_clock_times_become_decimals_and_utc
}

test_a_timestamp_column_is_read_in_the_declared_zone() {
	scenario_a_timestamp_column_is_read_in_the_declared_zone
}

test_float_cents_convert_only_when_whole() {
	scenario_float_cents_convert_only_when_whole
}

test_a_collection_timezone_wins_over_the_source() {
	scenario_a_collection_timezone_wins_over_the_source
}

test_a_time_in_the_spring_gap_is_refused() {
	scenario_a_time_in_the_spring_gap_is_refused
}

test_bad_declarations_are_config_errors_naming_the_path() {
	scenario_bad_declarations_are_config_errors_naming_the_path
}

run_tests
