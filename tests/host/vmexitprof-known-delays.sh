#!/usr/bin/env bash
# Latencies against known delays (issue 12): testvmm makes every 25th
# data-port exit of a vCPU slow (--slow-every 25 --slow-ms 269: the VMM
# sleeps 269 ms before re-entering) and says how many it made. The VMM
# handling time of IO, and where kvm_exit fires (the rig) the io exit's
# exit-to-entry histogram, must hold exactly that many intervals at or
# above the slow ones' bucket, per vCPU, and no more.
#
# Exact from the buckets: a slow interval lasts at least D = 269 ms, so it
# lands in D's bucket or above; D's bucket starts at L = 2^28 ns =
# 268.435456 ms (the buckets split each power of two into 16,
# include/hist.h, and 269 ms is in the first sixteenth above 2^28). Every
# other interval must stay below L, and the natural maximum does, by far:
# the slowest exit-to-entry time the rig showed by itself was 15.7 ms on
# 6.1 and 13.1 ms on 6.12 (io exits), its slowest IO handling time 5.5 and
# 5.8 ms, and this host's 4.1 ms, in 20 runs each of the rig suites'
# testvmm workloads; with two busy loops on this 2-core machine besides,
# 80.2 ms (an npf exit) and 44.3 ms (IO handling) on 6.12. Measured with
#   tests/vm/run --kernel 6.1|6.12 -- tests/rig/vmexitprof-known-delays.sh --measure 5
#   tests/host/vmexitprof-known-delays.sh --measure 5
# which runs those workloads five times each under vmexitprof and prints
# the maxima. So counting the samples of the buckets whose lower bound is
# >= L counts the slow exits and nothing else; and all exits are counted
# (the io and IO rows hold every one of testvmm's), so none escaped.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

# measure RUNS: the rig suites' workloads (vmexitprof-counts, -vmm-time,
# -vs-perf, this test's without slow exits), RUNS times each, under
# vmexitprof --json; prints the largest exit-to-entry time per reason
# (HLT apart: a halt lasts as long as the VMM sleeps) and VMM handling time.
measure() {
	local runs=$1 i w
	local workloads=(
		"--vcpus 2 --cpuid 3000 --pio 300 --mmio 100 --hlt 20 --scale 1,3"
		"--vcpus 2 --pio 300 --pio-in 200 --mmio 100 --mmio-read 50 --hlt 20 --scale 1,3 --hlt-sleep-us 1000"
		"--vcpus 2 --cpuid 2000 --pio 200 --hlt 10 --scale 2,1"
		"--vcpus 2 --pio 60 --pio-in 40 --mmio 20 --scale 1,2"
	)
	for ((i = 0; i < runs; i++)); do
		for w in "${!workloads[@]}"; do
			# shellcheck disable=SC2086
			start_vmm "m$i$w" ${workloads[$w]}
			start_profiler "pm$i$w" -p "$(eval echo "\$m$i${w}_pid")" --json
			release_vmm "m$i$w"
			wait_ok "$(eval echo "\$m$i${w}_pid")" testvmm
			wait_ok "$(eval echo "\$pm$i${w}_pid")" vmexitprof
		done
	done
	python3 - "$tmp" <<'PY'
import glob, json, sys
exits, vmm = {}, {}
for path in glob.glob(sys.argv[1] + "/pm*.out"):
    vm = json.load(open(path))["vms"][0]
    for r in vm["reasons"]:
        exits[r["name"]] = max(exits.get(r["name"], 0), r["max_ns"])
    for u in vm["userspace"]:
        if u["handling"]:
            vmm[u["reason"]] = max(vmm.get(u["reason"], 0), u["handling"]["max_ns"])
print("runs:", len(glob.glob(sys.argv[1] + "/pm*.out")))
print("exit-to-entry max_ns:", dict(sorted(exits.items())))
print("VMM handling max_ns:", dict(sorted(vmm.items())))
print("largest but hlt/HLT: exit %d ns, VMM %d ns" % (
    max([n for k, n in exits.items() if k != "hlt"] or [0]),
    max([n for k, n in vmm.items() if k != "HLT"] or [0])))
PY
}
if [[ ${1-} == --measure ]]; then
	measure "${2:-5}"
	exit 0
fi

SLOW_EVERY=25 SLOW_MS=269
start_vmm vmm --vcpus 2 --pio 30 --pio-in 20 --mmio 10 --hlt 5 --scale 1,2 \
	--slow-every "$SLOW_EVERY" --slow-ms "$SLOW_MS"
start_profiler prof -p "$vmm_pid" --per-vcpu --json -I 200 --heatmap-out "$tmp/run.csv"
start_profiler nosched -p "$vmm_pid" --per-vcpu --json --no-sched
release_vmm vmm
wait_ok "$vmm_pid" testvmm
wait_ok "$prof_pid" vmexitprof
wait_ok "$nosched_pid" "vmexitprof --no-sched"
[[ -s $tmp/run.csv ]] || die "no CSV written"

