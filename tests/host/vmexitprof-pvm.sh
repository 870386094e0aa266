#!/usr/bin/env bash
# On a host whose KVM never fires kvm:kvm_exit (PVM, like ours) although
# guests run, vmexitprof says exactly that within a few seconds, keeps
# running, and reports the returns to userspace, which it can see here:
# per vCPU and KVM_EXIT reason, equal to testvmm's own KVM_RUN returns,
# with the VMM's handling time (testvmm sleeps 1 ms on each HLT).
# Runs where kvm_pvm is loaded.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm_pvm ]] || skip "kvm_pvm is not loaded: kvm_exit fires here"
. tests/lib/profile.sh

# A first VM keeps returning to userspace (PIO) for a while, so the check
# after 3 s sees guests running.
tests/vmm/testvmm --duration 8 --pio 1000 >/dev/null 2>"$tmp/busy.err" &
busy=$!
start_vmm vmm --vcpus 2 --pio 300 --mmio 100 --hlt 20 --scale 1,3 --delay 4000 --hlt-sleep-us 1000
start_profiler prof -p "$busy,$vmm_pid" --per-vcpu --ports --mmio --json
start=$SECONDS
release_vmm vmm
wait_for_line "$tmp/prof.err" "kvm:kvm_exit never fired" 10
assert_match "$(grep 'never fired' "$tmp/prof.err")" "kvm:kvm_exit never fired although the guests returned to userspace [0-9]+ times: this host's KVM does not emit kvm_exit/kvm_entry \(it is PVM: kvm_pvm\), so there are no exit-to-entry latencies here, only the returns to userspace" "PVM message"
((SECONDS - start <= 8)) || die "the PVM message took $((SECONDS - start)) s"
kill -0 "$prof_pid" 2>/dev/null || die "vmexitprof stopped after the PVM message"
wait_ok "$vmm_pid" testvmm
wait_ok "$busy" "testvmm (busy)"
wait_ok "$prof_pid" vmexitprof

python3 - "$tmp/vmm.json" "$tmp/prof.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
check(prof["kvm_exit_fired"] is False, "kvm_exit_fired is false")
# auto: fentry is refused on PVM, so kvm_fpu (testvmm's USDT probes only when asked).
check(prof["vmm_time_source"] == "kvm_fpu", f"vmm_time_source {prof.get('vmm_time_source')}")
vm = [vm for vm in prof["vms"] if vm["pid"] == truth["pid"]]
check(len(vm) == 1, "the VM is in the report")
if vm:
    check_io_tallies(vm[0], truth, "--ports/--mmio")
    check_userspace(vm[0], truth, "", hlt_sleep_ns=1000000)
    for v in vm[0]["vcpus"]:
        check(v["reasons"] == [], f"vcpu {v['vcpu']}: no kvm_exit rows")
finish()
PY
