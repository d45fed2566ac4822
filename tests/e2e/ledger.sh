# ledger.sh - sourced by the ledger's e2e tests (t_request*.sh, t_audit*.sh):
# a fresh ledger on SQLite or PostgreSQL, a dump to compare before/after,
# and the scenarios both backends must pass alike.
#
# BACKEND=sqlite|pg picks the ledger; ledger_new sets $LEDGER (a URI).

# PostgreSQL: the cluster run-e2e.sh started, or our own for this file.
pg_ensure() {
	if [ -z "${PGHOST:-}" ]; then
		eval "$("$PX_TOP/tests/pg/cluster.sh" start)"
		trap '"$PX_TOP/tests/pg/cluster.sh" stop' EXIT
	fi
}

ledger_new() {
	case "$BACKEND" in
	sqlite) LEDGER="sqlite:$T/ledger.db" ;;
	pg)
		PGDB="ledger_$$_${RANDOM}${RANDOM}"
		createdb "$PGDB" || fail "createdb $PGDB failed"
		LEDGER="postgresql:///$PGDB"
		;;
	*) fail "BACKEND must be sqlite or pg" ;;
	esac
}

# sql STATEMENT: runs it on the ledger by hand (sqlite3 / psql)
sql() {
	case "$BACKEND" in
	sqlite) sqlite3 "$T/ledger.db" "$1" ;;
	pg) psql -X -q -At -v ON_ERROR_STOP=1 -d "$PGDB" -c "$1" ;;
	esac
}

# ledger_dump: every row of every ledger table, in a stable order
ledger_dump() {
	case "$BACKEND" in
	sqlite) sqlite3 "$T/ledger.db" .dump ;;
	pg) for t in px_schema px_requests px_audit px_audit_head; do
		psql -X -At -d "$PGDB" -c "SELECT * FROM $t ORDER BY 1"
	done ;;
	esac
}

px() {
	"$PORTEX" "$@" --ledger "$LEDGER"
}

# jget FILE EXPR: evaluates EXPR on the JSON in FILE bound to j
jget() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# add_request RECEIVED [args]: records one; prints its id
add_request() {
	local received=$1
	shift
	px request add --subject email=alice.martin@example.org \
		--received "$received" --json "$@" >"$T/add.json" ||
		fail "request add failed"
	jget "$T/add.json" 'j["id"]'
}

# exported_request OUT RECEIVED [add args]: records a request for Alice
# received on RECEIVED through the config in $C, verifies her identity,
# exports her package to OUT; prints the request's id.
exported_request() {
	local out=$1 received=$2 id
	shift 2
	"$PORTEX" request add $C --subject email=alice.martin@example.org \
		--received "$received" --json "$@" >"$T/r.json" ||
		fail "request add failed"
	id=$(jget "$T/r.json" 'j["id"]')
	"$PORTEX" request identity "$id" --verified $C >/dev/null ||
		fail "request identity failed"
	"$PORTEX" request export "$id" $C --out "$out" >/dev/null 2>"$T/export.err" ||
		fail "request export failed: $(cat "$T/export.err")"
	echo "$id"
}

# expect_unchanged CMD...: CMD leaves every ledger row as it was
expect_unchanged() {
	ledger_dump >"$T/before"
	"$@"
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" ||
		fail "ledger changed: $(diff "$T/before" "$T/after" | head -20)"
}

today() { date +%F; }
days_ago() { date -d "-$1 days" +%F; }

# ---- scenarios, run by t_request.sh (SQLite) and t_request_pg.sh ----

