# The benchmark's native BPF cost driver (bench/bpf_cost.c with
# bench/bpf_cost.bpf.c). Built by `make all` too, so it never rots;
# run by `make bench` (bench/run), never by `make check`. Explicit
# rules: the generic $(OUTPUT)/%.o: %.c would compile the .bpf.c with $(CC).

BPF_COST := $(OUTPUT)/bench/bpf_cost

$(OUTPUT)/bench/bpf_cost.bpf.o: bench/bpf_cost.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -Ibench -c -o $@ $<

$(OUTPUT)/bench/bpf_cost.skel.h: $(OUTPUT)/bench/bpf_cost.bpf.o
	$(BPFTOOL) gen skeleton $< name bpf_cost_bpf > $@

$(OUTPUT)/bench/bpf_cost.o: $(OUTPUT)/bench/bpf_cost.skel.h

$(BPF_COST): $(OUTPUT)/bench/bpf_cost.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LIBS)

BENCH_BINS += $(BPF_COST)
