#!/usr/bin/env bash
# The rig produces real exits: kvm_exit, kvm_entry, kvm_userspace_exit and
# kvm_pio, counted per thread by tracefs hist triggers, agree with
# testvmm's ground truth. vCPUs do different amounts (--scale) so that
# per-thread attribution is checked, not just totals.
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tests/lib/tracecount.py --out "$tmp/counts.json" -- \
	tests/vmm/testvmm --vcpus 2 --cpuid 500 --pio 50 --mmio 20 --hlt 5 --scale 1,3 >"$tmp/truth.json"

python3 - "$tmp/truth.json" "$tmp/counts.json" <<'EOF'
import json, sys
from collections import Counter

truth = json.load(open(sys.argv[1]))
counts = json.load(open(sys.argv[2]))
# SVM exit codes (arch/x86/include/uapi/asm/svm.h) and KVM_EXIT_* (linux/kvm.h).
SVM_CPUID, SVM_HLT, SVM_IOIO, SVM_NPF = 0x72, 0x78, 0x7B, 0x400
KVM_EXIT_IO, KVM_EXIT_HLT, KVM_EXIT_MMIO = 2, 5, 6
PIO_PORT, MMIO_GPA = 0x6000, 0xE0000

errors = []
def check(ok, what):
    if not ok:
        errors.append(what)

tids = {v["tid"]: v for v in truth["vcpus"]}
check(len(tids) == 2, "two vCPU threads in the ground truth")

def per_tid(event, field=None, **match):
    c = Counter()
    for row in counts[event]:
        k = row["key"]
        if all(k.get(f) == v for f, v in match.items()):
            c[k["common_pid"]] += row["hits"]
    return c

# Every kvm_exit/kvm_entry of the run is attributed to a vCPU thread, with
# the vcpu_id that thread has in the ground truth.
for event in ("kvm_exit", "kvm_entry"):
    for row in counts[event]:
        k = row["key"]
        v = tids.get(k["common_pid"])
        check(v is not None, f"{event} from unknown thread {k}")
        if v:
            check(k["vcpu_id"] == v["id"], f"{event} of tid {k['common_pid']} says vcpu {k['vcpu_id']}, ground truth {v['id']}")

exits = Counter(); entries = per_tid("kvm_entry")
cpuid = per_tid("kvm_exit", exit_reason=SVM_CPUID)
hlt = per_tid("kvm_exit", exit_reason=SVM_HLT)
ioio = per_tid("kvm_exit", exit_reason=SVM_IOIO)
npf = per_tid("kvm_exit", exit_reason=SVM_NPF)
u_io = per_tid("kvm_userspace_exit", reason=KVM_EXIT_IO, errno=0)
u_hlt = per_tid("kvm_userspace_exit", reason=KVM_EXIT_HLT, errno=0)
u_mmio = per_tid("kvm_userspace_exit", reason=KVM_EXIT_MMIO, errno=0)
pio_data = per_tid("kvm_pio", port=PIO_PORT, rw=1)
mmio_w = per_tid("kvm_mmio", gpa=MMIO_GPA, type=2)
for row in counts["kvm_exit"]:
    exits[row["key"]["common_pid"]] += row["hits"]

for tid, v in tids.items():
    c = v["caused"]
    name = f"vcpu {v['id']} (tid {tid})"
    io = c["pio"] + c["control"]
    check(u_io[tid] == io, f"{name}: userspace IO exits {u_io[tid]} != pio+control {io}")
    check(pio_data[tid] == c["pio"], f"{name}: kvm_pio writes to the data port {pio_data[tid]} != {c['pio']}")
    check(cpuid[tid] >= c["cpuid"], f"{name}: CPUID exits {cpuid[tid]} < {c['cpuid']}")
    check(hlt[tid] == c["hlt"], f"{name}: HLT exits {hlt[tid]} != {c['hlt']}")
    check(u_hlt[tid] == c["hlt"], f"{name}: userspace HLT exits {u_hlt[tid]} != {c['hlt']}")
    check(ioio[tid] == io, f"{name}: IOIO exits {ioio[tid]} != {io}")
    check(npf[tid] >= c["mmio"], f"{name}: NPF exits {npf[tid]} < mmio {c['mmio']}")
    check(u_mmio[tid] == c["mmio"], f"{name}: userspace MMIO exits {u_mmio[tid]} != {c['mmio']}")
    check(mmio_w[tid] == c["mmio"], f"{name}: kvm_mmio writes {mmio_w[tid]} != {c['mmio']}")
    # Each KVM_RUN enters once and the thread stops after its last exit.
    check(entries[tid] == exits[tid], f"{name}: kvm_entry {entries[tid]} != kvm_exit {exits[tid]}")
    # testvmm's own KVM_RUN returns agree with the kernel's view.
    r = v["kvm_run_returns"]
    check(r.get("IO", 0) == u_io[tid], f"{name}: testvmm saw {r.get('IO', 0)} IO returns, tracefs {u_io[tid]}")

# --scale 1,3: the second vCPU did three times the first.
v0, v1 = sorted(truth["vcpus"], key=lambda v: v["id"])
check(v1["caused"]["cpuid"] == 3 * v0["caused"]["cpuid"] == 1500, "scaled cpuid counts 500 and 1500")
check(v1["caused"]["pio"] == 3 * v0["caused"]["pio"] == 150, "scaled pio counts 50 and 150")

for e in errors:
    print("assertion failed:", e)
print("tracefs per thread:", {t: dict(cpuid=cpuid[t], ioio=ioio[t], hlt=hlt[t], npf=npf[t], entries=entries[t]) for t in tids})
sys.exit(1 if errors else 0)
EOF
