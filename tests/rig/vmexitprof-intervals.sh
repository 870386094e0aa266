#!/usr/bin/env bash
# The host test where kvm_exit fires (nested SVM): phases of CPUID, port
# writes and HLT, with exit-to-entry heatmaps. See tests/host/vmexitprof-intervals.sh.
exec "$(dirname "$0")/../host/vmexitprof-intervals.sh"
