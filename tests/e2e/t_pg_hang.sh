#!/bin/bash
# End-to-end: a PostgreSQL source that stops answering, and signals while
# portex waits on one. Every wait has a deadline; a signal ends any wait.
# Each export runs under `timeout -s KILL`, so a hang fails the test
# instead of stopping the suite.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/pg.sh"

# A score collection far too long to export before the test acts on it.
big_scores() {
	set_query score "SELECT 'a' || g AS assessment, g % 100 AS score, timestamptz '2026-01-01' + g * interval '1 s' AS taken_at FROM generate_series(1, 5000000) g"
}

# backend_pid: the pid of portex's backend once it has fetched a batch
backend_pid() {
	local pid i
	for i in $(seq 1 400); do
		pid=$(sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'portex' AND query LIKE 'FETCH FORWARD%' LIMIT 1")
		if [ -n "$pid" ]; then
			echo "$pid"
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# no_leftovers: nothing beside the target, nothing in portex's TMPDIR
no_leftovers() {
	expect_no_file "$T/a.zip"
	[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"
}

# wait_export: portex's exit status in $RC
wait_export() {
	RC=0
	wait "$PORTEX_PID" || RC=$?
}

start_export() {
	mkdir -p "$T/tmp"
	TMPDIR=$T/tmp timeout -s KILL 120 "$PORTEX" export \
		--config "$T/demo.json" --subject email=alice.martin@example.org \
		--out "$T/a.zip" >"$T/stdout" 2>"$T/stderr" &
	PORTEX_PID=$!
}

test_a_stopped_backend_is_given_up_on_with_69() {
	pg_setup
	edit_config "c['sources'][0]['statement_timeout'] = 1000"
	big_scores
	start_export
	bp=$(backend_pid) || fail "portex's backend never fetched"
	kill -STOP "$bp"
	wait_export
	kill -CONT "$bp"
	[ "$RC" = 69 ] || fail "exit $RC, expected 69: $(cat "$T/stderr")"
	# The source's one connection serves every collection: which one was
	# running when it stopped depends on the machine's speed.
	grep -qE "source campus: collection [a-z]+: waiting for PostgreSQL" "$T/stderr" ||
		fail "no 'waiting for PostgreSQL': $(cat "$T/stderr")"
	expect_err "no answer within 6000 ms (statement_timeout 1000 ms + 5 s)"
	no_leftovers
}

test_sigterm_ends_a_wait_on_a_stopped_backend() {
	pg_setup
	big_scores
	start_export
	bp=$(backend_pid) || fail "portex's backend never fetched"
	kill -STOP "$bp"
	sleep 0.5
	kill -TERM "$PORTEX_PID"
	wait_export
	kill -CONT "$bp"
	[ "$RC" = 130 ] || fail "exit $RC, expected 130: $(cat "$T/stderr")"
	expect_err "interrupted: source campus: collection score: while waiting for PostgreSQL"
	no_leftovers
}

# What timeout(1) does: SIGTERM to portex, then to its process group. The
# pause lets the first be handled, so the two are not merged into one
# (portex may be gone by the second).
test_two_sigterms_back_to_back_are_as_clean_as_one() {
	pg_setup
	big_scores
	start_export
	backend_pid >/dev/null || fail "portex's backend never fetched"
	kill -TERM "$PORTEX_PID"
	sleep 0.02
	kill -TERM "$PORTEX_PID" 2>/dev/null || true
	wait_export
	[ "$RC" = 130 ] || fail "exit $RC, expected 130: $(cat "$T/stderr")"
	expect_err "interrupted"
	no_leftovers
}

# A DECLARE CURSOR that times out (the planner folds the immutable
# function, which sleeps) is an error at once: running the query again
# without a cursor would take the timeout twice. The function says each
# time it runs.
test_a_timed_out_declare_is_not_run_again() {
	pg_setup
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
CREATE FUNCTION slow_plan() RETURNS int IMMUTABLE LANGUAGE plpgsql AS
$$BEGIN RAISE NOTICE 'slow_plan ran'; PERFORM pg_sleep(5); RETURN 1; END$$;
SQL
	edit_config "c['sources'][0]['statement_timeout'] = 300"
	set_query score "SELECT 'a' AS assessment, slow_plan() AS score, now() AS taken_at"
	expect_exit 65 export_campus
	expect_err "source campus: collection score: statement timeout after 300 ms"
	runs=$(grep -c 'slow_plan ran' "$T/stderr" || true)
	[ "$runs" = 1 ] || fail "the query ran $runs times: $(cat "$T/stderr")"
	expect_no_file "$T/a.zip"
}

test_a_zero_statement_timeout_is_refused() {
	pg_setup
	edit_config "c['sources'][0]['statement_timeout'] = '0'"
	expect_exit 78 export_campus
	expect_err "/sources/0/statement_timeout: source campus: 0 would mean no limit"
	expect_no_file "$T/a.zip"
}

run_tests
