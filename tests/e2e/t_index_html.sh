#!/bin/bash
# End-to-end: the index.html of a real package exported from the SQLite
# demo, read with parsers portex did not write (Python's html.parser for the
# text a person sees, libxml2's xmllint for structure), and its
# verification commands run exactly as printed.
# (No headless browser: Chromium is not installed on the test machines.)
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# page_text: the text of $T/pkg/index.html as a browser shows it (no
# markup, no CSS, entities decoded), one block per line, in $T/text.
page_text() {
	/usr/bin/python3 - "$T/pkg/index.html" >"$T/text" <<'PY'
import sys
from html.parser import HTMLParser

class Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0
    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self.skip += 1
        if tag in ("p", "li", "tr", "h1", "h2", "h3", "dt", "dd", "pre", "br"):
            self.out.append("\n")
        if tag == "td":
            self.out.append(" | ")
    def handle_endtag(self, tag):
        if tag == "style":
            self.skip -= 1
    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)

t = Text()
t.feed(open(sys.argv[1], encoding="utf-8").read())
print("".join(t.out))
PY
}

expect_text() {
	grep -qF -- "$1" "$T/text" || fail "the page does not show '$1'"
}

export_and_unpack() {
	demo_setup
	expect_exit 0 export_alice "$@"
	unpack "$T/alice.zip" "$T/pkg"
	page_text
}

test_page_shows_the_learner_controller_and_each_source() {
	export_and_unpack --scope access --request REQ-42
	expect_text "alice.martin@example.org"
	expect_text "Éditions Démo"
	expect_text "donnees-personnelles@demo.example"
	expect_text "REQ-42"
	expect_text "Accès (article 15 du RGPD)"
	expect_text " | classe | sqlite | données trouvées | Profil : 1"
	expect_text "Signé par : CN=portex test"
	grep -qF "NOT signed" "$T/text" && fail "a signed package says it is not"
	grep -qF "PAS signé" "$T/text" && fail "a signed package says it is not"
	return 0
}

# Each entity's table has one row per record of data/<entity>.json and
# shows the first record's values as a French reader writes them: instants
# in the controller's zone (computed here with Python's zoneinfo, not
# portex's reader), amounts with their currency, closed lists in words.
test_each_entity_table_matches_its_data_file() {
	export_and_unpack --scope access
	/usr/bin/python3 - "$T/pkg" <<'PY' || fail "tables disagree with data files"
import datetime, json, os, re, sys, zoneinfo
from html.parser import HTMLParser

class Tables(HTMLParser):
    """entity name -> list of rows (list of (cell text, <time datetime>))"""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.entity, self.in_h3, self.cell = {}, None, False, None
    def handle_starttag(self, tag, attrs):
        if tag == "h3":
            self.in_h3, self.h3 = True, ""
        elif tag == "tr" and self.entity:
            self.row = []
        elif tag == "td" and self.entity:
            self.cell, self.when = "", None
        elif tag == "time" and self.cell is not None:
            self.when = dict(attrs)["datetime"]
    def handle_endtag(self, tag):
        if tag == "h3":
            self.in_h3 = False
            m = re.search(r"\((\w+)\)", self.h3)
            self.entity = m.group(1) if m else None
            if self.entity:
                self.tables[self.entity] = []
        elif tag == "td" and self.cell is not None:
            self.row.append((self.cell, self.when))
            self.cell = None
        elif tag == "tr" and self.entity and self.row:
            self.tables[self.entity].append(self.row)
        elif tag == "section":
            self.entity = None
    def handle_data(self, data):
        if self.in_h3:
            self.h3 += data
        elif self.cell is not None:
            self.cell += data

paris = zoneinfo.ZoneInfo("Europe/Paris")
words = {"provided": "fournies par vous",
         "observed": "générées par votre activité",
         "derived": "déduites par le responsable du traitement"}

def french(key, value, rec):
    """(text, datetime attribute) a French page shows for value"""
    if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value):
        t = datetime.datetime.fromisoformat(value[:-1] + "+00:00").astimezone(paris)
        return t.strftime("%d/%m/%Y %H:%M:%S ") + t.tzname(), value
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return "/".join(reversed(value.split("-"))), value
    if key == "amount":
        whole, _, cents = value.partition(".")
        grouped = "{:,}".format(int(whole)).replace(",", "\u202f")
        sign = {"EUR": "€"}.get(rec["currency"], rec["currency"])
        return grouped + ("," + cents if cents else "") + "\u00a0" + sign, None
    if key == "category":
        return words[value], None
    return value, None

