# duban — build, test, demo, bench, lint.  See README.md.
#
#   make            build build/duban and build/smsc-sim
#   make check      run every test; ends with "N passed, N failed"
#   make asan       the same tests under AddressSanitizer + UBSan
#   make demo       play the example town against the provider simulator
#   make bench      throughput and scale benchmarks (prints figures)
#   make lint       banned functions and file-size checks

CC      ?= cc
BUILD   ?= build
PKGS    := libcurl sqlite3 libconfig libmicrohttpd jansson libcrypto
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

# pkg-config runs only once the setup script has installed what is missing.
SETUP_STAMP := $(BUILD)/.setup
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
CFLAGS  += $(WARN) $(OPT) $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm -lpthread

# The layers of gateway/ (HACKING.md): base, store, provider, core, server, cli.
LIB_SRCS  := $(filter-out gateway/cli/main.c,$(wildcard gateway/*/*.c))
LIB_OBJS  := $(LIB_SRCS:gateway/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all setup check asan demo bench lint clean
all: $(BUILD)/duban $(BUILD)/smsc-sim

setup: $(SETUP_STAMP)
$(SETUP_STAMP): scripts/setup.sh
	@scripts/setup.sh
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/obj/%.o: gateway/%.c | $(SETUP_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

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

check: all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run.sh

asan:
	@$(MAKE) --no-print-directory SANITIZE=1 check

demo: all
	@BUILD=$(BUILD) examples/demo.sh

bench: all
	@BUILD=$(BUILD) bench/run.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
