#!/bin/bash
# End-to-end: the declared conversions (minor_units, timezone) on a
# PostgreSQL source (text columns, bigint and float8 cents); the cases and
# scenarios are in conversions.sh, shared with t_conversions.sh.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/conversions.sh"
BACKEND=pg

test_cents_and_paris_wall_clock_times_become_decimals_and_utc_on_postgres() {
	scenario_cents_and_paris_wall_clock_times_become_decimals_and_utc
}

test_a_timestamp_column_is_read_in_the_declared_zone_on_postgres() {
	scenario_a_timestamp_column_is_read_in_the_declared_zone
}

test_float_cents_convert_only_when_whole_on_postgres() {
	scenario_float_cents_convert_only_when_whole
}

test_a_collection_timezone_wins_over_the_source_on_postgres() {
	scenario_a_collection_timezone_wins_over_the_source
}

test_a_time_in_the_spring_gap_is_refused_on_postgres() {
	scenario_a_time_in_the_spring_gap_is_refused
}

test_bad_declarations_are_config_errors_naming_the_path_on_postgres() {
	scenario_bad_declarations_are_config_errors_naming_the_path
}

run_tests
