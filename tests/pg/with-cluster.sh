#!/bin/bash
# with-cluster.sh CMD... - runs CMD with a throwaway PostgreSQL cluster
# (PGHOST, PGPORT, PGUSER, PX_PG_DIR exported), then stops and removes the
# cluster, also on failure or Ctrl-C. Exits with CMD's status. When no
# cluster can start, CMD still runs (without PX_PG_DIR), so that the tests
# needing PostgreSQL fail by name while the others still report.
set -u
export PX_PG_WRAPPED=1 # callers can tell they already ran under it
here=$(cd "$(dirname "$0")" && pwd)
if env=$("$here/cluster.sh" start); then
	eval "$env"
	trap '"$here/cluster.sh" stop' EXIT
else
	echo "with-cluster.sh: no PostgreSQL cluster; its tests will fail" >&2
fi
trap 'exit 130' INT
trap 'exit 143' TERM
"$@"
