#!/usr/bin/env bash
# Two vCPU threads told apart: --scale 1,2 makes vCPU 1 do twice what vCPU 0
# does, and the per-vCPU tables say so for every reason testvmm causes;
# the all-VMs instance, running at the same time, has the same per-vCPU
# rows for that VM as the -p one.
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth = json_file(d, "vmm.json")
prof, everything = json_file(d, "prof.out"), json_file(d, "all.out")
vm = vm_of(prof, truth["pid"])
vcpus = vcpus_of(vm)
check(sorted(vcpus) == [0, 1], f"vCPUs {sorted(vcpus)}")
check([v["scale"] for v in truth["vcpus"]] == [1, 2], "testvmm ran with --scale 1,2")
if sorted(vcpus) == [0, 1]:
    r0, r1 = vcpus[0]["reasons"], vcpus[1]["reasons"]
    for code in (VMX_CPUID, VMX_HLT, VMX_MSR_READ, VMX_MSR_WRITE):
        n0, n1 = count(r0, code, "vmx"), count(r1, code, "vmx")
        check(n0 > 0 and n1 == 2 * n0, f"reason {code}: vcpu 0 {n0}, vcpu 1 {n1}, not 1:2")
    # IO: pio + control - 1 each (the last is pending): 2x of pio, plus 0.
    n0, n1 = count(r0, VMX_IO, "vmx"), count(r1, VMX_IO, "vmx")
    check(n1 - n0 == truth["vcpus"][0]["caused"]["pio"], f"IO: vcpu 0 {n0}, vcpu 1 {n1}")
other = vcpus_of(vm_of(everything, truth["pid"]))
for i, v in vcpus.items():
    a = {r["code"]: r["count"] for r in v["reasons"]}
    b = {r["code"]: r["count"] for r in other.get(i, {"reasons": []})["reasons"]}
    check(a == b, f"vcpu {i}: -p {a} != all VMs {b}")
print({i: [(r["name"], r["count"]) for r in v["reasons"]] for i, v in vcpus.items()})
finish()
PY
