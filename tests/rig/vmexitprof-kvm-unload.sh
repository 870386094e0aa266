#!/usr/bin/env bash
# The kvm modules while vmexitprof runs (all VMs, no -p). kvm itself cannot
# be unloaded: each attached tracepoint holds a reference to it, so rmmod
# says it is in use. kvm_amd can be, once no VM is left: vmexitprof says so
# on stderr and keeps tracing; when kvm_amd is loaded again it says that
# too, and a VM started afterwards is counted exactly (testvmm's ground
# truth). It ends on SIGINT with the report and exit 0.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm_amd ]] || skip "kvm_amd is not loaded"
# The rig's /init loaded the guest kernel's modules from its initramfs,
# which is pid 1's root (this test runs in a chroot of the host's root).
ko=$(ls /proc/1/root/lib/modules/kvm[-_]amd.ko 2>/dev/null | head -n 1)
[[ -n $ko ]] || skip "no kvm-amd.ko to load again (not in the rig?)"
. tests/lib/profile.sh
trap '[[ -d /sys/module/kvm_amd ]] || insmod "$ko"; cleanup_profile' EXIT

start_profiler prof --per-vcpu --json
rc=0
rmmod kvm >"$tmp/rmmod.log" 2>&1 || rc=$?
((rc != 0)) || die "rmmod kvm succeeded while vmexitprof was attached"
grep -q 'in use' "$tmp/rmmod.log" || die "rmmod kvm: $(cat "$tmp/rmmod.log")"

rmmod kvm_amd || die "rmmod kvm_amd failed with no VM running"
wait_for_line "$tmp/prof.err" "kvm_amd was unloaded" 10
assert_eq "$(grep 'kvm_amd was unloaded' "$tmp/prof.err")" "vmexitprof: kvm_amd was unloaded during the run: no guest can run until it is loaded again; still tracing (kvm stays loaded: the attached tracepoints hold it)" "the note on unload"
kill -0 "$prof_pid" 2>/dev/null || die "vmexitprof ended when kvm_amd was unloaded: $(cat "$tmp/prof.err")"

insmod "$ko" || die "insmod $ko failed"
wait_for_line "$tmp/prof.err" "kvm_amd is loaded again" 10
start_vmm vmm --vcpus 2 --cpuid 1000 --pio 100 --mmio 10 --hlt 10 --scale 1,2
release_vmm vmm
wait_ok "$vmm_pid" testvmm
kill -INT "$prof_pid"
wait_ok "$prof_pid" "vmexitprof after SIGINT"
assert_eq "$(grep -c '^vmexitprof: kvm_amd' "$tmp/prof.err")" 2 "one note per change"

python3 - "$tmp/vmm.json" "$tmp/prof.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
vm = [v for v in prof["vms"] if v["pid"] == truth["pid"]]
check(len(vm) == 1, "the VM started after kvm_amd came back is in the report")
if vm:
    check_vm_exit_counts(vm[0], truth, "after kvm_amd came back")
finish()
PY
