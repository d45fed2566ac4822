#!/bin/sh
# Runs cmocka unit-test binaries (under valgrind when VALGRIND=1) and prints
# one closing line "unit: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
# The PostgreSQL driver's tests need a throwaway server (tests/pg/).
if [ -z "${PX_PG_DIR:-}${PX_PG_WRAPPED:-}" ]; then
	exec tests/pg/with-cluster.sh "$PWD/tests/run-unit.sh" "$@"
fi
pass=0
fail=0
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		set -- valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$t"
	else
		set -- "$t"
	fi
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "unit: FAILED: $t" >&2
		fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