# The whole life of a request, ending with a delivered, verified package
# whose manifest names the request.
scenario_lifecycle() {
	. "$PX_TOP/tests/e2e/demo.sh"
	ledger_new
	demo_setup
	edit_config "c['ledger'] = '$LEDGER'"
	local c="--config $T/demo.json" id asked
	asked=$(days_ago 6)
	"$PORTEX" request add $c --subject email=alice.martin@example.org \
		--type access --requester "Alice Martin" --channel mail \
		--received "$(days_ago 8)" --json >"$T/r.json" ||
		fail "add failed"
	id=$(jget "$T/r.json" 'j["id"]')
	[ "$(jget "$T/r.json" 'j["status"]')" = received ] || fail "not received"
	[ "$(jget "$T/r.json" 'j["due"]')" = "$("$PORTEX" due "$(days_ago 8)")" ] ||
		fail "due date differs from 'portex due'"
	expect_exit 0 "$PORTEX" request identity "$id" --ask --date "$asked" $c
	expect_out "awaiting_identity (clock suspended)"
	expect_exit 0 "$PORTEX" request identity "$id" --verified $c --json
	[ "$(jget "$T/stdout" 'j["status"]')" = ready ] || fail "not ready"
	[ "$(jget "$T/stdout" 'j["due"]')" = "$("$PORTEX" due "$(days_ago 8)" --suspended 6)" ] ||
		fail "suspension of 6 days did not move the due date"
	expect_exit 0 "$PORTEX" request export "$id" $c --out "$T/alice.zip" --json
	[ "$(jget "$T/stdout" 'j["status"]')" = exported ] || fail "not exported"
	[ "$(jget "$T/stdout" 'j["package_sha256"]')" = "$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)" ] ||
		fail "recorded digest is not the package's"
	[ "$(jget "$T/stdout" 'j["package_path"]')" = "$(realpath "$T/alice.zip")" ] ||
		fail "recorded path is not the package's"
	expect_exit 0 "$PORTEX" request deliver "$id" --method download $c --json
	[ "$(jget "$T/stdout" 'j["status"]')" = delivered ] || fail "not delivered"
	[ "$(jget "$T/stdout" 'j["delivered"]')" = "$(today)" ] || fail "delivery date"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
	/usr/bin/python3 -m zipfile -e "$T/alice.zip" "$T/pkg"
	[ "$(jget "$T/pkg/manifest.json" 'j["request"]')" = "$id" ] ||
		fail "manifest does not name request $id: $(head -c 400 "$T/pkg/manifest.json")"
	# The package is recorded as pending before it is published, then as
	# exported (see scenario_export_killed_around_publishing).
	expect_exit 0 "$PORTEX" audit verify $c
	expect_out "intact: 6 entries"
	expect_exit 0 "$PORTEX" audit log $c --request "$id"
	for a in request.add request.identity-ask request.identity-verified \
		request.export-pending request.exported request.deliver; do
		expect_out "$a"
	done
	# Closed: nothing more may happen to it.
	expect_exit 65 "$PORTEX" request withdraw "$id" $c
	expect_err "request $id is delivered: it cannot become withdrawn (it is closed)"
}

