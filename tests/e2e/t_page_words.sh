#!/bin/bash
# t_page_words.sh - the free-text values a page shows (status, role,
# consent purpose: paid, active, learner, newsletter...) in the page's
# language, as a person reads them; data/ and csv/ keep the source's value.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# cells PKG LANG: every cell of status/role/purpose against the words below;
# every such value of the demo's data has a word.
cells() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import html.parser, json, os, sys
pkg, lang = sys.argv[1], sys.argv[2]
fr = {("status", "active"): "actif", ("status", "expired"): "expiré",
      ("status", "paid"): "payé", ("status", "refunded"): "remboursé",
      ("status", "open"): "ouvert", ("status", "closed"): "fermé",
      ("status", "completed"): "terminé", ("status", "in_progress"): "en cours",
      ("status", "not_started"): "pas commencé",
      ("role", "learner"): "apprenant", ("role", "pupil"): "élève",
      ("purpose", "newsletter"): "lettre d'information",
      ("purpose", "learning_analytics"): "analyse de vos apprentissages"}
en = {k: k[1].replace("_", " ") for k in fr}
words = fr if lang == "fr" else en

class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.entity = self.cell = self.span = None
        self.fields, self.rows, self.tables, self.head = [], [], {}, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span":
            self.span = a.get("class")
            self.text = ""
        elif tag == "thead":
            self.fields, self.head = [], True
        elif tag == "tr":
            self.row = []
        elif tag == "td":
            self.cell = ""
    def handle_endtag(self, tag):
        if tag == "span":
            if self.span == "name" and self.text.startswith("("):
                self.entity = self.text.strip("()")
                self.tables[self.entity] = (self.fields, [])
            elif self.span == "field" and self.head:
                self.fields.append(self.text)
            self.span = None
        elif tag == "thead":
            self.head = False
        elif tag == "section":
            self.entity = None
        elif tag == "td" and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.entity and self.row:
            self.tables[self.entity][1].append(self.row)
            self.tables[self.entity] = (self.fields, self.tables[self.entity][1])
    def handle_data(self, d):
        if self.span:
            self.text += d
        if self.cell is not None:
            self.cell += d

p = Page()
p.feed(open(os.path.join(pkg, "index.html"), encoding="utf-8").read())
checked = 0
for ent, (fields, rows) in p.tables.items():
    recs = json.load(open(os.path.join(pkg, "data", ent + ".json")))["records"]
    assert len(rows) == len(recs), (ent, len(rows), len(recs))
    for rec, row in zip(recs, rows):
        assert len(fields) == len(row), (ent, fields, row)
        shown = dict(zip(fields, row))
        for f in ("status", "role", "purpose"):
            if f not in rec:
                continue
            want = words.get((f, rec[f]))
            assert want, "no word expected for %s=%s: the test's list lacks it" % (f, rec[f])
            assert shown[f] == want, (ent, f, rec[f], shown[f], want)
            checked += 1
assert checked >= 10, checked
print(checked)
PY
}

test_french_page_shows_status_role_and_purpose_in_french() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	cells "$T/pkg" fr >"$T/n" || fail "French words missing on the page"
	# the source's values stay as they are in data/ and csv/
	grep -q '"status":"paid"' "$T/pkg/data/purchase.json" || fail "data/ changed"
	grep -q ',paid,' "$T/pkg/csv/purchase.csv" || fail "csv/ changed"
}

test_english_page_shows_them_in_english() {
	demo_setup
	edit_config 'c["locale"] = "en"'
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	cells "$T/pkg" en >/dev/null || fail "English words wrong on the page"
}

run_tests
