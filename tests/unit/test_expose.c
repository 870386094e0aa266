// SPDX-License-Identifier: GPL-2.0
/*
 * src/expose.c: the Prometheus text exposition of a summary. Every BPF
 * counter is in exactly one family; each family has HELP and TYPE once,
 * before all its samples; `le` buckets are exact cumulative sums of ours,
 * each bound a bucket edge less 1 ns; seconds are written exactly; label
 * values are escaped; vcpu appears only with per_vcpu.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expose.h"
#include "hist.h"
#include "check.h"

static void add_sample(struct hist *h, __u64 ns)
{
	h->buckets[hist_bucket(ns)]++;
	h->count++;
	h->sum_ns += ns;
}

static char *render(const struct summary *sum, const struct reason_table *names, bool per_vcpu)
{
	struct expose_opts opts = { .per_vcpu = per_vcpu, .version = "9.9", .attach = "classic",
				    .vmm_time = "kvm_fpu" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	expose_write(f, sum, names, &opts);
	fclose(f);
	return text;
}

/* The value of the sample line that starts with prefix (whole name and labels), or -1. */
static long long sample(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		size_t n = strlen(prefix);

		if (!strncmp(p, prefix, n) && p[n] == ' ')
			return atoll(p + n + 1);
	}
	return -1;
}