python3 - "$tmp/vmm.json" "$tmp/prof.out" "$tmp/run.csv" "$SLOW_EVERY" "$SLOW_MS" "$tmp/nosched.out" <<'PY'
import csv, os, sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, total = load(sys.argv[1]), json.loads(open(sys.argv[2]).read().splitlines()[-1])
cells, every, d_ns = list(csv.DictReader(open(sys.argv[3]))), int(sys.argv[4]), int(sys.argv[5]) * 1000000
# The lower bound of D's bucket (include/hist.h): 2^msb plus whole sixteenths of it.
step = 1 << (d_ns.bit_length() - 1 - 4)
low = d_ns // step * step
check(low == 1 << 28, f"D's bucket starts at {low}, not 2^28 as the comment says")
fired = total["kvm_exit_fired"]
vm = [vm for vm in total["vms"] if vm["pid"] == truth["pid"]]
check(len(vm) == 1, "the VM is in the report")
vcpus = {v["vcpu"]: v for v in vm[0]["vcpus"]} if vm else {}
for v in truth["vcpus"]:
    c, where = v["caused"], f"vcpu {v['id']}"
    want = (c["pio"] + c["pio_in"]) // every
    check(v["slow_exits"] == want > 0, f"{where}: testvmm made {v['slow_exits']} slow exits, not {want}")
    # Every interval is in the histograms: then none slow escaped the count.
    io = {u["reason"]: u for u in vcpus.get(v["id"], {}).get("userspace", [])}.get("IO") or {}
    h = io.get("handling") or {}
    check(h.get("count") == io_exits(c), f"{where}: IO handled {h.get('count')} != {io_exits(c)}")
    check(h.get("max_ns", 0) >= d_ns and h.get("total_ns", 0) >= v["slow_exits"] * d_ns,
          f"{where}: IO handling {h} does not hold {v['slow_exits']} sleeps of {d_ns} ns")
    # The standard deviation (STDDEV column, stddev_ns): the k slow
    # intervals of D among n, the rest near 0 (microseconds), have the
    # two-point set's D * sqrt(k (n - k) / (n (n - 1))); each sample's
    # distance from that set (a fast one's few us, a sleep's overshoot)
    # moves it by at most their RMS (Minkowski): within 10%. Measured (the
    # test prints its figures): 0.08% and 0.12% above on this host, 0.2% to
    # 0.5% in the 6.12 rig (VMM and exit rows).
    n, k = h.get("count", 0), v["slow_exits"]
    if n > 1:
        ideal = d_ns * (k * (n - k) / (n * (n - 1))) ** 0.5
        sd = h.get("stddev_ns")
        print(f"{where} vmm IO: stddev {sd} ns, {k} of {n} at {d_ns} ns give {ideal:.0f} ns")
        check(sd is not None and abs(sd - ideal) <= 0.1 * ideal,
              f"{where}: IO handling stddev_ns {sd}, two-point set's {ideal:.0f}")
    # The sleeps are the VMM's time off the CPU, asleep (the split,
    # sched_switch/sched_wakeup): each from its switch-out, just after
    # testvmm took its deadline D ahead, to its wakeup at the deadline
    # plus timer slack; the wait for a CPU after it is preempted time.
    # Within [k (D - 1 ms), k (D + 5 ms)].
    blocked = (h.get("split") or {}).get("blocked_ns")
    print(f"{where} vmm IO: blocked {blocked} ns, {k} sleeps of {d_ns} ns")
    check(blocked is not None and k * (d_ns - 1000000) <= blocked <= k * (d_ns + 5000000),
          f"{where}: IO handling blocked_ns {blocked} for {k} sleeps of {d_ns} ns")
    kinds = [("vmm", "IO")]
    if fired:
        rows = {r["name"]: r for r in vcpus.get(v["id"], {}).get("reasons", [])}
        check(rows.get("io", {}).get("count") == io_exits(c), f"{where}: io exits {rows.get('io')}")
        check(rows.get("io", {}).get("max_ns", 0) >= d_ns, f"{where}: io max {rows.get('io')} below D")
        n = rows.get("io", {}).get("count", 0)
        if n > 1:
            ideal = d_ns * (k * (n - k) / (n * (n - 1))) ** 0.5
            sd = rows["io"].get("stddev_ns")
            print(f"{where} exit io: stddev {sd} ns, {k} of {n} at {d_ns} ns give {ideal:.0f} ns")
            check(sd is not None and abs(sd - ideal) <= 0.1 * ideal,
                  f"{where}: io exits' stddev_ns {sd}, two-point set's {ideal:.0f}")
        kinds.append(("exit", "io"))
    for what, reason in kinds:
        mine = [x for x in cells if x["pid"] == str(truth["pid"]) and x["vcpu"] == str(v["id"])
                and x["what"] == what and x["reason"] == reason]
        slow = sum(int(x["count"]) for x in mine if int(x["bucket_lower_ns"]) >= low)
        slowest_other = max([int(x["bucket_lower_ns"]) for x in mine if int(x["bucket_lower_ns"]) < low] or [0])
        print(f"{where} {what} {reason}: {slow} intervals from {low} ns, testvmm's slow exits "
              f"{v['slow_exits']}; the other intervals' highest bucket starts at {slowest_other} ns")
        check(slow == v["slow_exits"], f"{where}: {what} {reason}: {slow} intervals in the buckets from "
              f"{low} ns, testvmm made {v['slow_exits']} slow exits")
check(fired == (not os.path.isdir("/sys/module/kvm_pvm")), f"kvm_exit_fired {fired} on this kernel")
# --no-sched: the same run, no split anywhere and the report says so.
nosched = load(sys.argv[6])
check(total.get("sched") is True and nosched.get("sched") is False,
      f"sched: {total.get('sched')} and with --no-sched {nosched.get('sched')}")
check("\"split\"" not in open(sys.argv[6]).read(), "--no-sched: a split in the report")
finish()
PY
