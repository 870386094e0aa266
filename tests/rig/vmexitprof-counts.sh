#!/usr/bin/env bash
# vmexitprof -p against testvmm's ground truth, per vCPU and exit reason:
# CPUID, IO and HLT counts exact, NPF present, vCPUs told apart (they do
# different amounts), honesty counters as expected, latencies ordered.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

start_vmm vmm --vcpus 2 --cpuid 3000 --pio 300 --mmio 100 --hlt 20 --scale 1,3
start_profiler prof -p "$vmm_pid" --per-vcpu --ports --mmio --json
# A second instance at the same time, sorted by time, and a third in text
# with histograms: none disturbs the others' counts.
start_profiler by_time -p "$vmm_pid" --sort time --json
start_profiler text -p "$vmm_pid" --hist cpuid
release_vmm vmm
wait_ok "$vmm_pid" testvmm
# -p: the profiler ends by itself once its target has exited.
for p in prof by_time text; do
	pid_var=${p}_pid
	wait_ok "${!pid_var}" "vmexitprof ($p)"
done
grep -q "process $vmm_pid exited during the run" "$tmp/prof.err" || die "no note that the VM exited"

# Text: the columns, a TOTAL row, and the cpuid histogram as bars with bounds.
grep -q -E '^REASON +COUNT +COUNT% +TIME% +NOHLT% +MIN +AVG +STDDEV +P50 +P99 +P99\.9 +MAX$' "$tmp/text.out" ||
	die "no table header: $(cat "$tmp/text.out")"
grep -q -E '^TOTAL +[0-9]+ +100\.0%' "$tmp/text.out" || die "no TOTAL row"
grep -q -E "^  cpuid, VM pid $vmm_pid: [0-9]+ exits$" "$tmp/text.out" || die "no cpuid histogram title"
grep -q -E '^ +[0-9.]+[mun]?s - [0-9.]+[mun]?s +[0-9]+ \|\*+ *\|$' "$tmp/text.out" || die "no histogram bars"
grep -q -E '^hlt .* - +[0-9.]' "$tmp/text.out" || die "hlt row should show '-' for NOHLT%"

python3 - "$tmp/vmm.json" "$tmp/prof.out" "$tmp/by_time.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
check(len(prof["vms"]) == 1, "one VM in the report")
vm = prof["vms"][0]
check(vm["pid"] == truth["pid"], f"VM pid {vm['pid']} != {truth['pid']}")
check(vm["name"] == "testvmm", f"VM name {vm['name']!r}")
check(vm["exited"] is True, "VM marked as exited")
vcpus = {v["vcpu"]: v["reasons"] for v in vm["vcpus"]}
vm_vcpus = {v["vcpu"]: v for v in vm["vcpus"]}
check(sorted(vcpus) == [0, 1], f"vCPUs {sorted(vcpus)}")
for v in truth["vcpus"]:
    c, rows = v["caused"], vcpus.get(v["id"], [])
    where = f"vcpu {v['id']}"
    check_exit_counts(rows, c, where)
    # The thread's last exit (the final control write) never re-enters: pending.
    io = c["pio"] + c["control"] - 1
    check_latencies(rows, where)
    # Which exits went on to userspace: every IO and HLT (no ioeventfd, no
    # irqchip), the NPFs that were MMIO (not the first touches), no CPUID.
    went = {r["code"]: r["to_userspace"] for r in rows}
    check(went.get(SVM_IOIO) == io, f"{where}: io to userspace {went.get(SVM_IOIO)} != {io}")
    check(went.get(SVM_HLT) == c["hlt"], f"{where}: hlt to userspace {went.get(SVM_HLT)}")
    check(went.get(SVM_NPF) == c["mmio"], f"{where}: npf to userspace {went.get(SVM_NPF)} != mmio {c['mmio']}")
    check(went.get(SVM_CPUID) == 0, f"{where}: cpuid to userspace {went.get(SVM_CPUID)}")
    # Returns to userspace per KVM_EXIT reason equal testvmm's own KVM_RUN returns.
    uexits = {u["reason"]: u["count"] for u in vm_vcpus[v["id"]]["userspace"]}
    want = {k: n for k, n in v["kvm_run_returns"].items() if k != "EINTR" and n}
    check(uexits == want, f"{where}: returns to userspace {uexits} != testvmm's {want}")
    check(vm_vcpus[v["id"]]["userspace_errors"] == [], f"{where}: errno returns {vm_vcpus[v['id']]['userspace_errors']}")
    # The VMM's handling time: every return but the thread's last is followed by a KVM_RUN.
    handled = {u["reason"]: (u["handling"] or {}).get("count", 0) for u in vm_vcpus[v["id"]]["userspace"]}
    check(handled == {"IO": io, "MMIO": c["mmio"], "HLT": c["hlt"]}, f"{where}: handled {handled}")
    check_latencies([dict(u["handling"], name=u["reason"]) for u in vm_vcpus[v["id"]]["userspace"]
                     if u["handling"]], f"{where} handling")
check_io_tallies(vm, truth, "--ports/--mmio")
names = {r["code"]: r["name"] for r in vm["reasons"]}
check(names.get(SVM_CPUID) == "cpuid" and names.get(SVM_NPF) == "npf" and names.get(SVM_HLT) == "hlt",
      f"reason names from the kernel: {names}")
# Totals per reason are the sum over vCPUs.
for r in vm["reasons"]:
    check(r["count"] == sum(count(rows, r["code"]) for rows in vcpus.values()), f"total {r['name']}")
check_latencies(vm["reasons"], "VM")
# The --sort time instance: same counts, rows by total time.
by_time = load(sys.argv[3])["vms"][0]["reasons"]
check([r["total_ns"] for r in by_time] == sorted((r["total_ns"] for r in by_time), reverse=True),
      "--sort time orders rows by total_ns")
check({r["code"]: r["count"] for r in by_time} == {r["code"]: r["count"] for r in vm["reasons"]},
      "two instances at once see the same counts")
c = prof["counters"]
check(c["entry_without_exit"] == 2, f"one unpaired first entry per vCPU thread: {c}")
check(c["exits_pending"] == 2, f"one pending last exit per vCPU thread: {c}")
check(c["exit_overwritten"] == 0 and c["hist_full"] == 0, f"nothing lost: {c}")
check(c["paired"] == sum(r["count"] for r in vm["reasons"]), f"paired == rows: {c}")
finish()
PY
