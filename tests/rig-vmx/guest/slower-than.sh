#!/usr/bin/env bash
# --slower-than on VMX, inside the Intel rig; tests/rig-vmx/slower-than.sh
# checks on the host what it leaves in $OUT. One testvmm vCPU makes every
# 10th data-port exit sleep 150 ms in the VMM (2 of them); two vmexitprof
# --slower-than 120ms --json at once, the tp_btf programs (RIP only where
# KVM read it for the exit, no exit info) and the classic ones (RIP and
# exit qualification from the trace record). Right after each slow exit the
# guest writes its TSC 2^40 ticks ahead (--tsc-jump), so the guest TSC must
# come from the TSC offset at the exit (read from the vCPU by tp_btf,
# tracked from kvm_write_tsc_offset by classic); KVM's debugfs gives the
# scaling and the start's offsets; mounted here if the rig has not.
. "$(dirname "$0")/../../lib/common.sh"
. tests/lib/profile.sh

[[ -d /sys/kernel/debug/kvm ]] || mount -t debugfs none /sys/kernel/debug || true
start_vmm slow --vcpus 1 --pio 14 --pio-in 6 --slow-every 10 --slow-ms 150 --tsc-jump $((1 << 40))
start_profiler btf -p "$slow_pid" --slower-than 120ms --json
start_profiler classic -p "$slow_pid" --slower-than 120ms --json --attach classic
release_vmm slow
wait_ok "$slow_pid" testvmm
wait_ok "$btf_pid" "vmexitprof --slower-than (tp_btf)"
wait_ok "$classic_pid" "vmexitprof --slower-than --attach classic"
cp "$tmp"/*.json "$tmp"/*.out "$tmp"/*.err "$OUT/"
