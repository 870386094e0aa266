#!/usr/bin/env bash
# Returns to userspace on VMX, per vCPU and KVM_EXIT reason, equal
# testvmm's own KVM_RUN returns, with a VMM handling time for each but the
# thread's last, under three ends of it: fentry on KVM_RUN (-p, auto),
# testvmm's USDT probes (the classic instance) and kvm_fpu (the -I one). testvmm sleeps 5 ms on each HLT: no HLT
# handling time may be shorter (both clocks are the guest's).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import json, sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth = json_file(d, "vmm.json")
prof, classic = json_file(d, "prof.out"), json_file(d, "classic.out")
total = [json.loads(l) for l in open(path(d, "intervals.out"))][-1]
for doc, source in ((prof, "fentry"), (classic, "usdt"), (total, "kvm_fpu")):
    check(doc["vmm_time_source"] == source, f"VMM handling time from {doc['vmm_time_source']}, expected {source}")
    vm = vm_of(doc, truth["pid"])
    check_userspace(vm, truth, source, hlt_sleep_ns=truth["hlt_sleep_us"] * 1000)
    for v in vm["vcpus"]:
        check(v["userspace_errors"] == [], f"{source} vcpu {v['vcpu']}: errno returns {v['userspace_errors']}")
        hlt = [u for u in v["userspace"] if u["reason"] == "HLT"]
        check(hlt and hlt[0]["handling"] and hlt[0]["handling"]["min_ns"] >= truth["hlt_sleep_us"] * 1000,
              f"{source} vcpu {v['vcpu']}: HLT handling {hlt}")
    print(source, [(u["reason"], u["count"], (u["handling"] or {}).get("count")) for u in vm["userspace"]])
check(truth["hlt_sleep_us"] == 5000, f"testvmm slept {truth['hlt_sleep_us']} us per HLT")
finish()
PY
