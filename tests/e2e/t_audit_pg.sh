#!/bin/bash
# End-to-end: the audit trail on a PostgreSQL ledger catches hand edits
# made with psql, and two concurrent writers keep one valid chain.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
BACKEND=pg
pg_ensure

test_pg_audit_an_edited_entry_is_named() {
	scenario_tampering "UPDATE px_audit SET actor = 'mallory' WHERE seq = 3" \
		"entry 3 (request.identity-verified, request 1) was edited"
}

test_pg_audit_a_deleted_entry_is_named() {
	scenario_tampering "DELETE FROM px_audit WHERE seq = 2" \
		"entry 2 was removed (the trail goes from 1 to 3)"
}

test_pg_audit_a_deleted_last_entry_is_named() {
	scenario_tampering "DELETE FROM px_audit WHERE seq = 5" \
		"entry 5, the last one, was removed"
}

test_pg_audit_reordered_entries_are_named() {
	scenario_tampering "UPDATE px_audit SET seq = 99 WHERE seq = 2; UPDATE px_audit SET seq = 2 WHERE seq = 4; UPDATE px_audit SET seq = 4 WHERE seq = 99" \
		"entry 4 was moved to position 2: the audit trail was reordered"
}

test_pg_audit_a_request_edited_by_hand_is_named() {
	scenario_tampering "UPDATE px_requests SET status = 'delivered' WHERE id = 1" \
		"request 1 differs from its last audit entry 3 (field status)"
}

test_pg_audit_a_request_deleted_by_hand_is_named() {
	scenario_tampering "DELETE FROM px_requests WHERE id = 2" \
		"request 2 was deleted by hand (last audit entry 5)"
}

test_pg_concurrent_writers_500_each_keep_a_valid_chain() {
	scenario_concurrent_writers_keep_one_chain
}
run_tests
