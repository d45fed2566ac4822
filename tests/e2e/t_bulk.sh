#!/bin/bash
# End-to-end: `portex bulk` and `portex purge` on a generated SQLite
# platform (bench/gen_subjects.py), checked with python3's zipfile and
# `portex verify`.
#
# BULK_SUBJECTS sets the size of the big run (default 1000; 150 when
# PORTEX is a sanitizer or valgrind build, where one export costs ~20x).
. "$PX_TOP/tests/e2e/lib.sh"

GEN=$PX_TOP/bench/gen_subjects.py
case "$PORTEX" in
*asan* | *valgrind* | *vg*) BIG=${BULK_SUBJECTS:-150} ;;
*) BIG=${BULK_SUBJECTS:-1000} ;;
esac

# bulk_setup N R: $T/lms.db with N learners of R records, $T/bulk.json,
# $T/subjects.csv, keys, salt, $T/out; spool files in $T/tmp.
bulk_setup() {
	mkdir -p "$T/keys" "$T/out" "$T/tmp"
	(cd "$T" && /usr/bin/python3 "$GEN" --subjects "$1" --records "$2" \
		--sqlite lms.db --csv subjects.csv --config bulk.json \
		--db lms.db) || fail "generator failed"
	head -c 32 /dev/urandom >"$T/bulk.salt"
	"$PORTEX" keygen --key "$T/keys/portex.key" \
		--cert "$T/keys/portex.crt" --name "portex bulk test" >/dev/null
	export TMPDIR=$T/tmp
}

bulk() {
	"$PORTEX" bulk --config "$T/bulk.json" --out-dir "$T/out" "$@"
}

# check_index N: the index names N subjects, each with one "ok" line not
# adopted (exported exactly once), its package there with that SHA-256;
# no package holds another learner's data; nothing temporary is left.
check_index() {
	/usr/bin/python3 - "$T/out" "$1" <<'PY' || fail "index check failed"
import hashlib, json, os, re, sys, zipfile
d, n = sys.argv[1], int(sys.argv[2])
exported, last = {}, {}
for line in open(os.path.join(d, "index.ndjson")):
    e = json.loads(line)
    last[e["id"]] = e
    if e["status"] == "ok" and not e.get("adopted"):
        exported[e["id"]] = exported.get(e["id"], 0) + 1
assert len(last) == n, "index names %d subjects, expected %d" % (len(last), n)
twice = [k for k, v in exported.items() if v != 1]
assert not twice, "exported more than once: %s" % twice[:3]
assert len(exported) == n, "%d exported, expected %d" % (len(exported), n)
pat = re.compile(rb"u(\d+)@example\.org|quiz-u(\d+)-|First(\d+)|Last(\d+)")
for e in last.values():
    assert e["status"] == "ok", e
    assert "@" not in e["package"] and e["package"] == e["id"] + ".zip"
    p = os.path.join(d, e["package"])
    assert hashlib.sha256(open(p, "rb").read()).hexdigest() == e["sha256"]
    me = re.match(r"u(\d+)@", e["subject"]["email"]).group(1).encode()
    z = zipfile.ZipFile(p)
    assert z.testzip() is None
    for name in z.namelist():
        if not name.startswith(("data/", "csv/", "index.html", "manifest")):
            continue
        for m in pat.finditer(z.read(name)):
            who = [g for g in m.groups() if g][0]
            assert who == me, "%s: %s holds learner %s's data" % (
                e["package"], name, who.decode())
left = [f for f in os.listdir(d) if f.startswith(".portex-")]
left += [f for f in os.listdir(os.environ["TMPDIR"])]
assert not left, "temporary files left: %s" % left
PY
}

