#!/bin/bash
# t_schema_cmd.sh - `portex schema`: what it lists is what the schema files
# of the source tree say (read by python3, not by portex), field for
# field; an unknown entity is a usage error naming the known ones.
. "$PX_TOP/tests/e2e/lib.sh"

# compare_json FILE [ENTITY]: portex's --json output against schemas/.
compare_json() {
	/usr/bin/python3 - "$PX_TOP/schemas" "$@" <<'EOF'
import glob, json, os, sys
top, out = sys.argv[1], json.load(open(sys.argv[2]))
only = sys.argv[3] if len(sys.argv) > 3 else None
want = []
for f in sorted(glob.glob(top + "/*.schema.json")):
    s = json.load(open(f))
    items = s["properties"].get("records", {}).get("items")
    name = os.path.basename(f)[:-len(".schema.json")]
    if items is None or (only and name != only):
        continue
    want.append((name, s, items))
got = out["entities"]
assert [e["entity"] for e in got] == [w[0] for w in want], \
    ([e["entity"] for e in got], [w[0] for w in want])
for (name, s, items), e in zip(want, got):
    assert e["schema"] == "schemas/%s.schema.json" % name, e["schema"]
    assert e["description"] == s["description"], name
    props = items["properties"]
    assert [f["name"] for f in e["fields"]] == list(props), \
        (name, [f["name"] for f in e["fields"]], list(props))
    for f in e["fields"]:
        p = props[f["name"]]
        where = name + "." + f["name"]
        assert f["type"] == p.get("type", "any"), (where, f["type"])
        assert f["required"] == (f["name"] in items.get("required", [])), where
        assert f["description"] == p["description"], where
        assert f.get("format") == p.get("format"), where
        assert f.get("enum") == p.get("enum"), where
        portex = f["name"] in ("source", "category") or (
            name == "document" and f["name"] in ("size", "sha256", "path"))
        assert f["set_by"] == ("portex" if portex else "source"), where
print(len(got), sum(len(e["fields"]) for e in got))
EOF
}

test_json_lists_every_entity_and_field_as_the_schema_files_say() {
	expect_exit 0 "$PORTEX" schema --json
	compare_json "$T/stdout" >"$T/n" || fail "portex schema --json differs from schemas/"
	# the twelve entities of DESIGN.md, manifest left out
	read -r ents fields <"$T/n"
	[ "$ents" = 12 ] || fail "$ents entities listed, expected 12"
	[ "$fields" -gt 90 ] || fail "only $fields fields"
}

test_one_entity_json_and_text() {
	expect_exit 0 "$PORTEX" schema purchase --json
	compare_json "$T/stdout" purchase >/dev/null || fail "purchase differs"
	expect_exit 0 "$PORTEX" schema progress
	# one line per field: name, type (with its closed list), required
	grep -E '^  course +string +required +Identifier of the course' "$T/stdout" >/dev/null ||
		fail "no course line: $(cat "$T/stdout")"
	grep -E '^  status +string: not_started\|in_progress\|completed +required' "$T/stdout" >/dev/null ||
		fail "status' values not listed: $(cat "$T/stdout")"
	grep -E '^  started_at +string \(date-time\) +When' "$T/stdout" >/dev/null ||
		fail "started_at not optional date-time: $(cat "$T/stdout")"
	! grep -q '^score' "$T/stdout" || fail "another entity listed"
}

test_french_descriptions_are_the_page_ones() {
	expect_exit 0 "$PORTEX" schema score --lang fr --json
	/usr/bin/python3 - "$T/stdout" <<'EOF' || fail "French descriptions missing"
import json, sys
f = {x["name"]: x["description"] for x in json.load(open(sys.argv[1]))["entities"][0]["fields"]}
assert "évaluation" in f["assessment"], f["assessment"]
assert all(d and "RFC 3339" not in d for d in f.values()), f
EOF
	expect_exit 64 "$PORTEX" schema score --lang de
	expect_err "--lang de: expected en or fr"
}

test_unknown_entity_is_64_naming_the_known_ones_nearest_first() {
	expect_exit 64 "$PORTEX" schema scor
	expect_err 'unknown entity "scor"; did you mean "score"? The entities, nearest first: score, '
	for e in account annotation answer claim connection consent document licence profile progress purchase; do
		expect_err "$e"
	done
	grep -q manifest "$T/stderr" && fail "manifest offered as an entity"
	[ ! -s "$T/stdout" ] || fail "output on stdout: $(cat "$T/stdout")"
	expect_exit 64 "$PORTEX" schema qqqqqqq
	expect_err 'unknown entity "qqqqqqq"; the entities are: account, annotation'
	expect_exit 64 "$PORTEX" schema score extra
	expect_err "unexpected argument 'extra'"
}

run_tests
