#!/bin/bash
# End-to-end: `make install DESTDIR=... PREFIX=...` puts a shared library
# with a soname exporting px_* only, and a pkg-config file, so that
# `cc app.c $(pkg-config --cflags --libs portex)` builds against it; the
# installed binary reads its own PREFIX's data folder; `make uninstall`
# removes everything install added. Built in its own tree ($T/b), so the
# other tests' build/ is never touched.
. "$PX_TOP/tests/e2e/lib.sh"

plain_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS -u CC \
		make -s -C "$PX_TOP" "$@"
}

test_install_pkg_config_shared_library_and_uninstall() {
	D="$T/root" P=/opt/px
	# A plain build, as a user installs it: not the sanitizer flags that
	# make check's own make passes down through MAKEFLAGS.
	plain_make -j2 B="$T/b" DESTDIR="$D" PREFIX=$P install >make.txt 2>&1 ||
		fail "make install: $(tail -20 make.txt)"
	lib="$D$P/lib"
	[ -f "$lib/libportex.so.0.1.0" ] && [ -L "$lib/libportex.so.0" ] && [ -L "$lib/libportex.so" ] ||
		fail "shared library links: $(ls -l "$lib")"
	readelf -d "$lib/libportex.so.0.1.0" | grep -q "SONAME.*\[libportex.so.0\]" || fail "no soname"
	bad=$(nm -D --defined-only "$lib/libportex.so.0.1.0" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^px_' | head -5)
	[ -z "$bad" ] || fail "symbols outside px_ exported: $bad"
	strings "$D$P/bin/portex" | grep -qx "$P/share/portex" || fail "binary's data folder is not $P/share/portex"
	[ -f "$D$P/share/man/man1/portex.1" ] || fail "man page not installed"
	cat >app.c <<'C'
#include <stdio.h>
#include <portex/verify.h>
int main(int argc, char **argv)
{
	px_verify_opts o = {.path = argc > 1 ? argv[1] : "none.zip"};
	px_verify_result r;
	px_error err = {0};
	int rc = px_verify(&o, &r, &err);
	printf("rc=%d valid=%d problems=%zu err=%s\n", rc, r.valid, r.n_problems, err.msg);
	px_verify_result_free(&r);
	return 0;
}
C
	export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
	# shellcheck disable=SC2046
	cc -o app app.c $(pkg-config --cflags --libs portex) 2>cc.txt || fail "cc: $(cat cc.txt)"
	readelf -d app | grep -q "NEEDED.*libportex.so.0" || fail "app is not linked to libportex.so.0"
	LD_LIBRARY_PATH="$lib" ./app "$T/none.zip" >out.txt || fail "app failed"
	grep -q "rc=-1" out.txt && grep -q "cannot open" out.txt || fail "app: $(cat out.txt)"
	plain_make B="$T/b" DESTDIR="$D" PREFIX=$P uninstall >make.txt 2>&1 ||
		fail "make uninstall: $(cat make.txt)"
	left=$(find "$D" -type f -o -type l)
	[ -z "$left" ] || fail "left after uninstall: $left"
}

run_tests
