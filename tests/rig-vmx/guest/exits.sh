#!/usr/bin/env bash
# The VMX suite's one workload, inside the Intel rig; the host checks what
# it leaves in $OUT (tests/rig-vmx/*.sh). Two testvmm VMs run at once:
#  - vmm: 2 vCPUs doing 1x and 2x of CPUID, port writes, MMIO writes, HLT
#    (each idling 5 ms in testvmm), RDMSR and WRMSR;
#  - bad: 1 vCPU that first makes one failed VM entry (--fail-entry), then
#    a few port writes and HLTs.
# Four vmexitprof at once: -p vmm (per vCPU, --ports, --mmio; the
# defaults: tp_btf programs, which read the exit reason from kvm_intel's
# vcpu_vmx, and the VMM handling time from fentry on KVM_RUN), -p vmm
# --attach classic (the VMM handling time from testvmm's USDT probes),
# -p vmm -I 20 (from kvm_fpu, with a dump), and all VMs (with a dump). tracefs hist triggers, in an
# instance of their own, count the same run per thread: the oracle that
# knows nothing of vmexitprof. The guest has no Python, so the hists are
# kept as the kernel prints them (tests/lib/tracecount.py reads them).
. "$(dirname "$0")/../../lib/common.sh"
. tests/lib/profile.sh

inst=/sys/kernel/tracing/instances/rig-vmx-$$
# A hist trigger takes at most three keys.
triggers=(
	"kvm_exit hist:keys=common_pid,vcpu_id,exit_reason:vals=hitcount:size=8192"
	"kvm_entry hist:keys=common_pid,vcpu_id:vals=hitcount:size=8192"
	"kvm_userspace_exit hist:keys=common_pid,reason,errno:vals=hitcount:size=8192"
	"kvm_pio hist:keys=common_pid,rw,port:vals=hitcount:size=8192"
	"kvm_mmio hist:keys=common_pid,type,gpa:vals=hitcount:size=8192"
	"kvm_msr hist:keys=common_pid,write,ecx:vals=hitcount:size=8192"
)
remove_triggers() {
	local t
	for t in "${triggers[@]}"; do
		echo "!${t#* }" >"$inst/events/kvm/${t%% *}/trigger" 2>/dev/null || true
	done
	rmdir "$inst" 2>/dev/null || true
}
trap 'remove_triggers; cleanup_profile' EXIT
mkdir "$inst"
for t in "${triggers[@]}"; do
	echo "${t#* }" >"$inst/events/kvm/${t%% *}/trigger" || die "cannot set the trigger $t"
done

start_vmm vmm --vcpus 2 --scale 1,2 --cpuid 2000 --pio 200 --mmio 50 --hlt 10 \
	--rdmsr 300 --wrmsr 100 --hlt-sleep-us 5000
start_vmm bad --vcpus 1 --fail-entry --pio 20 --hlt 2
start_profiler prof -p "$vmm_pid" --per-vcpu --ports --mmio --json
start_profiler classic -p "$vmm_pid" --per-vcpu --json --attach classic --vmm-time usdt
start_profiler intervals -p "$vmm_pid" --per-vcpu -I 20 --json --vmm-time kvm_fpu \
	--heatmap-out "$tmp/intervals-dump.json"
start_profiler all --per-vcpu --json -d 600 --heatmap-out "$tmp/all-dump.json"
release_vmm vmm
release_vmm bad
wait_ok "$vmm_pid" "testvmm (vmm)"
wait_ok "$bad_pid" "testvmm --fail-entry (bad)"
wait_ok "$prof_pid" "vmexitprof -p (prof)"
wait_ok "$classic_pid" "vmexitprof -p --attach classic (classic)"
wait_ok "$intervals_pid" "vmexitprof -p -I (intervals)"
kill -INT "$all_pid"
wait_ok "$all_pid" "vmexitprof (all VMs) after SIGINT"

for t in "${triggers[@]}"; do
	event=${t%% *}
	cat "$inst/events/kvm/$event/hist" >"$OUT/hist.$event"
done
cp "$tmp"/*.json "$tmp"/*.out "$tmp"/*.err "$OUT/"
echo "testvmm pids: vmm $vmm_pid, bad $bad_pid"
