#!/bin/bash
# End-to-end: what a learner opens besides index.html. Every entity is also
# csv/<entity>.csv (read back with Python's csv to the JSON's values), and
# an entity longer than one page gets html/<entity>-NNNN.html pages so that
# every record is reachable from index.html by following links. Both are
# listed in manifest.json and covered by the signature.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# add_answers N: Alice gets N more answers (ids from 10001), some with
# commas, quotes, newlines and accents, so the CSV has to quote them.
# add_answers_from ID N: the same, ids from ID.
add_answers() {
	add_answers_from 10001 "$1"
}
add_answers_from() {
	sqlite3 "$T/out/demo.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO responses (id, attempt_id, question, prompt, response, correct,
                       points, submitted_at)
SELECT $1 + i, 100, 'q' || i,
       CASE i % 4 WHEN 0 THEN 'Prompt, with a comma'
                  WHEN 1 THEN 'Say "yes"' || char(10) || 'on two lines'
                  WHEN 2 THEN 'Écrivez « été »'
                  ELSE 'plain' END,
       CASE i % 3 WHEN 0 THEN '"r' || i || '"' WHEN 1 THEN '[' || i || ',"b"]'
                  ELSE '{"k":' || i || '}' END,
       i % 2, (i % 7) * 0.5, '2025-10-12 19:05:00'
FROM n;
SQL
}

# check_csv: every csv/<entity>.csv has the JSON's records, in order, with
# the same values (nested ones as JSON text), and a UTF-8 BOM.
check_csv() {
	/usr/bin/python3 - "$T/pkg" <<'PY' || fail "CSV disagrees with JSON"
import csv, json, os, sys
top = sys.argv[1]
def same(cell, v):
    if isinstance(v, bool):
        return cell == ("true" if v else "false")
    if isinstance(v, str):
        return cell == v
    if isinstance(v, (int, float)):
        return float(cell) == v
    return json.loads(cell) == v
entities = [f[:-5] for f in os.listdir(os.path.join(top, "data"))]
assert entities, "no data files"
for e in entities:
    recs = json.load(open(os.path.join(top, "data", e + ".json")))["records"]
    raw = open(os.path.join(top, "csv", e + ".csv"), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf"), e + ": no BOM"
    rows = list(csv.reader(open(os.path.join(top, "csv", e + ".csv"),
                                encoding="utf-8-sig", newline="")))
    head, body = rows[0], rows[1:]
    schema = json.load(open(os.path.join(top, "schemas", e + ".schema.json")))
    cols = list(schema["properties"]["records"]["items"]["properties"])
    assert head == cols, "%s: header %r, schema %r" % (e, head, cols)
    assert len(body) == len(recs), "%s: %d CSV rows, %d records" % (e, len(body), len(recs))
    for n, (row, rec) in enumerate(zip(body, recs), 1):
        assert len(row) == len(head), "%s: row %d has %d cells" % (e, n, len(row))
        for k, cell in zip(head, row):
            if k not in rec:
                assert cell == "", "%s: row %d: %s: %r for an absent value" % (e, n, k, cell)
            else:
                assert same(cell, rec[k]), "%s: row %d: %s: %r vs %r" % (e, n, k, cell, rec[k])
print("csv ok: %d entities" % len(entities))
PY
}

# reachable_ids ENTITY: the "id" cells of every row of ENTITY's table on
# every page reachable from index.html by links, one per line, in $T/ids
reachable_ids() {
	/usr/bin/python3 - "$T/pkg" "$1" >"$T/ids" <<'PY' || fail "cannot walk the pages"
import os, sys, posixpath, urllib.parse
from html.parser import HTMLParser
top, entity = sys.argv[1], sys.argv[2]
class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.tables, self.cell, self.section = [], [], None, None
        self.head, self.row, self.in_th = [], None, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append(urllib.parse.unquote(a["href"]))
        if tag == "table":
            self.tables.append(([], []))
        if tag == "tr":
            self.row = []
        if tag in ("td", "th"):
            self.cell = []
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        if tag == "tr" and self.row is not None and self.tables:
            self.tables[-1][1].append(self.row)
            self.row = None
    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)
seen, todo, ids = set(), ["index.html"], []
while todo:
    path = todo.pop()
    if path in seen:
        continue
    seen.add(path)
    p = Page()
    p.feed(open(os.path.join(top, path), encoding="utf-8").read())
    for l in p.links:
        if l.startswith("#") or "://" in l:
            continue
        t = posixpath.normpath(posixpath.join(posixpath.dirname(path), l))
        assert not t.startswith(".."), "link leaves the package: " + l
        assert os.path.exists(os.path.join(top, t)), path + ": broken link " + l
        if t.endswith(".html") and (t == "index.html" or t.startswith("html/" + entity + "-")):
            todo.append(t)
    if path == "index.html":
        continue
    for rows in (t[1] for t in p.tables):
        head = rows[0]
        idcol = [i for i, h in enumerate(head) if h.endswith("id") and h.startswith("Ident")]
        assert idcol, path + ": no id column in " + repr(head)
        ids.extend(r[idcol[0]] for r in rows[1:])
print("\n".join(ids))
PY
}