pkg = sys.argv[1]
p = Tables()
p.feed(open(os.path.join(pkg, "index.html"), encoding="utf-8").read())
names = sorted(f[:-5] for f in os.listdir(os.path.join(pkg, "data")))
assert sorted(p.tables) == names, (sorted(p.tables), names)
shown = 0
for name in names:
    records = json.load(open(os.path.join(pkg, "data", name + ".json")))["records"]
    rows = p.tables[name]
    assert len(rows) == min(len(records), 500), (name, len(rows), len(records))
    if not records:
        continue
    cells = set(rows[0])
    for key, value in records[0].items():
        if isinstance(value, str) and key not in ("status", "event", "by", "role", "purpose"):
            want = french(key, value, records[0])
            assert want in cells, (name, key, value, want, rows[0])
            shown += want[1] is not None or want[0] != value
assert shown >= 5, shown
PY
}

# The config's zone (an IANA name) is the page's; one this machine does not
# know is a config error, not UTC in disguise.
test_page_dates_are_in_the_configured_time_zone() {
	demo_setup
	edit_config 'c["timezone"] = "America/New_York"'
	SOURCE_DATE_EPOCH=1784190728 expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	page_text
	expect_text "16/07/2026 à 04:32:08 EDT (UTC-04:00)"
	expect_text "America/New_York — les dates et heures de cette page"
	/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["timezone"] == "America/New_York", m.get("timezone")
assert m["created_at"] == "2026-07-16T08:32:08Z", m["created_at"]' \
		"$T/pkg/manifest.json" || fail "manifest timezone/created_at"
	edit_config 'c["timezone"] = "Europe/Pariss"'
	expect_exit 78 "$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/bad.zip"
	grep -qF '/timezone' "$T/stderr" || fail "the error does not name /timezone"
	[ -e "$T/bad.zip" ] && fail "a package was written with a bad zone"
	return 0
}

test_page_is_self_contained_and_well_formed() {
	export_and_unpack --scope access
	/usr/bin/xmllint --noout "$T/pkg/index.html" ||
		fail "xmllint rejects index.html"
	grep -qiE '<script|<link|<img|<iframe|src=|url\(|@import|https?://' \
		"$T/pkg/index.html" && fail "index.html references something outside"
	/usr/bin/python3 - "$T/pkg" <<'PY' || fail "a link leads nowhere"
import os, re, sys, urllib.parse
pkg = sys.argv[1]
html = open(os.path.join(pkg, "index.html"), encoding="utf-8").read()
ids = set(re.findall(r'id="([^"]+)"', html))
links = re.findall(r'href="([^"]+)"', html)
assert links
for href in links:
    if href.startswith("#"):
        assert href[1:] in ids, href
    else:
        path = urllib.parse.unquote(href)
        assert path.split("/")[0] in ("files", "data", "csv", "html"), href
        assert os.path.isfile(os.path.join(pkg, path)), href
PY
}

test_page_is_in_english_when_the_config_says_so() {
	demo_setup
	edit_config 'c["locale"] = "en"'
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	page_text
	grep -qF '<html lang="en">' "$T/pkg/index.html" || fail "lang is not en"
	expect_text "Your personal data"
	expect_text "Portability (GDPR Article 20)"
	expect_text " | classe | sqlite | data found | Profile: 1"
	grep -qF "Personne concernée" "$T/text" && fail "French left in English page"
	return 0
}

test_unsigned_package_page_warns() {
	export_and_unpack --unsigned
	expect_text "Attention : ce paquet n'est PAS signé."
	grep -qF "openssl cms" "$T/text" && fail "unsigned page gives openssl cms"
	return 0
}

