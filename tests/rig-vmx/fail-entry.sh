#!/usr/bin/env bash
# A failed VM entry on VMX: testvmm --fail-entry makes each vCPU enter once
# with TR an available (not busy) TSS; Bochs's VM entry rejects it, KVM
# reports exit reason 33 with bit 31 set (kvm_exit, counted by tracefs)
# and returns KVM_EXIT_FAIL_ENTRY. vmexitprof (all VMs) shows one
# INVALID_STATE row flagged failed_vmentry, a FAIL_ENTRY return with its
# handling time, and the text report (the dump, rendered here) names the
# row "INVALID_STATE (failed entry)".
. "$(dirname "$0")/../lib/common.sh"
[[ -x ./vmexitprof ]] || die "./vmexitprof is not built (make)"
dump=$(python3 -c 'import sys; sys.path.insert(0, "tests/lib"); from rigvmx import *; print(path(scenario("exits"), "all-dump.json"))') ||
	{ echo "$dump"; exit 1; }
text=$(./vmexitprof report "$dump") || die "vmexitprof report failed on the guest's dump"
python3 - "$text" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth, everything = json_file(d, "bad.json"), json_file(d, "all.out")
(v,) = truth["vcpus"]
check(v["caused"]["fail_entry"] == 1 and v["kvm_run_returns"].get("FAIL_ENTRY") == 1, f"testvmm: {v}")
check(v["fail_entry_reason"] == VMX_FAILED_VMENTRY | VMX_INVALID_STATE,
      f"hardware_entry_failure_reason {v['fail_entry_reason']:#x}, expected {VMX_FAILED_VMENTRY | VMX_INVALID_STATE:#x}")
traced = hits(hist(d, "kvm_exit"), "exit_reason", common_pid=v["tid"])
check(traced[VMX_FAILED_VMENTRY | VMX_INVALID_STATE] == 1, f"tracefs kvm_exit of tid {v['tid']}: {dict(traced)}")
vm = vm_of(everything, truth["pid"])
rows = vcpus_of(vm)[0]["reasons"]
failed = [r for r in rows if r["failed_vmentry"]]
check([(r["code"], r["name"], r["isa"], r["count"], r["to_userspace"]) for r in failed] ==
      [(VMX_INVALID_STATE, "INVALID_STATE", "vmx", 1, 1)], f"failed-entry rows {failed}")
check_vmx_exit_counts([r for r in rows if not r["failed_vmentry"]], v["caused"], "the failed-entry VM")
u = {x["reason"]: x for x in vcpus_of(vm)[0]["userspace"]}
fe = u.get("FAIL_ENTRY")
check(fe is not None and fe["count"] == 1 and (fe["handling"] or {}).get("count") == 1, f"FAIL_ENTRY return {fe}")
check(any(l.startswith("INVALID_STATE (failed entry) ") for l in sys.argv[1].splitlines()),
      f"no 'INVALID_STATE (failed entry)' row in the text report:\n{sys.argv[1]}")
print("failed-entry rows:", failed)
finish()
PY