test_every_entity_has_a_csv_with_the_json_values() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	check_csv
	/usr/bin/python3 - "$T/pkg" <<'PY' || fail "CSV files not listed in manifest.json"
import json, os, sys
m = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
paths = {f["path"]: f for f in m["files"]}
for d in os.listdir(os.path.join(sys.argv[1], "data")):
    c = "csv/" + d[:-5] + ".csv"
    assert c in paths, c + " not in manifest.json"
    assert paths[c]["media_type"] == "text/csv", paths[c]
PY
	grep -qF 'URI="csv/answer.csv"' "$T/pkg/META-INF/ASiCManifest.xml" ||
		fail "csv/answer.csv not covered by the signature"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
}

test_a_short_entity_gets_no_pages() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	[ ! -e "$T/pkg/html" ] || fail "pages for entities index.html shows whole: $(ls "$T/pkg/html")"
}

# 200,000 answers: every one is reachable from index.html through the
# pages, and the CSV holds all of them with their values.
test_200000_answers_are_all_reachable_and_in_the_csv() {
	demo_setup
	add_answers 200000
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	/usr/bin/python3 -c '
import json, sys
ids = [r["id"] for r in json.load(open(sys.argv[1]))["records"]]
assert len(ids) == 200003, len(ids)
print("\n".join(ids))' "$T/pkg/data/answer.json" | sort >"$T/want"
	reachable_ids answer
	sort "$T/ids" >"$T/got"
	cmp -s "$T/want" "$T/got" ||
		fail "answers reachable through the pages differ from data/answer.json: $(diff "$T/want" "$T/got" | head -5)"
	[ "$(ls "$T/pkg/html" | grep -c '^answer-')" = 41 ] ||
		fail "expected 41 pages of 5,000 answers, got $(ls "$T/pkg/html" | grep -c '^answer-')"
	check_csv
	grep -qF 'URI="html/answer-0041.html"' "$T/pkg/META-INF/ASiCManifest.xml" ||
		fail "the last page is not covered by the signature"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
}

# page_chain ENTITY: follows each page's "next" link from the first page
# and prints, per page, its name, its header's range and its rows.
page_chain() {
	/usr/bin/python3 - "$T/pkg" "$1" <<'PY' || fail "the pages do not follow one another"
import os, re, sys
from html.parser import HTMLParser
top, entity = sys.argv[1], sys.argv[2]
class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.next, self.rows, self.text, self.a = None, 0, [], None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self.a = (a.get("href"), [])
        if tag == "tr":
            self.rows += 1
    def handle_endtag(self, tag):
        if tag == "a" and self.a:
            if "".join(self.a[1]).strip() == "Page suivante":
                assert self.next in (None, self.a[0]), "two next links"
                self.next = self.a[0]
            self.a = None
    def handle_data(self, d):
        self.text.append(d)
        if self.a:
            self.a[1].append(d)
name, n = "%s-0001.html" % entity, 0
while name:
    n += 1
    assert name == "%s-%04d.html" % (entity, n), "page %d links to %s" % (n - 1, name)
    p = Page()
    p.feed(open(os.path.join(top, "html", name), encoding="utf-8").read())
    text = " ".join("".join(p.text).split())
    m = re.search(r"Page (\d+) \u2014 enregistrements (\d+)\u2013(\d+)", text)
    assert m, name + ": no 'Page N \u2014 enregistrements a\u2013b' in its header"
    assert int(m.group(1)) == n, name + ": says page " + m.group(1)
    print(name, m.group(2), m.group(3), p.rows - 1)
    name = p.next
PY
}

