#!/usr/bin/env bash
# Churn: one vmexitprof for all VMs (no -p) runs while, for CHURN_SECONDS
# (default 60), testvmm VMs start and stop over and over, two or three at
# a time: some hot-add vCPUs once their first vCPUs are done, on threads
# that take those vCPUs' thread ids back (--reuse-tids), and one VM takes
# the pid of a VM that exited before it and is still alive at the end.
# Checked against every VM's own ground truth, per VM (pid and start
# time) and vCPU: exit and userspace-return counts exact, nothing dropped,
# one unpaired entry and one pending exit per vCPU thread, every VM that
# exited marked so, and the reuse of ids really happened. --max-keys is
# far below the histogram keys the whole run needs, but above what the
# VMs running at once need: the entries of exited VMs must leave the maps
# (into the report) for nothing to be dropped.
# `make soak` runs it longer (CHURN_SECONDS=600).
. "$(dirname "$0")/../lib/common.sh"
[[ -w /proc/sys/kernel/ns_last_pid ]] ||
	skip "/proc/sys/kernel/ns_last_pid is not writable: cannot make a thread id be reused"
. tests/lib/profile.sh
seconds=${CHURN_SECONDS:-60}
shopt -s nullglob

max_keys=256
start_profiler prof --json --per-vcpu --max-keys $max_keys --keep-exited 0
t0=$SECONDS

# A VM exits; the next process gets its pid back (ns_last_pid, with
# nothing else starting meanwhile) and becomes a VM that lingers until
# the end. Retried a few times, in case something else took the pid.
for attempt in 1 2 3 4 5; do
	tests/vmm/testvmm --vcpus 2 --cpuid 500 --pio 50 --hlt 3 >"$tmp/pid-old$attempt.json" 2>"$tmp/err" ||
		die "testvmm failed: $(cat "$tmp/err")"
	old=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$tmp/pid-old$attempt.json")
	echo $((old - 1)) >/proc/sys/kernel/ns_last_pid
	tests/vmm/testvmm --vcpus 3 --cpuid 700 --pio 30 --mmio 10 --hlt 2 --scale 1,2,3 \
		--linger-for "$tmp/end" >"$tmp/pid-new.json" 2>"$tmp/pid-new.err" &
	lingering=$!
	((lingering == old)) && break
	wait_for_line "$tmp/pid-new.json" '"vcpus"' 60
	touch "$tmp/end"
	wait_ok "$lingering" "testvmm (took pid $lingering, not $old)"
	rm "$tmp/end"
	mv "$tmp/pid-new.json" "$tmp/pid-missed$attempt.json"
done
((lingering == old)) || die "no process got an exited VM's pid back in 5 attempts"

# The churn: each round starts a plain VM (1 to 4 vCPUs) and a hot-adding
# one, staggered, and waits for both.
round=0
while ((SECONDS - t0 < seconds)); do
	tests/vmm/testvmm --vcpus $((1 + round % 4)) --cpuid $((300 + 97 * (round % 7))) --pio 40 \
		--mmio 8 --hlt 2 >"$tmp/plain$round.json" 2>"$tmp/plain$round.err" &
	plain=$!
	sleep "0.$((round % 5))"
	tests/vmm/testvmm --vcpus 4 --hot-add 2 --reuse-tids --scale 1,2,2,1 --cpuid 400 --pio 20 \
		--mmio 4 --hlt 1 >"$tmp/hot$round.json" 2>"$tmp/hot$round.err" &
	hot=$!
	wait_ok "$plain" "testvmm (plain, round $round): $(cat "$tmp/plain$round.err")"
	wait_ok "$hot" "testvmm (hot-add, round $round): $(cat "$tmp/hot$round.err")"
	round=$((round + 1))
done
wait_for_line "$tmp/pid-new.json" '"vcpus"' 60
# The lingering VM is still there when the report is made.
kill -INT "$prof_pid"
wait_ok "$prof_pid" "vmexitprof (all VMs) after SIGINT"
touch "$tmp/end"
wait_ok "$lingering" "testvmm (lingering)"
echo "$round rounds in $((SECONDS - t0)) s"

python3 - "$max_keys" "$tmp/prof.out" "$tmp/pid-new.json" "$tmp"/pid-old*.json "$tmp"/pid-missed*.json \
	"$tmp"/plain*.json "$tmp"/hot*.json <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

max_keys, prof, lingering = int(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3])
truths = [lingering] + [load(p) for p in sys.argv[4:]]
vms = {(vm["pid"], vm["start_ticks"]): vm for vm in prof["vms"]}
check(len(vms) == len(prof["vms"]), "each (pid, start) once in the report")
want_vms = {(t["pid"], t["start_ticks"]) for t in truths}
check(set(vms) == want_vms, f"VMs in the report but not run: {sorted(set(vms) - want_vms)}; "
      f"run but not in the report: {sorted(want_vms - set(vms))}")

