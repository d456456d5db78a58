# kvet: build, test, sanitizer runs, benchmark, install.
#
#   make                 build/kvet
#   make test            every test (unit, golden, scripts, fuzz corpus replay)
#   make asan / ubsan    the whole suite under AddressSanitizer / UndefinedBehaviorSanitizer
#   make check           test + asan + ubsan: what CI runs
#   make bench           throughput and latency figures (needs ../shared)
#   make fuzz            libFuzzer targets (needs clang)
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
# Linked as usual:
PKGS_LINKED := yaml-0.1 jansson libpcre2-8
# Loaded with dlopen on first use, by the soname found here (kvet/dynlib.h says why):
PKGS_LOADED := libgit2 libcurl
DEPS_HINT := sudo apt-get install libyaml-dev libjansson-dev libgit2-dev libcurl4-openssl-dev libpcre2-dev pkg-config

ifneq ($(shell $(PKG_CONFIG) --exists $(PKGS_LINKED) $(PKGS_LOADED) && echo yes),yes)
$(error missing libraries: install them with: $(DEPS_HINT))
endif
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS_LINKED) $(PKGS_LOADED))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS_LINKED))
soname = $(shell objdump -p "$$($(PKG_CONFIG) --variable=libdir $(1))/$(2)" 2>/dev/null | awk '/SONAME/ {print $$2}')
LIBGIT2_SONAME := $(call soname,libgit2,libgit2.so)
LIBCURL_SONAME := $(call soname,libcurl,libcurl.so)
ifeq ($(LIBGIT2_SONAME)$(LIBCURL_SONAME),)
$(error cannot read the sonames of libgit2 and libcurl (objdump from binutils is needed): $(DEPS_HINT))
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wformat=2 -Wundef -Wvla -Wnull-dereference -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -Iinclude -pthread $(WARN) $(PKG_CFLAGS) $(CFLAGS) \
	-DKV_LIBGIT2_SONAME='"$(LIBGIT2_SONAME)"' -DKV_LIBCURL_SONAME='"$(LIBCURL_SONAME)"'
ALL_LDFLAGS := -pthread $(LDFLAGS)
LIBS := $(PKG_LIBS) -lm -ldl

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all -O1
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
ifeq ($(SANITIZE),address)
ALL_CFLAGS += -DKV_ARENA_DEBUG
endif
endif

LIB_SRC := $(sort $(wildcard src/core/*.c src/yaml/*.c src/source/*.c src/schema/*.c src/cel/*.c \
	src/policy/*.c src/render/*.c src/check/*.c src/report/*.c))
# The built-in policy pack: each policy file's bytes, compiled in (policies/embed.sh).
PACK_SRC := $(filter-out %.test.yaml,$(sort $(wildcard policies/*/*.yaml)))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/pack.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%_replay)

KVET := $(BUILD)/kvet

.PHONY: all test unit golden scripts fuzz-replay asan ubsan check bench fuzz install clean

all: $(KVET)

$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/pack.c: $(PACK_SRC) policies/embed.sh
	@mkdir -p $(dir $@)
	sh policies/embed.sh $@ $(PACK_SRC)

$(BUILD)/obj/gen/pack.o: $(BUILD)/gen/pack.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libkvet.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(KVET): $(CLI_OBJ) $(BUILD)/libkvet.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/harness.h tests/unit/render_util.h $(BUILD)/libkvet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libkvet.a $(LIBS)

$(BUILD)/tests/%_replay: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/libkvet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c $(BUILD)/libkvet.a $(LIBS)

$(BUILD)/tests/render_compare: tests/render/compare.c $(BUILD)/libkvet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libkvet.a $(LIBS)

$(BUILD)/tests/cel_conformance: tests/cel/conformance.c $(BUILD)/libkvet.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libkvet.a $(LIBS)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

golden: $(KVET)
	@tests/golden/run.sh $(KVET)

scripts: $(KVET) $(BUILD)/tests/cel_conformance $(BUILD)/tests/render_compare
	@set -e; for s in tests/scripts/test_*.sh; do echo "== $$s"; KVET=$(KVET) \
		CEL_CONFORMANCE=$(BUILD)/tests/cel_conformance RENDER_COMPARE=$(BUILD)/tests/render_compare \
		SANITIZE=$(SANITIZE) sh $$s; done

fuzz-replay: $(FUZZ_REPLAY)
	@set -e; for t in $(FUZZ_REPLAY); do \
		name=$$(basename $$t _replay); name=$${name#fuzz_}; \
		echo "== $$t tests/fuzz/corpus/$$name"; $$t tests/fuzz/corpus/$$name; done

test: unit golden scripts fuzz-replay

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=address test

ubsan:
	@$(MAKE) --no-print-directory BUILD=build/ubsan SANITIZE=undefined test

check: test asan ubsan

bench: $(KVET)
	@tests/bench/bench.sh $(KVET)
	@tests/bench/render.sh $(KVET)

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/fuzz.mk BUILD=build/fuzz

install: $(KVET)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(KVET) $(DESTDIR)$(PREFIX)/bin/kvet

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
