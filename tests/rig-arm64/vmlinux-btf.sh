#!/usr/bin/env bash
# vmlinux-btf/vmlinux.h's arm64 types against the arm64 guest kernel's own
# BTF (kvm is built in: vmlinux's): the guest copies its BTF into TEST_OUT,
# and vmlinux-btf.check runs vmlinux-btf/check --arch arm64 on it here
# (the guest has neither python3 nor bpftool).
. "$(dirname "$0")/../lib/common.sh"
out=${TEST_OUT:?TEST_OUT: run me with tests/lib/run-split-suite}
[[ -r /sys/kernel/btf/vmlinux ]] || die "no /sys/kernel/btf/vmlinux in the arm64 guest"
cp /sys/kernel/btf/vmlinux "$out/vmlinux"
uname -r >"$out/kernel"
