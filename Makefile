# vmexitprof build. Everything generated lands in $(OUTPUT); the two
# executables are then placed where users and tests expect them.

# make ARCH=arm64: testvmm and the loader cross-built for the arm64 rig
# (tests/vm/run --arch arm64) with Debian's aarch64-linux-gnu toolchain and
# arm64 libraries (make deps), linked statically, everything in build/arm64/.
ifeq ($(ARCH),arm64)
OUTPUT ?= build/arm64
CC := aarch64-linux-gnu-gcc
BPF_ARCH := arm64
LDFLAGS += -static
# src/reasons.c's fallback tables, for a kernel without the kvm_exit
# format, are x86's uapi <asm/svm.h> and <asm/vmx.h> (with the exception
# vectors of x86's <asm/kvm.h>); arm64 has none to build in, and its names
# come from the format only. So reasons.o alone reads those headers from
# amd64's linux-libc-dev (searched last), the vectors as -D flags: a
# report of an x86 dump on arm64 names its rows too.
X86_UAPI := /usr/include/x86_64-linux-gnu
$(OUTPUT)/src/reasons.o: ALL_CFLAGS += -idirafter $(X86_UAPI) \
	$(shell sed -n 's/^\#define \([A-Z][A-Z]_VECTOR\) \([0-9]*\)$$/-D\1=\2/p' $(X86_UAPI)/asm/kvm.h)
endif
BPF_ARCH ?= x86
OUTPUT ?= build
CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wno-unused-parameter
# -MMD -MP: per-object header dependencies in $(OUTPUT)/**/*.d.
DEPFLAGS := -MMD -MP
ALL_CFLAGS := $(CFLAGS) $(WARNINGS) $(DEPFLAGS) -Iinclude -I$(OUTPUT)
# BPF objects: CO-RE against our reduced kernel types in vmlinux-btf/.
# The multiarch dir is for <asm/errno.h>, which libbpf's usdt.bpf.h pulls in.
# -mcpu=v3: compare-and-exchange (kernels 5.12 and later) for exact min/max.
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) $(DEPFLAGS) \
	-Ivmlinux-btf -Iinclude -Ibpf -I/usr/include/$(shell $(CC) -dumpmachine)
LIBS := -lbpf -lelf -lz -ljson-c -lm
# --prometheus's HTTP server: Debian's libmicrohttpd, linked where it can be.
# Its static library needs GnuTLS's, which Debian does not ship: the static
# and arm64 builds (HTTP=0) have --textfile but no --prometheus.
HTTP ?= 1
ifeq ($(ARCH),arm64)
HTTP := 0
endif
ifeq ($(HTTP),1)
HTTP_LIBS := -lmicrohttpd -lpthread
else
ALL_CFLAGS += -DVMEXITPROF_NO_HTTP
endif

# The sanitizer build (make sanitize) overrides PROFILER with its own path.
PROFILER := vmexitprof
TESTVMM := tests/vmm/testvmm
ifeq ($(ARCH),arm64)
PROFILER := $(OUTPUT)/vmexitprof
TESTVMM := $(OUTPUT)/testvmm
endif

# src/ by layer (docs/layout.md): main and the CLI; host, /proc and ELF
# notes; the BPF side's life and the maps read; the model; the printers and
# what decides between them; helpers that know no tool.
PROFILER_OBJS := $(addprefix $(OUTPUT)/src/,main.o cli.o replay.o \
	host.o proc.o usdt.o \
	loader.o collect.o \
	snapshot.o summary.o \
	output.o print_text.o print_split.o print_json.o heatmap.o dump.o dump_read.o json_writer.o \
	outliers.o tsc.o print_outlier.o trace_out.o \
	publish.o expose.o exporter.o \
	hist.o reasons.o msr_names.o util.o)
TESTVMM_OBJS := $(OUTPUT)/tests/vmm/testvmm.o $(OUTPUT)/tests/vmm/guest.o $(OUTPUT)/src/proc.o \
	$(OUTPUT)/src/util.o

.PHONY: all deps check demo soak bench clean sanitize static man install uninstall
.DELETE_ON_ERROR:
# Keep the .bpf.o between source and skeleton: make would delete it as an
# intermediate file and rebuild the chain every time.
.SECONDARY:

all: $(PROFILER) $(TESTVMM) man

deps:
	tools/install-deps

$(PROFILER): $(PROFILER_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) $(LIBS) $(HTTP_LIBS)

# The loader and the collector include the skeleton: it must exist before their compile.
$(OUTPUT)/src/loader.o $(OUTPUT)/src/collect.o: $(OUTPUT)/vmexitprof.skel.h

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(TESTVMM): $(TESTVMM_OBJS)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDFLAGS) -lpthread

