#!/usr/bin/env bash
# Others coming and going do not disturb a run, and SIGKILL leaves nothing
# attached. One vmexitprof (A) profiles testvmm from start to end; while
# the guest runs, a second one (B) is SIGKILLed, and perf stat attaches
# and detaches. A's counts must still equal testvmm's ground truth.
# After the SIGKILL none of B's BPF programs, maps and links exists, and the
# kvm module's reference count (one per attachment to kvm) is back to
# what A alone holds; after A ends, back to where it started.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh
. tests/lib/bpf-objects.sh
kvm_refs() { cat /sys/module/kvm/refcnt; }
# assert_kvm_refs WANT WHAT: within 5 s (events are freed after the fds close).
assert_kvm_refs() {
	local i
	for ((i = 0; i < 50; i++)); do
		(($(kvm_refs) == $1)) && return 0
		sleep 0.1
	done
	die "$2: kvm's reference count is $(kvm_refs), expected $1"
}

# 200 HLTs per vCPU unit, each idling 20 ms in testvmm, come after the
# CPUID and IO loops: the guest runs for 4 s at least, however fast the
# CPUID loop is, and exits stream in while B is killed.
start_vmm vmm --vcpus 2 --cpuid 10000 --pio 1000 --mmio 100 --hlt 100 --hlt-sleep-us 20000 --scale 1,2
base=$(kvm_refs)
# A runs with the defaults: tp_btf programs, and fentry on KVM_RUN for the
# VMM's time. B runs classic tracepoints, and times the VMM through
# testvmm's USDT probes (uprobes). So every kind of attachment is torn
# down by B's SIGKILL or left alone.
start_profiler a -p "$vmm_pid" --per-vcpu --json
start_profiler b -p "$vmm_pid" --per-vcpu --json --attach classic --vmm-time usdt
grep -q "(VMM handling time from fentry; tp_btf tracepoints)" "$tmp/a.err" || die "A: $(cat "$tmp/a.err")"
a_held=$(bpf_objects "$a_pid") b_held=$(bpf_objects "$b_pid")
b_events=$(perf_event_fds "$b_pid")
((b_events >= 5)) || die "perf events: B $b_events (5 or more)"
# One kvm reference per attachment to kvm: A's kvm_exit, kvm_entry and
# kvm_userspace_exit raw tracepoints and its fentry; B's three classic
# tracepoints (its USDT probes are in testvmm).
a_tps=$(btf_links "$a_pid") b_tps=$(tracepoint_progs "$b_pid")
((a_tps == 4 && b_tps == 3)) || die "kvm attachments: A $a_tps links (4 expected), B $b_tps tracepoint programs (3 expected)"
assert_kvm_refs $((base + a_tps + b_tps)) "A and B attached"

release_vmm vmm
sleep 1
kill -KILL "$b_pid"
rc=0
wait "$b_pid" 2>/dev/null || rc=$?
assert_eq "$rc" 137 "B's exit status after SIGKILL"
assert_nothing_left "B after SIGKILL" "$b_held"
assert_eq "$(bpf_objects_alive "$a_held")" "$a_held" "A's BPF objects, after B's SIGKILL"
assert_kvm_refs $((base + a_tps)) "B killed"

# perf stat, not perf kvm stat record: the same tracepoint perf events,
# without record's minutes of start-up under TCG. It must have counted
# exits: it attached while the guest ran.
perf stat -x, -a -e kvm:kvm_exit -e kvm:kvm_entry -o "$tmp/perf.csv" -- sleep 1 >"$tmp/perf.log" 2>&1 ||
	die "perf stat failed: $(cat "$tmp/perf.log")"
kill -0 "$vmm_pid" 2>/dev/null || die "testvmm ended before perf detached: the workload is too short for this test"
perf_exits=$(awk -F, '$3 == "kvm:kvm_exit" { print $1 }' "$tmp/perf.csv")
((perf_exits > 0)) || die "perf stat counted no kvm_exit while the guest ran: $(cat "$tmp/perf.csv")"
assert_kvm_refs $((base + a_tps)) "perf detached"

wait_ok "$vmm_pid" testvmm
wait_ok "$a_pid" "vmexitprof A"
assert_nothing_left "A after its end" "$a_held"
assert_kvm_refs "$base" "A ended"

python3 - "$tmp/vmm.json" "$tmp/a.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
check_vm_exit_counts(prof["vms"][0], truth, "A")
c = prof["counters"]
check(c["entry_without_exit"] == 2 and c["exits_pending"] == 2, f"A: one unpaired entry and exit per thread: {c}")
check(c["exit_overwritten"] == 0 and c["hist_full"] == 0 and c["hist_alloc_failed"] == 0, f"A: nothing lost: {c}")
finish()
PY
