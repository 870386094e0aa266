#!/usr/bin/env bash
# The rig booted the kernel it was asked for, with real KVM: /dev/kvm, the
# kvm tracepoints, and an SVM guest CPU.
. "$(dirname "$0")/../lib/common.sh"

[[ -n ${VMRUN_KERNEL:-} ]] || die "not inside tests/vm/run"
assert_match "$(uname -r)" "^${VMRUN_KERNEL//./\\.}\." "guest kernel"
[[ -c /dev/kvm ]] || die "no /dev/kvm"
for e in kvm_exit kvm_entry kvm_userspace_exit; do
	[[ -f /sys/kernel/tracing/events/kvm/$e/format ]] || die "no kvm:$e tracepoint"
done
grep -q -w svm /proc/cpuinfo || die "guest CPU has no SVM flag"
