#!/bin/bash
# End-to-end: the audit trail on an SQLite ledger catches hand edits made
# with sqlite3, and two concurrent writers keep one valid chain. The same
# on PostgreSQL: t_audit_pg.sh.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
BACKEND=sqlite

test_sqlite_audit_an_edited_entry_is_named() {
	scenario_tampering "UPDATE px_audit SET actor = 'mallory' WHERE seq = 3" \
		"entry 3 (request.identity-verified, request 1) was edited"
}

test_sqlite_audit_a_deleted_entry_is_named() {
	scenario_tampering "DELETE FROM px_audit WHERE seq = 2" \
		"entry 2 was removed (the trail goes from 1 to 3)"
}

test_sqlite_audit_a_deleted_last_entry_is_named() {
	scenario_tampering "DELETE FROM px_audit WHERE seq = 5" \
		"entry 5, the last one, was removed"
}

test_sqlite_audit_reordered_entries_are_named() {
	scenario_tampering "UPDATE px_audit SET seq = 99 WHERE seq = 2; UPDATE px_audit SET seq = 2 WHERE seq = 4; UPDATE px_audit SET seq = 4 WHERE seq = 99" \
		"entry 4 was moved to position 2: the audit trail was reordered"
}

test_sqlite_audit_a_request_edited_by_hand_is_named() {
	scenario_tampering "UPDATE px_requests SET status = 'delivered' WHERE id = 1" \
		"request 1 differs from its last audit entry 3 (field status)"
}

test_sqlite_audit_a_request_deleted_by_hand_is_named() {
	scenario_tampering "DELETE FROM px_requests WHERE id = 2" \
		"request 2 was deleted by hand (last audit entry 5)"
}

test_sqlite_concurrent_writers_500_each_keep_a_valid_chain() {
	scenario_concurrent_writers_keep_one_chain
}

test_audit_verify_help_says_exit_1_on_a_broken_chain() {
	expect_exit 0 "$PORTEX" audit --help
	expect_out "1 it is broken"
}

test_chain_can_be_checked_without_portex_as_documented() {
	ledger_new
	id=$(add_request "$(days_ago 9)")
	px request identity "$id" --ask --date "$(days_ago 8)" >/dev/null
	px request withdraw "$id" --actor "Zoé Ünïcode" >/dev/null
	# docs/ledger.md's recipe, in Python's hashlib and sqlite3.
	n=$(/usr/bin/python3 "$PX_TOP/tests/tools/audit_chain.py" check "$T/ledger.db") ||
		fail "independent check failed"
	[ "$n" = 3 ] || fail "$n entries, expected 3"
}

run_tests
