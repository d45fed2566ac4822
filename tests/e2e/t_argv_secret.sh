#!/bin/bash
# End-to-end: a ledger password given on the command line is not left in
# /proc/PID/cmdline for every user of the machine to read.
. "$PX_TOP/tests/e2e/lib.sh"

test_ledger_password_leaves_proc_cmdline() {
	# A server that takes the connection and never answers keeps portex
	# waiting long enough to look at it.
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(30)' >"$T/port" &
	srv=$!
	for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	port=$(cat "$T/port")
	"$PORTEX" request list \
		--ledger "postgresql://px:SeCrEt-99@127.0.0.1:$port/ledger" \
		>"$T/stdout" 2>"$T/stderr" &
	pid=$!
	sleep 0.5
	tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline" || true
	kill "$pid" "$srv" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	grep -q "postgresql://px:" "$T/cmdline" || fail "no ledger URI in: $(cat "$T/cmdline")"
	! grep -q "SeCrEt-99" "$T/cmdline" || fail "password in /proc/PID/cmdline: $(cat "$T/cmdline")"
	! grep -q "SeCrEt-99" "$T/stderr" || fail "password on stderr"
}

run_tests
