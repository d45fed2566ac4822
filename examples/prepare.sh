#!/bin/sh
# prepare.sh - what both demos need, run from examples/: the SQLite demo
# platform built afresh from demo.sql, and a demo signing key (kept).
set -eu
: "${PORTEX:?PORTEX must name the portex binary}"
mkdir -p out
rm -f out/demo.db
sqlite3 out/demo.db <demo.sql
if [ ! -f out/keys/portex.key ]; then
	mkdir -p out/keys
	"$PORTEX" keygen --key out/keys/portex.key --cert out/keys/portex.crt \
		--name "Éditions Démo (demo key)" --days 365 >/dev/null
fi
