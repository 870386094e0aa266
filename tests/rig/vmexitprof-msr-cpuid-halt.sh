#!/usr/bin/env bash
# The host test, again where kvm_exit and kvm_entry fire (nested SVM, and
# real halt polling): see tests/host/vmexitprof-msr-cpuid-halt.sh.
exec "$(dirname "$0")/../host/vmexitprof-msr-cpuid-halt.sh"
