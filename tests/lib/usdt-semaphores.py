#!/usr/bin/env python3
"""usdt-semaphores.py PID: the current value of each USDT semaphore in PID's
executable, one "provider:name VALUE" line per probe, read from
/proc/PID/mem. A tracer attached to a probe holds its semaphore above 0
(the kernel counts uprobes with a reference counter there); the program
only evaluates the probe's arguments while it is."""
import os
import re
import subprocess
import sys

pid = int(sys.argv[1])
exe = os.readlink(f"/proc/{pid}/exe")
notes = subprocess.run(["readelf", "-n", f"/proc/{pid}/exe"], capture_output=True, text=True,
                       check=True).stdout
probes = re.findall(r"Provider: (\S+)\s+Name: (\S+)\s+Location: \S+, Base: \S+, Semaphore: (0x[0-9a-f]+)",
                    notes)
segments = subprocess.run(["readelf", "-lW", f"/proc/{pid}/exe"], capture_output=True, text=True,
                          check=True).stdout
first_vaddr = int(re.search(r"^\s+LOAD\s+0x0+\s+(0x[0-9a-f]+)", segments, re.M).group(1), 16)
# The load bias: where the mapping of file offset 0 starts, less its link-time address.
with open(f"/proc/{pid}/maps") as maps:
    for line in maps:
        fields = line.split()
        if len(fields) >= 6 and fields[5] == exe and int(fields[2], 16) == 0:
            bias = int(fields[0].split("-")[0], 16) - (first_vaddr & ~0xFFF)
            break
    else:
        sys.exit(f"usdt-semaphores: no mapping of {exe} at offset 0 in process {pid}")
with open(f"/proc/{pid}/mem", "rb") as mem:
    for provider, name, sem in probes:
        if int(sem, 16):
            mem.seek(bias + int(sem, 16))
            print(f"{provider}:{name} {int.from_bytes(mem.read(2), 'little')}")
