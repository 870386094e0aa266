#!/usr/bin/env bash
# On arm64 too, SIGINT ends a run with the report and the --heatmap-out
# dump, and exit 0; SIGKILL (tp_btf and classic programs) ends it with
# nothing; and after each, none of its BPF programs is left in the
# kernel. (SIGTERM and SIGHUP take SIGINT's path, tested on the host,
# tests/host/vmexitprof-signals.sh.) The guest has no bpftool: the
# kernel's own list of JITed programs, /proc/kallsyms's bpf_prog_TAG_NAME
# symbols, is the oracle (no other BPF user runs in the guest). The three
# run at once (each start costs seconds of TCG), and each one's end must
# take exactly its own programs (those its fds hold) out of the list. The
# SIGINT dump is kept: vmexitprof-signals.check re-renders it on the host
# with the x86 build (report FILE), which must name the arm64 rows.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

out=${TEST_OUT:?TEST_OUT: run me with tests/lib/run-split-suite}
b=build/arm64
[[ -x $b/testvmm && -x $b/vmexitprof ]] || die "no $b/testvmm or $b/vmexitprof: run 'make ARCH=arm64'"
TESTVMM=$b/testvmm
vmexitprof_cmd=("$b/vmexitprof")
# The names vmexitprof's programs leave in kallsyms (truncated to 15 characters).
ours() { grep -c -E ' bpf_prog_[0-9a-f]+_(kvm_|sys_enter_ioctl|kvm_arch_vcpu_i|sched_)' /proc/kallsyms || true; }
# The programs a process holds, by id, from its fds.
held() { grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u | wc -l; }
assert_eq "$(ours)" 0 "no vmexitprof programs before the test"

start_vmm vmm --vcpus 2 --duration 600 --phase sysreg=50,hvc=20,mmio=5,wfi=2
release_vmm vmm
# What arm64 cannot do is said in one line: no port I/O; fentry where
# arm64 6.1 refuses to attach it, ENOTSUPP (the auto clock is the syscall one there).
expect_status 2 "$b/vmexitprof" -p "$vmm_pid" --ports
assert_eq "$err" "vmexitprof: --ports: arm64 has no port I/O (its devices are MMIO: --mmio)" "--ports"
rc=0
err=$("$b/vmexitprof" -p "$vmm_pid" -d 0.5 --vmm-time fentry 2>&1 >/dev/null) || rc=$?
if ((rc)); then
	assert_match "$err" "^vmexitprof: --vmm-time=fentry: this kernel does not let BPF programs attach to kvm_arch_vcpu_ioctl_run \\([^)]*\\); --vmm-time=syscall or usdt work here$" "--vmm-time=fentry refused"
fi
echo "--vmm-time=fentry: exit $rc${err:+: $err}"
runs=(INT KILL KILL_classic)
start_profiler INT -p "$vmm_pid" --heatmap-out "$tmp/INT.json"
start_profiler KILL -p "$vmm_pid" --heatmap-out "$tmp/KILL.json"
start_profiler KILL_classic -p "$vmm_pid" --heatmap-out "$tmp/KILL_classic.json" --attach classic
total=0
declare -A n
for r in "${runs[@]}"; do
	pid_var=${r}_pid
	n[$r]=$(held "${!pid_var}")
	# kvm_exit, kvm_entry, kvm_userspace_exit and the VMM clock's sys_enter_ioctl.
	((n[$r] >= 4)) || die "$r: vmexitprof holds ${n[$r]} programs"
	total=$((total + n[$r]))
done
assert_eq "$(ours)" "$total" "vmexitprof's programs in /proc/kallsyms while the three run"
sleep 0.5
for r in "${runs[@]}"; do
	pid_var=${r}_pid
	sig=${r%_classic}
	kill -"$sig" "${!pid_var}"
	rc=0
	wait "${!pid_var}" 2>/dev/null || rc=$?
	if [[ $sig == KILL ]]; then
		assert_eq "$rc" 137 "exit status after SIG$sig ($r)"
	else
		assert_eq "$rc" 0 "exit status after SIG$sig"
		grep -q '^Events: [1-9][0-9]* exits' "$tmp/$r.out" || die "no report after SIG$sig: $(cat "$tmp/$r".*)"
		grep -q '^SYS64 ' "$tmp/$r.out" || die "no SYS64 row after SIG$sig: $(cat "$tmp/$r.out")"
		grep -q '"format":"vmexitprof-dump"' "$tmp/$r.json" || die "no --heatmap-out file after SIG$sig"
	fi
	total=$((total - n[$r]))
	# Programs are freed once their fds close, after RCU grace periods that
	# TCG makes long: within 60 s. (Each read of /proc/kallsyms takes
	# seconds under TCG.)
	start=$SECONDS
	while (($(ours) != total && SECONDS - start < 60)); do
		sleep 1
	done
	assert_eq "$(ours)" "$total" "vmexitprof's programs in /proc/kallsyms $((SECONDS - start)) s after $r ended"
	echo "$r: its ${n[$r]} programs gone within $((SECONDS - start)) s"
done
kill -KILL "$vmm_pid"
wait "$vmm_pid" 2>/dev/null || true
cp "$tmp/INT.json" "$tmp/INT.out" "$out/"
