#!/bin/bash
# Exports one learner from both demo platforms into one package: "Campus
# Démo" on PostgreSQL (campus.sql, in a throwaway cluster that is removed
# at the end) and "Classe Démo" on SQLite (../demo.sql).
#   PORTEX=build/portex examples/postgres/demo.sh
set -euo pipefail
: "${PORTEX:?PORTEX must name the portex binary}"
PORTEX=$(cd "$(dirname "$PORTEX")" && pwd)/$(basename "$PORTEX")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$here/.."

eval "$("$top/tests/pg/cluster.sh" start)"
trap '"$top/tests/pg/cluster.sh" stop' EXIT
"$top/tests/pg/cluster.sh" load campus "$here/campus.sql"
export CAMPUS_DSN="dbname=campus"

PORTEX="$PORTEX" ./prepare.sh
pkg=out/alice-martin-combined.zip
"$PORTEX" export --config postgres/combined.json \
	--subject email=alice.martin@example.org --scope access --out "$pkg" \
	--force
echo
/usr/bin/python3 -m zipfile -l "$pkg"
echo
"$PORTEX" verify "$pkg" --ca out/keys/portex.crt
