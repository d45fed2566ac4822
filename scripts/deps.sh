#!/bin/sh
# Installs the Debian packages portex needs to build, test and demo.
# As root it runs apt-get itself; otherwise it prints the exact command.
# Usage: scripts/deps.sh build|check
set -eu

build_pkgs="make gcc pkg-config libzip-dev libjansson-dev libcurl4-openssl-dev \
libpq-dev libsqlite3-dev libssl-dev zlib1g-dev sqlite3 python3"
check_pkgs="$build_pkgs libcmocka-dev clang libclang-rt-14-dev valgrind \
postgresql python3 python3-jsonschema libtest-json-schema-acceptance-perl \
openssl unzip p7zip-full libxml2-utils groff-base curl time"

case "${1:-build}" in
build) want=$build_pkgs ;;
check) want=$check_pkgs ;;
*) echo "usage: $0 build|check" >&2; exit 64 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "portex: missing Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "portex: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