static void test_exposition(void)
{
	static struct reason_table names;
	struct reason_row reason = { .isa = ISA_SVM, .reason = 0x72 };
	struct reason_row vmm = { .isa = ISA_VMM, .reason = 2 };
	struct uexit_row uexit = { .reason = 2, .count = 7 };
	struct uexit_row eintr = { .reason = 4, .flags = UEXIT_FLAG_ERRNO, .count = 2 };
	struct vcpu_summary vcpu = { .vcpu = 3, .vcpu_id = VCPU_UNKNOWN };
	struct vm_summary vm = { .vm = { .pid = 42, .start = 1234, .name = "we\"b\\1", .uuid = "u-1" } };
	struct summary sum = { .vms = &vm, .nr_vms = 1, .kvm_exit_fired = true };
	char *text, *p, family[128], seen[64][128];
	int nr_seen = 0;

	for (int c = 0; c < NR_COUNTERS; c++)
		sum.counters[c] = 100 + c;
	add_sample(&reason.h, 1023);	/* just below 1.024 us: the first bucket */
	add_sample(&reason.h, 1024);	/* 1.024 us itself: the next one (le 1.279 us) */
	add_sample(&reason.h, 1500000000);
	vmm.h = reason.h;
	vm.reasons = (struct reason_rows){ &reason, 1 };
	vm.vmm = (struct reason_rows){ &vmm, 1 };
	struct uexit_row urows[] = { uexit, eintr };
	vm.uexits = (struct uexit_rows){ urows, 2 };
	vcpu.reasons = vm.reasons;
	vcpu.vmm = vm.vmm;
	vcpu.uexits = vm.uexits;
	vm.vcpus = &vcpu;
	vm.nr_vcpus = 1;
	reasons_add(&names, ISA_SVM, 0x72, "cpuid");
	reasons_add(&names, ISA_VMM, 2, "KVM_EXIT_IO");

	SECTION("every counter in one family, HELP and TYPE once before each family's samples");
	text = render(&sum, &names, false);
	for (int c = 0; c < NR_COUNTERS; c++) {
		char a[128], b[128];

		snprintf(a, sizeof(a), "vmexitprof_events_total{kind=\"%s\"}", counter_names[c]);
		snprintf(b, sizeof(b), "vmexitprof_events_lost_total{kind=\"%s\"}", counter_names[c]);
		CHECK((sample(text, a) == 100 + c) != (sample(text, b) == 100 + c),
		      "counter %s: in events %lld, in lost %lld", counter_names[c], sample(text, a), sample(text, b));
	}
	family[0] = 0;
	for (p = text; *p; p = strchr(p, '\n') + 1) {
		char name[128], kind[32];

		if (sscanf(p, "# HELP %127s", name) == 1) {
			CHECK(sscanf(strchr(p, '\n') + 1, "# TYPE %127s %31s", family, kind) == 2 &&
			      !strcmp(family, name), "HELP %s without its TYPE", name);
			for (int i = 0; i < nr_seen; i++)
				CHECK(strcmp(seen[i], name), "family %s twice", name);
			if (nr_seen < 64)
				snprintf(seen[nr_seen++], sizeof(seen[0]), "%s", name);
			p = strchr(p, '\n') + 1;
			continue;
		}
		CHECK(*family && !strncmp(p, family, strlen(family)), "sample outside its family %s: %.60s", family, p);
	}
	CHECK(nr_seen == 10, "%d families", nr_seen);
	CHECK(strstr(text, "vmexitprof_build_info{version=\"9.9\",attach=\"classic\",vmm_time=\"kvm_fpu\"} 1\n"),
	      "build_info");

	SECTION("le buckets: exact cumulative counts at bucket edges less 1 ns; seconds exact");
#define VM_LABELS "vm=\"we\\\"b\\\\1\",pid=\"42\",start_ticks=\"1234\",uuid=\"u-1\""
	CHECK(sample(text, "vmexitprof_exits_total{" VM_LABELS ",isa=\"svm\",reason=\"cpuid\"}") == 3, "exits");
	{
		static const struct { const char *le; long long want; const char *what; } bounds[] = {
			{ "0.000001023", 1, "1023 ns in le 1.023 us" },
			{ "0.000001279", 2, "1024 ns in le 1.279 us, not 1.023 us" },
			{ "1.342177279", 2, "1.5 s above 1.25 x 2^30 ns" },
			{ "1.610612735", 3, "1.5 s below 1.5 x 2^30 ns" },
			{ "4398.046511103", 3, "the top bound, 2^42 ns less 1" },
			{ "+Inf", 3, "+Inf" },
		};

		for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
			char line[512];

			snprintf(line, sizeof(line), "vmexitprof_exit_latency_seconds_bucket{" VM_LABELS
				 ",isa=\"svm\",reason=\"cpuid\",le=\"%s\"}", bounds[i].le);
			CHECK(sample(text, line) == bounds[i].want, "%s: %lld", bounds[i].what, sample(text, line));
		}
	}
	CHECK(strstr(text, "vmexitprof_exit_latency_seconds_sum{" VM_LABELS
		     ",isa=\"svm\",reason=\"cpuid\"} 1.500002047\n"), "_sum in seconds, exactly");
	CHECK(sample(text, "vmexitprof_vmm_handling_seconds_count{" VM_LABELS ",kvm_exit=\"IO\"}") == 3,
	      "VMM handling _count");
	CHECK(sample(text, "vmexitprof_userspace_exits_total{" VM_LABELS ",kvm_exit=\"IO\"}") == 7, "returns");
	CHECK(sample(text, "vmexitprof_userspace_errors_total{" VM_LABELS ",errno=\"EINTR\"}") == 2, "EINTR");
	CHECK(EXPOSE_NR_LE == 129 && expose_le_bucket(0) == hist_bucket(1024) &&
	      expose_le_bucket(EXPOSE_NR_LE - 1) == HIST_OVERFLOW, "129 bounds from 2^10 to 2^42 ns");
	CHECK(!strstr(text, "vcpu="), "no vcpu label without per_vcpu");
	free(text);

	SECTION("--per-vcpu: series per vCPU, with a vcpu label");
	text = render(&sum, &names, true);
	CHECK(sample(text, "vmexitprof_exits_total{" VM_LABELS ",vcpu=\"3\",isa=\"svm\",reason=\"cpuid\"}") == 3,
	      "per-vCPU exits");
	CHECK(sample(text, "vmexitprof_exits_total{" VM_LABELS ",isa=\"svm\",reason=\"cpuid\"}") == -1,
	      "no per-VM sum beside them");
	free(text);
	reasons_free(&names);
}

/*
 * --ports, --mmio, --msr and --cpuid: one series per VM and row, with the
 * row's address labels, and every family's HELP and TYPE even where no
 * row is of its kind. Written against the exposition as first shipped
 * (issue 15's rig Prometheus test reads these names), so a rewrite of
 * their walker must keep every line.
 */
