# demo.sh - sourced by e2e tests: a copy of the SQLite demo platform in $T.
# demo_setup: $T/demo.json, $T/out/demo.db, $T/out/keys/portex.{key,crt}

demo_setup() {
	mkdir -p "$T/out/keys"
	cp "$PX_TOP/examples/demo.json" "$T/demo.json"
	sqlite3 "$T/out/demo.db" <"$PX_TOP/examples/demo.sql"
	"$PORTEX" keygen --key "$T/out/keys/portex.key" \
		--cert "$T/out/keys/portex.crt" --name "portex test" >/dev/null
}

# export_alice [extra args]: exports Alice Martin to $T/alice.zip
export_alice() {
	"$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/alice.zip" "$@"
}

# unpack ZIP DIR: extracted with Python's zipfile, not portex
unpack() {
	/usr/bin/python3 -m zipfile -e "$1" "$2"
}

# edit_config PYTHON: applies a Python statement to the parsed config `c`
edit_config() {
	/usr/bin/python3 - "$T/demo.json" "$1" <<'PY'
import json, sys
path, stmt = sys.argv[1], sys.argv[2]
c = json.load(open(path))
exec(stmt)
json.dump(c, open(path, "w"), ensure_ascii=False, indent=1)
PY
}
