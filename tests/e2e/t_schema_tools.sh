#!/bin/bash
# t_schema_tools.sh - the schemas as python3-jsonschema reads them, and
# tests/tools/check_package.py on hand-built packages, good and broken,
# so that the checker the export tests rely on is itself known to catch
# what a recipient would.
. "$PX_TOP/tests/e2e/lib.sh"

CHECK=$PX_TOP/tests/tools/check_package.py

# make_pkg OUT [BREAK...] : writes a small package with python's zipfile,
# made wrong in the ways named (see the cases below).
make_pkg() {
	/usr/bin/python3 - "$PX_TOP" "$@" <<'EOF'
import hashlib, json, sys, zipfile
top, out, breaks = sys.argv[1], sys.argv[2], set(sys.argv[3:])
ts = "2024-01-15T09:30:00Z"
recs = [{"assessment": "q1", "score": 12.5, "taken_at": ts,
         "source": "lms", "category": "observed"},
        {"assessment": "q2", "score": 7, "taken_at": ts,
         "source": "lms", "category": "observed"}]
if "bad-record" in breaks:
    recs[1]["taken_at"] = "15/01/2024"
data = json.dumps({"entity": "score", "schema": "schemas/score.schema.json",
                   "records": recs}, indent=1).encode()
schema = open(top + "/schemas/score.schema.json", "rb").read()
if "edited-schema" in breaks:
    schema = schema.replace(b"Score obtained.", b"Score.")
files = {"index.html": b"<!doctype html><title>x</title>",
         "data/score.json": data,
         "schemas/score.schema.json": schema,
         "schemas/manifest.schema.json":
             open(top + "/schemas/manifest.schema.json", "rb").read()}
entries = []
for path, body in files.items():
    e = {"path": path, "size": len(body),
         "sha256": hashlib.sha256(body).hexdigest(),
         "media_type": "text/html" if path.endswith(".html")
                       else "application/json"}
    if path.startswith("data/"):
        e["records"] = 2
    entries.append(e)
if "wrong-sha" in breaks:
    entries[0]["sha256"] = "0" * 64
if "wrong-count" in breaks:
    entries[1]["records"] = 3
if "unlisted" in breaks:
    files["files/lms/secret.pdf"] = b"%PDF"
manifest = {"format": "portex-package/1",
            "generator": {"name": "portex", "version": "0.1.0"},
            "created_at": ts,
            "controller": {"name": "Demo"},
            "subject": {"given": {"email": "a@example.org"},
                        "resolved": {"email": "a@example.org"}},
            "scope": "bad-scope" if "bad-manifest" in breaks else "portability",
            "categories": ["provided", "observed"], "locale": "fr",
            "signed": False,
            "sources": [{"name": "lms", "connector": "sqlite",
                         "status": "found",
                         "counts": {"score": 1 if "wrong-source-count" in breaks
                                    else 2}}],
            "files": entries}
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    mt = zipfile.ZipInfo("mimetype")
    mt.compress_type = (zipfile.ZIP_DEFLATED if "deflated-mimetype" in breaks
                        else zipfile.ZIP_STORED)
    if "mimetype-extra" in breaks:
        mt.extra = b"\x55\x54\x05\x00\x01\x00\x00\x00\x00"
    body = b"application/vnd.etsi.asic-e+zip"
    if "mimetype-second" in breaks:
        z.writestr("index.html", files.pop("index.html"))
    z.writestr(mt, body)
    z.writestr("manifest.json", json.dumps(manifest, indent=1))
    for path, b in files.items():
        z.writestr(path, b)
EOF
}

# ... and every pattern compiles in python's re too (the ECMA-262 side; the
# C validator compiles them as POSIX ERE).
test_every_schema_is_valid_json_schema_2020_12_for_python() {
	/usr/bin/python3 - "$PX_TOP"/schemas/*.schema.json <<'EOF'
import json, re, sys, jsonschema
def patterns(o):
    if isinstance(o, dict):
        if isinstance(o.get("pattern"), str):
            yield o["pattern"]
        for k, v in o.items():
            if k not in ("const", "enum"):
                yield from patterns(v)
    elif isinstance(o, list):
        for v in o:
            yield from patterns(v)
for f in sys.argv[1:]:
    s = json.load(open(f))
    jsonschema.Draft202012Validator.check_schema(s)
    for p in patterns(s):
        re.compile(p)
EOF
}

test_good_package_passes_the_recipients_checks() {
	make_pkg good.zip
	expect_exit 0 /usr/bin/python3 "$CHECK" good.zip --repo-schemas "$PX_TOP/schemas"
	expect_out "package ok: 6 files, 2 records"
	/usr/bin/python3 -m zipfile -t good.zip >/dev/null
}

# check_broken BREAK TEXT : the package made wrong that way fails with TEXT
check_broken() {
	local out got=0
	make_pkg bad.zip "$1"
	out=$(/usr/bin/python3 "$CHECK" bad.zip --repo-schemas "$PX_TOP/schemas") || got=$?
	[ "$got" = 1 ] || fail "$1: exit $got, expected 1: $out"
	case $out in
	*"$2"*) ;;
	*) fail "$1: output lacks '$2': $out" ;;
	esac
	case $out in
	*"package ok"*) fail "$1: said ok: $out" ;;
	esac
}

test_compressed_mimetype_is_reported() {
	check_broken deflated-mimetype "mimetype: compressed (method 8), must be stored"
}

test_mimetype_not_first_is_reported() {
	check_broken mimetype-second "mimetype: not the first entry (first is index.html)"
}

test_mimetype_with_extra_field_is_reported() {
	check_broken mimetype-extra "mimetype: has an extra field"
}

test_record_breaking_its_schema_is_reported_with_its_path() {
	check_broken bad-record "data/score.json: /records/1/taken_at: '15/01/2024' does not match"
}

test_schema_differing_from_the_repo_is_reported() {
	check_broken edited-schema "schemas/score.schema.json: differs from $PX_TOP/schemas/score.schema.json"
}

test_digest_mismatch_is_reported() {
	check_broken wrong-sha "index.html: SHA-256"
}

test_record_count_mismatch_is_reported() {
	check_broken wrong-count "data/score.json: 2 records, manifest says 3"
}

test_source_counts_must_add_up_to_the_records() {
	check_broken wrong-source-count "data/score.json: 2 records, the sources' counts in manifest.json add up to 1"
}

test_file_missing_from_the_manifest_is_reported() {
	check_broken unlisted "files/lms/secret.pdf: in the package but not in manifest.json files"
}

test_manifest_breaking_its_schema_is_reported() {
	check_broken bad-manifest "manifest.json: /scope: 'bad-scope' is not one of"
}

test_a_file_that_is_not_a_zip_is_reported() {
	echo "not a zip" >junk.zip
	expect_exit 1 /usr/bin/python3 "$CHECK" junk.zip
	expect_out "junk.zip: not a readable ZIP"
}

run_tests
