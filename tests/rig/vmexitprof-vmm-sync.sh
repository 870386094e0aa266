#!/usr/bin/env bash
# The host test in the rig kernels (kvm_amd, nested SVM): see
# tests/host/vmexitprof-vmm-sync.sh.
exec "$(dirname "$0")/../host/vmexitprof-vmm-sync.sh"
