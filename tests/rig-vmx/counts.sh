#!/usr/bin/env bash
# VMX exits under -p, per vCPU and reason, against testvmm's ground truth:
# CPUID, IO_INSTRUCTION, HLT, MSR_READ and MSR_WRITE exact; the MMIO writes
# are the EPT_VIOLATION and EPT_MISCONFIG exits that went on to the VMM;
# no CPUID or MSR exit went to the VMM; each row has the kernel's own name
# for its reason (kvm_exit's format in that guest); the VM's rows are the
# sum of its vCPUs'; latencies ordered (their values mean nothing in Bochs).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

names = vmx_names(text(scenario("kernel"), "kvm_exit-format"))
d = scenario("exits")
truth, prof = json_file(d, "vmm.json"), json_file(d, "prof.out")
check([vm["pid"] for vm in prof["vms"]] == [truth["pid"]], f"-p: VMs {[vm['pid'] for vm in prof['vms']]}")
vm = vm_of(prof, truth["pid"])
vcpus = vcpus_of(vm)
for v in truth["vcpus"]:
    rows = vcpus.get(v["id"], {"reasons": []})["reasons"]
    where = f"vcpu {v['id']}"
    check_vmx_exit_counts(rows, v["caused"], where)
    went = {r["code"]: r["to_userspace"] for r in rows}
    for code in (VMX_CPUID, VMX_MSR_READ, VMX_MSR_WRITE):
        check(went.get(code) == 0, f"{where}: {names[code]} to userspace {went.get(code)}")
    check(went.get(VMX_IO) == count(rows, VMX_IO, "vmx") and went.get(VMX_HLT) == v["caused"]["hlt"],
          f"{where}: every IO and HLT exit went to the VMM: {went}")
    check_latencies(rows, where)
for r in vm["reasons"]:
    check(r["name"] == names.get(r["code"]), f"row {r['code']} named {r['name']!r}, the kernel says {names.get(r['code'])!r}")
    check(r["count"] == sum(count(v["reasons"], r["code"], "vmx") for v in vm["vcpus"]), f"VM total {r['name']}")
print("VM rows:", [(r["name"], r["count"]) for r in vm["reasons"]])
finish()
PY
