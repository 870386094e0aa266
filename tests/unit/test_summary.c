// SPDX-License-Identifier: GPL-2.0
/*
 * src/summary.c: rows in a stable, documented order whatever order the
 * intervals held them in, so that a live run and `report FILE` on its
 * dump print the same: VMs by pid then start, tied reasons by ISA, code
 * and then flags ("CPUID" before "CPUID (failed entry)").
 */
#include <stdlib.h>
#include <string.h>

#include "summary.h"
#include "check.h"

static struct sparse_hist one(__u32 pid, __u64 start, __u32 reason, __u16 flags, __u64 count)
{
	struct sparse_hist h = { .key = { .pid = pid, .vm_start = start, .vcpu = 0, .reason = reason,
					  .isa = ISA_VMX, .flags = flags },
				 .count = count, .sum_ns = 1000 * count, .min_ns = 1000, .max_ns = 1000 };

	h.buckets = calloc(1, sizeof(*h.buckets));
	h.buckets[0] = (struct bucket_count){ hist_bucket(1000), count };
	h.nr_buckets = 1;
	return h;
}

static void test_order(void)
{
	/* In the order a snapshot sorts keys (memcmp, little-endian): pid 256 before pid 1. */
	struct sparse_hist first[] = { one(256, 5, 10, 0, 3), one(1, 9, 10, 1, 4), one(1, 9, 10, 0, 4) };
	struct sparse_hist second[] = { one(1, 2, 30, 0, 1) };
	struct interval iv[2] = {
		{ .start_ns = 0, .end_ns = 10, .hists = first, .nr_hists = 3 },
		{ .start_ns = 10, .end_ns = 20, .hists = second, .nr_hists = 1 },
	};
	struct run run = { .intervals = iv, .nr_intervals = 2 };
	struct summary sum = {};

	SECTION("VMs by pid then start; tied reasons by ISA, code, then flags");
	if (!CHECK(!summary_of_run(&run, 0, 2, &sum), "summary"))
		return;
	summary_sort(&sum, SORT_COUNT);
	if (CHECK(sum.nr_vms == 3, "VMs: %zu, expected 3", sum.nr_vms)) {
		CHECK(sum.vms[0].vm.pid == 1 && sum.vms[0].vm.start == 2, "first: pid 1 started at 2, got %u/%llu",
		      sum.vms[0].vm.pid, (unsigned long long)sum.vms[0].vm.start);
		CHECK(sum.vms[1].vm.pid == 1 && sum.vms[1].vm.start == 9, "second: pid 1 started at 9, got %u/%llu",
		      sum.vms[1].vm.pid, (unsigned long long)sum.vms[1].vm.start);
		CHECK(sum.vms[2].vm.pid == 256, "third: pid 256, got %u", sum.vms[2].vm.pid);
		if (CHECK(sum.vms[1].reasons.nr == 2, "pid 1 (9): %zu rows, expected 2", sum.vms[1].reasons.nr))
			CHECK(sum.vms[1].reasons.rows[0].flags == 0 && sum.vms[1].reasons.rows[1].flags == 1,
			      "equal counts: flags 0 first, got %u then %u", sum.vms[1].reasons.rows[0].flags,
			      sum.vms[1].reasons.rows[1].flags);
	}
	summary_free(&sum);
	for (size_t i = 0; i < 3; i++)
		free(first[i].buckets);
	free(second[0].buckets);
}

int main(void)
{
	test_order();
	return check_done();
}
