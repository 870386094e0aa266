#!/usr/bin/env bash
# Real QEMU (Debian's, KVM accelerated inside the rig) booting its firmware,
# recorded at once by perf kvm stat and by two vmexitprofs, --attach btf
# and --attach classic: the three agree on every exit reason's count.
# QEMU waits (-S) until all three are attached, and each ends with QEMU.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

mkfifo "$tmp/monitor"
qemu-system-x86_64 -enable-kvm -name guest=rigvm,debug-threads=on -m 64 -nodefaults \
	-no-user-config -display none -serial null -S -monitor stdio <"$tmp/monitor" >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!
exec 3>"$tmp/monitor"
for _ in $(seq 100); do
	ls -l "/proc/$qemu_pid/fd" 2>/dev/null | grep -q 'kvm-vm' && break
	sleep 0.1
done
perf kvm -o "$tmp/perf.data" stat record -p "$qemu_pid" >"$tmp/perf.rec" 2>&1 &
perf_pid=$!
start_profiler btf -p "$qemu_pid" --json --attach btf
start_profiler classic -p "$qemu_pid" --json --attach classic
# perf says nothing once attached: give it time, then check it is still there.
sleep 3
kill -0 "$perf_pid" 2>/dev/null || die "perf kvm stat record ended early: $(cat "$tmp/perf.rec")"
echo cont >&3
sleep 6
echo quit >&3
wait "$qemu_pid" || true
wait_ok "$btf_pid" "vmexitprof --attach btf"
wait_ok "$classic_pid" "vmexitprof --attach classic"
wait_ok "$perf_pid" "perf kvm stat record"
PAGER=cat perf kvm -i "$tmp/perf.data" stat report --event=vmexit >"$tmp/perf.out" 2>&1 ||
	die "perf kvm stat report failed: $(cat "$tmp/perf.out")"

python3 - "$tmp/btf.out" "$tmp/classic.out" "$tmp/perf.out" "$qemu_pid" <<'PY'
import re, sys
sys.path.insert(0, "tests/lib")
from reports import *

btf, classic, pid = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[4])
perf = {}
for line in open(sys.argv[3]):
    m = re.match(r"^\s+(\S+)\s+(\d+)\s+[\d.]+%", line)
    if m:
        perf[m.group(1)] = int(m.group(2))
check(btf["attach"] == "tp_btf" and classic["attach"] == "classic",
      f"attach modes {btf['attach']}, {classic['attach']}")
counts = lambda r: {x["name"]: x["count"] for vm in r["vms"] if vm["pid"] == pid for x in vm["reasons"]}
print("perf:", perf)
print("tp_btf:", counts(btf))
check(sum(perf.values()) > 1000, f"the firmware caused exits: {perf}")
check(counts(btf) == counts(classic), f"tp_btf {counts(btf)} != classic {counts(classic)}")
check(counts(btf) == perf, f"vmexitprof {counts(btf)} != perf {perf}")
finish()
PY
