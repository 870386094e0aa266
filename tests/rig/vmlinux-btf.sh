#!/usr/bin/env bash
# vmlinux-btf/vmlinux.h matches this rig kernel's BTF (kvm's types in its module BTF).
exec "$(dirname "$0")/../host/vmlinux-btf.sh"
