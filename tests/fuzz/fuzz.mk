# libFuzzer targets: tests/fuzz/fuzz_NAME.c with the src/ files it drives,
# built by clang with ASan and UBSan into $(OUTPUT)/fuzz/fuzz_NAME, seeded
# from tests/fuzz/corpus/NAME/ (and tests/fuzz/NAME.dict if there is one).
# tests/host/fuzz.sh runs each briefly in make check; `make fuzz
# FUZZ_SECONDS=600` runs each for longer (tests/fuzz/run).
# Included by the top Makefile, which defines OUTPUT, CLANG and WARNINGS.
#
# A new target is one line below: $(eval $(call fuzz_target,NAME,SOURCES)).

FUZZ_SECONDS ?= 600
FUZZ_SANITIZERS := address,undefined
# -O1 keeps it fast enough while the sanitizers still see every access;
# -fno-sanitize-recover: a UBSan finding is a crash libFuzzer saves, not a log line.
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all $(WARNINGS) \
	$(DEPFLAGS) -Iinclude
FUZZ_BINS :=

# Objects get coverage and sanitizers (fuzzer-no-link); the link adds libFuzzer's main.
$(OUTPUT)/fuzz/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SANITIZERS) -c -o $@ $<

# fuzz_target NAME, SOURCES: $(OUTPUT)/fuzz/fuzz_NAME from tests/fuzz/fuzz_NAME.c + SOURCES.
define fuzz_target
FUZZ_BINS += $(OUTPUT)/fuzz/fuzz_$(1)
$(OUTPUT)/fuzz/fuzz_$(1): $(OUTPUT)/fuzz/tests/fuzz/fuzz_$(1).o $(patsubst %.c,$(OUTPUT)/fuzz/%.o,$(2))
	$$(CLANG) $$(FUZZ_CFLAGS) -fsanitize=fuzzer,$$(FUZZ_SANITIZERS) -o $$@ $$^ -ljson-c -lm
endef

$(eval $(call fuzz_target,dump,src/dump_read.c src/dump.c src/json_writer.c src/snapshot.c \
	src/summary.c src/print_text.c src/print_split.c src/print_json.c src/hist.c src/reasons.c src/msr_names.c \
	src/heatmap.c \
	src/util.c))

TEST_BINS += $(FUZZ_BINS)

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	OUTPUT=$(OUTPUT) tests/fuzz/run --seconds $(FUZZ_SECONDS) --keep $(OUTPUT)/fuzz/corpus