# `request export --force` killed (SIGKILL, by tests/tools/kill_at_publish.c)
# just after the new package replaced the old one, then just before: the
# next `request` command leaves the ledger naming the file on disk.
scenario_export_killed_around_publishing() {
	. "$PX_TOP/tests/e2e/demo.sh"
	ledger_new
	demo_setup
	edit_config "c['ledger'] = '$LEDGER'"
	cc -shared -fPIC -o "$T/kill.so" "$PX_TOP/tests/tools/kill_at_publish.c" -ldl ||
		fail "cannot build tests/tools/kill_at_publish.c"
	local c="--config $T/demo.json" id old new got
	id=$(add_request "$(days_ago 3)")
	expect_exit 0 "$PORTEX" request identity "$id" --verified $c
	expect_exit 0 "$PORTEX" request export "$id" $c --out "$T/alice.zip"
	old=$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)
	# A source was corrected: the new package differs.
	sqlite3 "$T/out/demo.db" "UPDATE users SET first_name = 'Alicia' WHERE id = 1"
	got=0
	PX_KILL_PATH="$T/alice.zip" LD_PRELOAD="$T/kill.so" \
		"$PORTEX" request export "$id" $c --out "$T/alice.zip" --force \
		>/dev/null 2>&1 || got=$?
	[ "$got" = 137 ] || fail "export was not killed at publishing (exit $got)"
	new=$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)
	[ "$new" != "$old" ] || fail "the killed export did not replace the package"
	expect_exit 0 "$PORTEX" request show "$id" $c --json
	[ "$(jget "$T/stdout" 'j["package_sha256"]')" = "$new" ] ||
		fail "ledger names $(jget "$T/stdout" 'j["package_sha256"]'), the file on disk is $new"
	expect_err "was published by an export that stopped before recording it"
	[ "$(jget "$T/stdout" 'j.get("package_pending")')" = None ] ||
		fail "a pending package is left: $(jget "$T/stdout" 'j["package_pending"]')"
	[ "$(jget "$T/stdout" 'j["package_path"]')" = "$(realpath "$T/alice.zip")" ] ||
		fail "recorded path is not the package's"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
	# Killed just before publishing: the old file stays, and so does the
	# ledger's record of it.
	sqlite3 "$T/out/demo.db" "UPDATE users SET first_name = 'Alice' WHERE id = 1"
	got=0
	PX_KILL_PATH="$T/alice.zip" PX_KILL_WHEN=before LD_PRELOAD="$T/kill.so" \
		"$PORTEX" request export "$id" $c --out "$T/alice.zip" --force \
		>/dev/null 2>&1 || got=$?
	[ "$got" = 137 ] || fail "export was not killed before publishing (exit $got)"
	[ "$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)" = "$new" ] ||
		fail "the package changed although the export was killed first"
	expect_exit 0 "$PORTEX" request list $c
	expect_err "stopped before publishing it; the ledger keeps the package it had"
	expect_exit 0 "$PORTEX" request show "$id" $c --json
	[ "$(jget "$T/stdout" 'j["package_sha256"]')" = "$new" ] ||
		fail "ledger no longer names the package on disk"
	[ "$(jget "$T/stdout" 'j.get("package_pending")')" = None ] ||
		fail "a pending package is left after the abandoned export"
	expect_exit 0 "$PORTEX" audit verify $c
	expect_exit 0 "$PORTEX" audit log $c --request "$id"
	for a in request.export-pending request.export-recovered \
		request.export-abandoned; do
		expect_out "$a"
	done
	# The next export records its package with nothing pending.
	expect_exit 0 "$PORTEX" request export "$id" $c --out "$T/alice.zip" --force --json
	[ "$(jget "$T/stdout" 'j["package_sha256"]')" = "$(sha256sum <"$T/alice.zip" | cut -d' ' -f1)" ] ||
		fail "recorded digest is not the package's"
	[ "$(jget "$T/stdout" 'j.get("package_pending")')" = None ] ||
		fail "exported request still has a pending package"
}

scenario_impossible_date_is_refused() {
	ledger_new
	add_request "$(days_ago 3)" >/dev/null
	expect_unchanged expect_exit 65 px request add \
		--subject email=bob@example.org --received 2026-02-30
	expect_err "2026-02-30 is not a date: February 2026 has 28 days"
	expect_unchanged expect_exit 65 px request add \
		--subject email=bob@example.org --received 31/01/2026
	expect_err "expected YYYY-MM-DD"
}

scenario_future_receipt_is_refused() {
	ledger_new
	add_request "$(days_ago 3)" >/dev/null
	expect_unchanged expect_exit 65 px request add \
		--subject email=bob@example.org --received "$(date -d '+1 day' +%F)"
	expect_err "is in the future (today is $(today))"
}

scenario_transition_not_allowed_names_the_states() {
	ledger_new
	id=$(add_request "$(days_ago 3)")
	expect_unchanged expect_exit 65 px request deliver "$id" --method email
	expect_err "request $id is received: it cannot become delivered (allowed from there: awaiting_identity, ready, rejected, withdrawn)"
	expect_exit 0 px request reject "$id" --reason "not the data subject"
	expect_unchanged expect_exit 65 px request identity "$id" --verified
	expect_err "request $id is rejected: it cannot become ready (it is closed)"
}

