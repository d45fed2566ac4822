#!/bin/bash
# A third-party connector loaded with dlopen from the config's "plugins".
. "$PX_TOP/tests/e2e/lib.sh"

build_plugin() {
	cc -std=c11 -shared -fPIC -I"$PX_TOP/include" $(pkg-config --cflags jansson) \
		"$@" -o "$T/csv.so" "$PX_TOP/tests/fixtures/plugin_csv.c" ||
		fail "cannot build the plugin"
	cat >"$T/rows.csv" <<'CSV'
alice@example.org,EN-1,completed
bob@example.org,EN-1,in_progress
alice@example.org,EN-2,in_progress
CSV
	cat >"$T/portex.json" <<'JSON'
{"controller": {"name": "Test"},
 "plugins": ["csv.so"],
 "sources": [{"name": "legacy", "connector": "csv", "path": "rows.csv"}]}
JSON
}

test_plugin_connector_exports_its_records() {
	build_plugin
	expect_exit 0 "$PORTEX" export --config "$T/portex.json" \
		--subject email=alice@example.org --unsigned --out "$T/p.zip"
	/usr/bin/python3 - "$T/p.zip" <<'PY' || fail "plugin records wrong"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
r = json.loads(z.read("data/progress.json"))["records"]
assert [(x["course"], x["status"], x["source"]) for x in r] == [
    ("EN-1", "completed", "legacy"), ("EN-2", "in_progress", "legacy")], r
m = json.loads(z.read("manifest.json"))
assert m["sources"][0]["connector"] == "csv"
PY
}

test_plugin_with_another_interface_version_is_refused() {
	build_plugin -DABI=999
	expect_exit 78 "$PORTEX" export --config "$T/portex.json" \
		--subject email=alice@example.org --unsigned --out "$T/p.zip"
	expect_err "/plugins/0"
	expect_err "interface version 999"
	expect_no_file "$T/p.zip"
}

test_plugin_declared_keys_are_enforced() {
	build_plugin
	sed -i 's/"path"/"pth"/' "$T/portex.json"
	expect_exit 78 "$PORTEX" export --config "$T/portex.json" \
		--subject email=alice@example.org --unsigned --out "$T/p.zip"
	expect_err "/sources/0/pth"
	expect_err 'did you mean "path"?'
	expect_no_file "$T/p.zip"
}

test_plugin_built_for_interface_1_still_loads_unchecked() {
	build_plugin -DABI=1
	sed -i 's/"path": "rows.csv"/"path": "rows.csv", "its_own": 1/' \
		"$T/portex.json"
	expect_exit 0 "$PORTEX" export --config "$T/portex.json" \
		--subject email=alice@example.org --unsigned --out "$T/p.zip"
	expect_file "$T/p.zip"
}

test_missing_plugin_is_a_config_error() {
	build_plugin
	rm "$T/csv.so"
	expect_exit 78 "$PORTEX" export --config "$T/portex.json" \
		--subject email=alice@example.org --unsigned --out "$T/p.zip"
	expect_err "/plugins/0"
	expect_err "csv.so"
	expect_no_file "$T/p.zip"
}

run_tests
