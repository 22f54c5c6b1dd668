# duban — build, test, demo, bench, lint.  See README.md.
#
#   make            build build/duban and build/smsc-sim
#   make check      run every test; ends with "N passed, N failed"
#   make check-browser  only the staff console's tests, in headless Chromium
#   make asan       the same tests under AddressSanitizer + UBSan
#   make tsan       the daemon's threaded tests under ThreadSanitizer (build-tsan/)
#   make demo       play the example town against the provider simulator
#   make bench      throughput and scale benchmarks (prints figures)
#   make lint       the layering rule, banned functions, file and function sizes
#   make fuzz       libFuzzer on every harness of tests/fuzz (clang), FUZZ_SECONDS each
#   make setup      install the Debian packages the build and the tests need (root)
#   make install    PREFIX=/usr/local DESTDIR=: binary, man pages, configuration, unit
#   make uninstall  remove what make install installed (the configuration stays)
#   make deb        build build-deb/duban_VERSION_ARCH.deb with debhelper
#
# Plain `make` never installs packages: it names what is missing and says
# `make setup`.  make setup, make check and make demo install what is
# missing (apt-get, as root), as a developer's machine or CI wants.

CC      ?= cc
BUILD   ?= build
PKGS    := libcurl sqlite3 libconfig libmicrohttpd jansson libcrypto libsystemd
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Werror
OPT     ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -iquote gateway -MMD -MP
ifeq ($(SANITIZE),1)
BUILD   := build-asan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
# ThreadSanitizer: the daemon's loop, its HTTP thread and the dispatcher's
# database thread.  A report fails the test that caused it (tests/run.sh).
ifeq ($(SANITIZE),thread)
BUILD   := build-tsan
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
LDFLAGS += -fsanitize=thread
endif

# pkg-config runs only once the setup script has installed what is missing.
SETUP_STAMP := $(BUILD)/.setup
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
CFLAGS  += $(WARN) $(OPT) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm -lpthread

# Message catalogues (gettext): po/LANG.po -> $(BUILD)/locale/LANG/LC_MESSAGES/duban.mo,
# found beside the binary while developing; installed under $(LOCALEDIR).
PREFIX    ?= /usr/local
LOCALEDIR ?= $(PREFIX)/share/locale
PO_FILES  := $(wildcard po/*.po)
MO_FILES  := $(PO_FILES:po/%.po=$(BUILD)/locale/%/LC_MESSAGES/duban.mo)

# The layers of gateway/ (HACKING.md): base, store, provider, core, server, cli.
LIB_SRCS  := $(filter-out gateway/cli/main.c,$(wildcard gateway/*/*.c))
LIB_OBJS  := $(LIB_SRCS:gateway/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
REPLAY_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)

.PHONY: all setup check check-browser asan tsan demo bench lint fuzz clean install uninstall deb pot po-update
all: $(BUILD)/duban $(BUILD)/smsc-sim $(MO_FILES)

# The build only checks; `make setup` installs (and so do check and demo).
setup:
	@scripts/setup.sh
	@mkdir -p $(BUILD) && touch $(SETUP_STAMP)
$(SETUP_STAMP): scripts/setup.sh
	@scripts/setup.sh --check
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/obj/%.o: gateway/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/cli/main.o: CPPFLAGS += -DDUBAN_LOCALEDIR='"$(LOCALEDIR)"'

$(BUILD)/locale/%/LC_MESSAGES/duban.mo: po/%.po | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  MSGFMT  $<"
	@msgfmt --check -o $@ $<

# $(BUILD)/duban.pot: every marked string of gateway/, to merge into the
# catalogues (make po-update).
pot:
	@mkdir -p $(BUILD)
	xgettext --from-code=UTF-8 --language=C -k_ -kN_ -kNC_:1c,2 -kC_:1c,2 --add-comments=TRANSLATORS \
	  --no-wrap --sort-by-file -o $(BUILD)/duban.pot $(sort $(wildcard gateway/*/*.c gateway/*/*.h))

