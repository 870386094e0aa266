#!/usr/bin/env bash
# --slower-than on VMX (guest/slower-than.sh): each of testvmm's slow exits
# (the VMM slept 150 ms in it) is one IO_INSTRUCTION event with the sleep
# in its duration and VMM time. With the classic programs the guest RIP is
# that of the OUT or IN (testvmm's guest labels) and the exit
# qualification names port 0x6000 (bits 31:16) and the direction (bit 3)
# that RIP's instruction has; with tp_btf there is no exit info, and a RIP
# only where KVM had read it, then that same one (never stale). The guest
# TSC, where debugfs gave it, lies within the exit's duration (and its
# stated error) of the guest's own rdtsc before the access, although the
# guest wrote its TSC 2^40 ticks ahead right after each slow exit.
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import json, sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("slower-than")
truth = json_file(d, "slow.json")
v = truth["vcpus"][0]
D = truth["slow_ms"] * 1000000
check(v["slow_exits"] == 2, f"testvmm made {v['slow_exits']} slow exits, not 2")
for name in ("btf", "classic"):
    lines = [json.loads(l) for l in open(path(d, name + ".out"))]
    total = lines[-1]
    check(total["attach"] == ("tp_btf" if name == "btf" else "classic"), f"{name}: attach {total['attach']}")
    events = [e for e in lines if e["type"] == "outlier"]
    check(total["counters"]["outliers"] == len(events) and total["counters"]["outliers_lost"] == 0,
          f"{name}: counters {total['counters']} for {len(events)} events")
    mine = [e for e in events if e["name"] == "IO_INSTRUCTION" and ((e["userspace"] or {}).get("vmm_ns") or 0) >= D]
    check(len(mine) == v["slow_exits"], f"{name}: {len(mine)} IO_INSTRUCTION events with the sleep, "
          f"for {v['slow_exits']} slow exits: {events}")
    tscs = v["slow_exit_guest_tsc"]
    # The jump between the two slow exits held (KVM can undo one where the
    # host's TSC is unstable: tests/host/vmexitprof-slower-than.sh); the rate
    # is the guest's own, less it.
    J = truth["tsc_jump"]
    held = [round((b - a) / J) for a, b in zip(tscs, tscs[1:])]
    check(held == [1] * len(held), f"of {len(held)} TSC jumps of the guest {sum(held)} held: {tscs}")
    jumped = [t - J * sum(held[:k]) for k, t in enumerate(tscs)]
    rate = (jumped[-1] - jumped[0]) / (mine[-1]["mono_ns"] - mine[0]["mono_ns"]) if len(mine) > 1 else 0
    for e, t in zip(mine, tscs):
        where = f"{name} event at {e['since_start_ns']} ns"
        check(e["isa"] == "vmx" and e["duration_ns"] >= D and e["userspace"]["reason"] == "IO"
              and e["userspace"]["vmm_ns"] <= e["duration_ns"], f"{where}: {e}")
        if name == "classic":
            q = e["exit_info1"]
            check(q is not None and q >> 16 == 0x6000, f"{where}: qualification {q} does not name port 0x6000")
            want = v["pio_in_rip"] if (q or 0) & 8 else v["pio_out_rip"]
            check(e["guest_rip"] == want, f"{where}: guest RIP {e['guest_rip']}, not {want}")
        else:
            check(e["exit_info1"] is None and e["exit_info2"] is None, f"{where}: exit info on VMX tp_btf")
            check(e["guest_rip"] in (None, v["pio_out_rip"], v["pio_in_rip"]),
                  f"{where}: guest RIP {e['guest_rip']} is stale: neither the OUT's nor the IN's")
        if e["guest_tsc"] is None or not rate:
            print(f"{where}: no guest TSC (rate {rate})")
            continue
        diff = e["guest_tsc"] - t
        print(f"{where}: guest TSC ours - guest's own {diff:+d} ticks, stated error {e['guest_tsc_err']}, "
              f"rip {e['guest_rip']}")
        check(abs(diff) <= e["duration_ns"] * rate + e["guest_tsc_err"],
              f"{where}: guest TSC {e['guest_tsc']} vs the guest's {t}: {diff} ticks")
finish()
PY
