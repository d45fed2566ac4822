#!/bin/bash
# End-to-end: libcurl, libpq and libmicrohttpd are loaded at their first
# use (src/lazy/), not when portex starts: an export from SQLite never maps
# them, a command that needs one loads it, and one that cannot be loaded
# is named, with exit 71, at that first use.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# opened CMD...: runs CMD with the dynamic loader's file log (LD_DEBUG);
# the shared objects it opened, one soname per line, in $T/opened.
opened() {
	local rc=0
	LD_DEBUG=files LD_DEBUG_OUTPUT="$T/ld" "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
	cat "$T"/ld.* 2>/dev/null | grep -oE 'file=[^ ]+' | sed 's/^file=//' |
		sort -u >"$T/opened"
	rm -f "$T"/ld.*
	# The log is there at all (libc is always opened): else nothing below
	# would mean anything.
	grep -q '^libc\.so' "$T/opened" || fail "no loader log: $(cat "$T/stderr")"
	return $rc
}

unreachable_ledger='postgresql://px@127.0.0.1:1/nodb?connect_timeout=2'

test_an_export_from_sqlite_opens_no_http_or_postgresql_library() {
	demo_setup
	opened export_alice || fail "export failed: $(cat "$T/stderr")"
	grep -q '^libsqlite3\.so' "$T/opened" || fail "libsqlite3 not opened: $(cat "$T/opened")"
	for lib in libcurl libpq libmicrohttpd libgnutls; do
		! grep -q "^$lib\\.so" "$T/opened" ||
			fail "$lib opened by an export from SQLite"
	done
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
}

test_a_postgresql_ledger_opens_libpq_when_it_is_used() {
	local rc=0
	opened "$PORTEX" request list --ledger "$unreachable_ledger" || rc=$?
	[ "$rc" = 69 ] || fail "exit $rc, expected 69: $(cat "$T/stderr")"
	grep -qF "cannot connect" "$T/stderr" || fail "stderr: $(cat "$T/stderr")"
	grep -q '^libpq\.so\.5' "$T/opened" || fail "libpq not opened: $(cat "$T/opened")"
	! grep -q '^libcurl\.so' "$T/opened" || fail "libcurl opened for a ledger"
}

# A library that cannot be loaded: libpq hidden behind an empty file, in a
# mount namespace of this test's own (root only).
test_a_library_that_cannot_be_loaded_is_named() {
	local lib
	lib=$(ldconfig -p | awk '$1 == "libpq.so.5" {print $NF; exit}')
	[ -n "$lib" ] || fail "ldconfig does not know libpq.so.5"
	lib=$(readlink -f "$lib")
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		echo "  skip: no mount namespace here (needs root)" >&2
		return 0
	fi
	expect_exit 71 unshare -m sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' \
		sh "$lib" "$PORTEX" request list --ledger "$unreachable_ledger"
	expect_err "portex: cannot load libpq.so.5: "
	[ "$(wc -l <"$T/stderr")" = 1 ] || fail "more than the one line: $(cat "$T/stderr")"
}

run_tests
