#!/bin/bash
# End-to-end: what crashes, kills and races leave behind. A package is at
# its target whole and verifying, or not at all; nothing else is left,
# neither beside it nor in $TMPDIR (where the spool holds records in
# clear); a file that appears at the target meanwhile is never replaced.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# big_demo N: the SQLite demo with N more connection records for Alice
big_demo() {
	demo_setup
	sqlite3 "$T/out/demo.db" "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $1) INSERT INTO logins SELECT 1, 1700000000 + n, 'login', '10.0.0.1', 'Mozilla/5.0', 60 FROM g"
	mkdir -p "$T/tmp" "$T/dst"
}

export_to() {
	TMPDIR=$T/tmp "$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$@"
}

# only_package DIR: DIR holds nothing, or a.zip that verifies; TMPDIR
# holds nothing.
only_package() {
	local others
	[ -z "$(ls -A "$T/tmp")" ] || fail "$2: left in TMPDIR: $(ls -A "$T/tmp")"
	others=$(ls -A "$1" | grep -vx 'a.zip' || true)
	[ -z "$others" ] || fail "$2: left beside the target: $others"
	if [ -e "$1/a.zip" ]; then
		/usr/bin/python3 -m zipfile -t "$1/a.zip" >/dev/null 2>&1 ||
			fail "$2: a.zip is not a whole ZIP"
		"$PORTEX" verify "$1/a.zip" >"$T/verify" 2>&1 ||
			fail "$2: a.zip does not verify: $(cat "$T/verify")"
	fi
}

# 30 SIGKILLs at random moments of an export, half of them over an
# existing package with --force. Repeat a run with PX_CRASH_SEED.
test_crash_campaign_leaves_only_whole_packages() {
	local seed=${PX_CRASH_SEED:-$((($(date +%s) * 7919 + $$) % 32768))}
	local i ms force pid
	echo "  crash campaign: seed $seed (PX_CRASH_SEED=$seed repeats it)" >&2
	RANDOM=$seed
	big_demo 20000
	# How long a whole export takes here: kills land across all of it.
	start=$(date +%s%N)
	export_to "$T/dst/a.zip" >/dev/null 2>&1 || fail "the first export failed"
	span=$((($(date +%s%N) - start) / 1000000 + 100))
	for i in $(seq 1 30); do
		force=
		if [ $((i % 2)) = 0 ]; then
			force=--force
		else
			rm -f "$T/dst/a.zip"
		fi
		ms=$((RANDOM % span))
		export_to "$T/dst/a.zip" $force >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		only_package "$T/dst" "trial $i (SIGKILL after $ms ms of $span${force:+, --force})"
	done
}

# A crash of an older portex left its temporary archive beside the target
# and its spool folder (records in clear) in $TMPDIR: the next run removes
# them. Only portex's own names go, and only when no portex holds them.
test_leftovers_of_an_older_version_are_swept() {
	big_demo 10
	mkdir "$T/tmp/portex-spool-Zz99Yy"
	echo '{"records":[' >"$T/tmp/portex-spool-Zz99Yy/connection.json"
	echo 'partial' >"$T/dst/.portex-Ab12Cd.tmp"
	echo 'partial' >"$T/dst/.portex-Ab12Cd.tmp.Xy34Zw"
	echo 'mine' >"$T/dst/.portex-notes"
	touch -d '2 hours ago' "$T/tmp/portex-spool-Zz99Yy"/* \
		"$T/tmp/portex-spool-Zz99Yy" "$T/dst"/.portex-*
	expect_exit 0 export_to "$T/dst/a.zip"
	[ -z "$(ls -A "$T/tmp")" ] || fail "still in TMPDIR: $(ls -A "$T/tmp")"
	[ "$(ls -A "$T/dst" | sort | tr '\n' ' ')" = ".portex-notes a.zip " ] ||
		fail "beside the target: $(ls -A "$T/dst")"
}

race_so() {
	cc -shared -fPIC -o "$T/race.so" "$PX_TOP/tests/tools/race_target.c" -ldl ||
		fail "cannot build tests/tools/race_target.c"
}

# Another process creates the target just before portex publishes (the
# preload plays it): the link fails, their file stays. A rename would
# have replaced it.
test_a_file_created_at_the_target_during_the_export_is_kept() {
	big_demo 10
	race_so
	PX_RACE_PATH=$T/dst/a.zip LD_PRELOAD=$T/race.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		expect_exit 73 export_to "$T/dst/a.zip"
	expect_err "already exists"
	[ "$(cat "$T/dst/a.zip")" = theirs ] || fail "the target was replaced"
	[ "$(ls -A "$T/dst")" = a.zip ] || fail "beside the target: $(ls -A "$T/dst")"
	[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"
}

test_a_file_created_at_the_key_during_keygen_is_kept() {
	race_so
	PX_RACE_PATH=$T/k.key LD_PRELOAD=$T/race.so \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		expect_exit 64 "$PORTEX" keygen --key "$T/k.key" --cert "$T/k.crt"
	expect_err "exists"
	[ "$(cat "$T/k.key")" = theirs ] || fail "the key file was replaced"
	[ ! -e "$T/k.crt" ] || fail "a certificate without its key was left"
}

run_tests
