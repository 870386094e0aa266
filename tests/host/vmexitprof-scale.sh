#!/usr/bin/env bash
# Scale on this host's userspace-exit path (kvm_userspace_exit and
# kvm_fpu fire here, PVM included): one testvmm with 1024 vCPU threads
# under -p --per-vcpu. Every vCPU's returns to userspace and VMM handling
# times are exact. Two more instances run with --max-keys 64, far below
# what 1024 vCPUs need: what does not fit is counted (JSON: the rows plus
# the drops equal the ground truth) and shown (text: the "Also dropped:"
# line). Prints the maps' memory (tools/map-memory) at both sizes.
. "$(dirname "$0")/../lib/common.sh"
[[ -c /dev/kvm ]] || skip "no /dev/kvm on this host"
. tests/lib/profile.sh
n=${SCALE_VCPUS:-1024}

tests/vmm/testvmm --vcpus "$n" --pio 4 --mmio 1 --hlt 1 --wait-for "$tmp/big.go" \
	>"$tmp/big.json" 2>"$tmp/big.err" &
big_pid=$!
for _ in $(seq 600); do
	grep -q -E 'ready|testvmm: ' "$tmp/big.err" && break
	sleep 0.1
done
grep -q "exceeds this host's KVM_CAP_MAX_VCPUS" "$tmp/big.err" && skip "$(cat "$tmp/big.err")"
grep -q ready "$tmp/big.err" || die "testvmm --vcpus $n did not start: $(cat "$tmp/big.err")"

profile_at_two_sizes big "$big_pid" 64
grep -q -E '^Also dropped: [1-9][0-9]* returns to userspace \(their map was full, --max-keys\), [1-9][0-9]* VMM handling times' \
	"$tmp/small_text.out" || die "--max-keys 64: no 'Also dropped:' line: $(tail -n 5 "$tmp/small_text.out")"

python3 - "$tmp/big.json" "$tmp/full.out" "$tmp/small.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, full, small = (load(p) for p in sys.argv[1:4])
n = len(truth["vcpus"])
returns = sum(sum(v["kvm_run_returns"].values()) for v in truth["vcpus"])
# Every return but each thread's last (its final control write) is handled.
handled = returns - n

vm = full["vms"][0]
vcpus = {v["vcpu"]: v for v in vm["vcpus"]}
check(len(full["vms"]) == 1 and len(vcpus) == n, f"one VM with {n} vCPUs: {len(full['vms'])} VMs, {len(vcpus)} vCPUs")
bad = 0
for v in truth["vcpus"]:
    got = vcpus.get(v["id"], {"userspace": []})["userspace"]
    rows = {u["reason"]: u["count"] for u in got}
    want = {k: c for k, c in v["kvm_run_returns"].items() if k != "EINTR" and c}
    c = v["caused"]
    done = {u["reason"]: (u["handling"] or {}).get("count", 0) for u in got}
    want_done = {"IO": c["pio"] + c["control"] - 1, "MMIO": c["mmio"], "HLT": c["hlt"]}
    if rows != want or done != want_done:
        bad += 1
        if bad <= 5:
            check(False, f"vcpu {v['id']}: returns {rows} != {want} or handled {done} != {want_done}")
check(bad == 0, f"{bad} of {n} vCPUs differ from the ground truth")
c = full["counters"]
check(c["userspace_exits"] == returns, f"userspace_exits {c['userspace_exits']} != {returns}")
check(c["vmm_intervals"] == handled, f"vmm_intervals {c['vmm_intervals']} != {handled}")
for k in ("userspace_exits_dropped", "vmm_intervals_dropped", "hist_full", "hist_alloc_failed"):
    check(c[k] == 0, f"full: {k} {c[k]}")

# --max-keys 64: what fits is exact, the rest is counted.
c = small["counters"]
rows = sum(u["count"] for vm in small["vms"] for u in vm["userspace"])
check(c["userspace_exits_dropped"] > 0, f"--max-keys 64 dropped no return to userspace: {c}")
check(rows + c["userspace_exits_dropped"] == returns == c["userspace_exits"],
      f"--max-keys 64: {rows} in rows + {c['userspace_exits_dropped']} dropped != {returns}")
check(c["vmm_intervals_dropped"] > 0, f"--max-keys 64 dropped no VMM handling time: {c}")
check(c["vmm_intervals"] + c["vmm_intervals_dropped"] == handled,
      f"--max-keys 64: {c['vmm_intervals']} handling times + {c['vmm_intervals_dropped']} dropped != {handled}")
timed = sum((u["handling"] or {}).get("count", 0) for vm in small["vms"] for u in vm["userspace"])
check(timed == c["vmm_intervals"], f"--max-keys 64: {timed} handling times in rows != {c['vmm_intervals']}")
finish()
PY