static void test_io_families(void)
{
	static struct reason_table names;
	struct io_row rows[] = {
		{ { .kind = IO_KIND_PIO, .dir = IO_DIR_WRITE, .size = 1, .addr = 0x3f8 },
		  { .count = 9, .to_userspace = 8, .handled = 7, .handled_sum_ns = 1500000001 } },
		{ { .kind = IO_KIND_PIO, .dir = IO_DIR_READ, .size = 4, .addr = 0xcfc },
		  { .count = 3, .to_userspace = 3, .handled = 3, .handled_sum_ns = 30000 } },
		{ { .kind = IO_KIND_MMIO, .dir = IO_DIR_READ, .size = 8, .addr = 0xfebf1000 },
		  { .count = 5, .to_userspace = 4, .handled = 4, .handled_sum_ns = 4000 } },
		{ { .kind = IO_KIND_MSR, .dir = IO_DIR_WRITE, .addr = 0x838 },
		  { .count = 6, .handled = 6, .handled_sum_ns = 60000, .faults = 1 } },
		{ { .kind = IO_KIND_CPUID, .addr = 0x7ULL << 32 | 1 },
		  { .count = 2, .handled = 2, .handled_sum_ns = 2000000000 } },
	};
	struct vm_summary vm = { .vm = { .pid = 42, .start = 1234, .name = "web" },
				 .io = { rows, sizeof(rows) / sizeof(rows[0]) } };
	struct summary sum = { .vms = &vm, .nr_vms = 1, .kvm_exit_fired = true,
			       .ports = true, .mmio = true, .msr = true, .cpuid = true };
	static const char *const lines[] = {
#define L "vm=\"web\",pid=\"42\",start_ticks=\"1234\""
		"# TYPE vmexitprof_port_accesses_total counter\n",
		"vmexitprof_port_accesses_total{" L ",port=\"0x3f8\",dir=\"write\",size=\"1\"} 9\n",
		"vmexitprof_port_accesses_total{" L ",port=\"0xcfc\",dir=\"read\",size=\"4\"} 3\n",
		"vmexitprof_port_accesses_to_userspace_total{" L ",port=\"0x3f8\",dir=\"write\",size=\"1\"} 8\n",
		"vmexitprof_port_accesses_to_userspace_total{" L ",port=\"0xcfc\",dir=\"read\",size=\"4\"} 3\n",
		"vmexitprof_port_handling_seconds_sum{" L ",port=\"0xcfc\",dir=\"read\",size=\"4\"} 0.00003\n",
		"vmexitprof_port_handling_seconds_count{" L ",port=\"0xcfc\",dir=\"read\",size=\"4\"} 3\n",
		"# TYPE vmexitprof_port_handling_seconds summary\n",
		"vmexitprof_port_handling_seconds_sum{" L ",port=\"0x3f8\",dir=\"write\",size=\"1\"} 1.500000001\n",
		"vmexitprof_port_handling_seconds_count{" L ",port=\"0x3f8\",dir=\"write\",size=\"1\"} 7\n",
		"vmexitprof_mmio_accesses_total{" L ",gpa_page=\"0xfebf1000\",dir=\"read\",size=\"8\"} 5\n",
		"vmexitprof_mmio_accesses_to_userspace_total{" L ",gpa_page=\"0xfebf1000\",dir=\"read\",size=\"8\"} 4\n",
		"vmexitprof_mmio_handling_seconds_sum{" L ",gpa_page=\"0xfebf1000\",dir=\"read\",size=\"8\"} 0.000004\n",
		"vmexitprof_mmio_handling_seconds_count{" L ",gpa_page=\"0xfebf1000\",dir=\"read\",size=\"8\"} 4\n",
		"vmexitprof_msr_accesses_total{" L ",msr=\"0x838\",dir=\"write\"} 6\n",
		"vmexitprof_msr_faults_total{" L ",msr=\"0x838\",dir=\"write\"} 1\n",
		"# TYPE vmexitprof_msr_exit_seconds summary\n",
		"vmexitprof_msr_exit_seconds_sum{" L ",msr=\"0x838\",dir=\"write\"} 0.00006\n",
		"vmexitprof_msr_exit_seconds_count{" L ",msr=\"0x838\",dir=\"write\"} 6\n",
		"vmexitprof_cpuid_accesses_total{" L ",leaf=\"0x7\",subleaf=\"0x1\"} 2\n",
		"vmexitprof_cpuid_exit_seconds_sum{" L ",leaf=\"0x7\",subleaf=\"0x1\"} 2\n",
		"vmexitprof_cpuid_exit_seconds_count{" L ",leaf=\"0x7\",subleaf=\"0x1\"} 2\n",
#undef L
	};
	/* Every io family's HELP, word for word. */
	static const char *const helps[] = {
		"vmexitprof_port_accesses_total Port I/O accesses (kvm:kvm_pio), per VM, port, direction and size.",
		"vmexitprof_port_accesses_to_userspace_total Of those Port I/O accesses (kvm:kvm_pio), the ones "
		"handed to the VMM, per VM, port, direction and size.",
		"vmexitprof_port_handling_seconds The VMM's handling time of Port I/O accesses (kvm:kvm_pio) that "
		"went to it, per VM, port, direction and size; _count counts those whose next KVM_RUN was seen.",
		"vmexitprof_mmio_accesses_total MMIO accesses (kvm:kvm_mmio), per VM, guest-physical page, "
		"direction and size.",
		"vmexitprof_mmio_accesses_to_userspace_total Of those MMIO accesses (kvm:kvm_mmio), the ones "
		"handed to the VMM, per VM, guest-physical page, direction and size.",
		"vmexitprof_mmio_handling_seconds The VMM's handling time of MMIO accesses (kvm:kvm_mmio) that "
		"went to it, per VM, guest-physical page, direction and size; _count counts those whose next "
		"KVM_RUN was seen.",
		"vmexitprof_msr_accesses_total MSR accesses (kvm:kvm_msr), per VM, MSR and direction.",
		"vmexitprof_msr_faults_total MSR accesses that raised #GP, per VM, MSR and direction.",
		"vmexitprof_msr_exit_seconds Exit-to-entry time of the exits of those MSR accesses, per VM, MSR "
		"and direction; _count counts the exits timed.",
		"vmexitprof_cpuid_accesses_total CPUIDs (kvm:kvm_cpuid), per VM, leaf and subleaf.",
		"vmexitprof_cpuid_exit_seconds Exit-to-entry time of the exits of those CPUIDs, per VM, leaf and "
		"subleaf; _count counts the exits timed.",
	};
	char *text, line[512];

	SECTION("--ports, --mmio, --msr, --cpuid: a series per VM and row, labelled by its address");
	text = render(&sum, &names, false);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		CHECK(strstr(text, lines[i]), "missing: %s", lines[i]);
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		snprintf(line, sizeof(line), "# HELP %s\n", helps[i]);
		CHECK(strstr(text, line), "missing: %s", line);
	}
	CHECK(!strstr(text, "vmexitprof_cpuid_faults_total"), "no faults family for CPUID");
	/* A row is labelled by its own kind: one in another kind's family shows by its labels. */
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		static const struct { const char *family, *label; } kinds[] = {
			{ "vmexitprof_port_", ",port=\"" }, { "vmexitprof_mmio_", ",gpa_page=\"" },
			{ "vmexitprof_msr_", ",msr=\"" }, { "vmexitprof_cpuid_", ",leaf=\"" },
		};
		const char *eol = strchr(p, '\n');

		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strncmp(p, kinds[k].family, strlen(kinds[k].family))) {
				const char *at = strstr(p, kinds[k].label);

				CHECK(at && at < eol, "a row of another kind in %.*s", (int)(eol - p), p);
			}
	}
	free(text);

	SECTION("the io families' HELP and TYPE stay without rows");
	vm.io.nr = 0;
	text = render(&sum, &names, false);
	CHECK(strstr(text, "# TYPE vmexitprof_port_accesses_total counter\n# HELP vmexitprof_port_accesses_to_userspace_total"),
	      "an empty family, then the next");
	CHECK(strstr(text, "# TYPE vmexitprof_cpuid_exit_seconds summary\n"), "cpuid's last family");
	free(text);
	reasons_free(&names);
}

int main(void)
{
	test_exposition();
	test_io_families();
	return check_done();
}
