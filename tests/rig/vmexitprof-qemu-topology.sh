#!/usr/bin/env bash
# One vCPU numbering, QEMU's CPU index (the n of its "CPU n/KVM" threads,
# KVM's vcpu_idx), with KVM's vcpu_id (the APIC ID on x86) beside it where
# they differ: real QEMU with -smp 6,sockets=2,cores=3, whose APIC IDs are
# 0, 1, 2, 4, 5, 6, booting its firmware. Per vCPU, vmexitprof's rows are
# numbered 0..5 and carry vcpu_id, and their counts equal tracefs's
# kvm_exit hits of that thread (hist triggers: an independent count); and
# --vcpu 4 selects QEMU's CPU 4, the one whose vcpu_id is 5.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

mkfifo "$tmp/monitor"
tests/lib/tracecount.py --out "$tmp/trace.json" -- \
	qemu-system-x86_64 -enable-kvm -smp 6,sockets=2,cores=3 -name guest=topo,debug-threads=on -m 64 \
	-nodefaults -no-user-config -display none -serial null -S -monitor stdio <"$tmp/monitor" \
	>"$tmp/qemu.out" 2>&1 &
exec 3>"$tmp/monitor"
qemu_pid=""
for _ in $(seq 200); do
	qemu_pid=$(pgrep -f "^qemu-system-x86_64 -enable-kvm -smp 6,sockets=2,cores=3 -name guest=topo" || true)
	[[ -n $qemu_pid ]] && ls -l "/proc/$qemu_pid/fd" 2>/dev/null | grep -q 'kvm-vm' && break
	sleep 0.1
done
[[ -n $qemu_pid ]] || die "QEMU did not start: $(cat "$tmp/qemu.out")"
for _ in $(seq 100); do
	(($(cat /proc/"$qemu_pid"/task/*/comm | grep -c '^CPU [0-9]*/KVM$') == 6)) && break
	sleep 0.1
done
# Thread id -> QEMU's CPU index, from the thread names.
for t in /proc/"$qemu_pid"/task/*; do
	comm=$(cat "$t/comm")
	[[ $comm =~ ^CPU\ ([0-9]+)/KVM$ ]] && echo "$(basename "$t") ${BASH_REMATCH[1]}"
done >"$tmp/threads"
assert_eq "$(wc -l <"$tmp/threads")" 6 "six vCPU threads"
# Both end when QEMU does, so that they and tracefs count the same exits.
start_profiler all -p "$qemu_pid" --per-vcpu --json
start_profiler four -p "$qemu_pid" --vcpu 4 --per-vcpu --json
echo cont >&3
sleep 5
echo quit >&3
exec 3>&-
wait_ok "$all_pid" vmexitprof
wait_ok "$four_pid" "vmexitprof --vcpu 4"
wait

python3 - "$tmp" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *
tmp = sys.argv[1]
threads = {int(t): int(i) for t, i in (l.split() for l in open(f"{tmp}/threads"))}
trace = load(f"{tmp}/trace.json")
hits, ids = {}, {}
for row in trace["kvm_exit"]:
    tid = row["key"]["common_pid"]
    if tid in threads:
        hits[threads[tid]] = hits.get(threads[tid], 0) + row["hits"]
        ids.setdefault(threads[tid], set()).add(row["key"]["vcpu_id"])
check(ids == {0: {0}, 1: {1}, 2: {2}, 3: {4}, 4: {5}, 5: {6}},
      f"tracefs: QEMU's CPU index -> vcpu_id {ids} (APIC IDs of 2 sockets of 3 cores)")
for what in ("all", "four"):
    vm = load(f"{tmp}/{what}.out")["vms"][0]
    got = {v["vcpu"]: v for v in vm["vcpus"]}
    want = sorted(hits) if what == "all" else [4]
    check(sorted(got) == want, f"{what}: vCPUs {sorted(got)}, expected {want}")
    for i in want:
        v = got.get(i)
        if not v:
            continue
        n = sum(r["count"] for r in v["reasons"])
        # A thread's last exit before the end has no entry yet: at most one pending.
        check(hits[i] - 1 <= n <= hits[i], f"{what}: vCPU {i}: {n} exits, tracefs {hits[i]}")
        # vcpu_id is given where it differs from the number.
        want_id = min(ids[i]) if min(ids[i]) != i else None
        check(v.get("vcpu_id") == want_id, f"{what}: vCPU {i}: vcpu_id {v.get('vcpu_id')}, tracefs {ids[i]}")
finish()
PY
echo "QEMU -smp 6,sockets=2,cores=3: vCPUs 0..5 with vcpu_ids 0,1,2,4,5,6; --vcpu 4 is QEMU's CPU 4"
