# BPF tests through BPF_PROG_TEST_RUN: tests/bpf/exit_entry_test.bpf.c drives
# the pairing core bpf/exit_entry.bpf.h with synthetic events, and the runner
# tests/bpf/exit_entry_test.c checks the maps (run by
# tests/host/bpf-exit-entry.sh). Explicit rules: the generic
# $(OUTPUT)/%.o: %.c would otherwise compile the .bpf.c with $(CC).

EXIT_ENTRY_TEST := $(OUTPUT)/tests/bpf/exit_entry_test

$(OUTPUT)/tests/bpf/exit_entry_test.bpf.o: tests/bpf/exit_entry_test.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(OUTPUT)/tests/bpf/exit_entry_test.skel.h: $(OUTPUT)/tests/bpf/exit_entry_test.bpf.o
	$(BPFTOOL) gen skeleton $< name exit_entry_test_bpf > $@

# The runner includes its skeleton, and the profiler's to check that
# bpf/vmexitprof.bpf.c passes the verifier with filters: both must exist
# before its compile.
$(OUTPUT)/tests/bpf/exit_entry_test.o: $(OUTPUT)/tests/bpf/exit_entry_test.skel.h \
	$(OUTPUT)/vmexitprof.skel.h

$(EXIT_ENTRY_TEST): $(OUTPUT)/tests/bpf/exit_entry_test.o \
		$(addprefix $(OUTPUT)/src/,snapshot.o hist.o util.o proc.o)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LIBS) -lpthread

TEST_BINS += $(EXIT_ENTRY_TEST)