# Bring po/*.po up to the sources: new strings come in untranslated, changed
# ones fuzzy with their previous msgid (#|), gone ones are dropped.  A fuzzy
# entry is not used: translate it and remove its "#, fuzzy" line, until the
# statistics printed last show no fuzzy and no untranslated message.
po-update: pot
	@for p in $(wildcard po/*.po); do \
	  msgmerge --quiet --update --backup=none --no-wrap --previous $$p $(BUILD)/duban.pot && \
	  msgattrib --no-obsolete --no-location --no-wrap -o $$p $$p && \
	  sed -i '/^"POT-Creation-Date: /d; /^"Report-Msgid-Bugs-To: /d' $$p && \
	  printf '%s: ' $$p && msgfmt --check --statistics -o /dev/null $$p || exit 1; done

$(BUILD)/libduban.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/duban: $(BUILD)/obj/cli/main.o $(BUILD)/libduban.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/smsc-sim: tools/smsc-sim.c $(wildcard tools/sim*.c) tools/sim.h $(BUILD)/libduban.a | $(SETUP_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libduban.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DDUBAN_SRCDIR='"$(CURDIR)"' $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libduban.a $(LDLIBS) $(CMOCKA_LIBS)

# The fuzz harnesses, linked with the plain driver: make check replays their
# corpora and every input that ever crashed, with any compiler.
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(BUILD)/libduban.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DDUBAN_SRCDIR='"$(CURDIR)"' $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(BUILD)/libduban.a $(LDLIBS)

check:
	@scripts/setup.sh
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(REPLAY_BINS)
	@BUILD=$(BUILD) tests/run.sh

# The staff console in headless Chromium (also part of make check).
check-browser: all
	@BUILD=$(BUILD) tests/run.sh t_browser t_console

asan:
	@$(MAKE) --no-print-directory SANITIZE=1 check

# The tests where more than one thread runs: the unit tests that start
# threads, and every scenario around `duban run` or `duban dispatch` (names
# are substrings, as for tests/run.sh: t_notice also runs test_notice).
# A ThreadSanitizer report fails the test that caused it.  About a minute
# and a half on two cores, the build included.
TSAN_TESTS := test_evloop test_zone_threads test_log t_daemon t_api t_callbacks t_wakeup \
              t_crash t_dispatch t_failover t_notice t_report t_reload
tsan:
	@echo 'int main(void) { return 0; }' | $(CC) -fsanitize=thread -x c -o /dev/null - || \
	  { echo "make tsan needs ThreadSanitizer's runtime (Debian: apt-get install libtsan2)"; exit 1; }
	@$(MAKE) --no-print-directory SANITIZE=thread all $(UNIT_BINS:$(BUILD)/%=build-tsan/%)
	@BUILD=build-tsan tests/run.sh $(TSAN_TESTS)

demo:
	@scripts/setup.sh
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) examples/demo.sh

bench: all
	@BUILD=$(BUILD) bench/run.sh

lint:
	@scripts/lint.sh

# libFuzzer: the library built again with clang's coverage and sanitizers,
# each harness run for FUZZ_SECONDS from its committed corpus.  New inputs go
# to build-fuzz/corpus/NAME; a crash is written to build-fuzz/crashes/NAME/ -
# copy it to tests/fuzz/crashes/NAME/ with the fix, so make check replays it.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
fuzz: | $(SETUP_STAMP)
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	@mkdir -p build-fuzz/obj
	@for f in $(LIB_SRCS); do o=build-fuzz/obj/$$(echo $$f | tr / _).o; \
	  [ $$o -nt $$f ] && [ -z "$$(find gateway -name '*.h' -newer $$o)" ] || $(FUZZ_CC) $(CPPFLAGS) $(WARN) -Wno-unused-command-line-argument -Wno-format-nonliteral $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $$o $$f || exit 1; done
	@rm -f build-fuzz/libduban.a && ar rcs build-fuzz/libduban.a \
	  $(foreach f,$(LIB_SRCS),build-fuzz/obj/$(subst /,_,$(f)).o)
	@for n in $(FUZZ_NAMES); do \
	  $(FUZZ_CC) $(CPPFLAGS) -DDUBAN_SRCDIR='"$(CURDIR)"' $(FUZZ_FLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o build-fuzz/fuzz_$$n \
	    tests/fuzz/fuzz_$$n.c build-fuzz/libduban.a $(LDLIBS) || exit 1; \
	  mkdir -p build-fuzz/corpus/$$n build-fuzz/crashes/$$n; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp build-fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=build-fuzz/crashes/$$n/ build-fuzz/corpus/$$n tests/fuzz/corpus/$$n \
	    2>build-fuzz/$$n.log || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units' build-fuzz/$$n.log; \
	done

clean:
	rm -rf build build-asan build-tsan build-fuzz build-deb

# ---- install (FHS) and the Debian package ---------------------------------------
# /etc/duban: duban.cfg (the example, pointed at the places below), rules/,
# templates/, secrets (0600, the providers' keys; never overwritten);
# /usr/share/duban: the calendar and the console's files, when present;
# /var/lib/duban: the database (setgid: group duban, see README).
PREFIX        ?= /usr/local
SYSCONFDIR    ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
LOCALSTATEDIR ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
UNITDIR       ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
DATADIR       := $(PREFIX)/share/duban
MANDIR        := $(PREFIX)/share/man
CONFDIR       := $(SYSCONFDIR)/duban
INSTALL       ?= install
VERSION       := $(shell sed -n 's/^\#define DUBAN_VERSION "\(.*\)"/\1/p' gateway/base/version.h)

install: all
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(CONFDIR)/rules $(DESTDIR)$(CONFDIR)/templates \
	  $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -d -m 2770 $(DESTDIR)$(LOCALSTATEDIR)/lib/duban
	$(INSTALL) -m 0755 $(BUILD)/duban $(DESTDIR)$(PREFIX)/bin/duban
	$(INSTALL) -m 0644 man/duban.1 $(DESTDIR)$(MANDIR)/man1/duban.1
	$(INSTALL) -m 0644 man/duban.cfg.5 man/duban-rules.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|^database = .*|database = "$(LOCALSTATEDIR)/lib/duban/duban.db";|' \
	    -e 's|^rules_dir = .*|rules_dir = "rules";|' \
	    -e 's|^templates_dir = .*|templates_dir = "templates";|' \
	    -e 's|^calendar = .*|calendar = "$(DATADIR)/calendar/cn.cfg";|' \
	    -e 's|^  # web_root = .*|  web_root = "$(DATADIR)/web";|' \
	    etc/duban.cfg >$(DESTDIR)$(CONFDIR)/duban.cfg
	chmod 0640 $(DESTDIR)$(CONFDIR)/duban.cfg
	$(INSTALL) -m 0644 rules/*.cfg $(DESTDIR)$(CONFDIR)/rules/
	$(INSTALL) -m 0644 templates/*.txt $(DESTDIR)$(CONFDIR)/templates/
	[ -e $(DESTDIR)$(CONFDIR)/secrets ] || $(INSTALL) -m 0600 packaging/secrets.example $(DESTDIR)$(CONFDIR)/secrets
	for d in calendar web; do [ ! -d $$d ] || { $(INSTALL) -d $(DESTDIR)$(DATADIR) && cp -R $$d $(DESTDIR)$(DATADIR)/; } || exit 1; done
	for p in $(wildcard po/*.po); do l=$$(basename $$p .po); \
	  $(INSTALL) -d $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES && \
	  msgfmt -o $(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/duban.mo $$p || exit 1; done
	sed -e 's|/usr/bin/duban|$(PREFIX)/bin/duban|; s|/etc/duban|$(CONFDIR)|g; s|/var/lib/duban|$(LOCALSTATEDIR)/lib/duban|g' \
	    packaging/duban.service >$(DESTDIR)$(UNITDIR)/duban.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/duban.service
	$(INSTALL) -m 0644 packaging/duban.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/duban

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/duban $(DESTDIR)$(MANDIR)/man1/duban.1 \
	  $(DESTDIR)$(MANDIR)/man5/duban.cfg.5 $(DESTDIR)$(MANDIR)/man5/duban-rules.5 \
	  $(DESTDIR)$(UNITDIR)/duban.service $(DESTDIR)$(SYSCONFDIR)/logrotate.d/duban \
	  $(DESTDIR)$(PREFIX)/share/locale/*/LC_MESSAGES/duban.mo
	rm -rf $(DESTDIR)$(DATADIR)
	@echo "kept: $(CONFDIR) (configuration, secrets) and $(LOCALSTATEDIR)/lib/duban (the database)"

# The package is built in a copy of the tree (dh_auto_clean runs make clean
# there, never here), from the files git knows plus any changes not yet
# committed; the .deb lands in build-deb/.
deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
	  { echo "make deb needs dpkg-dev and debhelper (make setup)"; exit 1; }
	rm -rf build-deb && mkdir -p build-deb/duban-$(VERSION)
	{ git ls-files -co --exclude-standard 2>/dev/null || \
	  find . -path './build*' -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||'; } | \
	  grep -v '^build' | \
	  while read -r f; do [ -e "$$f" ] && printf '%s\n' "$$f"; done | \
	  tar -cf - -T - | tar -xf - -C build-deb/duban-$(VERSION)
	cd build-deb/duban-$(VERSION) && DEB_BUILD_OPTIONS="parallel=2 nocheck $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -b -us -uc --no-sign >../build.log 2>&1 || { tail -30 ../build.log; exit 1; }
	@ls build-deb/*.deb

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)
