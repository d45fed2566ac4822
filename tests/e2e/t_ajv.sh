#!/bin/bash
# End-to-end: the schemas and every package's data under a second JSON
# Schema validator, ajv in strict mode with ajv-formats (installed into
# build/npm by `scripts/deps.sh npm`). Skipped, with a message, only where
# npm is absent.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

AJV="$PX_TOP/build/npm/node_modules/.bin/ajv"
AJV_OPTS="--spec=draft2020 --strict=true -c ajv-formats"

have_ajv() {
	have_npm_tool "$AJV" ajv
}

test_every_schema_compiles_under_ajv_strict() {
	have_ajv || return 0
	for s in "$PX_TOP"/schemas/*.schema.json; do
		# shellcheck disable=SC2086
		"$AJV" compile $AJV_OPTS -s "$s" >out.txt 2>&1 ||
			fail "ajv refuses $(basename "$s"): $(cat out.txt)"
	done
}

test_every_data_file_of_a_package_validates_under_ajv() {
	have_ajv || return 0
	demo_setup
	for who in alice.martin alice.dubois; do
		"$PORTEX" export --config "$T/demo.json" --scope access \
			--subject "email=$who@example.org" --out "$T/$who.zip" >/dev/null 2>err.txt ||
			fail "$who: export: $(cat err.txt)"
		rm -rf "$T/x" && unpack "$T/$who.zip" "$T/x"
		n=0
		for d in "$T"/x/data/*.json; do
			e=$(basename "$d" .json)
			# shellcheck disable=SC2086
			"$AJV" validate $AJV_OPTS -s "$T/x/schemas/$e.schema.json" -d "$d" >out.txt 2>&1 ||
				fail "$who: data/$e.json: $(cat out.txt)"
			n=$((n + 1))
		done
		# shellcheck disable=SC2086
		"$AJV" validate $AJV_OPTS -s "$T/x/schemas/manifest.schema.json" \
			-d "$T/x/manifest.json" >out.txt 2>&1 || fail "$who: manifest.json: $(cat out.txt)"
		[ "$n" -ge 5 ] || fail "$who: only $n data files"
	done
}

test_ajv_and_portex_agree_on_a_bad_email() {
	have_ajv || return 0
	/usr/bin/python3 - "$PX_TOP" <<'PY'
import json, sys
rec = {"given_name": "A", "email": "alice@localhost", "source": "s", "category": "provided"}
json.dump({"entity": "profile", "schema": "schemas/profile.schema.json", "records": [rec]},
          open("bad.json", "w"))
PY
	# shellcheck disable=SC2086
	! "$AJV" validate $AJV_OPTS -s "$PX_TOP/schemas/profile.schema.json" -d bad.json >out.txt 2>&1 ||
		fail "ajv accepts alice@localhost"
	grep -q 'format' out.txt || fail "ajv: $(cat out.txt)"
}

run_tests
