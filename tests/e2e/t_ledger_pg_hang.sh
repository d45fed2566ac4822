#!/bin/bash
# End-to-end: a PostgreSQL ledger whose server stops answering (SIGSTOP on
# the postmaster, or on portex's own backend while it waits for a lock),
# and signals while portex waits on it. Every wait has a deadline (exit 69,
# naming the ledger and what it was doing), a signal ends any wait (exit
# 130), and a change that was not committed leaves no trace. Each command
# runs under `timeout -s KILL`, so a hang fails the test instead of
# stopping the suite.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
BACKEND=pg
pg_ensure

# The session's statement_timeout (ms), given the libpq way: portex waits
# for it plus as much again (at most 5 s) before giving up.
SHORT="options=-c%20statement_timeout%3D2000"
LONG="options=-c%20statement_timeout%3D600000"

# A ledger with its tables, through a URI whose password the server (trust)
# does not ask for: it must never be printed.
pg_ledger() {
	ledger_new
	LEDGER="postgresql://postgres:s3cr3t-pw@/$PGDB?host=$PGHOST&$1"
	px request list >/dev/null || fail "the ledger could not be created"
}

# hold SQL: a session (application_name px_holder) runs SQL and keeps what
# it took until release.
hold() {
	PGAPPNAME=px_holder psql -X -q -d "$PGDB" -c "BEGIN" -c "$1" \
		-c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	HOLDER=$!
	local i
	for i in $(seq 200); do
		[ -n "$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'px_holder' AND query LIKE 'SELECT pg_sleep%'")" ] && return 0
		sleep 0.05
	done
	fail "the lock holder never got its lock"
}

release() {
	sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'px_holder'" >/dev/null
	wait "$HOLDER" 2>/dev/null || true
}

# start CMD...: portex CMD... --ledger $LEDGER in the background ($PID),
# killed if it is still there after 30 s
start() {
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp timeout -s KILL 30 "$PORTEX" "$@" --ledger "$LEDGER" \
		>"$T/stdout" 2>"$T/stderr" &
	PID=$!
}

