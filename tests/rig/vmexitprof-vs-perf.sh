#!/usr/bin/env bash
# perf kvm stat, recording the same run at the same time, is the
# independent oracle: its per-reason counts equal vmexitprof's, per vCPU,
# and vmexitprof's equal testvmm's ground truth, so running alongside perf
# disturbs neither; this also shows that vmexitprof's programs (returning
# 1) do not hide kvm_exit/kvm_entry from perf. tracefs (hist triggers) counts the same run
# too and must see every exit. perf records testvmm as its own workload.
#
# Latencies against perf's, per reason: total time within 5% and max within
# 5%, for the reasons with at least 20 exits. Measured with this test's
# own printout, 5 runs in each kernel (for i in 1 2 3 4 5; do tests/vm/run
# --kernel 6.1 -- tests/rig/vmexitprof-vs-perf.sh; done, and 6.12): cpuid totals were
# 1.1% to 3.4% above perf's, io -2.0% to +1.7%, hlt and interrupt within
# 0.14%; maxima within 7.2 us, once 117 us (1.4%). The clocks are read in
# different places: ours inside vmexitprof's programs, perf's after them,
# and under TCG each of those instructions takes microseconds. testvmm is
# pinned to one CPU: unpinned (the same runs without taskset), its threads migrate between the guest's two
# CPUs, whose per-CPU sched_clock (perf's local_clock) disagree under TCG,
# and perf's totals then differed from ours by up to 35% (cpuid +20%,
# interrupt -25%) while every count matched. npf is left out: its 2 exits
# are each thread's first, which sets up vmexitprof's per-thread slot and
# was 100 to 130 us shorter in ours every time.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

tests/lib/tracecount.py --out "$tmp/trace.json" -- perf kvm -o "$tmp/perf.data" stat record -a -- \
	taskset -c 0 tests/vmm/testvmm --wait-for "$tmp/vmm.go" --vcpus 2 --cpuid 2000 --pio 200 --hlt 10 --scale 2,1 \
	>"$tmp/vmm.json" 2>"$tmp/vmm.err" &
perf_pid=$!
wait_for_line "$tmp/vmm.err" "testvmm: pid [0-9]+ ready" 60
vmm_pid=$(sed -n 's/^testvmm: pid \([0-9]*\) ready$/\1/p' "$tmp/vmm.err")
start_profiler prof -p "$vmm_pid" --per-vcpu --json
release_vmm vmm
wait_ok "$perf_pid" "perf kvm stat record"
wait_ok "$prof_pid" vmexitprof

for vcpu in 0 1 all; do
	[[ $vcpu == all ]] && sel=() || sel=(--vcpu "$vcpu")
	PAGER=cat perf kvm -i "$tmp/perf.data" stat report --event=vmexit "${sel[@]}" >"$tmp/perf.$vcpu" 2>&1 ||
		die "perf kvm stat report failed: $(cat "$tmp/perf.$vcpu")"
done

python3 - "$tmp/vmm.json" "$tmp/prof.out" "$tmp/perf.0" "$tmp/perf.1" "$tmp/trace.json" "$tmp/perf.all" <<'PY'
import re, sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])

# Latencies: perf's "name samples samples% time% min max avg" (us), against ours.
ours = {r["name"]: r for r in prof["vms"][0]["reasons"]}
compared = 0
for line in open(sys.argv[6]):
    m = re.match(r"^\s+(\S+)\s+(\d+)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)us\s+([\d.]+)us\s+([\d.]+)us", line)
    if not m or int(m.group(2)) < 20 or m.group(1) not in ours:
        continue
    name, n, mx, avg = m.group(1), int(m.group(2)), float(m.group(4)) * 1000, float(m.group(5)) * 1000
    o = ours[name]
    total = n * avg
    print(f"{name}: total {o['total_ns'] / 1e6:.3f} ms (perf {total / 1e6:.3f}), max {o['max_ns'] / 1e3:.1f} us (perf {mx / 1e3:.1f})")
    check(abs(o["total_ns"] - total) <= 0.05 * total, f"{name}: total {o['total_ns']} ns, perf {total:.0f}: over 5% apart")
    check(abs(o["max_ns"] - mx) <= 0.05 * mx, f"{name}: max {o['max_ns']} ns, perf {mx:.0f}: over 5% apart")
    compared += 1
check(compared >= 3, f"only {compared} reasons with 20 exits to compare with perf")
vcpus = {v["vcpu"]: v["reasons"] for v in prof["vms"][0]["vcpus"]}
for vcpu, path in ((0, sys.argv[3]), (1, sys.argv[4])):
    # perf's rows: "  cpuid   4000   90.1%  ..." (name, samples, ...)
    perf = {}
    for line in open(path):
        m = re.match(r"^\s+(\S+)\s+(\d+)\s+[\d.]+%", line)
        if m:
            perf[m.group(1)] = int(m.group(2))
    ours = {r["name"]: r["count"] for r in vcpus.get(vcpu, [])}
    check(perf.get("cpuid", 0) > 0, f"vcpu {vcpu}: perf saw cpuid exits: {perf}")
    for name in set(perf) | set(ours):
        check(perf.get(name, 0) == ours.get(name, 0),
              f"vcpu {vcpu} {name}: perf {perf.get(name, 0)} vs vmexitprof {ours.get(name, 0)}")
    c = truth["vcpus"][vcpu]["caused"]
    check(perf.get("cpuid") == c["cpuid"], f"vcpu {vcpu}: perf cpuid {perf.get('cpuid')} != truth {c['cpuid']}")
    # Neither disturbed the other: both equal the ground truth.
    check_exit_counts(vcpus.get(vcpu, []), c, f"vcpu {vcpu} (vmexitprof alongside perf)")

# tracefs saw every exit of each vCPU thread: ours plus the one pending at the end (an io).
trace = load(sys.argv[5])
tids = {v["tid"]: v["id"] for v in truth["vcpus"]}
for tid, vcpu in tids.items():
    seen = {}
    for row in trace["kvm_exit"]:
        if row["key"]["common_pid"] == tid:
            seen[row["key"]["exit_reason"]] = seen.get(row["key"]["exit_reason"], 0) + row["hits"]
    ours = {r["code"]: r["count"] for r in vcpus.get(vcpu, [])}
    ours[SVM_IOIO] = ours.get(SVM_IOIO, 0) + 1
    check(seen == ours, f"vcpu {vcpu}: tracefs kvm_exit {seen} vs vmexitprof (+1 pending io) {ours}")
finish()
PY
