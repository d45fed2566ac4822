#!/bin/bash
# Runs every tests/e2e/t_*.sh against $PORTEX and prints one closing line
# "e2e: N passed, N failed". Each test file runs its test_* functions, each
# in a fresh temporary directory.
set -u
cd "$(dirname "$0")/.."
: "${PORTEX:?PORTEX must name the portex binary}"
export PORTEX
export PX_TOP=$PWD
results=$(mktemp)
export PX_RESULTS=$results

status=0
# One throwaway PostgreSQL cluster for the whole run (PGHOST, PGPORT,
# PGUSER, PX_PG_DIR exported to every test file); stopped and removed on
# exit, failure or Ctrl-C. Without it the PostgreSQL tests fail, loudly.
cleanup() {
	if [ -n "${PX_PG_DIR:-}" ]; then tests/pg/cluster.sh stop || true; fi
	rm -f "$results"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if pg_env=$(tests/pg/cluster.sh start); then
	eval "$pg_env"
else
	echo "e2e: could not start the test PostgreSQL cluster" >&2
	status=1
fi

for f in ${E2E_ONLY:-tests/e2e/t_*.sh}; do
	bash "$f" || status=1
done
pass=$(grep -c '^ok' "$results")
fail=$(grep -c '^FAIL' "$results")
grep '^FAIL' "$results" >&2
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ]