# The commands the page prints work as printed on the package they are in
# (only PACKAGE.zip and CERT.pem replaced, as the page tells the reader).
test_verification_commands_on_the_page_work() {
	export_and_unpack
	sed -n '/^unzip -d pkg/,/-out \/dev\/null$/p' "$T/text" >"$T/cmds"
	[ "$(wc -l <"$T/cmds")" = 2 ] || fail "commands not found: $(cat "$T/cmds")"
	sed -i -e "s|PACKAGE.zip|$T/alice.zip|" -e "s|CERT.pem|$T/out/keys/portex.crt|" \
		-e "s|unzip -d pkg|unzip -q -d pkg|" "$T/cmds"
	mkdir "$T/reader"
	(cd "$T/reader" && bash -e "$T/cmds") >"$T/openssl.out" 2>&1 ||
		fail "the page's commands fail: $(cat "$T/openssl.out")"
	grep -qF "Verification successful" "$T/openssl.out" ||
		fail "openssl did not verify: $(cat "$T/openssl.out")"
	# the page tells the reader what openssl prints on success
	expect_text "$(grep "Verification successful" "$T/openssl.out")"
	grep -qF "portex verify PACKAGE.zip" "$T/text" || fail "no portex verify"
	# the SHA-256 digests the page lists are those of the files
	/usr/bin/python3 - "$T/pkg" "$T/text" <<'PY' || fail "a digest on the page is wrong"
import hashlib, os, re, sys
pkg, text = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
rows = re.findall(r"^ \| (\S+) \| [^|]* \| [^|]* \| [^|]* \| ([0-9a-f]{64})$", text, re.M)
assert len(rows) >= 12, rows
for path, digest in rows:
    assert hashlib.sha256(open(os.path.join(pkg, path), "rb").read()).hexdigest() == digest, path
PY
}

test_large_entity_shows_500_rows_and_names_the_file() {
	demo_setup
	sqlite3 "$T/out/demo.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL \
		SELECT i + 1 FROM n WHERE i < 1198) INSERT INTO logins \
		SELECT 1, 1700000000 + i * 60, 'login', '203.0.113.' || (i % 250), \
		'<script>alert(' || i || ')</script>', i FROM n"
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	page_text
	expect_text "Connexions (connection) — 1"$'\u202f'"200 enregistrements"
	expect_text "700 autres lignes ne sont pas affichées ici. Toutes les lignes, page par page :"
	grep -qF '<a href="html/connection-0001.html">1</a>' "$T/pkg/index.html" ||
		fail "index.html does not link the page of connections"
	grep -qF 'connection-0002' "$T/pkg/index.html" &&
		fail "1,200 connections fit one page of 5,000, but index.html links a second"
	rows=$(grep -c '^ | .* | 203\.0\.113\.' "$T/text")
	[ "$rows" = 500 ] || fail "$rows connection rows shown, expected 500"
	grep -qF '<script>alert(' "$T/text" || fail "user agents not shown as text"
	grep -qF '<script>' "$T/pkg/index.html" && fail "markup from data not escaped"
	return 0
}

# The page and manifest.json give the signing certificate's SHA-256
# fingerprint; the commands the page prints get the certificate out of the
# signature and give the same fingerprint as the certificate on disk.
test_page_shows_the_certificate_fingerprint_the_commands_give() {
	export_and_unpack --scope access
	want=$(openssl x509 -in "$T/out/keys/portex.crt" -noout -fingerprint -sha256 | sed 's/.*=//')
	expect_text "Empreinte SHA-256 du certificat : $want"
	/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["signer_sha256"])' \
		"$T/pkg/manifest.json" >"$T/m"
	[ "$(tr a-f A-F <"$T/m" | sed 's/../&:/g; s/:$//')" = "$want" ] ||
		fail "manifest.json signer_sha256 $(cat "$T/m") is not $want"
	(cd "$T/pkg" &&
		openssl pkcs7 -inform DER -in META-INF/signature001.p7s -print_certs -out CERT.pem &&
		openssl x509 -in CERT.pem -noout -fingerprint -sha256) >"$T/fp" ||
		fail "the page's commands fail"
	grep -qF "$want" "$T/fp" || fail "the page's commands give $(cat "$T/fp"), not $want"
}

run_tests
