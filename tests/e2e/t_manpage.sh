#!/bin/bash
# End-to-end: docs/portex.1 documents what the binary really offers, and
# renders without warnings.
. "$PX_TOP/tests/e2e/lib.sh"

MAN="$PX_TOP/docs/portex.1"

# The man page's text with roff's \- turned back into -.
man_text() {
	sed -e 's/\\-/-/g' "$MAN"
}

test_every_command_in_portex_help_has_a_section() {
	expect_exit 0 "$PORTEX" --help
	cmds=$(awk '/^commands:/{f=1; next} f && NF {print $1}' "$T/stdout" |
		grep -v "^'")
	[ -n "$cmds" ] || fail "no commands in portex --help"
	for c in $cmds; do
		grep -qx "\.SS \"portex $c\"" "$MAN" || fail "no section for '$c'"
	done
}

test_every_option_in_each_help_is_documented() {
	expect_exit 0 "$PORTEX" --help
	man_text >"$T/man"
	for c in $(awk '/^commands:/{f=1; next} f && NF {print $1}' \
		"$T/stdout" | grep -v "^'"); do
		"$PORTEX" "$c" --help >"$T/help" 2>&1 ||
			fail "portex $c --help exits non-zero"
		for opt in $(grep -oE -- '--[a-z][a-z-]+' "$T/help" | sort -u); do
			grep -qF -- "$opt" "$T/man" ||
				fail "portex $c: $opt is not in docs/portex.1"
		done
	done
}

test_man_page_renders_without_warnings() {
	command -v groff >/dev/null || fail "groff is not installed"
	groff -man -Tutf8 -ww -z "$MAN" 2>"$T/warnings"
	[ ! -s "$T/warnings" ] || fail "groff: $(cat "$T/warnings")"
	groff -man -Tutf8 -P-cbou "$MAN" >"$T/out" 2>&1 || fail "groff fails"
	grep -q "EXIT STATUS" "$T/out" || fail "rendered page lacks EXIT STATUS"
}

test_configuration_example_is_valid_json() {
	awk '/^\.EX/{n++; if (n == 1) {f = 1; next}} /^\.EE/{f = 0} f' "$MAN" |
		sed -e 's/\\-/-/g' >"$T/example.json"
	/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
		"$T/example.json" 2>"$T/err" || fail "example: $(cat "$T/err")"
}

run_tests
