#!/bin/bash
# End-to-end, in a real browser (Debian's headless Chromium through
# chromedriver and python3-selenium): the demo package's index.html and
# one of its further pages, in French and English, at 390 px (a phone) and
# 1280 px: nothing wider than the window, no script runs, no request
# leaves the file, and axe-core (build/npm, from `scripts/deps.sh npm`)
# finds no WCAG 2.1 A/AA violation. Screenshots are kept in
# build/artifacts/browser/ (not committed).
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

SHOTS="$PX_TOP/build/artifacts/browser"
AXE="$PX_TOP/build/npm/node_modules/axe-core/axe.min.js"

# check PAGE NAME: browser_check.py on $T/pkg/PAGE, screenshots NAME-*.png
check() {
	/usr/bin/python3 "$PX_TOP/tests/tools/browser_check.py" "$T/pkg/$1" \
		"$SHOTS" "$2" $axe >"$T/out.txt" 2>&1 ||
		fail "$1 ($2): $(cat "$T/out.txt")"
}

# browse LANG: the demo's index.html in LANG; then, with 5,100
# connections, the second page of connections (100 rows: axe takes
# minutes on the first page's 5,000).
browse() {
	axe=""
	if [ -f "$AXE" ]; then
		axe=$AXE
	else
		command -v npm >/dev/null 2>&1 &&
			fail "npm is here but axe-core is not installed: run scripts/deps.sh npm"
		echo "  axe-core absent (no npm): accessibility not checked" >&2
	fi
	demo_setup
	edit_config "c[\"locale\"] = \"$1\""
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	check index.html "index-$1"
	sqlite3 "$T/out/demo.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
		SELECT i + 1 FROM n WHERE i < 5098) INSERT INTO logins \
		SELECT 1, 1700000000 + i * 60, 'login', '203.0.113.' || (i % 250), \
		'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36', i FROM n"
	rm -rf "$T/pkg" "$T/alice.zip"
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	check html/connection-0002.html "page-$1"
}

test_demo_page_in_french_fits_runs_nothing_and_is_accessible() {
	browse fr
}

test_demo_page_in_english_fits_runs_nothing_and_is_accessible() {
	browse en
}

run_tests
