#!/usr/bin/env bash
# The split of exit-to-entry time (issue 16, item 2) against the kernel's
# own account of the vCPU thread: testvmm's vCPU pinned to CPU 1, once
# alone and once with a CPU-bound task pinned there too. The preempted
# (runnable) time vmexitprof finds inside that vCPU's exits must agree with
# the thread's run delay over its run loop, testvmm's delta of
# /proc/thread-self/schedstat (REL and SLACK below), and stay near zero
# alone (under a tenth of the contended run's);
# the halted time of the HLT row must hold testvmm's sleeps on HLT
# (--hlt-sleep-us: the VMM sleeps at least that long, off the CPU) and fit
# in their spans by testvmm's own clock (hlt_slept_ns); and
# every row's parts must add up to its time. A preempted vCPU is always
# inside an exit here: a host tick in guest mode is an exit (interrupt)
# and the switch comes before the next entry; run delay outside an exit
# (KVM_RUN's way in before the first entry) is the tolerance's share.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

HLT=20 HLT_US=2000
for mode in alone contended; do
	if [[ $mode == contended ]]; then
		taskset -c 1 sh -c 'while :; do :; done' &
		hog=$!
	fi
	TESTVMM="taskset -c 1 tests/vmm/testvmm" start_vmm "$mode" --schedstat --vcpus 1 --cpuid 20000 --pio 2000 \
		--hlt "$HLT" --hlt-sleep-us "$HLT_US"
	vmm_var=${mode}_pid
	# The profiler on the other CPU, so that only the hog competes.
	vmexitprof_cmd=(taskset -c 0 ./vmexitprof)
	start_profiler "p$mode" -p "${!vmm_var}" --per-vcpu --json
	release_vmm "$mode"
	wait_ok "${!vmm_var}" "testvmm ($mode)"
	prof_var=p${mode}_pid
	wait_ok "${!prof_var}" "vmexitprof ($mode)"
	[[ $mode == alone ]] || kill "$hog"
done

python3 - "$tmp" "$HLT" "$HLT_US" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

tmp, n_hlt, hlt_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) * 1000
# Run delay against our preempted time: within 10% of the run delay plus
# 5 ms (the waits outside exits; schedstat's clock, the runqueue's
# sched_clock, against our CLOCK_MONOTONIC). Measured: see docs/tests.md.
REL, SLACK = 0.10, 5_000_000
preempted = {}
for mode in ("alone", "contended"):
    truth, prof = load(f"{tmp}/{mode}.json"), load(f"{tmp}/p{mode}.out")
    check(prof["sched"] is True, f"{mode}: sched {prof['sched']}")
    v = truth["vcpus"][0]
    delay = v["schedstat"]["run_delay_ns"]
    rows = prof["vms"][0]["vcpus"][0]["reasons"]
    total = sum(r["total_ns"] for r in rows)
    pre = sum(r["split"]["preempted_ns"] for r in rows)
    print(f"{mode}: exits' time {total / 1e6:.1f} ms, preempted {pre / 1e6:.1f} ms, "
          f"schedstat run delay {delay / 1e6:.1f} ms, on CPU {v['schedstat']['on_cpu_ns'] / 1e6:.1f} ms")
    for r in rows:
        s = r["split"]
        parts = s["kernel_ns"] + s["vmm_ns"] + s["preempted_ns"] + s["blocked_ns"] + s["halted_ns"]
        print(f"  {r['name']:10} {r['total_ns'] / 1e6:9.1f} ms: kernel {s['kernel_ns'] / 1e6:.1f}, "
              f"vmm {s['vmm_ns'] / 1e6:.1f}, preempted {s['preempted_ns'] / 1e6:.1f}, "
              f"blocked {s['blocked_ns'] / 1e6:.1f}, halted {s['halted_ns'] / 1e6:.1f}")
        check(parts == r["total_ns"], f"{mode} {r['name']}: parts {parts} != total {r['total_ns']}")
        if r["name"] != "hlt":
            check(s["halted_ns"] == 0, f"{mode} {r['name']}: halted {s['halted_ns']} outside HLT")
    check(abs(pre - delay) <= REL * delay + SLACK,
          f"{mode}: preempted {pre} ns vs schedstat run delay {delay} ns")
    preempted[mode] = pre
    if mode == "contended":
        check(pre >= 0.2 * total, f"contended: preempted {pre} ns of {total} ns: no competition seen")
    hlt = {r["name"]: r for r in rows}.get("hlt")
    check(hlt is not None and hlt["count"] == n_hlt, f"{mode}: hlt row {hlt}")
    if hlt:
        h, slept = hlt["split"]["halted_ns"], v["hlt_slept_ns"]
        # Each sleep lasts at least its length, off the CPU; testvmm's own
        # clock around its nanosleep spans the sleep, the wakeup and the wait
        # for a CPU after it (preempted, not halted), so it bounds it above.
        print(f"  halted {h / 1e6:.1f} ms; {n_hlt} sleeps of {hlt_ns / 1e6:.1f} ms, "
              f"{slept / 1e6:.1f} ms by testvmm's clock")
        check(n_hlt * hlt_ns <= h <= slept,
              f"{mode}: halted {h} ns, {n_hlt} sleeps of {hlt_ns} ns, testvmm slept {slept} ns")
    io = {r["name"]: r for r in rows}.get("io")
    check(io is not None and io["split"]["vmm_ns"] > 0, f"{mode}: no VMM time in io exits: {io}")
# Alone, near zero next to the hog's: under a tenth of it. Not an absolute
# bound: inside a suite run the guest's other work (a previous test's
# leftovers) delayed the thread 36.8 ms once on 6.1, which our 32.3 ms of
# preempted time matched.
check(preempted["alone"] <= 0.1 * preempted["contended"],
      f"alone: preempted {preempted['alone']} ns, with the hog {preempted['contended']} ns")
finish()
PY
