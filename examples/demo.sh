#!/bin/sh
# make demo: builds the demo platform's SQLite file from demo.sql, makes a
# demo signing key, exports one learner and shows what the package holds.
set -eu
: "${PORTEX:?PORTEX must name the portex binary}"
cd "$(dirname "$0")"
./prepare.sh
pkg=$PWD/out/alice-martin.zip
"$PORTEX" export --config demo.json --subject email=alice.martin@example.org \
	--scope access --out "$pkg" --force
echo
echo "The package holds:"
python3 -m zipfile -l "$pkg"
echo
"$PORTEX" verify "$pkg" --ca out/keys/portex.crt
echo
echo "Open it: unzip -d $PWD/out/alice-martin $pkg && xdg-open $PWD/out/alice-martin/index.html"
