# portex - build, test, install, demo.
#
#   make            portex binary and libportex.a (build/)
#   make check      installs missing test packages (as root), then unit and
#                   end-to-end tests: plain build, then ASan+UBSan, then
#                   valgrind on the unit tests
#   make demo       exports a learner from the embedded SQLite demo
#   make install    PREFIX=/usr/local DESTDIR= (binary, libportex.a/.so,
#                   headers, portex.pc, schemas, profiles, man page)
#   make uninstall  removes exactly what install added
#   make clean

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR     = $(PREFIX)/bin
LIBDIR     = $(PREFIX)/lib
INCDIR     = $(PREFIX)/include
DATADIR    = $(PREFIX)/share/portex
MANDIR     = $(PREFIX)/share/man/man1

PKGS      := libzip jansson libcurl libpq sqlite3 libcrypto zlib libisal libmicrohttpd
# Loaded with dlopen() at their first use (src/lazy/): compiled against,
# not linked. Most runs use none of them, and they bring 32 libraries.
LAZY_PKGS := libcurl libpq libmicrohttpd
CC        ?= cc
# Asked of pkg-config when first used, not when the Makefile is read: `make
# demo` and `make check` install the libraries (scripts/deps.sh) first, and
# flags computed before that would lack their include paths.
PKG_CFLAGS  = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS    = $(eval PKG_LIBS := $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null))$(PKG_LIBS)
# The unit tests also talk to PostgreSQL and HTTP servers themselves.
LAZY_LIBS   = $(eval LAZY_LIBS := $(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null))$(LAZY_LIBS)
CMOCKA_LIBS = $(eval CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null))$(CMOCKA_LIBS)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-format-truncation -Wno-unknown-warning-option
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) \
             -pthread -fPIC -Iinclude -Isrc -DPX_VERSION='"$(VERSION)"' \
             -DPX_DATADIR='"$(DATADIR)"' $(PKG_CFLAGS) $(CFLAGS)
LDLIBS     = $(PKG_LIBS) -ldl -lm

