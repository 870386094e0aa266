// SPDX-License-Identifier: GPL-2.0
/*
 * src/proc.c: the VM's name from QEMU's command line, parsed the way
 * QEMU parses -name (an implied "guest" key first, ",," for a comma).
 */
#include <string.h>

#include "proc.h"
#include "check.h"

#define CMDLINE(s) s, sizeof(s) - 1

static void test_cmdline_vm_name(void)
{
	static const struct { const char *cmdline; size_t len; const char *name; } cases[] = {
		{ CMDLINE("qemu\0-name\0web1\0-m\0512\0"), "web1" },
		{ CMDLINE("qemu\0-name\0guest=web1,debug-threads=on\0"), "web1" },
		{ CMDLINE("qemu\0--name\0web1\0"), "web1" },
		{ CMDLINE("qemu\0-name\0my,,vm\0"), "my,vm" },
		{ CMDLINE("qemu\0-name\0a,,b,,c,process=p\0"), "a,b,c" },
		{ CMDLINE("qemu\0-name\0process=x,guest=y\0"), "y" },
		{ CMDLINE("qemu\0-name\0debug-threads=on,guest=z,,1\0"), "z,1" },
		{ CMDLINE("qemu\0-name\0guest=,,lead\0"), ",lead" },
		{ CMDLINE("qemu\0-machine\0q35\0-name\0last\0"), "last" },
	};
	static const struct { const char *cmdline; size_t len; } none[] = {
		{ CMDLINE("qemu\0-m\0512\0") },
		{ CMDLINE("qemu\0-name\0") },			/* no value */
		{ CMDLINE("qemu\0-name\0process=x\0") },	/* no guest name */
		{ CMDLINE("qemu\0-name\0guest=\0") },
		{ CMDLINE("qemu\0-name\0\0") },
	};
	char buf[128];

	SECTION("QEMU's -name: the guest= part (or the first, implied key), with ,, for a comma");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf[0] = 0;
		if (CHECK(cmdline_vm_name(cases[i].cmdline, cases[i].len, buf, sizeof(buf)),
			  "case %zu: no name found", i))
			CHECK_STR(buf, cases[i].name, "case %zu", i);
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		CHECK(!cmdline_vm_name(none[i].cmdline, none[i].len, buf, sizeof(buf)),
		      "no-name case %zu gave '%s'", i, buf);
	SECTION("a name longer than the buffer is cut, not overrun");
	CHECK(cmdline_vm_name(CMDLINE("q\0-name\0abcdefghij\0"), buf, 5) && !strcmp(buf, "abcd"),
	      "cut to 4: '%s'", buf);
}

int main(void)
{
	test_cmdline_vm_name();
	return check_done();
}
