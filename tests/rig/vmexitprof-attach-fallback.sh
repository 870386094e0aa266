#!/usr/bin/env bash
# The classic tracepoints as the fallback, for real. Where the tp_btf
# programs cannot load, auto says so in one line and takes the classic
# ones, whose counts equal testvmm's ground truth; --attach btf ends with
# one line instead. What makes the tp_btf load fail is a real CO-RE
# relocation failure in libbpf and the verifier: the test-only
# VMEXITPROF_TEST_BTF=FILE has the tp_btf attempt relocate against FILE
# instead of the kernel's BTF (docs/tests.md):
#   - /sys/kernel/btf/vmlinux alone: the module BTF hidden (kvm_vcpu is
#     kvm.ko's, kvm_amd's vcpu_svm kvm_amd.ko's);
#   - kernel types without kvm_vcpu.vcpu_idx: a field gone;
#   - kernel types without kvm_amd's vcpu_svm: the vendor module's BTF
#     missing, which would otherwise read every exit reason as unreadable.
# The last two are built here from vmlinux-btf/vmlinux.h with clang.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh
[[ -d /sys/module/kvm_amd ]] || skip "needs kvm_amd (the rig)"

for gone in vcpu_idx vcpu_svm; do
	cat >"$tmp/no-$gone.c" <<C
#define $gone ${gone}_absent
#include "vmlinux.h"
struct kvm_vcpu *a;
struct vcpu_svm *b;
struct task_struct *c;
struct pt_regs *d;
C
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Ivmlinux-btf -c -o "$tmp/no-$gone.o" "$tmp/no-$gone.c" ||
		die "cannot build the BTF without $gone"
done

VMM_ARGS=(--vcpus 2 --cpuid 300 --pio 40 --hlt 5 --scale 1,2)
fallback='^vmexitprof: the BTF-typed \(tp_btf\) programs do not load here \([^)]*: no BTF for the kvm modules, or a CO-RE relocation failed\); classic tracepoints instead$'

# profile CASE BTF: testvmm under vmexitprof with VMEXITPROF_TEST_BTF=BTF ("" for none).
profile() {
	local case=$1 btf=$2 pid_var
	start_vmm "vmm_$case" "${VMM_ARGS[@]}"
	pid_var=vmm_${case}_pid
	if [[ -n $btf ]]; then
		VMEXITPROF_TEST_BTF=$btf start_profiler "$case" -p "${!pid_var}" --per-vcpu --json
	else
		start_profiler "$case" -p "${!pid_var}" --per-vcpu --json
	fi
	release_vmm "vmm_$case"
	wait_ok "${!pid_var}" "testvmm ($case)"
	pid_var=${case}_pid
	wait_ok "${!pid_var}" "vmexitprof ($case)"
	python3 - "$tmp/vmm_$case.json" "$tmp/$case.out" "$case" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *
truth, prof, case = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
check(prof["attach"] == ("tp_btf" if case == "default" else "classic"), f"{case}: attach {prof['attach']}")
vcpus = {v["vcpu"]: v["reasons"] for v in prof["vms"][0]["vcpus"]}
for v in truth["vcpus"]:
    check_exit_counts(vcpus.get(v["id"], []), v["caused"], f"{case}: vcpu {v['id']}")
finish()
PY
}

profile default ""
! grep -q "do not load" "$tmp/default.err" || die "default: $(cat "$tmp/default.err")"
grep -q "; tp_btf tracepoints)" "$tmp/default.err" || die "default: $(cat "$tmp/default.err")"

for case in vmlinux no-vcpu_idx no-vcpu_svm; do
	btf=/sys/kernel/btf/vmlinux
	[[ $case == vmlinux ]] || btf=$tmp/$case.o
	profile "${case//-/_}" "$btf"
	err=$(cat "$tmp/${case//-/_}.err")
	# One line, then the attach line naming classic.
	assert_match "$(sed -n 1p <<<"$err")" "$fallback" "$case: the fallback line"
	assert_match "$(sed -n 2p <<<"$err")" "^Tracing KVM exits \(VMM handling time from [a-z_]+; classic tracepoints\)" \
		"$case: the attach line"
done

# Asked for: no fallback, one line and exit status 1.
start_vmm held --vcpus 1 --pio 10
rc=0
out=$(VMEXITPROF_TEST_BTF=/sys/kernel/btf/vmlinux ./vmexitprof -p "$held_pid" --attach btf -d 1 2>&1) || rc=$?
release_vmm held
wait_ok "$held_pid" "testvmm (held)"
assert_eq "$rc" 1 "--attach btf that cannot load: exit status"
assert_match "$out" '^vmexitprof: --attach=btf: the BTF-typed \(tp_btf\) programs do not load here \([^)]*\); --attach=classic works without$' \
	"--attach btf that cannot load"
