#!/usr/bin/env bash
# vmlinux-btf/vmlinux.h matches this kernel's BTF (tests/rig/vmlinux-btf.sh: the rig kernels').
. "$(dirname "$0")/../lib/common.sh"
vmlinux-btf/check
