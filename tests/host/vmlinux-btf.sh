#!/usr/bin/env bash
# vmlinux-btf/vmlinux.h matches this kernel's BTF (tests/rig/vmlinux-btf.sh: the rig kernels').
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded: this kernel's BTF has no kvm types"
vmlinux-btf/check
