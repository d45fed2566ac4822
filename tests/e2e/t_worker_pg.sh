#!/bin/bash
# End-to-end: `portex bulk --enqueue` into a PostgreSQL ledger, then three
# `portex worker` processes on its queue, one killed with SIGKILL in the
# middle of a job: every job is done once, the dead worker's job by
# another after its lease, the ledger's requests are exported and the
# audit trail verifies. The source is PostgreSQL too (a pg_sleep in one
# query keeps each job long enough to be killed in).
. "$PX_TOP/tests/e2e/lib.sh"

GEN=$PX_TOP/bench/gen_subjects.py

worker_setup() {
	[ -n "${PGHOST:-}" ] || fail "no test PostgreSQL cluster: run through tests/run-e2e.sh"
	mkdir -p "$T/keys" "$T/out" "$T/tmp"
	SRC=px_w_src_$$_$RANDOM
	LDB=px_w_led_$$_$RANDOM
	createdb "$SRC" && createdb "$LDB" || fail "createdb failed"
	/usr/bin/python3 "$GEN" --subjects "$1" --records 8 --pg |
		psql -X -q -v ON_ERROR_STOP=1 -d "$SRC" >/dev/null || fail "load failed"
	(cd "$T" && /usr/bin/python3 "$GEN" --subjects "$1" --csv subjects.csv \
		--config bulk.json --pg-dsn "dbname=$SRC") || fail "generator failed"
	/usr/bin/python3 - "$T/bulk.json" "$LDB" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["ledger"] = "postgresql:///" + sys.argv[2]
for x in c["sources"][0]["collections"]:
    if x["entity"] == "score":
        x["query"] = ("SELECT assessment, score, max_score, taken_at FROM "
                      "scores, pg_sleep(0.15) WHERE user_id = :uid")
json.dump(c, open(sys.argv[1], "w"))
PY
	head -c 32 /dev/urandom >"$T/bulk.salt"
	"$PORTEX" keygen --key "$T/keys/portex.key" --cert "$T/keys/portex.crt" \
		--name "portex worker test" >/dev/null
	export TMPDIR=$T/tmp
}

lsql() {
	psql -X -A -t -v ON_ERROR_STOP=1 -d "$LDB" -c "$1"
}

test_three_workers_one_killed_every_job_done_once() {
	worker_setup 24
	expect_exit 0 "$PORTEX" bulk --config "$T/bulk.json" --out-dir "$T/out" \
		--subjects "$T/subjects.csv" --enqueue
	expect_out "enqueued: 24"
	# Enqueueing again adds nothing.
	expect_exit 0 "$PORTEX" bulk --config "$T/bulk.json" --out-dir "$T/out" \
		--subjects "$T/subjects.csv" --enqueue
	expect_out "already queued: 24"
	# Workers for another batch (serve's) leave these alone.
	expect_exit 0 "$PORTEX" worker --config "$T/bulk.json" --once --batch portal --json
	expect_out '"exported": 0'
	[ "$(lsql "SELECT count(*) FROM px_jobs WHERE state = 'queued'")" = 24 ] ||
		fail "a portal-only worker took bulk jobs: $(lsql "SELECT state, count(*) FROM px_jobs GROUP BY state")"
	batch=$(lsql "SELECT DISTINCT batch FROM px_jobs")
	for i in 1 2 3; do
		"$PORTEX" worker --config "$T/bulk.json" --once --lease 3 \
			--batch portal --batch "$batch" >"$T/w$i" 2>&1 &
		eval "w$i=\$!"
	done
	# Kill worker 1 while it holds a job.
	for _ in $(seq 400); do
		n=$(lsql "SELECT count(*) FROM px_jobs WHERE state = 'running' AND lease_owner LIKE '%:$w1:%'")
		[ "$n" = 1 ] && break
		sleep 0.05
	done
	[ "$n" = 1 ] || fail "worker 1 never held a job"
	kill -9 "$w1"
	wait "$w1" 2>/dev/null || true
	wait "$w2" || fail "worker 2: $(cat "$T/w2")"
	wait "$w3" || fail "worker 3: $(cat "$T/w3")"
	[ "$(lsql "SELECT count(*) FROM px_jobs WHERE state = 'done'")" = 24 ] ||
		fail "jobs: $(lsql "SELECT state, count(*) FROM px_jobs GROUP BY state")"
	# The job worker 1 died in was taken over after its lease.
	[ "$(lsql "SELECT count(*) FROM px_jobs WHERE attempts >= 2")" -ge 1 ] ||
		fail "no job was taken over"
	[ "$(lsql "SELECT count(*) FROM px_requests WHERE status = 'exported'")" = 24 ] ||
		fail "requests: $(lsql "SELECT status, count(*) FROM px_requests GROUP BY status")"
	# Recorded done once: one request.exported audit entry per request.
	[ "$(lsql "SELECT count(*) FROM px_audit WHERE action = 'request.exported'")" = 24 ] ||
		fail "audit: $(lsql "SELECT action, count(*) FROM px_audit GROUP BY action")"
	expect_exit 0 "$PORTEX" audit verify --config "$T/bulk.json"
	/usr/bin/python3 - "$T/out" <<'PY' || fail "index or packages wrong"
import json, os, sys, zipfile
d = sys.argv[1]
ok = {}
for l in open(os.path.join(d, "index.ndjson")):
    e = json.loads(l)
    if e["status"] == "ok":
        ok[e["id"]] = ok.get(e["id"], 0) + 1
assert len(ok) == 24 and set(ok.values()) == {1}, ok
for i in ok:
    assert zipfile.ZipFile(os.path.join(d, i + ".zip")).testzip() is None
left = [f for f in os.listdir(d) if f.startswith(".portex-")]
left += os.listdir(os.environ["TMPDIR"])
assert not left, left
PY
	for f in "$T"/out/*.zip; do
		"$PORTEX" verify "$f" >/dev/null || fail "$f does not verify"
	done
}

test_worker_once_on_an_empty_queue_exits_at_once() {
	worker_setup 1
	expect_exit 0 "$PORTEX" worker --config "$T/bulk.json" --once --json
	expect_out '"exported": 0'
}

run_tests
