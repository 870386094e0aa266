// SPDX-License-Identifier: GPL-2.0
/*
 * src/tsc.c: the guest's TSC from the host's where the VM's debugfs is
 * gone. A slow exit just before its VM ends arrives after KVM removed the
 * VM's debugfs directory (CI: "no guest TSC" for the last slow exit of a
 * testvmm vCPU): with the offset read at the exit it still gets its guest
 * TSC, through the scaling as last read; without either, none.
 */
#include <stdbool.h>
#include <string.h>

#include "tsc.h"
#include "check.h"

/* No process has this pid (pid_max is at most 2^22), so no debugfs directory either. */
#define GONE_PID 0x7fffff00u

static void test_vm_gone(void)
{
	struct tsc_scaling last = { .pid = GONE_PID, .vcpu_id = 1, .ratio = 3ULL << 47, .frac_bits = 48,
				    .valid = true };
	struct tsc_scaling none = { 0 };
	__s64 offset = -1000;
	__u64 guest = 0;
	double ratio = 0;

	SECTION("a VM gone from debugfs: the offset at the exit and the scaling as last read");
	CHECK(tsc_guest(GONE_PID, 1, &offset, 4000, &guest, &ratio, &last) && guest == 6000 - 1000 &&
	      ratio == 1.5, "guest TSC %llu, ratio %f", (unsigned long long)guest, ratio);
	last.ratio = 0;
	CHECK(tsc_guest(GONE_PID, 1, &offset, 4000, &guest, &ratio, &last) && guest == 3000 && ratio == 1.0,
	      "without scaling: %llu", (unsigned long long)guest);
	CHECK(!tsc_guest(GONE_PID, 1, NULL, 4000, &guest, &ratio, &last), "no offset from the exit: none");
	CHECK(!tsc_guest(GONE_PID, 2, &offset, 4000, &guest, &ratio, &last), "another vCPU's scaling: none");
	CHECK(!tsc_guest(GONE_PID, 1, &offset, 4000, &guest, &ratio, &none), "no scaling read before: none");
}

int main(void)
{
	test_vm_gone();
	return check_done();
}
