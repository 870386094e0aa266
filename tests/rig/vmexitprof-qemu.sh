#!/usr/bin/env bash
# Real QEMU (Debian's, KVM accelerated inside the rig) booting its firmware,
# profiled with -p: the report names it by -name and shows its vCPU with
# plausible IO, NPF and HLT rows.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

# -S: the VM exists but waits for "cont" on the monitor, so the profiler
# is attached before the firmware runs.
mkfifo "$tmp/monitor"
qemu-system-x86_64 -enable-kvm -name guest=rigvm,debug-threads=on -m 64 -nodefaults \
	-no-user-config -display none -S -monitor stdio <"$tmp/monitor" >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!
exec 3>"$tmp/monitor"
for _ in $(seq 100); do
	ls -l "/proc/$qemu_pid/fd" 2>/dev/null | grep -q 'kvm-vm' && break
	sleep 0.1
done
start_profiler prof -p "$qemu_pid" -d 8 --per-vcpu --json
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
vm = prof["vms"][0]
check(vm["name"] == "rigvm", f"name from -name guest=rigvm: {vm['name']!r}")
check(vm["exited"] is False, "QEMU was still running at the end")
check([v["vcpu"] for v in vm["vcpus"]] == [0], f"one vCPU, id 0: {[v['vcpu'] for v in vm['vcpus']]}")
rows = vm["reasons"]
for code, name in ((SVM_IOIO, "io"), (SVM_NPF, "npf"), (SVM_HLT, "hlt")):
    check(count(rows, code) > 0, f"firmware causes {name} exits: {[(r['name'], r['count']) for r in rows]}")
check_latencies(rows, "qemu")
print("rows:", [(r["name"], r["count"]) for r in rows])
finish()
PY
