#!/usr/bin/env bash
# Under churn, memory stays bounded: past --keep-exited N exited VMs, the
# oldest are merged into one row (pid 0), exactly: 12 VMs one after the
# other under --keep-exited 4, with -I (whose intervals must still add up
# across the merges) and without; against testvmm's ground truth, every
# return to userspace is counted once, the 4 latest VMs apart, the 8 first
# in the merged row.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh

nr=12
start_profiler total --json --keep-exited 4
start_profiler iv --json -I 200 --keep-exited 4
for ((i = 0; i < nr; i++)); do
	tests/vmm/testvmm --vcpus 2 --pio $((30 + i)) --mmio 7 --hlt 2 >"$tmp/vm$i.json" 2>"$tmp/vm$i.err" ||
		die "testvmm $i failed: $(cat "$tmp/vm$i.err")"
	# The loader moves exited VMs out once a second: let it see each one go.
	sleep 1.2
done
kill -INT "$total_pid" "$iv_pid"
wait_ok "$total_pid" "vmexitprof --keep-exited 4"
wait_ok "$iv_pid" "vmexitprof -I --keep-exited 4"

python3 - "$tmp" "$nr" <<'PY'
import json, sys
sys.path.insert(0, "tests/lib")
from reports import *
tmp, nr = sys.argv[1], int(sys.argv[2])
truth = [load(f"{tmp}/vm{i}.json") for i in range(nr)]
def returns(t):
    return sum(n for v in t["vcpus"] for k, n in v["kvm_run_returns"].items() if k != "EINTR")
def reported(vm):
    return sum(u["count"] for u in vm["userspace"])
lines = [json.loads(l) for l in open(f"{tmp}/iv.out")]
for doc, what in ((load(f"{tmp}/total.out"), "total"), (lines[-1], "-I total")):
    ours = {vm["pid"]: vm for vm in doc["vms"] if vm["pid"] in {t["pid"] for t in truth}}
    merged = [vm for vm in doc["vms"] if vm["pid"] == 0]
    check(len(merged) == 1 and merged[0]["name"] == f"{nr - 4} VMs that exited earlier, merged",
          f"{what}: one merged row for {nr - 4} VMs: {[vm['name'] for vm in merged]}")
    check(sorted(ours) == sorted(t["pid"] for t in truth[-4:]), f"{what}: the last 4 VMs apart: {sorted(ours)}")
    for t in truth[-4:]:
        if t["pid"] in ours:
            check(reported(ours[t["pid"]]) == returns(t), f"{what}: VM {t['pid']}: {reported(ours[t['pid']])} != {returns(t)}")
    if merged:
        want = sum(returns(t) for t in truth[:-4])
        check(reported(merged[0]) == want, f"{what}: merged row {reported(merged[0])} != the first VMs' {want}")
# The intervals add up to the total across the merges.
intervals, total = lines[:-1], lines[-1]
summed = sum(reported(vm) for l in intervals for vm in l["vms"])
check(summed == sum(reported(vm) for vm in total["vms"]), f"intervals {summed} != total")
finish()
PY
echo "$nr VMs, --keep-exited 4: the last 4 apart, $((nr - 4)) merged, all exact"
