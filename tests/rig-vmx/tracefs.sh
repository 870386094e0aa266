#!/usr/bin/env bash
# The independent oracle: tracefs hist triggers counted the same run in
# the kernel, per thread. For each vCPU thread of the -p VM, every exit
# reason vmexitprof shows (EXTERNAL_INTERRUPT and EPT_VIOLATION included)
# equals the hits of kvm_exit with that reason, but for the thread's last
# exit (an IO), which never re-entered; kvm_entry's hits equal kvm_exit's;
# kvm_msr's reads and writes of MSR 0x8b and kvm_userspace_exit's reasons
# equal testvmm's ground truth.
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth, prof = json_file(d, "vmm.json"), json_file(d, "prof.out")
vcpus = vcpus_of(vm_of(prof, truth["pid"]))
exits, entries = hist(d, "kvm_exit"), hist(d, "kvm_entry")
msr, uexit = hist(d, "kvm_msr"), hist(d, "kvm_userspace_exit")
KVM_EXIT = {"IO": 2, "HLT": 5, "MMIO": 6, "FAIL_ENTRY": 9}
for v in truth["vcpus"]:
    tid, where = v["tid"], f"vcpu {v['id']} (tid {v['tid']})"
    seen = hits(exits, "exit_reason", common_pid=tid)
    check(all(r["key"]["vcpu_id"] == v["id"] for r in exits if r["key"]["common_pid"] == tid),
          f"{where}: kvm_exit's vcpu_id is not {v['id']}")
    ours = Counter({r["code"]: r["count"] for r in vcpus.get(v["id"], {"reasons": []})["reasons"]})
    ours[VMX_IO] += 1
    check(dict(seen) == dict(ours), f"{where}: tracefs kvm_exit {dict(seen)} vs vmexitprof (+1 pending IO) {dict(ours)}")
    n_exits, n_entries = sum(seen.values()), sum(hits(entries, "vcpu_id", common_pid=tid).values())
    check(n_entries == n_exits, f"{where}: kvm_entry {n_entries} != kvm_exit {n_exits}")
    c = v["caused"]
    got = hits(msr, "write", common_pid=tid, ecx=0x8b)
    check((got[0], got[1]) == (c["rdmsr"], c["wrmsr"]), f"{where}: kvm_msr reads, writes {got[0]}, {got[1]} != {c['rdmsr']}, {c['wrmsr']}")
    got = hits(uexit, "reason", common_pid=tid, errno=0)
    want = {KVM_EXIT[k]: n for k, n in v["kvm_run_returns"].items() if k != "EINTR" and n}
    check(dict(got) == want, f"{where}: kvm_userspace_exit {dict(got)} != testvmm's {want}")
    print(f"{where}: tracefs {sorted(seen.items())}")
finish()
PY
