#!/usr/bin/env bash
# --msr, --cpuid and --halt inside the Intel rig: the host test's run
# (tests/host/vmexitprof-msr-cpuid-halt.sh), recorded only, into $OUT;
# tests/rig-vmx/msr-cpuid-halt.sh checks it on the host.
. "$(dirname "$0")/../../lib/common.sh"
exec tests/host/vmexitprof-msr-cpuid-halt.sh --collect-only "$OUT"
