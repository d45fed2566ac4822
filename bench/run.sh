#!/bin/bash
# run.sh - portex against the floor and a plain Python script, on
# PostgreSQL and SQLite, for a subject with 100k and 1M answers (3M with
# SIZES), and the fixed cost of a small subject. Prints one table of
# medians and ratios (bench/table.py). See bench/README.md.
#
#   bench/run.sh                         (or: make bench)
#   RUNS=5 SIZES="100000 1000000 3000000" bench/run.sh
#   KINDS=sqlite bench/run.sh            (only SQLite: no cluster)
#   PORTEX_BEFORE=/tmp/old/portex bench/run.sh   (and another build, paired)
#
# The floor: the database writes the JSON itself, zip compresses it
#   PostgreSQL: psql -c "\copy (SELECT row_to_json(t) FROM (<query>) t)
#               TO STDOUT" | zip
#   SQLite:     sqlite3 "SELECT json_object(...) FROM (<query>)" | zip
# Python: bench/export.py (psycopg2 or sqlite3, zipfile at level 6).
# Tools run alternately, RUNS times each; wall and CPU time, peak RSS and
# package size per run go to runs.txt, medians to the table.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
sizes=${SIZES:-100000 1000000}
kinds=${KINDS:-postgres sqlite}
small_runs=${SMALL_RUNS:-20}
PORTEX=${PORTEX:-$top/build/portex}
[ -x "$PORTEX" ] || make -C "$top" -s build/portex
PORTEX=$(cd "$(dirname "$PORTEX")" && pwd)/$(basename "$PORTEX")
py=/usr/bin/python3

need=""
command -v zip >/dev/null || need="$need zip"
command -v sqlite3 >/dev/null || need="$need sqlite3"
case " $kinds " in *" postgres "*)
	$py -c "import psycopg2" 2>/dev/null || need="$need python3-psycopg2" ;;
esac
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: missing packages; install them: sudo apt-get install -y$need" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

work=$(mktemp -d)
cleanup() {
	# the raw runs survive a failed run too
	[ -z "${BENCH_KEEP:-}" ] || [ ! -f "$work/runs.txt" ] ||
		cp "$work/runs.txt" "$BENCH_KEEP"
	if [ -n "${PX_PG_DIR:-}" ]; then "$top/tests/pg/cluster.sh" stop || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
case " $kinds " in *" postgres "*)
	eval "$("$top/tests/pg/cluster.sh" start)" ;;
esac
cd "$work"
mkdir -p out/keys
"$PORTEX" keygen --key out/keys/portex.key --cert out/keys/portex.crt \
	--name "portex bench" >/dev/null
: >runs.txt

# floor_script KIND CONFIG ID: the floor's shell script on stdout, the
# subject's id pasted in place of the placeholder (only the floor does:
# it is the benchmark's own value).
floor_script() {
	$py - "$@" <<'PY'
import json, shlex, sqlite3, sys
kind, config, ident = sys.argv[1:4]
c = json.load(open(config))
src = c["sources"][0]
print("set -eo pipefail\n{")
for coll in src["collections"]:
    q = coll["query"].replace(":account_id", ident)
    if kind == "postgres":
        cmd = "\\copy (SELECT row_to_json(t) FROM (%s) t) TO STDOUT" % q
        print("psql -X -q -d bench -c %s" % shlex.quote(cmd))
    else:
        db = sqlite3.connect(src["path"])
        names = [d[0] for d in db.execute(q + " LIMIT 0").description]
        parse = set(coll.get("json", []))
        pairs = ", ".join("'%s', %s" % (n, "json(%s)" % n if n in parse else n)
                          for n in names)
        sql = "SELECT json_object(%s) FROM (%s)" % (pairs, q)
        print("sqlite3 -readonly %s %s" % (src["path"], shlex.quote(sql)))
print("} | zip -q floor.zip -")
PY
}

# one KIND SIZE TOOL CMD...: one timed run, appended to runs.txt with the
# size of the package it wrote.
one() {
	local kind=$1 size=$2 tool=$3
	shift 3
	rm -f floor.zip p.zip py.zip m.txt
	$py "$top/bench/measure.py" m.txt "$@" || return 1
	local pkg
	pkg=$(stat -c %s floor.zip p.zip py.zip 2>/dev/null | head -1 || true)
	echo "$kind $size $tool $(cat m.txt) ${pkg:-0}" >>runs.txt
}

portex_export() {
	"$PORTEX" export --config "$1" --subject email=bench@example.org \
		--out p.zip --force
}

# bench_size KIND SIZE CONFIG: the three tools, alternately.
bench_size() {
	local kind=$1 size=$2 config=$3 id rows got
	if [ "$kind" = postgres ]; then
		id=$(psql -X -A -t -d bench -c "SELECT id FROM accounts WHERE email = 'bench@example.org'")
	else
		id=$(sqlite3 bench.db "SELECT id FROM accounts WHERE email = 'bench@example.org'")
	fi
	floor_script "$kind" "$config" "$id" >floor.sh
	for i in $(seq "$runs"); do
		one "$kind" "$size" floor bash floor.sh
		one "$kind" "$size" portex "$PORTEX" export --config "$config" \
			--subject email=bench@example.org --out p.zip --force
		one "$kind" "$size" python $py "$top/bench/export.py" "$config" \
			email=bench@example.org py.zip
		[ -z "${PORTEX_BEFORE:-}" ] ||
			one "$kind" "$size" before "$PORTEX_BEFORE" export \
				--config "$config" --subject email=bench@example.org \
				--out p.zip --force
	done
	# portex's count is the subject's whole history, every time
	rows=$((size + size / 100 + 100000 + 1))
	got=$(portex_export "$config" | awk '/^records:/ {print $2}')
	[ "$got" = "$rows" ] ||
		{ echo "bench: portex exported $got records, expected $rows" >&2; exit 1; }
}

for size in $sizes; do
	for kind in $kinds; do
		t0=$(date +%s)
		if [ "$kind" = postgres ]; then
			{ echo "\\set n $size"; cat "$top/bench/gen.sql"; } >gen.sql
			"$top/tests/pg/cluster.sh" load bench gen.sql
			cp "$top/bench/bench.json" bench-pg.json
			config=bench-pg.json
		else
			rm -f bench.db
			{ echo "CREATE TABLE p AS SELECT $size AS n;"
			  cat "$top/bench/gen_sqlite.sql"; } | sqlite3 bench.db
			cp "$top/bench/bench_sqlite.json" bench-sqlite.json
			config=bench-sqlite.json
		fi
		echo "bench: $kind, $size answers: generated in $(($(date +%s) - t0)) s" >&2
		export BENCH_DSN="dbname=bench"
		bench_size "$kind" "$size" "$config"
	done
done

# The fixed cost: the demo learner with ~300 records in 13 collections.
cat "$top/examples/demo.sql" "$top/bench/small.sql" | sqlite3 small.db
sed 's#out/demo.db#small.db#' "$top/examples/demo.json" >small.json
for i in $(seq "$small_runs"); do
	one sqlite 300 small "$PORTEX" export --config small.json \
		--subject email=alice.martin@example.org --scope access \
		--out p.zip --force
	# an older build may refuse the demo's newer config keys: no figure
	[ -z "${PORTEX_BEFORE:-}" ] ||
		one sqlite 300 small-before "$PORTEX_BEFORE" export \
			--config small.json --subject email=alice.martin@example.org \
			--scope access --out p.zip --force 2>/dev/null || true
done

echo
echo "machine: $(nproc) CPU, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, alternating"
$py "$top/bench/table.py" runs.txt
