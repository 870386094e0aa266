#!/usr/bin/env bash
# Two testvmm VMs at once: -p keeps only its target, --vcpu only the chosen
# vCPU, and without -p both VMs are reported, each apart.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

start_vmm a --vcpus 2 --cpuid 1000 --pio 100 --scale 1,2
start_vmm b --vcpus 2 --cpuid 700 --pio 70 --hlt 7
start_profiler only_a_vcpu1 -p "$a_pid" --vcpu 1 --per-vcpu --json
start_profiler all -d 600 --json
release_vmm a
release_vmm b
wait_ok "$a_pid" "testvmm a"
wait_ok "$b_pid" "testvmm b"
wait_ok "$only_a_vcpu1_pid" "vmexitprof -p A --vcpu 1"
kill -INT "$all_pid"
wait_ok "$all_pid" "vmexitprof (all VMs) after SIGINT"

python3 - "$tmp/a.json" "$tmp/b.json" "$tmp/only_a_vcpu1.out" "$tmp/all.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

a, b, only, everything = (load(p) for p in sys.argv[1:5])

def expect_vm(vm, truth, vcpu_ids, where):
    vcpus = {v["vcpu"]: v["reasons"] for v in vm.get("vcpus", [])}
    if vcpus:
        check(sorted(vcpus) == vcpu_ids, f"{where}: vCPUs {sorted(vcpus)} != {vcpu_ids}")
    for v in truth["vcpus"]:
        if v["id"] not in vcpu_ids:
            continue
        c = v["caused"]
        rows = vcpus[v["id"]] if vcpus else vm["reasons"]
        check(count(rows, SVM_CPUID) == c["cpuid"], f"{where} vcpu {v['id']}: cpuid {count(rows, SVM_CPUID)} != {c['cpuid']}")
        check(count(rows, SVM_HLT) == c["hlt"], f"{where} vcpu {v['id']}: hlt")
        check(count(rows, SVM_IOIO) == c["pio"] + c["control"] - 1, f"{where} vcpu {v['id']}: io")

# -p A --vcpu 1: VM A only, vCPU 1 only.
check([vm["pid"] for vm in only["vms"]] == [a["pid"]], f"-p: VMs {[vm['pid'] for vm in only['vms']]}")
expect_vm(only["vms"][0], a, [1], "-p A --vcpu 1")

# No -p: both VMs, grouped, each with its own totals.
pids = sorted(vm["pid"] for vm in everything["vms"])
check(pids == sorted([a["pid"], b["pid"]]), f"all: VMs {pids}")
for vm in everything["vms"]:
    truth = a if vm["pid"] == a["pid"] else b
    want_cpuid = sum(v["caused"]["cpuid"] for v in truth["vcpus"])
    check(count(vm["reasons"], SVM_CPUID) == want_cpuid, f"all: VM {vm['pid']} cpuid {count(vm['reasons'], SVM_CPUID)} != {want_cpuid}")
    check(vm["exited"], f"all: VM {vm['pid']} marked exited")
finish()
PY