# stop_backend: SIGSTOPs portex's backend once it waits for a lock ($BP);
# the holder then lets go, so only the stopped server keeps portex waiting.
stop_backend() {
	local i
	BP=
	for i in $(seq 200); do
		BP=$(sql "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
		[ -n "$BP" ] && break
		sleep 0.05
	done
	[ -n "$BP" ] || fail "portex never waited for the lock: $(cat "$T/stderr")"
	kill -STOP "$BP"
	trap 'kill -CONT $BP 2>/dev/null || true' EXIT
	release
}

# resume_backend: SIGCONT, then waits until the backend has seen portex
# was gone and ended (rolling back what it had not committed).
resume_backend() {
	local i
	kill -CONT "$BP"
	for i in $(seq 200); do
		[ -z "$(sql "SELECT pid FROM pg_stat_activity WHERE pid = $BP")" ] && return 0
		sleep 0.05
	done
	fail "the resumed backend $BP never ended"
}

finish() {
	RC=0
	wait "$PID" || RC=$?
}

expect_rc() {
	[ "$RC" = "$1" ] || fail "exit $RC, expected $1: $(cat "$T/stderr")"
	! grep -q s3cr3t-pw "$T/stderr" || fail "password printed: $(cat "$T/stderr")"
}

test_request_add_on_a_stopped_ledger_server_gives_up_with_69_recording_nothing() {
	pg_ledger "$SHORT"
	ledger_dump >"$T/before"
	hold "SELECT pg_advisory_lock(28792)"
	start request add --subject email=bob@example.org --received "$(days_ago 1)"
	stop_backend
	finish
	expect_rc 69
	expect_err "PostgreSQL ledger postgresql://postgres:***@/$PGDB: no answer within 4000 ms (statement_timeout 2000 ms + 2000 ms) while taking the ledger's write lock: the server stopped answering, portex gave up; nothing was recorded"
	resume_backend
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" ||
		fail "ledger changed: $(diff "$T/before" "$T/after" | head -20)"
	[ -z "$(px request list --json | tr -d '[] \n')" ] || fail "a request was recorded"
}

test_request_list_on_a_stopped_ledger_server_gives_up_with_69() {
	pg_ledger "$SHORT"
	add_request "$(days_ago 2)" >/dev/null
	ledger_dump >"$T/before"
	hold "LOCK TABLE px_requests IN ACCESS EXCLUSIVE MODE"
	start request list
	stop_backend
	finish
	expect_rc 69
	expect_err "PostgreSQL ledger postgresql://postgres:***@/$PGDB: no answer within 4000 ms (statement_timeout 2000 ms + 2000 ms) while reading: the server stopped answering, portex gave up"
	[ ! -s "$T/stdout" ] || fail "a list was printed: $(cat "$T/stdout")"
	resume_backend
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "ledger changed"
}

# The export is made, but the ledger does not answer when told of the
# package about to be published: no package appears, none is recorded.
test_request_export_on_a_stopped_ledger_server_publishes_and_records_nothing() {
	. "$PX_TOP/tests/e2e/demo.sh"
	pg_ledger "$SHORT"
	demo_setup
	local id
	id=$(add_request "$(days_ago 3)")
	px request identity "$id" --verified >/dev/null || fail "identity failed"
	ledger_dump >"$T/before"
	hold "SELECT pg_advisory_lock(28792)"
	start request export "$id" --config "$T/demo.json" --out "$T/a.zip"
	stop_backend
	finish
	expect_rc 69
	expect_err "request $id: recording the package as pending: PostgreSQL ledger postgresql://postgres:***@/$PGDB: no answer within 4000 ms (statement_timeout 2000 ms + 2000 ms) while taking the ledger's write lock: the server stopped answering, portex gave up; nothing was recorded"
	[ "$(wc -l <"$T/stderr")" = 1 ] || fail "more than the error: $(cat "$T/stderr")"
	expect_no_file "$T/a.zip"
	[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"
	resume_backend
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" ||
		fail "ledger changed: $(diff "$T/before" "$T/after" | head -20)"
	px request show "$id" --json >"$T/show.json" || fail "request show failed"
	[ "$(jget "$T/show.json" 'j["status"]')" = ready ] || fail "not ready any more"
	[ "$(jget "$T/show.json" 'j.get("package_pending")')" = None ] ||
		fail "a pending package is recorded"
}

# A long statement_timeout: only the signal can end the wait.
test_sigterm_ends_a_wait_on_a_stopped_ledger_server_with_130() {
	pg_ledger "$LONG"
	ledger_dump >"$T/before"
	hold "SELECT pg_advisory_lock(28792)"
	start request add --subject email=bob@example.org --received "$(days_ago 1)"
	stop_backend
	sleep 0.3
	kill -TERM "$PID"
	finish
	expect_rc 130
	expect_err "interrupted: PostgreSQL ledger postgresql://postgres:***@/$PGDB: while taking the ledger's write lock; nothing was recorded"
	resume_backend
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "ledger changed"
}

# The postmaster itself stopped: a new connection is never answered.
stop_postmaster() {
	PM=$(head -n 1 "$PX_PG_DIR/data/postmaster.pid")
	kill -STOP "$PM"
	trap 'kill -CONT $PM 2>/dev/null || true' EXIT
}

test_a_stopped_postmaster_is_given_up_on_after_connect_timeout() {
	pg_ledger "connect_timeout=2"
	stop_postmaster
	start request list
	finish
	kill -CONT "$PM"
	expect_rc 69
	expect_err "PostgreSQL ledger postgresql://postgres:***@/$PGDB: cannot connect: no answer within connect_timeout (2 s): the server stopped answering, portex gave up"
}

test_sigterm_while_connecting_to_a_stopped_postmaster_exits_130() {
	pg_ledger "connect_timeout=600"
	stop_postmaster
	start request list
	sleep 0.5
	kill -TERM "$PID"
	finish
	kill -CONT "$PM"
	expect_rc 130
	expect_err "interrupted: PostgreSQL ledger postgresql://postgres:***@/$PGDB: while connecting"
}

run_tests
