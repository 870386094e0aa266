#!/usr/bin/env bash
# Scale with real kvm_exit/kvm_entry: one testvmm with 256 vCPUs
# (SCALE_VCPUS) under -p --per-vcpu. Every vCPU's CPUID, IO and HLT exits
# and its returns to userspace are exact, and nothing is dropped. Two more
# instances run with --max-keys 16, far below what 256 vCPUs need: the
# intervals that do not fit are counted (JSON: rows + drops + pending
# equal the exits) and shown (text: the dropped counts are not zero).
# Prints the maps' memory (tools/map-memory) at both sizes.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh
n=${SCALE_VCPUS:-256}

start_vmm big --vcpus "$n" --cpuid 40 --pio 4 --mmio 1 --hlt 1
profile_at_two_sizes big "$big_pid" 16
grep -q -E 'dropped: [1-9][0-9]* intervals because the histogram map and its reserve were full \(--max-keys\)' \
	"$tmp/small_text.out" || die "--max-keys 16: dropped intervals not shown: $(tail -n 4 "$tmp/small_text.out")"

python3 - "$tmp/big.json" "$tmp/full.out" "$tmp/small.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, full, small = (load(p) for p in sys.argv[1:4])
n = len(truth["vcpus"])
vm = full["vms"][0]
vcpus = {v["vcpu"]: v for v in vm["vcpus"]}
check(len(full["vms"]) == 1 and sorted(vcpus) == list(range(n)), f"one VM with vCPUs 0..{n - 1}")
bad = 0
for v in truth["vcpus"]:
    got = vcpus.get(v["id"], {"reasons": [], "userspace": []})
    c = v["caused"]
    # Each thread's last exit (its final control write) never re-enters: pending.
    want = (c["cpuid"], c["pio"] + c["control"] - 1, c["hlt"])
    have = (count(got["reasons"], SVM_CPUID), count(got["reasons"], SVM_IOIO), count(got["reasons"], SVM_HLT))
    rows = {u["reason"]: u["count"] for u in got["userspace"]}
    want_rows = {k: x for k, x in v["kvm_run_returns"].items() if k != "EINTR" and x}
    if have != want or rows != want_rows or count(got["reasons"], SVM_NPF) < c["mmio"]:
        bad += 1
        if bad <= 5:
            check(False, f"vcpu {v['id']}: exits {have} != {want}, or returns {rows} != {want_rows}")
check(bad == 0, f"{bad} of {n} vCPUs differ from the ground truth")
c = full["counters"]
check(c["entry_without_exit"] == n and c["exits_pending"] == n, f"one unpaired entry and one pending exit per vCPU: {c}")
for k in ("exit_overwritten", "hist_full", "hist_alloc_failed", "userspace_exits_dropped", "vmm_intervals_dropped"):
    check(c[k] == 0, f"full: {k} {c[k]}")

# --max-keys 16: what fits is exact, the rest is counted, and the exits add up.
s = small["counters"]
check(s["exits"] == c["exits"], f"--max-keys 16 saw {s['exits']} exits, the full run {c['exits']}")
rows = sum(r["count"] for vm in small["vms"] for r in vm["reasons"])
check(s["hist_full"] > 0, f"--max-keys 16 dropped nothing: {s}")
check(rows == s["paired"], f"--max-keys 16: rows {rows} != paired {s['paired']}")
check(s["paired"] + s["hist_full"] + s["exits_pending"] == s["exits"] and s["exits_pending"] == n,
      f"--max-keys 16: paired + dropped + pending != exits: {s}")
finish()
PY
