#!/usr/bin/env bash
# --ports and --mmio on VMX: the data and control port writes and the MMIO
# page's writes exact against testvmm's ground truth (tests/lib/reports.py
# check_io_tallies), and against kvm_pio and kvm_mmio counted by tracefs.
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth, prof = json_file(d, "vmm.json"), json_file(d, "prof.out")
vm = vm_of(prof, truth["pid"])
check_io_tallies(vm, truth, "--ports/--mmio")
pio, mmio = hist(d, "kvm_pio"), hist(d, "kvm_mmio")
tids = [v["tid"] for v in truth["vcpus"]]
for port in (0x6000, 0x6001):
    traced = sum(hits(pio, "common_pid", port=port, rw=1)[t] for t in tids)
    ours = sum(p["count"] for p in vm["ports"] if p["port"] == port and p["dir"] == "write")
    check(traced == ours, f"port {port:#x}: tracefs kvm_pio {traced} != --ports {ours}")
# kvm_mmio type 2 is a write (KVM_TRACE_MMIO_WRITE).
traced = sum(hits(mmio, "common_pid", gpa=0xE0000, type=2)[t] for t in tids)
ours = sum(p["count"] for p in vm["mmio"] if p["gpa_page"] == 0xE0000 and p["dir"] == "write")
check(traced == ours, f"MMIO page 0xe0000: tracefs kvm_mmio {traced} != --mmio {ours}")
print("ports:", [(hex(p["port"]), p["count"], p["handled"]) for p in vm["ports"]],
      "mmio:", [(hex(p["gpa_page"]), p["count"], p["handled"]) for p in vm["mmio"]])
finish()
PY
