#!/usr/bin/env bash
# Both attach modes on VMX, at once on the same run: the default tp_btf
# programs (the exit reason read from kvm_intel's vcpu_vmx with CO-RE
# against its module BTF, the vCPU from vcpu_idx) and the classic
# tracepoints give identical counts per vCPU and reason, every reason
# (EXTERNAL_INTERRUPT and EPT ones included), with the same names; and the
# failed-entry flag alike (none in this VM).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth = json_file(d, "vmm.json")
btf, classic = json_file(d, "prof.out"), json_file(d, "classic.out")
check(btf["attach"] == "tp_btf", f"the default: attach {btf['attach']}")
check(classic["attach"] == "classic", f"--attach classic: attach {classic['attach']}")
rows = lambda prof: {(v["vcpu"], r["name"], r["failed_vmentry"]): r["count"]
                     for v in vm_of(prof, truth["pid"])["vcpus"] for r in v["reasons"]}
print("tp_btf:", sorted(rows(btf).items()))
check(len(rows(btf)) >= 6, f"tp_btf rows: {rows(btf)}")
check(rows(btf) == rows(classic), f"tp_btf {rows(btf)} != classic {rows(classic)}")
finish()
PY
