#!/usr/bin/env bash
# SIGINT, SIGTERM and SIGHUP (a closed terminal) end a run with the
# report and the --heatmap-out file, and exit 0; SIGKILL ends it with
# nothing. After each, none of the BPF programs, maps and links the
# run held exists any more (bpftool looks them up by id): links are owned
# by file descriptors, so even SIGKILL detaches everything. With -p on a
# VMM with QEMU's USDT probes (testvmm), SIGKILL also leaves the probes'
# semaphores back at 0: the VMM no longer pays for its probes.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh
. tests/lib/bpf-objects.sh

# Each signal with the default (tp_btf) programs; SIGKILL with the classic
# ones too.
for sig in INT TERM HUP KILL KILL-classic; do
	attach=()
	[[ $sig != *-classic ]] || attach=(--attach classic)
	start_profiler "prof_${sig%-*}" --heatmap-out "$tmp/${sig%-*}.json" "${attach[@]}"
	pid_var=prof_${sig%-*}_pid
	prof_pid=${!pid_var}
	held=$(bpf_objects "$prof_pid")
	# kvm_exit, kvm_entry, kvm_userspace_exit and kvm_fpu: a program and a
	# link each (tp_btf: raw tracepoint links; classic: perf event links,
	# each with its perf event); and the maps.
	(($(grep -c '^link ' <<<"$held") >= 4)) || die "SIG$sig: fewer than 4 links while running: $held"
	(($(grep -c '^map ' <<<"$held") >= 1)) || die "SIG$sig: no maps while running: $held"
	if ((${#attach[@]})); then
		(($(perf_event_fds "$prof_pid") >= 4)) || die "SIG$sig: fewer than 4 perf events while running"
	else
		(($(btf_links "$prof_pid") >= 4)) || die "SIG$sig: fewer than 4 raw tracepoint links while running"
	fi
	sig=${sig%-*}
	assert_eq "$(bpf_objects_alive "$held")" "$held" "SIG$sig: bpftool lists what the run holds"
	kill -"$sig" "$prof_pid"
	rc=0
	wait "$prof_pid" 2>/dev/null || rc=$?
	if [[ $sig == KILL ]]; then
		assert_eq "$rc" 137 "exit status after SIGKILL"
	else
		assert_eq "$rc" 0 "exit status after SIG$sig"
		grep -q '^Events: ' "$tmp/prof_$sig.out" || die "no report after SIG$sig: $(cat "$tmp/prof_$sig".*)"
		grep -q '"format":"vmexitprof-dump"' "$tmp/$sig.json" || die "no --heatmap-out file after SIG$sig"
	fi
	assert_nothing_left "after SIG$sig" "$held"
done

start_vmm vmm
start_profiler usdt -p "$vmm_pid" --vmm-time usdt
held=$(bpf_objects "$usdt_pid")
sems=$(tests/lib/usdt-semaphores.py "$vmm_pid")
assert_eq "$(awk '$2 > 0' <<<"$sems" | wc -l)" 2 "USDT semaphores set while attached: $sems"
kill -KILL "$usdt_pid"
wait "$usdt_pid" 2>/dev/null || true
assert_nothing_left "-p with USDT, after SIGKILL" "$held"
sems=$(tests/lib/usdt-semaphores.py "$vmm_pid")
# All of them, the mutex probes (--bql's, not attached here) too.
assert_eq "$(awk '$2 == 0' <<<"$sems" | wc -l)" "$(wc -l <<<"$sems")" "USDT semaphores back at 0 after SIGKILL: $sems"
release_vmm vmm
wait_ok "$vmm_pid" testvmm
