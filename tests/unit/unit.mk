# Unit tests: plain C programs in tests/unit/, one binary each, linked with
# just the src/ objects they test (no libbpf). tests/host/unit.sh runs them.
# Included by the top Makefile, which defines OUTPUT, CC and ALL_CFLAGS.

UNIT_TESTS := $(addprefix $(OUTPUT)/tests/unit/,test_hist test_reasons test_cli test_dump \
	test_snapshot test_proc test_summary test_expose test_tsc)
TEST_BINS += $(UNIT_TESTS)

.PHONY: unit
unit: $(UNIT_TESTS)

# The model and its helpers, which most tests link.
MODEL_OBJS := $(addprefix $(OUTPUT)/src/,snapshot.o summary.o hist.o reasons.o msr_names.o util.o)

$(OUTPUT)/tests/unit/test_hist: $(OUTPUT)/tests/unit/test_hist.o $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_reasons: $(OUTPUT)/tests/unit/test_reasons.o $(OUTPUT)/src/reasons.o \
		$(OUTPUT)/src/util.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

$(OUTPUT)/tests/unit/test_cli: $(OUTPUT)/tests/unit/test_cli.o $(OUTPUT)/src/cli.o $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_dump: $(OUTPUT)/tests/unit/test_dump.o \
		$(addprefix $(OUTPUT)/src/,dump.o dump_read.o json_writer.o) $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -ljson-c -lm

$(OUTPUT)/tests/unit/test_snapshot: $(OUTPUT)/tests/unit/test_snapshot.o $(MODEL_OBJS) \
		$(OUTPUT)/src/proc.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_summary: $(OUTPUT)/tests/unit/test_summary.o $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_expose: $(OUTPUT)/tests/unit/test_expose.o $(OUTPUT)/src/expose.o $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_tsc: $(OUTPUT)/tests/unit/test_tsc.o $(OUTPUT)/src/tsc.o $(OUTPUT)/src/util.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(OUTPUT)/tests/unit/test_proc: $(OUTPUT)/tests/unit/test_proc.o $(OUTPUT)/src/proc.o \
		$(OUTPUT)/src/util.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS)

# tests/host/golden-output.sh's renderer of a dump's -I lines.
GOLDEN_RENDER := $(OUTPUT)/tests/golden/render_intervals
TEST_BINS += $(GOLDEN_RENDER)
$(GOLDEN_RENDER): $(OUTPUT)/tests/golden/render_intervals.o \
		$(addprefix $(OUTPUT)/src/,output.o print_text.o print_split.o print_json.o heatmap.o dump.o \
		print_outlier.o trace_out.o \
		dump_read.o json_writer.o) $(MODEL_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -ljson-c -lm