test_every_subject_gets_one_verified_package_and_an_index_line() {
	bulk_setup "$BIG" 12
	expect_exit 0 bulk --subjects "$T/subjects.csv" --jobs 2
	expect_out "exported: $BIG"
	expect_out "failed:   0"
	check_index "$BIG"
	for f in "$T"/out/*.zip; do
		"$PORTEX" verify "$f" --ca "$T/keys/portex.crt" >/dev/null ||
			fail "$f does not verify"
	done
	# Any tool can check the signature, not only portex.
	f=$(ls "$T"/out/*.zip | head -1)
	"$PX_TOP/tests/tools/openssl_verify.sh" "$f" "$T/keys/portex.crt" \
		>/dev/null 2>&1 || fail "openssl does not verify $f"
}

test_rerun_skips_what_is_there_and_verifies() {
	bulk_setup 20 6
	expect_exit 0 bulk --subjects "$T/subjects.csv"
	lines=$(wc -l <"$T/out/index.ndjson")
	expect_exit 0 bulk --subjects "$T/subjects.csv" --jobs 2 --json
	expect_out '"exported": 0, "skipped": 20'
	[ "$(wc -l <"$T/out/index.ndjson")" = "$lines" ] ||
		fail "a rerun added index lines for packages already indexed"
}

test_sigkill_halfway_then_rerun_exports_each_missing_subject_once() {
	bulk_setup 300 30
	bulk --subjects "$T/subjects.csv" --jobs 2 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		n=$(cat "$T/out/index.ndjson" 2>/dev/null | wc -l)
		[ "$n" -ge 100 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	n=$(wc -l <"$T/out/index.ndjson")
	[ "$n" -lt 300 ] || fail "the run finished before it was killed"
	expect_exit 0 bulk --subjects "$T/subjects.csv" --jobs 2
	check_index 300
}

test_two_runs_on_one_cohort_at_once_export_nobody_twice() {
	bulk_setup 200 10
	bulk --cohort ended --since 2026-06-01 --until 2026-07-31 --jobs 2 \
		>"$T/a" 2>&1 &
	a=$!
	bulk --cohort ended --since 2026-06-01 --until 2026-07-31 --jobs 2 \
		>"$T/b" 2>&1 &
	b=$!
	wait $a || fail "first run: $(cat "$T/a")"
	wait $b || fail "second run: $(cat "$T/b")"
	check_index 200
}

test_cohort_packages_say_until_when_they_can_be_downloaded() {
	bulk_setup 3 4
	expect_exit 0 bulk --cohort ended --since 2026-07-01 --until 2026-07-03
	# u2's licence ended 2026-06-03 (not in range); u1 2026-07-02: three
	# months later is Friday 2026-10-02.
	expect_out "exported: 1"
	/usr/bin/python3 - "$T/out" <<'PY' || fail "retrievable_until is wrong"
import json, os, sys, zipfile
d = sys.argv[1]
e = json.loads(open(os.path.join(d, "index.ndjson")).readline())
assert e["subject"] == {"email": "u1@example.org"}, e
assert e["retrievable_until"] == "2026-10-02", e
z = zipfile.ZipFile(os.path.join(d, e["package"]))
m = json.loads(z.read("manifest.json"))
assert m["retrievable_until"] == "2026-10-02", m
page = z.read("index.html").decode()
assert "jusqu’au" in page and "2026-10-02" in page
PY
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" \
		"$T"/out/*.zip --repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
}

test_one_bad_subject_fails_alone_and_is_not_retried() {
	bulk_setup 5 6
	sqlite3 "$T/lms.db" "UPDATE scores SET taken_at = 'yesterday' WHERE user_id = 3"
	echo 'nobody@example.org,2026-06-01' >>"$T/subjects.csv"
	expect_exit 65 bulk --subjects "$T/subjects.csv" --jobs 2
	expect_out "exported: 4"
	expect_err "2 of 6 subjects failed"
	/usr/bin/python3 - "$T/out/index.ndjson" <<'PY' || fail "index does not say why"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
bad = {l["subject"]["email"]: l for l in lines if l["status"] != "ok"}
assert set(bad) == {"u3@example.org", "nobody@example.org"}, bad
assert bad["u3@example.org"]["code"] == 65
assert "taken_at" in bad["u3@example.org"]["error"]
assert bad["u3@example.org"]["attempts"] == 1  # bad data: no retry
assert bad["nobody@example.org"]["code"] == 67
PY
}

test_names_never_show_the_email_and_need_a_salt() {
	bulk_setup 2 4
	expect_exit 0 bulk --subjects "$T/subjects.csv"
	ls "$T/out" | grep -q example && fail "a file name shows an email"
	/usr/bin/python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['bulk']={}; json.dump(c,open(sys.argv[1],'w'))" "$T/bulk.json"
	expect_exit 78 bulk --subjects "$T/subjects.csv"
	expect_err "/bulk/salt_file: missing"
}

test_purge_deletes_exactly_the_expired_packages_and_audits_each() {
	bulk_setup 6 4
	# u1..u3 ended long ago: their three months are over.
	/usr/bin/python3 - "$T/subjects.csv" <<'PY'
import sys
rows = ["email,retain_from"]
for i in range(1, 7):
    rows.append("u%d@example.org,%s" % (i, "2020-01-0%d" % i if i <= 3 else "2099-01-01"))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
	expect_exit 0 bulk --subjects "$T/subjects.csv"
	echo "not ours" >"$T/out/notes.txt"
	cp "$T/out/$(ls "$T/out" | grep zip | head -1)" "$T/out/copy.zip"
	# A package changed after portex wrote it is not portex's any more.
	victim=$(/usr/bin/python3 -c "
import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e['subject']['email']=='u2@example.org': print(e['package'])" "$T/out/index.ndjson")
	printf 'x' >>"$T/out/$victim"
	expect_exit 0 "$PORTEX" purge --out-dir "$T/out" --expired --dry-run
	[ "$(grep -c '^would delete' "$T/stdout")" = 2 ] ||
		fail "dry run: $(cat "$T/stdout")"
	expect_out "kept: not the file portex wrote  $victim"
	[ "$(ls "$T/out" | grep -c zip)" = 7 ] || fail "the dry run deleted"
	expect_exit 0 "$PORTEX" purge --out-dir "$T/out" --expired \
		--config "$T/bulk.json" --json
	/usr/bin/python3 - "$T/out" "$T/stdout" "$victim" <<'PY' || fail "purge is not exact"
import json, os, sys
d, out, victim = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
last = {}
for l in open(os.path.join(d, "index.ndjson")):
    e = json.loads(l); last[e["id"]] = e
gone = {e["subject"]["email"] for e in last.values() if e["status"] == "purged"}
assert gone == {"u1@example.org", "u3@example.org"}, gone
for e in last.values():
    there = os.path.exists(os.path.join(d, e["package"]))
    assert there == (e["status"] != "purged"), e
assert os.path.exists(os.path.join(d, "notes.txt"))
assert os.path.exists(os.path.join(d, "copy.zip"))
assert [r["action"] for r in out].count("deleted") == 2, out
PY
	expect_exit 0 "$PORTEX" audit verify --config "$T/bulk.json"
	sqlite3 "$T/ledger.db" "SELECT count(*) FROM px_audit WHERE action = 'package.purge'" >"$T/n"
	[ "$(cat "$T/n")" = 2 ] || fail "audit entries: $(cat "$T/n")"
	# Again: nothing left to delete.
	expect_exit 0 "$PORTEX" purge --out-dir "$T/out" --expired --config "$T/bulk.json"
	grep -q '^deleted' "$T/stdout" && fail "second purge deleted again"
	true
}

run_tests