$(OUTPUT)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(OUTPUT)/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The man page, vmexitprof(8), from its scdoc source.
MAN_PAGE := $(OUTPUT)/vmexitprof.8
man: $(MAN_PAGE)
$(MAN_PAGE): docs/vmexitprof.8.scd
	@mkdir -p $(@D)
	scdoc <$< >$@

# make install [PREFIX=/usr/local] [DESTDIR=...]: the loader in sbin (it
# needs CAP_BPF and CAP_PERFMON), the man page, the systemd unit (its
# ExecStart pointed at that sbin), bash completion, the Grafana dashboard.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/vmexitprof
INSTALLED := $(SBINDIR)/vmexitprof $(MANDIR)/man8/vmexitprof.8 $(UNITDIR)/vmexitprof.service \
	$(COMPLETIONDIR)/vmexitprof $(DOCDIR)/grafana/vmexitprof.json
install: $(PROFILER) $(MAN_PAGE)
	install -D -m 0755 $(PROFILER) $(DESTDIR)$(SBINDIR)/vmexitprof
	install -D -m 0644 $(MAN_PAGE) $(DESTDIR)$(MANDIR)/man8/vmexitprof.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' contrib/vmexitprof.service >$(DESTDIR)$(UNITDIR)/vmexitprof.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vmexitprof.service
	install -D -m 0644 contrib/vmexitprof.bash-completion $(DESTDIR)$(COMPLETIONDIR)/vmexitprof
	install -D -m 0644 contrib/grafana/vmexitprof.json $(DESTDIR)$(DOCDIR)/grafana/vmexitprof.json

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/grafana $(DESTDIR)$(DOCDIR) 2>/dev/null

# The demo: vmexitprof on testvmm, in the nested rig where the host's KVM
# does not emit kvm_exit.
demo:
	tools/install-deps
	$(MAKE) all
	tools/demo $(DEMO_ARGS)

# The loader and the unit tests again, built with ASan and UBSan, objects
# and binaries under $(OUTPUT)/asan/ (tests/host/sanitizers.sh runs them).
# -fno-sanitize-recover: UBSan stops at the first finding, like ASan.
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
sanitize:
	$(MAKE) OUTPUT=$(OUTPUT)/asan PROFILER=$(OUTPUT)/asan/vmexitprof \
		CFLAGS="-O1 -g $(SANITIZE_FLAGS)" LDFLAGS="$(SANITIZE_FLAGS)" \
		$(OUTPUT)/asan/vmexitprof unit

# Static builds of the loader and testvmm, objects and binaries under
# $(OUTPUT)/static/: the Intel rig (tests/vm/run --cpu intel) boots an
# initramfs with no shared libraries. The same objects lists, built again.
STATIC_LIBS := -lbpf -lelf -lz -lzstd -ljson-c -lm
static:
	$(MAKE) OUTPUT=$(OUTPUT)/static PROFILER=$(OUTPUT)/static/vmexitprof \
		TESTVMM=$(OUTPUT)/static/testvmm LDFLAGS=-static LIBS="$(STATIC_LIBS)" HTTP=0 \
		$(OUTPUT)/static/vmexitprof $(OUTPUT)/static/testvmm

# The one test command: installs what is missing, builds, runs every test.
check:
	tools/install-deps
	$(MAKE) all sanitize static
	$(MAKE) ARCH=arm64 all
	tests/run-all

# A longer churn run than make check's minute (tests/rig/vmexitprof-churn.sh),
# in each rig kernel: SOAK_SECONDS of VMs starting and stopping.
SOAK_SECONDS ?= 600
RIG_KERNELS ?= 6.1 6.12
soak:
	tools/install-deps
	$(MAKE) all
	for kernel in $(RIG_KERNELS); do \
		echo "== churn for $(SOAK_SECONDS) s in the $$kernel guest"; \
		tests/vm/run --kernel $$kernel --timeout $$(($(SOAK_SECONDS) + 600)) -- \
			env CHURN_SECONDS=$(SOAK_SECONDS) tests/rig/vmexitprof-churn.sh || exit 1; \
	done

# The overhead benchmark (docs/performance.md); not part of check.
bench:
	tools/install-deps --bench
	$(MAKE) all
	bench/run

clean:
	rm -rf $(OUTPUT) $(PROFILER) $(TESTVMM)

# Test builds (unit tests, BPF tests) add themselves to TEST_BINS; the
# arm64 build has none of them.
TEST_BINS :=
BENCH_BINS :=
ifneq ($(ARCH),arm64)
include tests/unit/unit.mk
include tests/bpf/bpf.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk
all: $(TEST_BINS) $(BENCH_BINS)
endif

-include $(shell find $(OUTPUT) -name '*.d' 2>/dev/null)
