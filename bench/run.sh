#!/bin/bash
# run.sh - exports a subject with 1,000,000 answers and 100,000 progress
# rows from PostgreSQL, and the floor on the same rows in the same run:
#   psql -c "\copy (SELECT row_to_json(t) FROM (<query>) t) TO STDOUT" | zip
# Prints wall time, rows per second and peak RSS (/usr/bin/time) side by
# side. Target: portex peak RSS < 64 MiB, wall <= 1.5x the floor.
#
#   bench/run.sh            (or: make bench)
#   RUNS=3 PORTEX=build/portex bench/run.sh
#
# It builds portex if needed, starts a throwaway PostgreSQL cluster (tests/
# pg/cluster.sh), loads bench/gen.sql, and removes everything at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-2}
PORTEX=${PORTEX:-$top/build/portex}
[ -x "$PORTEX" ] || make -C "$top" -s build/portex
PORTEX=$(cd "$(dirname "$PORTEX")" && pwd)/$(basename "$PORTEX")

need=""
[ -x /usr/bin/time ] || need="$need time"
command -v zip >/dev/null || need="$need zip"
if [ -n "$need" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "bench: missing packages; install them: sudo apt-get install -y$need" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

work=$(mktemp -d)
cleanup() {
	if [ -n "${PX_PG_DIR:-}" ]; then "$top/tests/pg/cluster.sh" stop || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
eval "$("$top/tests/pg/cluster.sh" start)"
cd "$work"

t0=$(date +%s.%N)
"$top/tests/pg/cluster.sh" load bench "$top/bench/gen.sql"
t1=$(date +%s.%N)
printf 'generated: %s rows in %.1f s\n' \
	"$(psql -X -A -t -d bench -c "SELECT (SELECT count(*) FROM answers) + (SELECT count(*) FROM course_progress) + (SELECT count(*) FROM scores)")" \
	"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"

mkdir -p out/keys
cp "$top/bench/bench.json" .
"$PORTEX" keygen --key out/keys/portex.key --cert out/keys/portex.crt \
	--name "portex bench" >/dev/null
export BENCH_DSN="dbname=bench"

# The floor runs exactly portex's queries, the subject's id in place of the
# placeholder (only the floor pastes it: it is the benchmark's own value).
id=$(psql -X -A -t -d bench -c "SELECT id FROM accounts WHERE email = 'bench@example.org'")
/usr/bin/python3 - "$id" >floor.sh <<'PY'
import json, sys
c = json.load(open("bench.json"))
print("set -eo pipefail\n{")
for coll in c["sources"][0]["collections"]:
    q = coll["query"].replace(":account_id", sys.argv[1])
    cmd = "\\copy (SELECT row_to_json(t) FROM (%s) t) TO STDOUT" % q
    print("psql -X -q -d bench -c '%s'" % cmd.replace("'", "'\\''"))
print("} | zip -q floor.zip -")
PY
rows=$(psql -X -A -t -d bench -c "SELECT (SELECT count(*) FROM scores WHERE account_id = $id) + (SELECT count(*) FROM answers a JOIN scores s ON s.id = a.score_id WHERE s.account_id = $id) + (SELECT count(*) FROM course_progress WHERE account_id = $id) + 1")

# measure NAME CMD...: one timed run; appends "NAME wall_s rss_kb" to runs.txt
measure() {
	local name=$1
	shift
	rm -f floor.zip p.zip
	/usr/bin/time -f "%e %M" -o time.txt "$@" >/dev/null 2>cmd.err ||
		{ cat cmd.err >&2; exit 1; }
	echo "$name $(cat time.txt)" >>runs.txt
}

: >runs.txt
for i in $(seq "$runs"); do
	measure floor bash floor.sh
	measure portex "$PORTEX" export --config bench.json \
		--subject email=bench@example.org --out p.zip --force
done
portex_records=$("$PORTEX" export --config bench.json \
	--subject email=bench@example.org --out p.zip --force | awk '/^records:/ {print $2}')
[ "$portex_records" = "$rows" ] ||
	{ echo "bench: portex exported $portex_records records, expected $rows" >&2; exit 1; }

echo "subject: $rows rows (1 account, 10,000 scores, 1,000,000 answers, 100,000 progress)"
echo "machine: $(nproc) CPU, $(uname -r); $runs runs each, alternating"
echo
printf '%-8s %4s %9s %12s %12s\n' tool run "wall (s)" "rows/s" "peak RSS"
awk -v rows="$rows" '{ n[$1]++; printf "%-8s %4d %9.2f %12.0f %8.1f MiB\n", $1, n[$1], $2, rows / $2, $3 / 1024 }' runs.txt
echo
awk '
	{ if (!($1 in best) || $2 < best[$1]) best[$1] = $2
	  if ($3 > rss[$1]) rss[$1] = $3 }
	END {
		ratio = best["portex"] / best["floor"]
		printf "best wall: portex %.2f s, floor %.2f s: %.2fx the floor (target <= 1.5x: %s)\n",
			best["portex"], best["floor"], ratio, ratio <= 1.5 ? "met" : "NOT met"
		printf "portex peak RSS: %.1f MiB (target < 64 MiB: %s)\n",
			rss["portex"] / 1024, rss["portex"] < 64 * 1024 ? "met" : "NOT met"
	}' runs.txt