# A page is written before the entity's end is known: pages name their
# own records and link to the next one only when there is one, and the
# last page (here one answer) has no "next" link. Pages hold 5,000.
test_pages_link_to_the_next_one_until_the_last() {
	demo_setup
	add_answers 9998
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	page_chain answer >"$T/chain"
	printf '%s\n' "answer-0001.html 1 5000 5000" "answer-0002.html 5001 10000 5000" \
		"answer-0003.html 10001 10001 1" >"$T/want"
	cmp -s "$T/want" "$T/chain" || fail "pages: $(cat "$T/chain")"
	[ "$(ls "$T/pkg/html")" = "$(printf 'answer-0001.html\nanswer-0002.html\nanswer-0003.html')" ] ||
		fail "html/ holds $(ls "$T/pkg/html")"
	grep -q 'answer-0003.html' "$T/pkg/index.html" || fail "index.html does not list the last page"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
}

# 500 answers fit index.html: no pages; the 501st makes one page that
# holds all 501, and the 5,001st a second page.
test_500_answers_get_no_pages_501_one_and_5001_two() {
	demo_setup
	add_answers 497
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	[ ! -e "$T/pkg/html" ] || fail "pages for 500 answers: $(ls "$T/pkg/html")"
	sqlite3 "$T/out/demo.db" "INSERT INTO responses (id, attempt_id, question, prompt,
		response, correct, points, submitted_at) SELECT 20000, attempt_id, question,
		prompt, response, correct, points, submitted_at FROM responses WHERE id = 10001"
	expect_exit 0 export_alice --force
	rm -rf "$T/pkg"
	unpack "$T/alice.zip" "$T/pkg"
	page_chain answer >"$T/chain"
	printf '%s\n' "answer-0001.html 1 501 501" >"$T/want"
	cmp -s "$T/want" "$T/chain" || fail "pages: $(cat "$T/chain")"
	grep -qF '<a href="html/answer-0001.html">1</a>' "$T/pkg/index.html" ||
		fail "index.html does not link to the page"
	check_csv
	add_answers_from 20001 4500
	expect_exit 0 export_alice --force
	rm -rf "$T/pkg"
	unpack "$T/alice.zip" "$T/pkg"
	page_chain answer >"$T/chain"
	printf '%s\n' "answer-0001.html 1 5000 5000" "answer-0002.html 5001 5001 1" >"$T/want"
	cmp -s "$T/want" "$T/chain" || fail "pages: $(cat "$T/chain")"
	check_csv
}

# export_on_full_disk: exports Alice with TMPDIR, where the work files
# go, on a 256 KB tmpfs in a mount namespace of its own; SQLite's own
# temporary files stay off it (they would fail first, and say "database or
# disk is full"). Returns 1 (skipping) without root.
export_on_full_disk() {
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		echo "  skip: no mount namespace here (needs root)" >&2
		return 1
	fi
	mkdir -p "$T/work" "$T/target"
	expect_exit 73 unshare -m sh -c 'w=$0 s=$1 && shift &&
		mount -t tmpfs -o size=256k tmpfs "$w" &&
		exec env TMPDIR="$w" SQLITE_TMPDIR="$s" "$@"' "$T/work" "$T" \
		"$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/target/alice.zip"
	[ -z "$(ls -A "$T/target")" ] || fail "left beside the target: $(ls -A "$T/target")"
}

# A full disk under the work files: exit 73 naming the file that could not
# be written and its folder, no package. 30,000 answers make ~18 MB of
# xAPI statements, which fill it first; without xAPI, the answers' data,
# CSV or pages, whichever writes the byte too many.
test_a_full_work_disk_fails_with_73_naming_the_file() {
	demo_setup
	add_answers 30000
	export_on_full_disk || return 0
	expect_err "portex export: cannot write xAPI statements in $T/work: No space left on device"
	edit_config 'for s in c["sources"]: s.pop("xapi", None)'
	export_on_full_disk
	grep -qE "^portex export: cannot write (data|csv|pages) of answer in $T/work: No space left on device$" \
		"$T/stderr" || fail "no full-disk error naming the file: $(cat "$T/stderr")"
}

# A full disk under the package: the archive is written through a buffer,
# so the byte too many may only fail when the archive is closed; still
# exit 73 naming the package, and nothing left beside the target.
test_a_full_package_disk_fails_with_73_naming_the_package() {
	demo_setup
	if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
		echo "  skip: no mount namespace here (needs root)" >&2
		return 0
	fi
	mkdir -p "$T/target"
	expect_exit 73 unshare -m sh -c 'mount -t tmpfs -o size=8k tmpfs "$0" &&
		exec "$@"' "$T/target" \
		"$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/target/alice.zip"
	expect_err "portex export: cannot write package: $T/target/alice.zip: Write error: No space left on device"
	[ -z "$(ls -A "$T/target")" ] || fail "left beside the target: $(ls -A "$T/target")"
}

run_tests
