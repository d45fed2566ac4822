#!/bin/bash
# End-to-end: `portex request` on an SQLite ledger. The same scenarios run
# on PostgreSQL in t_request_pg.sh.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
BACKEND=sqlite

test_sqlite_full_lifecycle_ends_with_a_delivered_verified_package() {
	scenario_lifecycle
}

test_sqlite_export_killed_around_publishing_leaves_the_ledger_naming_the_file() {
	scenario_export_killed_around_publishing
}

test_sqlite_impossible_date_is_refused_and_ledger_unchanged() {
	scenario_impossible_date_is_refused
}

test_sqlite_receipt_in_the_future_is_refused() {
	scenario_future_receipt_is_refused
}

test_sqlite_transition_not_allowed_names_both_states() {
	scenario_transition_not_allowed_names_the_states
}

test_sqlite_unknown_request_id_is_refused() {
	scenario_unknown_request_id_is_refused
}

test_sqlite_locked_ledger_waits_then_fails_unchanged() {
	scenario_locked_ledger_is_refused
}

test_corrupt_ledger_file_is_refused_and_left_untouched() {
	ledger_new
	head -c 4096 /dev/urandom >"$T/ledger.db"
	cp "$T/ledger.db" "$T/copy"
	expect_exit 65 px request add --subject email=bob@example.org \
		--received "$(today)"
	expect_err "ledger $T/ledger.db is not a usable SQLite database"
	expect_exit 65 px request list
	expect_exit 65 "$PORTEX" audit verify --ledger "$LEDGER"
	cmp -s "$T/ledger.db" "$T/copy" || fail "corrupt ledger was modified"
	[ ! -e "$T/ledger.db-journal" ] || fail "journal left beside it"
}

test_an_sqlite_database_that_is_not_a_ledger_is_left_untouched() {
	ledger_new
	sqlite3 "$T/ledger.db" "CREATE TABLE users (id INTEGER, email TEXT);
		INSERT INTO users VALUES (1, 'a@example.org');"
	sum=$(sha256sum <"$T/ledger.db")
	expect_exit 65 px request add --subject email=a@example.org \
		--received "$(today)"
	expect_err "is a database with 1 table of its own, not a portex ledger"
	[ "$(sha256sum <"$T/ledger.db")" = "$sum" ] || fail "database modified"
}

test_ledger_path_is_relative_to_the_config_folder() {
	mkdir -p "$T/etc" "$T/elsewhere"
	cat >"$T/etc/portex.json" <<'JSON'
{"controller": {"name": "Test"}, "ledger": "sqlite:data/portex.db",
 "deadline": {"calendar": "FR-ALSACE-MOSELLE"},
 "sources": [{"name": "s", "connector": "sqlite", "path": "none.db",
              "resolve": [], "collections": []}]}
JSON
	mkdir -p "$T/etc/data"
	cd "$T/elsewhere"
	expect_exit 0 "$PORTEX" request add --config ../etc/portex.json \
		--subject email=a@example.org --received 2026-03-03 --json
	expect_file "$T/etc/data/portex.db"
	[ ! -e "$T/elsewhere/data" ] || fail "ledger created in the cwd"
	# The config's calendar applies: Good Friday 2026-04-03 is a holiday.
	[ "$(jget "$T/stdout" 'j["calendar"]')" = FR-ALSACE-MOSELLE ] || fail calendar
	[ "$(jget "$T/stdout" 'j["due"]')" = 2026-04-07 ] || fail "due $(cat "$T/stdout")"
}

test_missing_ledger_option_is_a_usage_error() {
	expect_exit 64 "$PORTEX" request list
	expect_err "no ledger: give --config F or --ledger URI"
	expect_exit 78 "$PORTEX" request list --ledger "mysql://x/y"
	expect_err "unknown kind"
}

test_list_sorts_by_the_limit_in_force_and_filters() {
	ledger_new
	old=$(add_request "$(days_ago 40)")            # overdue
	near=$(add_request "$(days_ago 27)")           # due in a few days
	far=$(add_request "$(today)")                  # a month left
	ext=$(add_request "$(days_ago 28)")            # extended: months
	px request extend "$ext" --reason "12 sources" >/dev/null
	wait_id=$(add_request "$(days_ago 50)")        # suspended
	px request identity "$wait_id" --ask >/dev/null
	expect_exit 0 px request list --json
	[ "$(jget "$T/stdout" '[r["id"] for r in j if r["status"] != "awaiting_identity"]')" = "[$old, $near, $far, $ext]" ] ||
		fail "order: $(jget "$T/stdout" '[(r["id"], r["effective_due"]) for r in j]')"
	expect_exit 0 px request list --overdue --json
	[ "$(jget "$T/stdout" '[r["id"] for r in j]')" = "[$old]" ] || fail overdue
	expect_exit 0 px request list --due-within 7 --json
	[ "$(jget "$T/stdout" '[r["id"] for r in j]')" = "[$old, $near]" ] ||
		fail "due within 7: $(jget "$T/stdout" '[r["id"] for r in j]')"
	expect_exit 0 px request list --status awaiting_identity --json
	[ "$(jget "$T/stdout" '[r["id"] for r in j]')" = "[$wait_id]" ] || fail status
	# Piped: no escape codes at all.
	expect_exit 0 px request list
	! grep -q $'\033' "$T/stdout" || fail "colour codes on a pipe"
}

