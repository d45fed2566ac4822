#!/bin/bash
# End-to-end: `portex bulk` and `portex worker` stopped by SIGTERM while an
# export is in flight, and bulk's in-place retry of a source that is down
# for a while. The source is the mock REST partner (tests/mock/server.py):
# its "hold" fault keeps a page unanswered until the test releases it, so
# the test knows an export is in flight when it signals (no sleeps on the
# export's speed). many@example.org has 10,000 answers over many pages.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/rest_lib.sh"

export PL_CLIENT_ID=portex-test-client
export PL_CLIENT_SECRET=pl-secret-9f8e7d6c5b4a3921
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

# setup: the mock, $T/cfg.json (Polylearn source, one HTTP attempt per
# request so a 500 ends the export with 69; signing key; salt; SQLite
# ledger), $T/subjects.csv (many, alice, bob), $T/out, TMPDIR=$T/tmp.
setup() {
	mkdir -p "$T/keys" "$T/out" "$T/tmp"
	mock_start
	head -c 32 /dev/urandom >"$T/bulk.salt"
	"$PORTEX" keygen --key "$T/keys/portex.key" \
		--cert "$T/keys/portex.crt" --name "portex stop test" >/dev/null
	/usr/bin/python3 - "$T" "$URL" "$PX_TOP" <<'PY'
import json, sys
t, url, top = sys.argv[1:]
json.dump({"controller": {"name": "T", "contact": "dpo@example.org"},
           "ledger": "sqlite:" + t + "/ledger.db",
           "signing": {"key": t + "/keys/portex.key",
                       "cert": t + "/keys/portex.crt"},
           "bulk": {"salt_file": t + "/bulk.salt"},
           "sources": [{"name": "polylearn", "connector": "rest",
                        "profile": top + "/connectors/polylearn.json",
                        "base_url": url, "max_attempts": 1,
                        "auth": {"client_id": "${PL_CLIENT_ID}",
                                 "client_secret": "${PL_CLIENT_SECRET}"}}]},
          open(t + "/cfg.json", "w"), indent=1)
open(t + "/subjects.csv", "w").write(
    "email\nmany@example.org\nalice@example.org\nbob@example.org\n")
PY
	export TMPDIR=$T/tmp
}

mock_release() {
	curl -sf -X POST --data '{"release": true}' "$URL/_control" >/dev/null ||
		fail "cannot reach the mock's /_control"
}

# wait_until WHAT CMD...: polls CMD until it succeeds; fails after 120 s
# (generous: the machine may be loaded, the build a sanitizer one).
wait_until() {
	local what=$1 i
	shift
	for i in $(seq 2400); do
		"$@" && return 0
		sleep 0.05
	done
	fail "gave up waiting: $what"
}

held() { [ "$(mock_stat held)" = 1 ]; }
said_stopping() { grep -qF "portex: stopping" "$T/stderr"; }

# exited PID: the exit status of background job PID, in $RC.
exited() {
	RC=0
	wait "$1" || RC=$?
}

# check_out N_OK [MANY=1]: out/ holds exactly the packages of the index's
# N_OK "ok" lines (SHA-256 as indexed), many@'s among them with its 10,000
# answers when N_OK > 0 and MANY is 1; nothing temporary in out/ or TMPDIR.
check_out() {
	/usr/bin/python3 - "$T/out" "$1" "${2:-1}" <<'PY' || fail "out-dir check failed"
import hashlib, json, os, sys, zipfile
d, n, many = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
idx = os.path.join(d, "index.ndjson")
lines = [json.loads(l) for l in open(idx)] if os.path.exists(idx) else []
ok = {e["id"]: e for e in lines if e["status"] == "ok"}
assert len(ok) == n == len(lines), "index: %s" % lines
zips = sorted(f for f in os.listdir(d) if f.endswith(".zip"))
assert zips == sorted(e["package"] for e in ok.values()), (zips, lines)
for e in ok.values():
    p = os.path.join(d, e["package"])
    assert hashlib.sha256(open(p, "rb").read()).hexdigest() == e["sha256"]
    assert zipfile.ZipFile(p).testzip() is None
    if e["subject"]["email"] == "many@example.org":
        z = zipfile.ZipFile(p)
        got = len(json.loads(z.read("data/answer.json"))["records"])
        assert got == 10000 == e["entities"]["answer"], (got, e)
if n and many:
    assert "many@example.org" in [e["subject"]["email"] for e in ok.values()]
left = [f for f in os.listdir(d) if f.startswith(".portex-")]
left += os.listdir(os.environ["TMPDIR"])
assert not left, "temporary files left: %s" % left
PY
}

