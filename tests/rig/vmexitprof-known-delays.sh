#!/usr/bin/env bash
# The host test where kvm_exit fires too (nested SVM): the io exit histogram
# as well as the VMM handling time. See tests/host/vmexitprof-known-delays.sh.
exec "$(dirname "$0")/../host/vmexitprof-known-delays.sh" "$@"
