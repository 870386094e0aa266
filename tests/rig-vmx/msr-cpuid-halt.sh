#!/usr/bin/env bash
# --msr, --cpuid and --halt on VMX: what the guest scenario recorded,
# checked as tests/host/vmexitprof-msr-cpuid-halt.sh checks it (reports.py
# check_msr_cpuid_halt, with VMX's MSR_READ, MSR_WRITE, CPUID and HLT).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *
from reports import check_msr_cpuid_halt

d = scenario("msr-cpuid-halt")
prof = json_file(d, "prof.out")
check_msr_cpuid_halt(json_file(d, "vmm.json"), prof, open(path(d, "wakeup.trace")).read())
print("halts:", {h["kind"]: h["count"] for vm in prof["vms"] for h in vm["halts"]},
      "msrs:", len(prof["vms"][0]["msrs"]), "rows")
finish()
PY
