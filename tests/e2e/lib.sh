# lib.sh - assertions and a runner for the end-to-end tests.
# A test file sources this, defines test_* functions and calls run_tests.
# Each test runs in a subshell, in its own temporary directory ($T).

fail() {
	echo "  $*" >&2
	exit 1
}

# expect_exit CODE CMD... : runs CMD, stores stdout/stderr in $T/stdout and $T/stderr
expect_exit() {
	local want=$1
	shift
	local got=0
	"$@" >"$T/stdout" 2>"$T/stderr" || got=$?
	if [ "$got" != "$want" ]; then
		echo "  command: $*" >&2
		echo "  stderr: $(head -c 2000 "$T/stderr")" >&2
		fail "exit $got, expected $want"
	fi
}

# expect_err TEXT : stderr of the last expect_exit contains TEXT (fixed)
expect_err() {
	grep -qF -- "$1" "$T/stderr" || fail "stderr lacks '$1'; it was: $(head -c 2000 "$T/stderr")"
}

expect_out() {
	grep -qF -- "$1" "$T/stdout" || fail "stdout lacks '$1'; it was: $(head -c 2000 "$T/stdout")"
}

expect_no_file() {
	[ ! -e "$1" ] || fail "$1 exists, but should not"
	# nothing half-written left beside it either
	local d
	d=$(dirname "$1")
	if [ -d "$d" ] && ls -A "$d" | grep -q '\.tmp'; then
		fail "temporary file left in $d: $(ls -A "$d")"
	fi
}

# wait_working PID DIR: waits (10 s at most) until process PID holds one of
# portex's working files in DIR open. They have no name (O_TMPFILE shows as
# DIR/#inode, the fallback as DIR/.portex-*); /proc still says where they
# are. Other files do not count: valgrind keeps its own in TMPDIR before
# portex has even started. Returns 1 if it never did.
wait_working() {
	local i
	for i in $(seq 200); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -qE -- "-> $2/(#|\.portex-)" && return 0
		sleep 0.05
	done
	return 1
}

# expect_valid_package ZIP: Python's zipfile and tests/tools/check_package.py
# (the published schemas, the manifest's digests) both accept ZIP.
expect_valid_package() {
	/usr/bin/python3 -m zipfile -t "$1" >/dev/null ||
		fail "python3 -m zipfile -t rejects the package"
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$1" \
		--repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
}

expect_file() {
	[ -s "$1" ] || fail "$1 missing or empty"
}

run_tests() {
	local name out
	for name in $(declare -F | awk '{print $3}' | grep '^test_' | grep -E -- "${E2E_TEST:-.}"); do
		T=$(mktemp -d)
		export T
		# Not inside `if`: bash would switch errexit off for the test.
		out=$( (set -e; cd "$T"; "$name") 2>&1)
		if [ $? -eq 0 ]; then
			echo "ok $name" >>"$PX_RESULTS"
			echo "ok   $name"
		else
			echo "FAIL $name" >>"$PX_RESULTS"
			echo "FAIL $name"
			printf '%s\n' "$out" | sed 's/^/     /'
		fi
		rm -rf "$T"
	done
}

# on_tty CMD: runs CMD with stderr on a pseudo-terminal, stdout in
# $T/stdout; the terminal's bytes in $T/tty. Returns 2 when there is no
# pseudo-terminal to be had.
on_tty() {
	# A pseudo-terminal is the machine's, not portex's: a chroot that mounts
	# /dev without /dev/pts has none, and then there is nothing to test here.
	if ! script -qec true /dev/null >/dev/null 2>&1; then
		echo "  skip: script(1) cannot create a pseudo-terminal here" >&2
		return 2
	fi
	script -qec "$* >$T/stdout; echo rc=\$? >$T/rc" /dev/null >"$T/tty" ||
		fail "script(1) failed"
	grep -qx "rc=0" "$T/rc" || fail "exit $(cat "$T/rc"): $(cat -v "$T/tty")"
}

# have_npm_tool PATH NAME: PATH (under build/npm, scripts/deps.sh npm)
# exists. Where npm is here and PATH is not, the test fails: the set-up
# went wrong. Only without npm does it skip, saying so (returns 1).
have_npm_tool() {
	[ -e "$1" ] && return 0
	command -v npm >/dev/null 2>&1 && fail "npm is here but $2 is not installed ($1): run scripts/deps.sh npm"
	echo "  skip: npm absent, $2 not installed" >&2
	return 1
}