verify_all() {
	local f
	for f in "$T"/out/*.zip; do
		"$PORTEX" verify "$f" --ca "$T/keys/portex.crt" >/dev/null ||
			fail "$f does not verify"
	done
}

# jobs_sql SQL: one query on the ledger, rows as "a|b" lines.
jobs_sql() {
	/usr/bin/python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join(str(v) for v in r))' "$T/ledger.db" "$1"
}

# release_and_expect_finished: the held page answered, $pid exits 130
# saying the exports in flight were finished.
release_and_expect_finished() {
	mock_release
	exited "$pid"
	[ "$RC" = 130 ] || fail "exit $RC, expected 130: $(cat "$T/stderr")"
	expect_err "the exports in flight were finished"
}

# worker_stopping_in_flight [ARGS]: the three subjects enqueued, a worker
# (pid $pid) holding many@'s job in flight, SIGTERMed once, and saying so.
worker_stopping_in_flight() {
	setup
	expect_exit 0 "$PORTEX" bulk --config "$T/cfg.json" --out-dir "$T/out" \
		--subjects "$T/subjects.csv" --enqueue
	mock_fault hold 1 /learners/pl_many/answers
	"$PORTEX" worker --config "$T/cfg.json" --once "$@" \
		>"$T/stdout" 2>"$T/stderr" &
	pid=$!
	wait_until "the worker's export to reach many@'s answers" held
	kill -TERM "$pid"
	wait_until "the worker to say it is stopping" said_stopping
}

test_sigterm_lets_bulk_finish_the_export_in_flight() {
	setup
	mock_fault hold 1 /learners/pl_many/answers
	"$PORTEX" bulk --config "$T/cfg.json" --out-dir "$T/out" \
		--subjects "$T/subjects.csv" >"$T/stdout" 2>"$T/stderr" &
	pid=$!
	wait_until "many@'s export to reach its answers" held
	kill -TERM "$pid"
	wait_until "bulk to say it is stopping" said_stopping
	release_and_expect_finished
	# the one in flight is there, complete and indexed; nobody else
	check_out 1
	verify_all
	# a rerun exports the two others and leaves many@'s package alone
	expect_exit 0 "$PORTEX" bulk --config "$T/cfg.json" --out-dir "$T/out" \
		--subjects "$T/subjects.csv"
	expect_out "exported: 2"
	expect_out "skipped:  1"
	check_out 3
}

test_sigterm_lets_worker_finish_its_job_and_record_it() {
	worker_stopping_in_flight --lease 3
	# Held past its 3 s lease: the heartbeat must keep renewing it
	# while the job is finished, or the job would be lost.
	sleep 4
	release_and_expect_finished
	check_out 1
	verify_all
	# ledger and index agree: many@'s job done, its request exported,
	# the two others still queued, untried
	[ "$(jobs_sql "SELECT state, attempts FROM px_jobs ORDER BY id")" = \
		"done|1
queued|0
queued|0" ] || fail "jobs: $(jobs_sql "SELECT * FROM px_jobs")"
	[ "$(jobs_sql "SELECT r.status FROM px_jobs j JOIN px_requests r
		ON r.id = j.request_id WHERE j.state = 'done'")" = exported ] ||
		fail "the done job's request is not exported"
	/usr/bin/python3 - "$T/out/index.ndjson" "$(jobs_sql \
		"SELECT id, package FROM px_jobs WHERE state = 'done'")" <<'PY' ||
import json, os, sys
e = json.loads(open(sys.argv[1]).readline())
job, package = sys.argv[2].split("|")
assert e["job"] == int(job) and os.path.basename(package) == e["package"], e
PY
		fail "index and ledger disagree"
	expect_exit 0 "$PORTEX" worker --config "$T/cfg.json" --once
	check_out 3
	[ "$(jobs_sql "SELECT count(*) FROM px_jobs WHERE state = 'done'")" = 3 ] ||
		fail "jobs: $(jobs_sql "SELECT * FROM px_jobs")"
}

test_second_sigterm_abandons_the_job_in_flight_and_releases_it() {
	worker_stopping_in_flight
	# Signals within a second of the first are the same request
	# (interrupt.h); this one is a second request.
	sleep 1.5
	kill -TERM "$pid"
	exited "$pid" # the page is never released: the wait is interrupted
	[ "$RC" = 130 ] || fail "exit $RC, expected 130: $(cat "$T/stderr")"
	expect_err "the exports in flight were abandoned"
	check_out 0
	# released, not failed: back in the queue, the attempt not counted
	[ "$(jobs_sql "SELECT state, attempts, lease_owner FROM px_jobs ORDER BY id")" = \
		"queued|0|None
queued|0|None
queued|0|None" ] || fail "jobs: $(jobs_sql "SELECT * FROM px_jobs")"
}

test_source_down_for_two_attempts_is_retried_in_place() {
	setup
	# the first two lookups fail (HTTP 500, one attempt each: exit 69)
	mock_fault 500 2 /learners/lookup
	printf 'email\nalice@example.org\n' >"$T/alice.csv"
	PORTEX_BACKOFF_MS=20 expect_exit 0 "$PORTEX" bulk --config "$T/cfg.json" \
		--out-dir "$T/out" --subjects "$T/alice.csv" --json
	[ "$(mock_stat faults_served)" = 2 ] || fail "the 500s were not served"
	/usr/bin/python3 - "$T/stdout" "$T/out/index.ndjson" <<'PY' || fail "retry check failed"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["exported"] == 1 and s["retried"] == 2 and s["failed"] == 0, s
lines = [json.loads(l) for l in open(sys.argv[2])]
assert len(lines) == 1 and lines[0]["status"] == "ok", lines
assert lines[0]["attempts"] == 3, lines
PY
	verify_all
}

# Ledger mode: the job that failed with 69 goes back to the queue with
# its backoff (2 s, then 4 s), and worker --once waits for it rather than
# exiting with a job left; the third attempt exports. The ledger keeps
# the attempts, the request is exported once, the index says 3 attempts.
test_ledger_mode_retries_a_source_down_for_two_attempts() {
	setup
	printf 'email\nalice@example.org\n' >"$T/alice.csv"
	expect_exit 0 "$PORTEX" bulk --config "$T/cfg.json" --out-dir "$T/out" \
		--subjects "$T/alice.csv" --enqueue
	mock_fault 500 2 /learners/lookup
	expect_exit 0 "$PORTEX" worker --config "$T/cfg.json" --once --json
	[ "$(mock_stat faults_served)" = 2 ] || fail "the 500s were not served"
	# done at the third attempt; the last failure is kept beside it
	[ "$(jobs_sql "SELECT state, attempts, last_code FROM px_jobs")" = \
		"done|3|69" ] || fail "jobs: $(jobs_sql "SELECT * FROM px_jobs")"
	jobs_sql "SELECT last_error FROM px_jobs" | grep -qF "HTTP 500" ||
		fail "last error: $(jobs_sql "SELECT last_error FROM px_jobs")"
	[ "$(jobs_sql "SELECT r.status FROM px_jobs j JOIN px_requests r
		ON r.id = j.request_id")" = exported ] ||
		fail "the job's request is not exported"
	/usr/bin/python3 - "$T/out/index.ndjson" <<'PY' || fail "index check failed"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1 and lines[0]["status"] == "ok", lines
assert lines[0]["attempts"] == 3, lines
PY
	check_out 1 0
	verify_all
}

test_source_down_every_time_ends_dead_after_the_attempts() {
	setup
	mock_fault 500 -1 /learners/lookup
	printf 'email\nalice@example.org\n' >"$T/alice.csv"
	PORTEX_BACKOFF_MS=10 expect_exit 69 "$PORTEX" bulk --config "$T/cfg.json" \
		--out-dir "$T/out" --subjects "$T/alice.csv"
	expect_err "1 of 1 subjects failed"
	[ "$(mock_stat faults_served)" = 5 ] ||
		fail "$(mock_stat faults_served) lookups, expected 5 attempts"
	/usr/bin/python3 - "$T/out/index.ndjson" <<'PY' || fail "index check failed"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 1, lines
e = lines[0]
assert e["status"] == "dead" and e["code"] == 69 and e["attempts"] == 5, e
assert "HTTP 500" in e["error"], e
PY
	ls "$T"/out/*.zip 2>/dev/null && fail "a package for a dead job"
	true
}

run_tests
