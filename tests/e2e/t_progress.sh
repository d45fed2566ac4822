#!/bin/bash
# t_progress.sh - export's progress display: on a terminal (script(1)
# gives stderr a pseudo-terminal) one line per source and collection with
# its records, rate and elapsed time; nothing at all when stderr is not a
# terminal, and nothing with --json.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

test_terminal_shows_each_collection_with_records_rate_and_time() {
	demo_setup
	on_tty "$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/alice.zip" || return 0
	expect_out "package: $T/alice.zip"
	grep -q $'\r' "$T/tty" || fail "no line redrawn in place: $(cat -v "$T/tty")"
	tr '\r' '\n' <"$T/tty" | sed 's/\x1b\[K//g' >"$T/lines"
	grep -qx "  classe: classe_user_id found" "$T/lines" ||
		fail "resolve step not shown: $(cat "$T/lines")"
	# every collection of the manifest, with the count it says
	/usr/bin/python3 - "$T/alice.zip" "$T/lines" <<'PY' || fail "progress lines disagree with the manifest"
import json, re, sys, zipfile
man = json.loads(zipfile.ZipFile(sys.argv[1]).read("manifest.json"))
lines = open(sys.argv[2], encoding="utf-8").read().splitlines()
for src in man["sources"]:
    for ent, n in src["counts"].items():
        pat = re.compile(r"^  %s/%s: %d records?, [0-9]+/s, [0-9]+\.[0-9] s \(total [0-9]+, [0-9]+\.[0-9] s\)$"
                         % (src["name"], ent, n))
        assert any(pat.match(l) for l in lines), (src["name"], ent, n, lines)
total = sum(n for s in man["sources"] for n in s["counts"].values())
assert any(("(total %d," % total) in l for l in lines), total
PY
	! grep -q "classe/" "$T/stdout" || fail "progress on stdout"
}

test_silent_when_stderr_is_not_a_terminal() {
	demo_setup
	expect_exit 0 export_alice
	[ ! -s "$T/stderr" ] || fail "stderr not empty on a pipe: $(cat -v "$T/stderr")"
}

test_silent_with_json_even_on_a_terminal() {
	demo_setup
	on_tty "$PORTEX" export --config "$T/demo.json" --json \
		--subject email=alice.martin@example.org --out "$T/alice.zip" || return 0
	! grep -q "classe" "$T/tty" || fail "progress beside --json: $(cat -v "$T/tty")"
	/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/stdout" ||
		fail "stdout is not JSON: $(cat -v "$T/stdout")"
}

run_tests
