#!/usr/bin/env bash
# vmexitprof built for arm64 (make ARCH=arm64) profiles arm64 KVM for
# real: per vCPU and (exception type, class), its counts, latencies,
# returns to userspace, VMM handling times, honesty counters and -I
# intervals against oracles that know nothing of it. In the guest: testvmm
# under the kernel's hist triggers (counts) and a tracefs instance that
# records every kvm_exit, kvm_entry, kvm_userspace_exit and
# sys_enter_ioctl with the mono clock (bpf_ktime_get_ns's), for the
# latencies; four vmexitprof on the same VM (--json --mmio; -I 100
# --json; text with --hist WFx; --vcpu 1 --json). vmexitprof-vs-testvmm.check compares them
# on the host with testvmm's ground truth. vCPUs do different amounts
# (--scale 1,3), so per-vCPU attribution from the thread names is checked.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/tracefs-hist.sh
. tests/lib/profile.sh

out=${TEST_OUT:?TEST_OUT: run me with tests/lib/run-split-suite}
b=build/arm64
[[ -x $b/testvmm && -x $b/vmexitprof ]] || die "no $b/testvmm or $b/vmexitprof: run 'make ARCH=arm64'"
TESTVMM=$b/testvmm
vmexitprof_cmd=("$b/vmexitprof")

hist_add kvm/kvm_exit common_pid,ret,esr_ec
hist_add kvm/kvm_entry common_pid
hist_add kvm/kvm_userspace_exit common_pid,reason,errno

tracefs=/sys/kernel/tracing
rec=$tracefs/instances/vmexitprof-vs-testvmm-$$
record_start() {
	mkdir "$rec"
	echo mono >"$rec/trace_clock"
	echo 8192 >"$rec/buffer_size_kb"
	for e in kvm/kvm_exit kvm/kvm_entry kvm/kvm_userspace_exit syscalls/sys_enter_ioctl; do
		echo 1 >"$rec/events/$e/enable"
	done
}
record_stop() {
	echo 0 >"$rec/tracing_on"
	cat "$rec/trace" >"$out/trace.txt"
	cat "$rec"/per_cpu/cpu*/stats >"$out/trace.stats"
	rmdir "$rec"
}

run() {
	start_vmm vmm --vcpus 2 --scale 1,3 \
		--phase sysreg=200,hvc=100,mmio=30,mmio_read=20,wfi=10 --phase hvc=10,wfi=5,sysreg=20
	for t in /proc/$vmm_pid/task/*; do
		echo "${t##*/} $(cat "$t/comm")"
	done >"$out/threads.txt"
	start_profiler prof -p "$vmm_pid" --per-vcpu --mmio --json
	start_profiler intervals -p "$vmm_pid" --per-vcpu -I 100 --json
	start_profiler text -p "$vmm_pid" --per-vcpu --hist WFx
	start_profiler vcpu1 -p "$vmm_pid" --per-vcpu --vcpu 1 --json
	record_start
	release_vmm vmm
	wait_ok "$vmm_pid" testvmm
	for p in prof intervals text vcpu1; do
		pid_var=${p}_pid
		wait_ok "${!pid_var}" "vmexitprof ($p)"
	done
	record_stop
	cp "$tmp/vmm.json" "$out/truth.json"
	for p in prof intervals text vcpu1; do
		cp "$tmp/$p.out" "$out/$p.out"
		cp "$tmp/$p.err" "$out/$p.err"
	done
}
hist_run "$out" run || die "testvmm, vmexitprof or the hist triggers failed"