# The ids really were reused: a VM on an exited VM's pid, and hot-added vCPUs
# on their predecessors' thread ids.
pids = [t["pid"] for t in truths]
check(pids.count(lingering["pid"]) >= 2, f"pid {lingering['pid']} was not reused")
reused = 0
for t in truths:
    v = t["vcpus"]
    first = [x for x in v if not x["hot_added"]]
    for j, x in enumerate(x for x in v if x["hot_added"]):
        reused += x["tid"] == first[j]["tid"]
check(reused > 0, "no hot-added vCPU got its predecessor's thread id back")
print(f"{len(truths)} VMs, {sum(len(t['vcpus']) for t in truths)} vCPU threads, "
      f"{reused} thread ids reused by hot-added vCPUs, pid {lingering['pid']} reused")

totals = {"cpuid": [0, 0], "io": [0, 0], "hlt": [0, 0], "returns": [0, 0]}
threads = 0
for t in truths:
    vm = vms.get((t["pid"], t["start_ticks"]))
    if vm is None:
        continue
    where = f"VM {t['pid']}@{t['start_ticks']}"
    alive = t is lingering
    check(vm["exited"] == (not alive), f"{where}: exited {vm['exited']}, want {not alive}")
    check(vm["name"] == "testvmm", f"{where}: name {vm['name']!r}")
    vcpus = {v["vcpu"]: v for v in vm["vcpus"]}
    check(sorted(vcpus) == [v["id"] for v in t["vcpus"]], f"{where}: vCPUs {sorted(vcpus)}")
    for v in t["vcpus"]:
        got, c = vcpus.get(v["id"], {"reasons": [], "userspace": [], "userspace_errors": []}), v["caused"]
        w = f"{where} vcpu {v['id']}"
        threads += 1
        # Each thread's last exit (its control write) never re-enters: pending.
        io = c["pio"] + c["control"] - 1
        want = {"cpuid": c["cpuid"], "io": io, "hlt": c["hlt"]}
        have = {"cpuid": count(got["reasons"], SVM_CPUID), "io": count(got["reasons"], SVM_IOIO),
                "hlt": count(got["reasons"], SVM_HLT)}
        check(have == want, f"{w}: exits {have} != {want}")
        check(count(got["reasons"], SVM_NPF) >= c["mmio"], f"{w}: npf below mmio {c['mmio']}")
        uexits = {u["reason"]: u["count"] for u in got["userspace"]}
        want_u = {k: n for k, n in v["kvm_run_returns"].items() if k != "EINTR" and n}
        check(uexits == want_u, f"{w}: returns to userspace {uexits} != {want_u}")
        eintr = sum(e["count"] for e in got["userspace_errors"] if e["name"] == "EINTR")
        check(eintr == v["kvm_run_returns"]["EINTR"], f"{w}: EINTR returns {eintr}")
        handled = {u["reason"]: (u["handling"] or {}).get("count", 0) for u in got["userspace"]}
        want_h = {k: n for k, n in {"IO": io, "MMIO": c["mmio"], "HLT": c["hlt"]}.items() if n or k in handled}
        check(handled == want_h, f"{w}: handled {handled} != {want_h}")
        for k, n in have.items():
            totals[k][0] += n
            totals[k][1] += want[k]
        totals["returns"][0] += sum(uexits.values()) + eintr
        totals["returns"][1] += sum(v["kvm_run_returns"].values())

# Totals: the sum of every VM's ground truth.
for k, (got, want) in totals.items():
    check(got == want, f"total {k}: {got} != {want}")
c = prof["counters"]
check(c["userspace_exits"] == totals["returns"][1], f"userspace_exits {c['userspace_exits']} != {totals['returns'][1]}")
rows = sum(r["count"] for vm in prof["vms"] for r in vm["reasons"])
check(c["paired"] == rows, f"paired {c['paired']} != the rows' sum {rows}")
check(c["exits"] == c["paired"] + c["exits_pending"], f"exits are paired or pending: {c}")
check(c["entry_without_exit"] == threads, f"one unpaired first entry per vCPU thread ({threads}): {c}")
check(c["exits_pending"] == threads, f"one pending last exit per vCPU thread ({threads}): {c}")
keys = sum(len(v["reasons"]) + sum(1 for u in v["userspace"] if u["handling"])
           for vm in prof["vms"] for v in vm["vcpus"])
# More than the map and its reserve (32) hold at once.
check(keys > max_keys + 32, f"the run used only {keys} histogram keys: too few to show that exited VMs free theirs")
print(f"{keys} histogram keys over the run, --max-keys {max_keys}")
for k in ("exit_overwritten", "hist_full", "hist_alloc_failed", "userspace_exits_dropped",
          "vmm_intervals_dropped", "io_dropped"):
    check(c[k] == 0, f"{k} {c[k]}")
finish()
PY
