#!/usr/bin/env bash
# testvmm on this host's KVM (PVM runs its real-mode guest too): phases and
# per-vCPU scale give exact KVM_RUN returns per reason, vCPU threads are
# named like QEMU's, hot-added vCPUs can take finished ones' thread ids,
# and its QEMU-style USDT probes exist (with semaphores) and fire once per
# KVM_RUN return (qemu:kvm_run_exit) and per vCPU ioctl.
. "$(dirname "$0")/../lib/common.sh"
[[ -c /dev/kvm ]] || skip "no /dev/kvm on this host"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; perf probe -q -d "sdt_qemu:*" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# Thread names, while the vCPUs are held.
tests/vmm/testvmm --vcpus 3 --pio 1 --wait-for "$tmp/go" >/dev/null 2>"$tmp/err" &
vmm=$!
for _ in $(seq 100); do grep -q ready "$tmp/err" && break; sleep 0.1; done
names=$(cat /proc/$vmm/task/*/comm | grep '/KVM$' | sort | tr '\n' ,)
assert_eq "$names" "CPU 0/KVM,CPU 1/KVM,CPU 2/KVM," "vCPU thread names"
touch "$tmp/go"
wait $vmm || die "testvmm failed"

# Phases with a per-vCPU scale, port and MMIO reads among them (the guest
# checks each read returned the VMM's byte).
tests/vmm/testvmm --vcpus 2 --scale 1,2 --phase cpuid=10,pio=2,pio_in=3 --phase mmio=4,hlt=3,mmio_read=2 \
	>"$tmp/truth.json"
python3 - "$tmp/truth.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
errors = []
for v in t["vcpus"]:
    s = 1 + v["id"]
    want = {"cpuid": 10 * s, "pio": 2 * s, "mmio": 4 * s, "hlt": 3 * s, "rdmsr": 0, "wrmsr": 0,
            "pio_in": 3 * s, "mmio_read": 2 * s, "control": 2, "fail_entry": 0}
    if v["caused"] != want:
        errors.append(f"vcpu {v['id']}: caused {v['caused']} != {want}")
    runs = {"IO": 2 * s + 3 * s + 2, "MMIO": 4 * s + 2 * s, "HLT": 3 * s, "EINTR": 0}
    if v["kvm_run_returns"] != runs:
        errors.append(f"vcpu {v['id']}: kvm_run_returns {v['kvm_run_returns']} != {runs}")
    ends = v["phase_ends_ns"]
    if len(ends) != 2 or not t["start_ns"] <= ends[0] <= ends[1] <= t["end_ns"]:
        errors.append(f"vcpu {v['id']}: phase ends {ends} not two, in order, within the run")
for e in errors:
    print("assertion failed:", e)
sys.exit(1 if errors else 0)
PY

# Hot-add: vCPUs 2 and 3 start once 0 and 1 are done, on threads that got
# 0's and 1's thread ids back (--reuse-tids; root in the initial pid
# namespace here). --linger-for keeps the VM after the JSON; start_ticks is
# /proc/PID/stat's starttime.
tests/vmm/testvmm --vcpus 4 --hot-add 2 --reuse-tids --scale 1,2,3,4 --pio 5 --hlt 1 \
	--linger-for "$tmp/leave" >"$tmp/hot.json" 2>"$tmp/hot.err" &
vmm=$!
for _ in $(seq 100); do [[ -s $tmp/hot.json ]] && break; sleep 0.1; done
kill -0 $vmm 2>/dev/null || die "testvmm did not linger after its JSON: $(cat "$tmp/hot.err")"
start=$(awk '{ print $22 }' /proc/$vmm/stat)
touch "$tmp/leave"
wait $vmm || die "testvmm --hot-add failed: $(cat "$tmp/hot.err")"
python3 - "$tmp/hot.json" "$start" <<'PY'
import json, sys
t, start = json.load(open(sys.argv[1])), int(sys.argv[2])
errors = []
if t["start_ticks"] != start:
    errors.append(f"start_ticks {t['start_ticks']} != /proc/PID/stat's {start}")
v = t["vcpus"]
if [x["hot_added"] for x in v] != [False, False, True, True]:
    errors.append(f"hot_added {[x['hot_added'] for x in v]}")
if [v[2]["tid"], v[3]["tid"]] != [v[0]["tid"], v[1]["tid"]]:
    errors.append(f"thread ids not reused: {[x['tid'] for x in v]}")
for x in v:
    s = x["id"] + 1
    if x["caused"] != {"cpuid": 0, "pio": 5 * s, "mmio": 0, "hlt": s, "rdmsr": 0, "wrmsr": 0,
                       "pio_in": 0, "mmio_read": 0, "control": 1, "fail_entry": 0}:
        errors.append(f"vcpu {x['id']}: caused {x['caused']}")
for e in errors:
    print("assertion failed:", e)
sys.exit(1 if errors else 0)
PY
expect_status 2 tests/vmm/testvmm --vcpus 2 --hot-add 2
assert_match "$err" "^testvmm: --hot-add: 2 of 2 vCPUs leaves none to start with$"
expect_status 2 tests/vmm/testvmm --vcpus 3 --hot-add 2 --reuse-tids
assert_match "$err" "^testvmm: --reuse-tids needs --hot-add K with K at most --vcpus - K$"
expect_status 2 tests/vmm/testvmm --vcpus 2 --reuse-tids
expect_status 2 tests/vmm/testvmm --vcpus 2 --hot-add 1 --duration 1
assert_match "$err" "^testvmm: --hot-add needs count mode"
expect_status 2 tests/vmm/testvmm --slow-every 3
assert_match "$err" "^testvmm: --slow-every and --slow-ms go together$"
expect_status 2 tests/vmm/testvmm --slow-every 0 --slow-ms 5
assert_match "$err" "^testvmm: --slow-every: must be at least 1$"
expect_status 2 tests/vmm/testvmm --sync-sleep-us 5
assert_match "$err" "^testvmm: --sync-sleep-us needs --sync-state$"

# USDT: the notes, each with a semaphore, then the probes firing.
notes=$(readelf -n tests/vmm/testvmm)
for probe in kvm_vcpu_ioctl kvm_run_exit; do
	grep -A3 "Provider: qemu" <<<"$notes" | grep -A2 "Name: $probe" | grep -q -E 'Semaphore: 0x0*[1-9a-f]' ||
		die "no qemu:$probe note with a semaphore: $notes"
done
command -v perf >/dev/null || skip "perf is missing: cannot fire the USDT probes"
export PERF_BUILDID_DIR=$tmp/buildid
perf buildid-cache --add tests/vmm/testvmm
perf probe -q -x tests/vmm/testvmm -a sdt_qemu:kvm_run_exit -a sdt_qemu:kvm_vcpu_ioctl
perf stat -x, -e sdt_qemu:kvm_run_exit -e sdt_qemu:kvm_vcpu_ioctl -o "$tmp/stat" -- \
	tests/vmm/testvmm --vcpus 2 --pio 10 --hlt 3 --scale 1,2 >"$tmp/truth.json" 2>/dev/null
runs=$(python3 -c 'import json,sys; print(sum(sum(v["kvm_run_returns"].values()) for v in json.load(open(sys.argv[1]))["vcpus"]))' "$tmp/truth.json")
fired=$(awk -F, '/kvm_run_exit/ { print $1 }' "$tmp/stat")
assert_eq "$fired" "$runs" "qemu:kvm_run_exit firings vs KVM_RUN returns"
ioctls=$(awk -F, '/kvm_vcpu_ioctl/ { print $1 }' "$tmp/stat")
((ioctls > runs)) || die "qemu:kvm_vcpu_ioctl fired $ioctls times, not more than the $runs KVM_RUNs"