# Built in a separate tree so the sanitizer build never mixes objects.
B         ?= build
LIB_SRC   := $(filter-out src/cli/main.c,$(wildcard src/*.c src/*/*.c)) $(wildcard connectors/*.c)
LIB_OBJ   := $(patsubst %.c,$(B)/%.o,$(LIB_SRC)) $(B)/gen/embedded.o
# Schemas are compiled into the binary: an export never depends on where
# portex was installed, and the package carries exactly the schemas it used.
EMBED     := $(sort $(wildcard schemas/*.json))
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
HEADERS   := $(wildcard include/portex/*.h src/*.h src/*/*.h connectors/*.h)

.PHONY: all deps deps-check check check-plain check-asan check-tsan check-valgrind \
        unit e2e demo install uninstall clean format bench
all: $(B)/portex

deps:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh check

$(B)/%.o: %.c $(HEADERS) Makefile
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -o $@ $< -lz

$(B)/gen/embedded.c: $(EMBED) $(B)/tools/embed
	@mkdir -p $(dir $@)
	$(B)/tools/embed $(EMBED) > $@.tmp && mv $@.tmp $@

$(B)/gen/embedded.o: $(B)/gen/embedded.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libportex.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# -rdynamic: plugins (dlopen) call back into px_* helpers of the binary.
$(B)/portex: $(B)/src/cli/main.o $(B)/libportex.a Makefile
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ $(filter %.o %.a,$^) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c tests/unit/unit.h $(B)/libportex.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libportex.a $(LDLIBS) $(LAZY_LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BIN) $(B)/portex
	@tests/run-unit.sh $(UNIT_BIN)

e2e: $(B)/portex
	@PORTEX=$(abspath $(B)/portex) tests/run-e2e.sh

check-plain:
	@$(MAKE) --no-print-directory unit e2e

SAN := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check-asan:
	@$(MAKE) --no-print-directory B=build/asan CC=clang CFLAGS="$(SAN)" unit e2e

check-valgrind:
	@$(MAKE) --no-print-directory B=build/vg $(patsubst build/%,build/vg/%,$(UNIT_BIN)) build/vg/portex
		@VALGRIND=1 tests/run-unit.sh $(patsubst build/%,build/vg/%,$(UNIT_BIN))
	@PORTEX_REAL=$(abspath build/vg/portex) PORTEX=$(abspath tests/valgrind-portex) \
		E2E_ONLY="tests/e2e/t_export.sh tests/e2e/t_plugin.sh" tests/run-e2e.sh

# The packager's worker threads under ThreadSanitizer: the spool's own
# tests and an export through it.
check-tsan:
	@$(MAKE) --no-print-directory B=build/tsan CC=clang CFLAGS="-O1 -g -fsanitize=thread" \
		build/tsan/tests/test_spool build/tsan/portex
	@TSAN_OPTIONS=halt_on_error=1 tests/run-unit.sh build/tsan/tests/test_spool
	@TSAN_OPTIONS=halt_on_error=1 PORTEX=$(abspath build/tsan/portex) \
		E2E_ONLY=tests/e2e/t_export.sh tests/run-e2e.sh

check: deps-check
	@$(MAKE) --no-print-directory check-plain
	@$(MAKE) --no-print-directory check-asan
	@$(MAKE) --no-print-directory check-tsan
	@$(MAKE) --no-print-directory check-valgrind
	@echo "make check: all suites passed"

demo: deps
	@$(MAKE) --no-print-directory $(B)/portex
	@PORTEX=$(abspath $(B)/portex) examples/demo.sh

bench: $(B)/portex
	@scripts/deps.sh bench
	@PORTEX=$(B)/portex bench/run.sh

# ---- Library, pkg-config, install, uninstall (issue 14) ----
# libportex.so: the same objects, exporting px_* only (portex.map); its
# soname carries the major version. portex.pc lets
# `cc app.c $(pkg-config --cflags --libs portex)` build against an install.
SOMAJOR   := $(firstword $(subst ., ,$(VERSION)))
SONAME    := libportex.so.$(SOMAJOR)
REALNAME  := libportex.so.$(VERSION)
# The data folder is compiled into the REST driver: a stamp holding
# DATADIR makes `make install PREFIX=/opt` rebuild it when PREFIX changed
# since a plain `make`, so the installed binary reads its own data folder.
$(B)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(DATADIR)" ] || printf '%s' "$(DATADIR)" >$@
$(B)/connectors/rest_profile.o: $(B)/datadir.stamp
.PHONY: FORCE
FORCE:

$(B)/$(REALNAME): $(LIB_OBJ) portex.map
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=portex.map \
		-o $@ $(LIB_OBJ) $(LDLIBS) -pthread

$(B)/portex.pc: portex.pc.in Makefile $(B)/datadir.stamp
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' \
		portex.pc.in >$@

# What install puts in place; uninstall removes exactly these.
INSTALLED = $(BINDIR)/portex $(LIBDIR)/libportex.a $(LIBDIR)/$(REALNAME) \
	    $(LIBDIR)/$(SONAME) $(LIBDIR)/libportex.so $(LIBDIR)/pkgconfig/portex.pc \
	    $(patsubst include/portex/%,$(INCDIR)/portex/%,$(wildcard include/portex/*.h)) \
	    $(patsubst schemas/%,$(DATADIR)/schemas/%,$(wildcard schemas/*.json)) \
	    $(patsubst connectors/%,$(DATADIR)/connectors/%,$(wildcard connectors/*.json)) \
	    $(patsubst docs/%,$(MANDIR)/%,$(wildcard docs/*.1))
INSTALLED_DIRS = $(INCDIR)/portex $(DATADIR)/schemas $(DATADIR)/connectors $(DATADIR)

install: $(B)/portex $(B)/libportex.a $(B)/$(REALNAME) $(B)/portex.pc
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/portex \
	        $(DESTDIR)$(DATADIR)/schemas $(DESTDIR)$(DATADIR)/connectors $(DESTDIR)$(MANDIR)
	install -m 755 $(B)/portex $(DESTDIR)$(BINDIR)/portex
	install -m 644 $(B)/libportex.a $(DESTDIR)$(LIBDIR)/libportex.a
	install -m 755 $(B)/$(REALNAME) $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libportex.so
	install -m 644 $(B)/portex.pc $(DESTDIR)$(LIBDIR)/pkgconfig/portex.pc
	install -m 644 include/portex/*.h $(DESTDIR)$(INCDIR)/portex/
	install -m 644 schemas/*.json $(DESTDIR)$(DATADIR)/schemas/
	$(if $(wildcard connectors/*.json),install -m 644 $(wildcard connectors/*.json) $(DESTDIR)$(DATADIR)/connectors/)
	$(if $(wildcard docs/*.1),install -m 644 $(wildcard docs/*.1) $(DESTDIR)$(MANDIR)/)

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(addprefix $(DESTDIR),$(INSTALLED_DIRS)) 2>/dev/null

format:
	clang-format -i $(wildcard src/*.c src/*.h src/*/*.c src/*/*.h connectors/*.c include/portex/*.h tests/unit/*.c tests/unit/*.h)

clean:
	rm -rf build examples/out