scenario_unknown_request_id_is_refused() {
	ledger_new
	add_request "$(days_ago 3)" >/dev/null
	expect_unchanged expect_exit 65 px request show 42
	expect_err "no request 42 in the"
	expect_unchanged expect_exit 65 px request withdraw 42
	expect_err "no request 42"
	expect_unchanged expect_exit 65 px request withdraw abc
	expect_err "'abc' is not a request ID"
}

# Another process holds the write lock past the busy timeout (5 s).
scenario_locked_ledger_is_refused() {
	ledger_new
	add_request "$(days_ago 3)" >/dev/null
	ledger_dump >"$T/before"
	case "$BACKEND" in
	sqlite)
		{ echo "BEGIN EXCLUSIVE;"; sleep 8; echo "COMMIT;"; } |
			sqlite3 "$T/ledger.db" &
		;;
	pg)
		psql -X -q -d "$PGDB" -c "BEGIN" \
			-c "SELECT pg_advisory_lock(28792)" \
			-c "SELECT pg_sleep(8)" >/dev/null &
		;;
	esac
	holder=$!
	sleep 1
	local t0=$SECONDS
	expect_exit 69 px request add --subject email=bob@example.org \
		--received "$(days_ago 1)"
	expect_err "is locked by another process"
	[ $((SECONDS - t0)) -ge 4 ] || fail "gave up before the busy timeout"
	wait "$holder"
	ledger_dump >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "ledger changed while locked"
	# Once the lock is gone, the same command works.
	expect_exit 0 px request add --subject email=bob@example.org \
		--received "$(days_ago 1)"
}

scenario_tampering() {
	# $1: what to do by hand; $2: the message audit verify must give
	ledger_new
	id=$(add_request "$(days_ago 9)")
	px request identity "$id" --ask --date "$(days_ago 8)" >/dev/null
	px request identity "$id" --verified --date "$(days_ago 5)" >/dev/null
	add_request "$(days_ago 2)" >/dev/null
	px request extend 2 --reason "many sources" >/dev/null
	expect_exit 0 px audit verify
	expect_out "intact: 5 entries"
	sql "$1"
	expect_exit 1 px audit verify --json
	[ "$(jget "$T/stdout" 'j["valid"]')" = False ] || fail "chain still valid"
	expect_out "$2"
	expect_err "$2"
}

# Two processes adding 500 requests each at once.
scenario_concurrent_writers_keep_one_chain() {
	ledger_new
	# The schema first, so both writers start on an existing ledger
	# (a fresh one is also safe: the migration runs under the lock).
	px request list >/dev/null
	adder() {
		for i in $(seq 500); do
			px request add --subject "email=$1$i@example.org" \
				--received "$(today)" --actor "$1" >/dev/null ||
				echo "add $1 $i: exit $?" >>"$T/failures"
		done
	}
	adder a &
	adder b &
	wait
	[ ! -s "$T/failures" ] || fail "$(head -5 "$T/failures")"
	[ "$(sql 'SELECT count(*) FROM px_requests')" = 1000 ] ||
		fail "expected 1000 requests"
	[ "$(sql 'SELECT count(DISTINCT id) FROM px_requests')" = 1000 ] ||
		fail "ids are not unique"
	expect_exit 0 px audit verify --json
	[ "$(jget "$T/stdout" 'j["valid"]')" = True ] || fail "chain broken"
	[ "$(jget "$T/stdout" 'j["entries"]')" = 1000 ] || fail "not 1000 entries"
	# Both writers really ran at the same time: their entries interleave.
	[ "$(sql "SELECT count(*) FROM px_audit a JOIN px_audit b ON b.seq = a.seq + 1 WHERE a.actor <> b.actor")" -gt 1 ] ||
		fail "writers did not interleave; the test proved nothing"
}

