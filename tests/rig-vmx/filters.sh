#!/usr/bin/env bash
# Two VMs at once on VMX: -p keeps its target only, and the all-VMs
# instance reports both, each apart and named, with the -p VM's counts
# equal to the -p instance's and the other VM's to its ground truth.
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
a, b = json_file(d, "vmm.json"), json_file(d, "bad.json")
prof, everything = json_file(d, "prof.out"), json_file(d, "all.out")
check([vm["pid"] for vm in prof["vms"]] == [a["pid"]], f"-p: VMs {[vm['pid'] for vm in prof['vms']]}")
check(sorted(vm["pid"] for vm in everything["vms"]) == sorted([a["pid"], b["pid"]]),
      f"all VMs: {[vm['pid'] for vm in everything['vms']]}, expected {a['pid']} and {b['pid']}")
va, vb = vm_of(everything, a["pid"]), vm_of(everything, b["pid"])
check({r["code"]: r["count"] for r in va["reasons"]} == {r["code"]: r["count"] for r in vm_of(prof, a["pid"])["reasons"]},
      "VM a: all-VMs rows != -p rows")
for vm in (va, vb):
    check(vm["name"] == "testvmm" and vm["exited"], f"VM {vm['pid']}: name {vm['name']!r}, exited {vm['exited']}")
check_vmx_exit_counts([r for r in vcpus_of(vb)[0]["reasons"] if not r["failed_vmentry"]], b["vcpus"][0]["caused"], "VM b")
finish()
PY
