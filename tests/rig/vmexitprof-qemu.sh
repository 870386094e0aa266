#!/usr/bin/env bash
# Real QEMU (Debian's, KVM accelerated inside the rig) booting its firmware,
# profiled with -p: the report names it by -name and shows its vCPU with
# plausible IO, NPF and HLT rows, and --ports shows the ports the firmware
# really uses (PCI config, CMOS, serial) with QEMU's handling times.
# Debian's QEMU has no USDT probes: --vmm-time=usdt says so and falls back.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

# -S: the VM exists but waits for "cont" on the monitor, so the profiler
# is attached before the firmware runs.
mkfifo "$tmp/monitor"
qemu-system-x86_64 -enable-kvm -name guest=rigvm,debug-threads=on -m 64 -nodefaults \
	-no-user-config -display none -serial null -S -monitor stdio <"$tmp/monitor" >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!
exec 3>"$tmp/monitor"
for _ in $(seq 100); do
	ls -l "/proc/$qemu_pid/fd" 2>/dev/null | grep -q 'kvm-vm' && break
	sleep 0.1
done
start_profiler prof -p "$qemu_pid" -d 8 --per-vcpu --ports --json --vmm-time=usdt
assert_match "$(cat "$tmp/prof.err")" "vmexitprof: process $qemu_pid \(rigvm\) has no qemu:kvm_run_exit and qemu:kvm_vcpu_ioctl USDT probes \(a QEMU built without the dtrace trace backend[^)]*\)"$'\n'"vmexitprof: VMM handling time from kvm_fpu instead"$'\n'"Tracing KVM exits for the given duration \(VMM handling time from kvm_fpu; tp_btf tracepoints\)" "USDT fallback note"
echo cont >&3
wait_ok "$prof_pid" vmexitprof
echo quit >&3
wait "$qemu_pid" || true

python3 - "$tmp/prof.out" "$qemu_pid" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

prof, pid = load(sys.argv[1]), int(sys.argv[2])
check([vm["pid"] for vm in prof["vms"]] == [pid], f"VMs {[vm['pid'] for vm in prof['vms']]}")
check(prof["vmm_time_source"] == "kvm_fpu", f"fell back to kvm_fpu: {prof['vmm_time_source']}")
vm = prof["vms"][0]
check(vm["name"] == "rigvm", f"name from -name guest=rigvm: {vm['name']!r}")
check(vm["exited"] is False, "QEMU was still running at the end")
check([v["vcpu"] for v in vm["vcpus"]] == [0], f"one vCPU, id 0: {[v['vcpu'] for v in vm['vcpus']]}")
rows = vm["reasons"]
for code, name in ((SVM_IOIO, "io"), (SVM_NPF, "npf"), (SVM_HLT, "hlt")):
    check(count(rows, code) > 0, f"firmware causes {name} exits: {[(r['name'], r['count']) for r in rows]}")
check_latencies(rows, "qemu")
print("rows:", [(r["name"], r["count"]) for r in rows])
# --ports: the firmware's real ports, handled by QEMU (to userspace, with a handling time).
ports = {}
for p in vm["ports"]:
    ports.setdefault(p["port"], []).append(p)
print("ports:", sorted((hex(k), sum(p["count"] for p in v)) for k, v in ports.items()))
# Writes to the CMOS index port are coalesced by QEMU (KVM buffers them):
# used, never handed over. Reads of the data ports (0xcfc, 0x71) go to QEMU,
# which KVM traces only once they are done, in the next KVM_RUN.
for port, what, handed, dirs in ((0xcf8, "PCI config address", True, ("write",)),
                                 (0xcfc, "PCI config data reads", True, ("read",)),
                                 (0x70, "CMOS index writes", False, ("write",)),
                                 (0x71, "CMOS data reads", True, ("read",)),
                                 (0x3f9, "serial (0x3f8 + 1)", True, ("read", "write"))):
    got = [p for p in ports.get(port, []) if p["dir"] in dirs]
    check(sum(p["count"] for p in got) > 0, f"{what} port {port:#x} used by the firmware")
    check((sum(p["handled"] for p in got) > 0) == handed,
          f"{what} port {port:#x}: QEMU handling time {'expected' if handed else 'unexpected'}: {got}")
    for p in got:
        check(p["to_userspace"] <= p["count"] and p["handled"] <= p["to_userspace"], f"{port:#x}: {p}")
        if p["handled"]:
            check(0 < p["handled_min_ns"] <= p["handled_total_ns"] / p["handled"] <= p["handled_max_ns"],
                  f"{port:#x}: handling time order {p}")
finish()
PY
