# fuzz.mk: libFuzzer builds of the fuzz targets, with the library compiled by clang under the
# same sanitizers. Run from the repository root:
#
#   make -f tests/fuzz/fuzz.mk BUILD=build/fuzz             build every target (make fuzz)
#   make -f tests/fuzz/fuzz.mk BUILD=build/fuzz run-yaml    fuzz one target for TIME seconds
#
# A run reads the seed corpus (tests/fuzz/corpus/NAME) and writes what it discovers to
# $(BUILD)/corpus/NAME and crashes to $(BUILD)/artifacts/NAME/, never into the source tree.
#
# To fuzz past a known, not yet fixed UBSan finding, make that check recoverable and suppress
# it at run time (a build folder of its own keeps the objects apart):
#   make -f tests/fuzz/fuzz.mk BUILD=build/fuzz-known \
#       FUZZ_EXTRA_CFLAGS=-fsanitize-recover=nonnull-attribute
#   UBSAN_OPTIONS=halt_on_error=1:suppressions=FILE make -f ... run-schema
# where FILE holds lines such as "nonnull-attribute:src/schema/compile.c".

BUILD ?= build/fuzz
FUZZ_CC ?= clang
TIME ?= 300
FUZZ_OPTS ?= -max_len=8192 -timeout=5 -rss_limit_mb=2048
FUZZ_EXTRA_CFLAGS ?=

# The main Makefile's flags, libraries and sources, read from it so the two builds cannot
# drift. Its -Werror and optimisation level are replaced: clang warns about things gcc (the CI
# compiler) accepts, and -O1 keeps stacks readable.
# (Without the jobserver, which $(shell) cannot hand down.)
main_var = $(shell MAKEFLAGS='$(filter-out -j% --jobserver%,$(MAKEFLAGS))' $(MAKE) -s \
	--no-print-directory -f Makefile --eval='fuzz-print-var: ; $$(info $$($(1)))@:' fuzz-print-var)
MAIN_CFLAGS := $(call main_var,ALL_CFLAGS)
MAIN_LDFLAGS := $(call main_var,ALL_LDFLAGS)
MAIN_LIBS := $(call main_var,LIBS)
LIB_SRC := $(call main_var,LIB_SRC)
PACK_SRC := $(call main_var,PACK_SRC)
ifeq ($(strip $(MAIN_CFLAGS)),)
$(error fuzz.mk: cannot read the build flags from Makefile; run from the repository root)
endif
ifeq ($(strip $(LIB_SRC)),)
$(error fuzz.mk: Makefile lists no library sources (LIB_SRC))
endif

SAN := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# KV_ARENA_DEBUG makes every arena allocation a plain malloc, so ASan sees its bounds.
FUZZ_CFLAGS := $(filter-out -Werror -Wformat=2 -O%,$(MAIN_CFLAGS)) -Wformat -O1 -g \
	-DKV_ARENA_DEBUG $(SAN) $(FUZZ_EXTRA_CFLAGS)
FUZZ_LDFLAGS := $(MAIN_LDFLAGS) $(SAN) $(FUZZ_EXTRA_CFLAGS)

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/pack.o
TARGET_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TARGETS := $(TARGET_SRC:tests/fuzz/%.c=$(BUILD)/%)
NAMES := $(TARGET_SRC:tests/fuzz/fuzz_%.c=%)
STAMP := $(BUILD)/.toolchain-ok

.PHONY: all $(NAMES:%=run-%)

all: $(TARGETS)
	@echo
	@echo "Built $(TARGETS)."
	@echo "Fuzz one for TIME seconds (discoveries go to $(BUILD)/corpus/NAME, crashes to $(BUILD)/artifacts/NAME/):"
	@for n in $(NAMES); do echo "  make -f tests/fuzz/fuzz.mk BUILD=$(BUILD) TIME=300 run-$$n"; done
	@echo "or by hand:"
	@echo "  mkdir -p $(BUILD)/corpus/yaml && $(BUILD)/fuzz_yaml $(FUZZ_OPTS) -max_total_time=300 $(BUILD)/corpus/yaml tests/fuzz/corpus/yaml"
	@echo "Reproduce a crash: $(BUILD)/fuzz_yaml FILE    minimise it: $(BUILD)/fuzz_yaml -minimize_crash=1 -runs=20000 FILE"
	@echo "Keep a small, interesting input as a regression test in tests/fuzz/corpus/NAME/ (replayed by make test),"
	@echo "or in tests/fuzz/crashes/NAME/ while it still crashes."

# Fails early, and says why, when clang or its libFuzzer runtime is missing.
$(STAMP):
	@mkdir -p $(dir $@)
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
		echo "fuzz.mk: $(FUZZ_CC) not found; install clang (Debian: sudo apt-get install clang)" >&2; \
		exit 1; }
	@printf '%s\n' 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
		'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		> $(BUILD)/probe.c
	@$(FUZZ_CC) $(SAN) $(BUILD)/probe.c -o $(BUILD)/probe >$(BUILD)/probe.log 2>&1 || { \
		cat $(BUILD)/probe.log >&2; \
		echo "fuzz.mk: $(FUZZ_CC) cannot link with -fsanitize=fuzzer,address,undefined." >&2; \
		echo "It must be clang (FUZZ_CC=clang) with its libFuzzer runtime, libclang_rt.fuzzer, which" >&2; \
		echo "comes with compiler-rt: on Debian 12, sudo apt-get install libclang-rt-14-dev for clang-14" >&2; \
		echo "(libclang-rt-N-dev for clang-N; compiler-rt on Fedora and Arch)." >&2; \
		dir=$$($(FUZZ_CC) -print-resource-dir 2>/dev/null); \
		[ -z "$$dir" ] || echo "It belongs in $$dir/lib/linux/ (libclang_rt.fuzzer-x86_64.a or similar)." >&2; \
		exit 1; }
	@rm -f $(BUILD)/probe $(BUILD)/probe.c $(BUILD)/probe.log
	@touch $@

$(BUILD)/obj/%.o: %.c Makefile tests/fuzz/fuzz.mk | $(STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/gen/pack.c: $(PACK_SRC) policies/embed.sh
	@mkdir -p $(dir $@)
	sh policies/embed.sh $@ $(PACK_SRC)

$(BUILD)/obj/gen/pack.o: $(BUILD)/gen/pack.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/libkvet.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libkvet.a | $(STAMP)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LDFLAGS) -o $@ $< $(BUILD)/libkvet.a $(MAIN_LIBS)

$(NAMES:%=run-%): run-%: $(BUILD)/fuzz_%
	@mkdir -p $(BUILD)/corpus/$* $(BUILD)/artifacts/$*
	$(BUILD)/fuzz_$* $(FUZZ_OPTS) -max_total_time=$(TIME) -artifact_prefix=$(BUILD)/artifacts/$*/ \
		$(BUILD)/corpus/$* tests/fuzz/corpus/$*

-include $(LIB_OBJ:.o=.d)
