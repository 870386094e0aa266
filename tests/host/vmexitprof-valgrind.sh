#!/usr/bin/env bash
# valgrind memcheck on the demo's path: vmexitprof -p testvmm --per-vcpu,
# with every section of the report (--ports --mmio --hist all), until the
# VM exits. Any memcheck error, or any heap block still allocated at exit
# (leaked or reachable), fails it. libbpf's bpf() syscalls give false
# positives, suppressed one by one in tests/lib/valgrind-libbpf.supp.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
command -v valgrind >/dev/null || die "valgrind is not installed (make deps)"
. tests/lib/profile.sh

vmexitprof_cmd=(valgrind --quiet --log-file="$tmp/memcheck.log" --error-exitcode=99
	--leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
	--suppressions=tests/lib/valgrind-libbpf.supp ./vmexitprof)
start_vmm vmm --vcpus 2 --pio 300 --mmio 100 --hlt 20 --scale 1,3 --hlt-sleep-us 1000
start_profiler prof -p "$vmm_pid" --per-vcpu --ports --mmio --hist all
release_vmm vmm
wait_ok "$vmm_pid" testvmm
rc=0
wait "$prof_pid" || rc=$?
# valgrind warns that it cannot model three bpf() commands: BPF_LINK_CREATE
# (28) and BPF_PROG_BIND_MAP (35) pass no memory for the kernel to read or
# write (only fds and flags), so no check is lost; BPF_BTF_GET_NEXT_ID
# (23) writes one u32, whose test in libbpf is suppressed by name
# (valgrind-libbpf.supp). Anything else in the log is a finding.
findings=$(grep -v -E '^--[0-9]+-- WARNING: unhandled eBPF command (23|28|35)$' "$tmp/memcheck.log" || true)
[[ -z $findings ]] || die "memcheck (exit $rc): $findings"
((rc == 0)) || die "vmexitprof under valgrind exited $rc: $(cat "$tmp/prof.err")"
grep -q '^Returns to userspace' "$tmp/prof.out" || die "no report: $(cat "$tmp/prof.out" "$tmp/prof.err")"
