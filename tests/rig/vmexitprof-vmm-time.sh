#!/usr/bin/env bash
# The host test, again where kvm_exit fires too (nested SVM): see
# tests/host/vmexitprof-vmm-time.sh.
exec "$(dirname "$0")/../host/vmexitprof-vmm-time.sh"
