#!/bin/bash
# cluster.sh - a throwaway PostgreSQL cluster for the tests and the bench.
#
#   eval "$(tests/pg/cluster.sh start)"  creates a cluster in a fresh
#       temporary folder, starts it on a Unix socket in that folder only (no
#       TCP), and prints the variables that reach it:
#       export PGHOST=<dir> PGPORT=5432 PGUSER=postgres PX_PG_DIR=<dir>
#              PX_PG_BIN=<postgres bin dir>
#   tests/pg/cluster.sh stop             stops the cluster named by
#       $PX_PG_DIR and removes its folder (safe to call twice).
#   tests/pg/cluster.sh halt             stops the server of $PX_PG_DIR as
#       an administrator would (fast shutdown), keeping the folder; for
#       tests of a server going away mid-way.
#   tests/pg/cluster.sh load DB FILE...  (re)creates database DB and loads
#       the SQL files into it, stopping at the first error.
#
# As root, the server runs as the `postgres` user (initdb refuses root);
# otherwise as the calling user. Speed over durability: fsync is off.
# The role px_password (created by tests that need it) must give a password
# over the socket: everyone else is trusted.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

find_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -n "$d" ] && [ -x "$d/initdb" ]; then
		echo "$d"
	elif command -v initdb >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
	fi
}

# as_owner CMD...: runs CMD as the user who owns the cluster.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		# from /, which the postgres user can always enter
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

start() {
	local bin dir
	bin=$(find_bin)
	if [ -z "$bin" ] && [ "$(id -u)" -eq 0 ]; then
		"$top/scripts/deps.sh" check >&2 || true
		bin=$(find_bin)
	fi
	[ -n "$bin" ] || die "PostgreSQL server not found (no initdb under \
/usr/lib/postgresql/*/bin); install it: sudo apt-get install -y postgresql"
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		die "running as root but there is no 'postgres' user to run \
the server as; install the postgresql package"
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/portex-pg.XXXXXX")
	# Marks the folder as ours, so stop never removes anything else.
	touch "$dir/.portex-pg"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir" "$dir/.portex-pg"
	fi
	chmod 700 "$dir"
	if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		die "initdb failed (above)"
	fi
	as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 64MB
logging_collector = off
EOF
	as_owner tee "$dir/data/pg_hba.conf" >/dev/null <<EOF
local all px_password scram-sha-256
local all all trust
EOF
	# -l: the server's output goes to a file, never to our stdout (the
	# caller's "\$(...)" would otherwise wait for the server to exit).
	if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w -t 60 start >/dev/null 2>&1; then
		cat "$dir/server.log" >&2 2>/dev/null || true
		rm -rf "$dir"
		die "the server did not start (log above)"
	fi
	echo "export PGHOST=$dir PGPORT=5432 PGUSER=postgres PX_PG_DIR=$dir PX_PG_BIN=$bin"
}

stop() {
	local dir=${PX_PG_DIR:-}
	local bin
	[ -n "$dir" ] || die "PX_PG_DIR is not set: nothing to stop"
	[ -d "$dir" ] || return 0
	[ -e "$dir/.portex-pg" ] || die "$dir is not a portex test cluster; \
not removing it"
	bin=${PX_PG_BIN:-$(find_bin)}
	if [ -f "$dir/data/postmaster.pid" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w \
			stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
}

halt() {
	[ -n "${PX_PG_DIR:-}" ] || die "PX_PG_DIR is not set: nothing to halt"
	as_owner "${PX_PG_BIN:-$(find_bin)}/pg_ctl" -D "$PX_PG_DIR/data" \
		-m fast -w stop >/dev/null
}

load() {
	local db=$1
	shift
	[ -n "${PGHOST:-}" ] || die "PGHOST is not set; start a cluster first"
	PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$db"
	createdb -T template0 -E UTF8 "$db"
	for f in "$@"; do
		psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
halt) halt ;;
load)
	[ $# -ge 2 ] || die "usage: cluster.sh load DB FILE..."
	shift
	load "$@"
	;;
*)
	echo "usage: $0 start|stop|halt|load DB FILE..." >&2
	exit 64
	;;
esac
