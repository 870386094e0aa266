#!/usr/bin/env bash
# The counters on VMX, for the -p instance: every exit is paired or pending
# (one per vCPU thread: its last), one unpaired first entry per thread,
# nothing overwritten or dropped, the rows add up to the paired count;
# and exits, entries and returns to userspace equal what tracefs counted
# for that VM's threads (hist triggers, set before the VM started).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth, prof = json_file(d, "vmm.json"), json_file(d, "prof.out")
vm = vm_of(prof, truth["pid"])
c = prof["counters"]
threads = len(truth["vcpus"])
check(c["exits"] == c["paired"] + c["exits_pending"], f"exits != paired + pending: {c}")
check(c["exits_pending"] == threads and c["entry_without_exit"] == threads,
      f"one pending exit and one unpaired entry per vCPU thread ({threads}): {c}")
check(c["paired"] == sum(r["count"] for r in vm["reasons"]), f"paired != the rows' sum: {c}")
check(c["entries"] == c["paired"] + c["entry_without_exit"], f"entries != paired + unpaired: {c}")
for k in ("exit_overwritten", "hist_full", "hist_alloc_failed", "userspace_exits_dropped",
          "vmm_intervals_dropped", "io_dropped"):
    check(c[k] == 0, f"{k} {c[k]}")
tids = [v["tid"] for v in truth["vcpus"]]
traced = {"exits": sum(hits(hist(d, "kvm_exit"), "common_pid")[t] for t in tids),
          "entries": sum(hits(hist(d, "kvm_entry"), "common_pid")[t] for t in tids),
          "userspace_exits": sum(hits(hist(d, "kvm_userspace_exit"), "common_pid")[t] for t in tids)}
check({k: c[k] for k in traced} == traced, f"counters {({k: c[k] for k in traced})} != tracefs {traced}")
check(c["userspace_exits"] == sum(sum(v["kvm_run_returns"].values()) for v in truth["vcpus"]),
      f"userspace_exits {c['userspace_exits']} != testvmm's KVM_RUN returns")
print("counters:", c, "tracefs:", traced)
finish()
PY
