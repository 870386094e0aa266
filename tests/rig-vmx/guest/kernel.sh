#!/usr/bin/env bash
# Facts about the Intel rig's guest, for tests/rig-vmx/kernel.sh: the
# kernel, the CPU's VMX flags, kvm_intel's parameters, the module BTF and
# kvm_exit's format (the kernel's own names of VMX exit reasons).
. "$(dirname "$0")/../../lib/common.sh"
uname -r >"$OUT/uname"
grep -m1 -e '^flags' /proc/cpuinfo >"$OUT/cpu-flags"
grep -m1 -e '^vmx flags' /proc/cpuinfo >"$OUT/vmx-flags"
for p in ept unrestricted_guest; do
	echo "$p=$(cat /sys/module/kvm_intel/parameters/$p)"
done >"$OUT/kvm_intel-parameters"
ls /sys/kernel/btf >"$OUT/btf"
ls -l /dev/kvm >"$OUT/dev-kvm"
cp /sys/kernel/tracing/events/kvm/kvm_exit/format "$OUT/kvm_exit-format"
