// SPDX-License-Identifier: GPL-2.0
/*
 * src/proc.c: the VM's name from QEMU's command line, parsed the way
 * QEMU parses -name (an implied "guest" key first, ",," for a comma).
 */
#include <stdbool.h>
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

static void test_cmdline_vm_uuid(void)
{
	static const struct { const char *cmdline; size_t len; const char *uuid; } cases[] = {
		{ CMDLINE("qemu\0-uuid\0b6a1cda0-3f4e-4d2b-9c1a-0123456789ab\0"),
		  "b6a1cda0-3f4e-4d2b-9c1a-0123456789ab" },
		{ CMDLINE("qemu\0--uuid\0B6A1CDA0-3F4E-4D2B-9C1A-0123456789AB\0-m\0512\0"),
		  "b6a1cda0-3f4e-4d2b-9c1a-0123456789ab" },
		{ CMDLINE("qemu\0-uuid\0" "00000000-0000-0000-0000-000000000001\0"
			  "-uuid\0" "00000000-0000-0000-0000-000000000002\0"), "00000000-0000-0000-0000-000000000002" },
		{ CMDLINE("qemu\0-uuid\0not-a-uuid\0"), NULL },
		{ CMDLINE("qemu\0-uuid\0b6a1cda0-3f4e-4d2b-9c1a-0123456789abc\0"), NULL },	/* too long */
		{ CMDLINE("qemu\0-uuid\0b6a1cda0x3f4e-4d2b-9c1a-0123456789ab\0"), NULL },	/* no dash */
		{ CMDLINE("qemu\0-uuid\0g6a1cda0-3f4e-4d2b-9c1a-0123456789ab\0"), NULL },	/* not hex */
		{ CMDLINE("qemu\0-uuid\0"), NULL },
		{ CMDLINE("qemu\0-name\0web1\0"), NULL },
	};
	char buf[40];

	SECTION("QEMU's -uuid: the last one, in the 8-4-4-4-12 hex form, lower-cased");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool found = cmdline_vm_uuid(cases[i].cmdline, cases[i].len, buf, sizeof(buf));

		if (CHECK(found == !!cases[i].uuid, "case %zu: found %d", i, found) && found)
			CHECK_STR(buf, cases[i].uuid, "case %zu", i);
	}
}

int main(void)
{
	test_cmdline_vm_name();
	test_cmdline_vm_uuid();
	return check_done();
}
