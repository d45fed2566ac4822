#!/bin/sh
# Installs the Debian packages portex needs to build, test and demo, and the
# npm validators the tests run (into build/npm, never globally).
# As root it runs apt-get itself; otherwise it prints the exact command.
# Usage: scripts/deps.sh build|check|bench|npm
set -eu

# One line per concern, so a feature adds its own line.
build_pkgs="make gcc pkg-config libzip-dev libjansson-dev libcurl4-openssl-dev \
libpq-dev libsqlite3-dev libssl-dev zlib1g-dev sqlite3 python3"
build_pkgs="$build_pkgs libmicrohttpd-dev"
# ISA-L's igzip deflates the views (src/package/deflate.h).
build_pkgs="$build_pkgs libisal-dev"
# Time zones (src/tz.c reads /usr/share/zoneinfo at run time).
build_pkgs="$build_pkgs tzdata"

check_pkgs="$build_pkgs libcmocka-dev clang libclang-rt-14-dev valgrind \
postgresql python3 python3-jsonschema libtest-json-schema-acceptance-perl \
openssl unzip p7zip-full libxml2-utils groff-base curl time"
# Validators and peers portex did not write (signature, browser, mail, load).
check_pkgs="$check_pkgs gnutls-bin libnss3-tools gpgsm"
check_pkgs="$check_pkgs chromium chromium-driver python3-selenium"
check_pkgs="$check_pkgs python3-aiosmtpd"
check_pkgs="$check_pkgs wrk"
# serve's /metrics is read back with Prometheus' own parser.
check_pkgs="$check_pkgs python3-prometheus-client"
# serve's answers are checked against docs/openapi.yaml (read with PyYAML).
check_pkgs="$check_pkgs python3-yaml"
# A REST partner over HTTP/2 (nghttpd speaks nothing else): t_rest_h2.sh.
check_pkgs="$check_pkgs nghttp2-server"
# npm may come with a nodejs from elsewhere (Debian's npm would conflict):
# ask Debian for it only when there is none.
command -v npm >/dev/null 2>&1 || check_pkgs="$check_pkgs nodejs npm"

# The benchmark (make bench): the floor's zip, the Python script's driver.
bench_pkgs="$build_pkgs postgresql zip python3-psycopg2"

# npm packages the tests use, installed under build/npm.
npm_pkgs="ajv-cli@5 ajv-formats@2 xapi-validation @redocly/cli axe-core"
# PKI.js (with its ASN.1 parser) checks signatures in t_trust.sh.
npm_pkgs="$npm_pkgs pkijs@3 asn1js@3"

root=$(cd "$(dirname "$0")/.." && pwd)

install_npm() {
	command -v npm >/dev/null 2>&1 || {
		echo "portex: npm not found; the tests that need ajv, xapi-validation, redocly, axe-core or pkijs skip" >&2
		return 0
	}
	stamp="$root/build/npm/.installed"
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$npm_pkgs" ] && return 0
	mkdir -p "$root/build/npm"
	echo "portex: npm install (build/npm): $npm_pkgs" >&2
	# shellcheck disable=SC2086
	if npm install --no-audit --no-fund --loglevel=error --prefix "$root/build/npm" $npm_pkgs >&2; then
		printf '%s' "$npm_pkgs" >"$stamp"
	else
		# The validators are part of the check, not optional: stop now with
		# npm's reason above rather than fail those tests 40 minutes later.
		echo "portex: npm install failed (see npm's message above); make check needs $npm_pkgs" >&2
		return 1
	fi
}

case "${1:-build}" in
build) want=$build_pkgs ;;
check) want=$check_pkgs ;;
bench) want=$bench_pkgs ;;
npm) install_npm; exit ;;
*) echo "usage: $0 build|check|bench|npm" >&2; exit 64 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "portex: missing Debian packages; install them with:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "portex: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A freshly booted machine often runs unattended-upgrades: wait for the
	# dpkg lock instead of failing on it.
	lock="-o DPkg::Lock::Timeout=600"
	# shellcheck disable=SC2086
	apt-get $lock update -qq
	# shellcheck disable=SC2086
	apt-get $lock install -y -qq --no-install-recommends $missing >/dev/null
fi

[ "${1:-build}" = check ] && { install_npm || exit 1; }
exit 0
