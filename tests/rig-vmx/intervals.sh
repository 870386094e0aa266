#!/usr/bin/env bash
# -I 20 on VMX: one JSON line per interval, abutting, then the total; the
# intervals' rows and counters add up to the total (exits_pending is the
# run's alone), the total's CPUID, MSR and HLT rows equal testvmm's ground
# truth, and the dump renders here (this host's build, 'report FILE') as
# a text table with the kernel's VMX names and those counts.
. "$(dirname "$0")/../lib/common.sh"
[[ -x ./vmexitprof ]] || die "./vmexitprof is not built (make)"
dump=$(python3 -c 'import sys; sys.path.insert(0, "tests/lib"); from rigvmx import *; print(path(scenario("exits"), "intervals-dump.json"))') ||
	{ echo "$dump"; exit 1; }
text=$(./vmexitprof report "$dump") || die "vmexitprof report failed on the guest's dump"
python3 - "$text" <<'PY'
import json, re, sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("exits")
truth = json_file(d, "vmm.json")
lines = [json.loads(l) for l in open(path(d, "intervals.out"))]
intervals, total = lines[:-1], lines[-1]
check(total["type"] == "total" and all(l["type"] == "interval" for l in intervals), f"types {[l['type'] for l in lines]}")
check([l["interval"] for l in intervals] == list(range(1, len(intervals) + 1)), "interval numbers")
check(all(a["end_ns"] == b["start_ns"] for a, b in zip(intervals, intervals[1:])), "intervals abut")
busy = [l for l in intervals if l["counters"]["exits"]]
check(len(busy) >= 2, f"only {len(busy)} of {len(intervals)} intervals had exits: nothing to add up")

def rows(doc, field, key):
    out = Counter()
    for vm in doc["vms"]:
        for v in vm["vcpus"]:
            for r in v[field]:
                out[(v["vcpu"], r[key])] += r["count"]
    return out

for field, key in (("reasons", "code"), ("userspace", "reason")):
    summed = sum((rows(l, field, key) for l in intervals), Counter())
    check(summed == rows(total, field, key), f"{field}: intervals {dict(summed)} != total {dict(rows(total, field, key))}")
for c in total["counters"]:
    if c == "exits_pending":
        check(all(l["counters"][c] is None for l in intervals), "exits_pending is the run's alone")
        continue
    s = sum(l["counters"][c] for l in intervals)
    check(s == total["counters"][c], f"counter {c}: intervals {s} != total {total['counters'][c]}")
vm = vm_of(total, truth["pid"])
vcpus = vcpus_of(vm)
for v in truth["vcpus"]:
    check_vmx_exit_counts(vcpus.get(v["id"], {"reasons": []})["reasons"], v["caused"], f"total, vcpu {v['id']}")
# The text of the dump: the kernel's names, the ground truth's counts.
table = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+) +(\d+) +[\d.]+%", sys.argv[1], re.M)}
want = {"CPUID": sum(v["caused"]["cpuid"] for v in truth["vcpus"]),
        "MSR_READ": sum(v["caused"]["rdmsr"] for v in truth["vcpus"]),
        "MSR_WRITE": sum(v["caused"]["wrmsr"] for v in truth["vcpus"]),
        "HLT": sum(v["caused"]["hlt"] for v in truth["vcpus"])}
check({k: table.get(k) for k in want} == want, f"report's table {table} != {want}")
print(f"{len(intervals)} intervals, {len(busy)} with exits; report table: {table}")
finish()
PY
