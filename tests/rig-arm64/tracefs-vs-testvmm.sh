#!/usr/bin/env bash
# The arm64 rig produces real exits: kvm_exit per (exception type,
# exception class), kvm_entry, kvm_userspace_exit and the handlers' own
# tracepoints (kvm_mmio, kvm_hvc_arm64, kvm_wfx_arm64, kvm_sys_access,
# kvm_handle_sys_reg), counted per thread by tracefs hist triggers, agree
# with testvmm's ground truth. In the guest: run testvmm under the
# triggers, keep its JSON, its threads' names and the hists in TEST_OUT;
# tracefs-vs-testvmm.check compares them on the host. vCPUs do different
# amounts (--scale) so that per-thread attribution is checked, and the
# second phase has WFIs with no MMIO before them.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/tracefs-hist.sh

out=${TEST_OUT:?TEST_OUT: run me with tests/lib/run-split-suite}
testvmm=build/arm64/testvmm
[[ -x $testvmm ]] || die "no $testvmm: run 'make ARCH=arm64'"

hist_add kvm/kvm_exit common_pid,ret,esr_ec
hist_add kvm/kvm_entry common_pid
hist_add kvm/kvm_userspace_exit common_pid,reason,errno
hist_add kvm/kvm_mmio common_pid,type,gpa
hist_add kvm/kvm_hvc_arm64 common_pid,r0,imm
hist_add kvm/kvm_wfx_arm64 common_pid,is_wfe
hist_add kvm/kvm_sys_access common_pid,CRm,Op2
hist_add kvm/kvm_handle_sys_reg common_pid,hsr

# testvmm with the options given (testvmm-duration.sh gives others), and
# the vCPU threads' names, read while it waits at its start gate.
testvmm_args=(--vcpus 2 --scale 1,3
	--phase sysreg=200,hvc=100,mmio=30,mmio_read=20,wfi=10
	--phase hvc=10,wfi=5)
[[ -z ${TESTVMM_ARGS-} ]] || read -r -a testvmm_args <<<"$TESTVMM_ARGS"
run_testvmm() {
	local go=/tmp/tracefs-vs-testvmm.go pid t
	rm -f "$go"
	"$testvmm" "${testvmm_args[@]}" --wait-for "$go" >"$out/truth.json" 2>"$out/testvmm.err" &
	pid=$!
	for _ in $(seq 300); do grep -q ready "$out/testvmm.err" && break; sleep 0.1; done
	for t in /proc/$pid/task/*; do
		echo "${t##*/} $(cat "$t/comm")"
	done >"$out/threads.txt"
	touch "$go"
	wait "$pid"
}
hist_run "$out" run_testvmm || die "testvmm or the hist triggers failed: $(cat "$out/testvmm.err")"
