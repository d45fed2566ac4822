#!/bin/bash
# End-to-end: the Art. 15 information besides the data. The demo config's
# "processing" record (purposes, legal bases, recipients, transfers,
# retention, automated decisions, rights, CNIL) is carried in manifest.json
# and shown on index.html, checked here against the config itself.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# check_against_config SCOPE LANG: manifest.json's processing is the
# config's (all of it for access, rights/dpo/minors/authority for
# portability), and the page shows every text of it in LANG.
check_against_config() {
	/usr/bin/python3 - "$T/demo.json" "$T/pkg" "$1" "$2" <<'PY' || fail "processing: package disagrees with the config"
import json, os, sys
from html.parser import HTMLParser
cfg = json.load(open(sys.argv[1]))["processing"]
top, scope, lang = sys.argv[2], sys.argv[3], sys.argv[4]
m = json.load(open(os.path.join(top, "manifest.json")))
if scope == "access":
    want = cfg
else:
    want = {k: cfg[k] for k in ("rights", "dpo", "minors", "authority") if k in cfg}
assert m["processing"] == want, "manifest.json processing differs from the config"
class Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0
    def handle_starttag(self, t, a):
        self.skip += t == "style"
    def handle_endtag(self, t):
        self.skip -= t == "style"
    def handle_data(self, d):
        if not self.skip:
            self.parts.append(d)
t = Text()
t.feed(open(os.path.join(top, "index.html"), encoding="utf-8").read())
page = " ".join(" ".join(t.parts).split())
def texts(v):
    if isinstance(v, dict) and lang in v and all(isinstance(x, str) for x in v.values()):
        yield v[lang]
    elif isinstance(v, dict):
        for k, x in v.items():
            if k not in ("legal_basis", "role", "rights", "covers", "made", "url"):
                yield from texts(x)
    elif isinstance(v, list):
        for x in v:
            yield from texts(x)
    elif isinstance(v, str):
        yield v
missing = [s for s in texts(want) if " ".join(s.split()) not in page]
assert not missing, "not on the page: %r" % missing[:3]
words = {
 "fr": {"access": ["Ce que nous faisons de vos données", "Exécution d'un contrat (article 6.1.b du RGPD)",
                   "Intérêt légitime (article 6.1.f du RGPD)", "Obligation légale (article 6.1.c du RGPD)",
                   "sous-traitant, FR", "Transferts hors de l'Union européenne", "US — Stripe, Inc.",
                   "aucune décision fondée exclusivement sur un traitement automatisé"],
        "both": ["Vos droits", "Rectification (article 16)", "Effacement (article 17)",
                 "Portabilité (article 20)", "Directives après le décès",
                 "introduire une réclamation auprès de l'autorité de contrôle",
                 "www.cnil.fr/fr/adresser-une-plainte"]},
 "en": {"access": ["What we do with your data", "Performance of a contract (GDPR Article 6(1)(b))",
                   "processor, IE", "Transfers outside the European Union"],
        "both": ["Your rights", "Erasure (Article 17)", "Objection (Article 21)",
                 "lodge a complaint with the supervisory authority"]}}[lang]
for w in words["both"] + (words["access"] if scope == "access" else []):
    assert w in page, "the page does not show %r" % w
if scope != "access":
    for w in words["access"][:1]:
        assert w not in page, "a portability page shows %r" % w
print("processing ok")
PY
}

test_access_package_states_the_record_of_processing() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	check_against_config access fr
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$T/alice.zip" >/dev/null ||
		fail "check_package.py rejects the package"
}

test_access_package_in_english_picks_the_english_texts() {
	demo_setup
	edit_config 'c["locale"] = "en"'
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	check_against_config access en
}

test_portability_package_carries_rights_and_authority_only() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	check_against_config portability fr
}

test_a_purpose_covering_an_unknown_collection_is_a_config_error() {
	demo_setup
	edit_config 'c["processing"]["purposes"][1]["covers"].append("classe/invoice")'
	expect_exit 78 export_alice --scope access
	expect_err "demo.json: /processing/purposes/1/covers/1: \"classe/invoice\": no source of that name has a collection of that entity"
	expect_no_file "$T/alice.zip"
}

test_an_unknown_legal_basis_is_a_config_error() {
	demo_setup
	edit_config 'c["processing"]["purposes"][0]["legal_basis"] = "because"'
	expect_exit 78 export_alice
	expect_err "demo.json: /processing/purposes/0/legal_basis: "
	expect_no_file "$T/alice.zip"
}

run_tests
