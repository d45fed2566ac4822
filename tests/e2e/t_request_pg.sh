#!/bin/bash
# End-to-end: the scenarios of t_request.sh on a PostgreSQL ledger (the
# run's throwaway cluster, or one started here when PGHOST is unset).
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
BACKEND=pg
pg_ensure

test_pg_full_lifecycle_ends_with_a_delivered_verified_package() {
	scenario_lifecycle
}

test_pg_export_killed_around_publishing_leaves_the_ledger_naming_the_file() {
	scenario_export_killed_around_publishing
}

test_pg_impossible_date_is_refused_and_ledger_unchanged() {
	scenario_impossible_date_is_refused
}

test_pg_receipt_in_the_future_is_refused() {
	scenario_future_receipt_is_refused
}

test_pg_transition_not_allowed_names_both_states() {
	scenario_transition_not_allowed_names_the_states
}

test_pg_unknown_request_id_is_refused() {
	scenario_unknown_request_id_is_refused
}

test_pg_locked_ledger_waits_then_fails_unchanged() {
	scenario_locked_ledger_is_refused
}

test_pg_unreachable_server_is_unavailable_and_hides_password() {
	expect_exit 69 "$PORTEX" request list \
		--ledger "postgresql://px:s3cr3t-pw@127.0.0.1:1/nodb"
	expect_err "cannot connect"
	! grep -q s3cr3t-pw "$T/stderr" || fail "password printed"
}

test_pg_malformed_uri_is_a_config_error_and_hides_password() {
	# libpq's own message quotes the bad token, here the password.
	expect_exit 78 "$PORTEX" request list \
		--ledger "postgresql://px:s3cr%zz-pw@127.0.0.1:1/nodb"
	expect_err "not a valid PostgreSQL URI"
	! grep -q s3cr "$T/stderr" || fail "password printed"
	expect_exit 78 "$PORTEX" request list \
		--ledger "postgresql://px@127.0.0.1:1/nodb?password=s3cr%zz&x=1"
	! grep -q s3cr "$T/stderr" || fail "password printed"
}

run_tests
