# Unit tests: plain C programs in tests/unit/, one binary each, linked with
# just the src/ objects they test (no libbpf). tests/host/unit.sh runs them.
# Included by the top Makefile, which defines OUTPUT, CC and ALL_CFLAGS.

UNIT_TESTS := $(addprefix $(OUTPUT)/tests/unit/,test_hist test_reasons test_env test_json \
	test_snapshot)
TEST_BINS += $(UNIT_TESTS)

.PHONY: unit
unit: $(UNIT_TESTS)

# report.o (format_ns) refers to reason_name/reason_is_halt in reasons.o.
$(OUTPUT)/tests/unit/test_hist: $(OUTPUT)/tests/unit/test_hist.o \
		$(addprefix $(OUTPUT)/src/,hist.o report.o reasons.o)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_reasons: $(OUTPUT)/tests/unit/test_reasons.o $(OUTPUT)/src/reasons.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

$(OUTPUT)/tests/unit/test_env: $(OUTPUT)/tests/unit/test_env.o $(OUTPUT)/src/env.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

$(OUTPUT)/tests/unit/test_json: $(OUTPUT)/tests/unit/test_json.o $(OUTPUT)/src/json.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

$(OUTPUT)/tests/unit/test_snapshot: $(OUTPUT)/tests/unit/test_snapshot.o \
		$(addprefix $(OUTPUT)/src/,snapshot.o report.o hist.o reasons.o vms.o)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

# tests/host/golden-output.sh's renderer of a dump's -I lines.
GOLDEN_RENDER := $(OUTPUT)/tests/golden/render_intervals
TEST_BINS += $(GOLDEN_RENDER)
$(GOLDEN_RENDER): $(OUTPUT)/tests/golden/render_intervals.o \
		$(addprefix $(OUTPUT)/src/,dump_read.o json.o snapshot.o report.o hist.o reasons.o vms.o)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm
