/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The context of one BPF_PROG_TEST_RUN of bench/bpf_cost.bpf.c's raw_tp
 * programs: the kvm_exit/kvm_entry fields the handlers take. raw_tp test
 * runs take up to 12 u64 "arguments" as context; the programs read these
 * 32-bit fields with 32-bit loads, as from the tracepoint record.
 */
#ifndef BENCH_BPF_COST_H
#define BENCH_BPF_COST_H

struct bench_kvm_event {
	__u32 vcpu;
	__u32 isa;
	__u32 reason;
	__u32 unused;
};

#endif /* BENCH_BPF_COST_H */
