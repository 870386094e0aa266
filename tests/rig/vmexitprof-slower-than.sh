#!/usr/bin/env bash
# The host test where kvm_exit fires (nested SVM): --slower-than events against
# testvmm's slow exits and the guest's own TSC. See tests/host/vmexitprof-slower-than.sh.
exec "$(dirname "$0")/../host/vmexitprof-slower-than.sh" "$@"
