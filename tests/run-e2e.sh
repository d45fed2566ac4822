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
trap 'rm -f "$results"' EXIT
export PX_RESULTS=$results

status=0
for f in ${E2E_ONLY:-tests/e2e/t_*.sh}; do
	bash "$f" || status=1
done
pass=$(grep -c '^ok' "$results")
fail=$(grep -c '^FAIL' "$results")
grep '^FAIL' "$results" >&2
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$status" -eq 0 ]