test_list_colours_overdue_red_and_near_due_yellow_on_a_terminal() {
	ledger_new
	old=$(add_request "$(days_ago 40)")
	near=$(add_request "$(days_ago 27)")
	far=$(add_request "$(today)")
	# A pseudo-terminal is the machine's, not portex's: a chroot that mounts
	# /dev without /dev/pts has none, and then there is nothing to test here.
	if ! script -qec true /dev/null >/dev/null 2>&1; then
		echo "  skip: script(1) cannot create a pseudo-terminal here" >&2
		return 0
	fi
	script -qec "$PORTEX request list --ledger $LEDGER" /dev/null >"$T/tty" ||
		fail "script(1) failed"
	grep -a $'\033\[31m'"$old " "$T/tty" >/dev/null || fail "overdue not red: $(cat -v "$T/tty")"
	grep -a $'\033\[33m'"$near " "$T/tty" >/dev/null || fail "near-due not yellow"
	grep -a "^$far " "$T/tty" >/dev/null || fail "far row coloured: $(cat -v "$T/tty")"
}

test_extension_after_the_first_limit_is_refused() {
	ledger_new
	id=$(add_request "$(days_ago 45)")
	expect_unchanged expect_exit 65 px request extend "$id" --reason late
	expect_err "after the first limit"
	id2=$(add_request "$(days_ago 3)")
	expect_exit 0 px request extend "$id2" --reason "12 sources" --json
	[ "$(jget "$T/stdout" 'j["effective_due"]')" = "$("$PORTEX" due "$(days_ago 3)" --extended)" ] ||
		fail "extended limit is not three months"
	expect_unchanged expect_exit 65 px request extend "$id2" --reason again
	expect_err "already extended"
}

test_actor_is_recorded_in_the_audit_trail() {
	ledger_new
	px request add --subject email=a@example.org --received "$(today)" \
		--actor "dpo@sejer" >/dev/null
	px request withdraw 1 >/dev/null
	expect_exit 0 px audit log --json
	[ "$(jget "$T/stdout" '[e["actor"] for e in j]')" = "['dpo@sejer', '$(id -un)']" ] ||
		fail "actors: $(jget "$T/stdout" '[e["actor"] for e in j]')"
}

test_request_help_names_commands_and_exit_codes() {
	expect_exit 0 "$PORTEX" request --help
	for w in add list show identity extend export deliver reject withdraw \
		"65 bad data" "69 ledger locked"; do
		expect_out "$w"
	done
}

test_export_of_a_request_not_ready_is_refused_and_writes_nothing() {
	. "$PX_TOP/tests/e2e/demo.sh"
	ledger_new
	demo_setup
	edit_config "c['ledger'] = '$LEDGER'"
	id=$(add_request "$(days_ago 2)")
	expect_unchanged expect_exit 65 "$PORTEX" request export "$id" \
		--config "$T/demo.json" --out "$T/p.zip"
	expect_err "request $id is received: it cannot become exported"
	expect_no_file "$T/p.zip"
}

test_export_of_an_unknown_subject_fails_and_keeps_the_request_ready() {
	. "$PX_TOP/tests/e2e/demo.sh"
	ledger_new
	demo_setup
	edit_config "c['ledger'] = '$LEDGER'"
	px request add --subject email=nobody@example.org --received "$(today)" \
		>/dev/null
	px request identity 1 --verified >/dev/null
	expect_unchanged expect_exit 67 "$PORTEX" request export 1 \
		--config "$T/demo.json" --out "$T/p.zip"
	expect_err "request 1"
	expect_no_file "$T/p.zip"
}

test_someone_acting_for_the_subject_must_be_named() {
	ledger_new
	expect_exit 64 px request add --subject email=kid@example.org \
		--received "$(today)" --relation parent
	expect_err "--relation parent needs --requester NAME"
	expect_exit 0 px request add --subject email=kid@example.org \
		--received "$(today)" --relation parent --requester "Marie Curie" \
		--channel mail --json
	[ "$(jget "$T/stdout" 'j["requester"], j["relation"], j["channel"]')" = "('Marie Curie', 'parent', 'mail')" ] ||
		fail "$(cat "$T/stdout")"
}

run_tests
