#!/usr/bin/env bash
# --msr, --cpuid and --halt against ground truth that knows nothing of
# vmexitprof. testvmm's JSON lists every MSR access (index, direction,
# #GP faults: --msr-fault reads an MSR KVM does not know) and every CPUID
# (leaf, subleaf: --cpuid-sub) its guest made, and the HLTs the x2APIC
# timer wakes in-kernel (--hlt-quick, inside halt polling; --hlt-late,
# beyond it). The rows must equal them exactly. The halts must equal, per
# vCPU, waited (woken while polling, or blocked) and valid, the
# kvm:kvm_vcpu_wakeup records of a private tracefs instance (its ring
# buffer, checked for lost events: this host's kernel has no hist
# triggers): the count and the sum of the tracepoint's own ns, to the
# nanosecond; at least the late HLTs blocked. Where kvm_exit fires (the
# rig runs this as tests/rig/vmexitprof-msr-cpuid-halt.sh) each row's
# exits are timed and add up to the msr and cpuid exit reasons' count and
# total exactly; every wakeup has its wake-to-entry time; and each vCPU's
# halts and wake-to-entry times fit inside its HLT exits' exit-to-entry
# time. Before d41116e vmexitprof refused --msr. With --collect-only DIR
# it only runs and records (vmm.json, prof.out, wakeup.trace in DIR), for
# the VMX rig's guest, which has no Python (tests/rig-vmx/msr-cpuid-halt.sh
# checks there).
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh
collect_only=
if [[ ${1-} == --collect-only ]]; then
	[[ -n ${2-} ]] || die "--collect-only needs a directory"
	collect_only=$2
fi

tracefs=/sys/kernel/tracing
[[ -d $tracefs/events/kvm/kvm_vcpu_wakeup ]] || skip "no kvm:kvm_vcpu_wakeup in tracefs"
inst=$tracefs/instances/msr-cpuid-halt-$$
remove_instance() {
	[[ -d $inst ]] || return 0
	echo 0 >"$inst/events/kvm/kvm_vcpu_wakeup/enable" 2>/dev/null || true
	rmdir "$inst" 2>/dev/null || true
}
trap 'remove_instance; cleanup_profile' EXIT

start_vmm vmm --vcpus 2 --cpuid 30 --rdmsr 20 --wrmsr 10 --scale 1,2 \
	--msr-fault 7 --cpuid-sub 9 --hlt-quick 40 --hlt-quick-us 150 --hlt-late 6
mkdir "$inst"
echo 4096 >"$inst/buffer_size_kb"
echo 1 >"$inst/events/kvm/kvm_vcpu_wakeup/enable"
start_profiler prof -p "$vmm_pid" --per-vcpu --msr --cpuid --halt --json
release_vmm vmm
wait_ok "$vmm_pid" testvmm
wait_ok "$prof_pid" vmexitprof
echo 0 >"$inst/events/kvm/kvm_vcpu_wakeup/enable"
cat "$inst/trace" >"$tmp/wakeup.trace"
remove_instance
lost=$(sed -n 's|^# entries-in-buffer/entries-written: \([0-9]*\)/\([0-9]*\) .*|\1 \2|p' "$tmp/wakeup.trace")
read -r kept written <<<"$lost"
[[ -n $kept && $kept == "$written" ]] || die "the tracefs ring buffer lost events: $lost"
if [[ -n $collect_only ]]; then
	cp "$tmp/vmm.json" "$tmp/prof.out" "$tmp/wakeup.trace" "$collect_only/"
	exit 0
fi

python3 - "$tmp/vmm.json" "$tmp/prof.out" "$tmp/wakeup.trace" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

check_msr_cpuid_halt(load(sys.argv[1]), load(sys.argv[2]), open(sys.argv[3]).read())
finish()
PY
python3 - "$tmp/prof.out" <<'PY'
import json, sys
prof = json.load(open(sys.argv[1]))
halts = {h["kind"]: h["count"] for vm in prof["vms"] for h in vm["halts"]}
print(f"MSR/CPUID rows equal testvmm's; halts equal tracefs's: {halts} "
      f"(kvm_exit fired: {prof['kvm_exit_fired']})")
PY
