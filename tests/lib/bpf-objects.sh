# Sourced by tests that check what vmexitprof leaves in the kernel. BPF
# objects are named by id ("prog 12", "map 7", "link 3"), read from the
# process's own fds (/proc/PID/fdinfo), so other tools' and other
# instances' objects on a busy host do not count.

# bpf_objects PID: the programs, maps and links PID holds, one per line.
bpf_objects() {
	grep -h -E '^(prog|map|link)_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		sed -E 's/^(prog|map|link)_id:[[:space:]]+([0-9]+)$/\1 \2/' | LC_ALL=C sort -u
}

# bpf_objects_alive LIST: the objects of LIST (bpf_objects' lines) that
# bpftool still lists in the kernel.
bpf_objects_alive() {
	local kind line existing
	[[ -n $1 ]] || return 0
	existing=$(for kind in prog map link; do
		bpftool "$kind" show | sed -n -E "s/^([0-9]+): .*/$kind \1/p"
	done)
	while read -r line; do
		[[ $'\n'$existing$'\n' == *$'\n'"$line"$'\n'* ]] && echo "$line"
	done <<<"$1"
	return 0
}

# perf_event_fds PID: how many perf events PID holds open (tracepoint attachments).
perf_event_fds() {
	find /proc/"$1"/fd -lname 'anon_inode:\[perf_event\]' 2>/dev/null | wc -l
}

# btf_links PID: how many of PID's links attach BTF-typed programs (tp_btf
# raw tracepoints and fentry: bpftool's raw_tracepoint and tracing links)
# to kvm: not the scheduler's tracepoints (sched_switch, sched_wakeup),
# which hold no reference to the kvm module.
btf_links() {
	local ids
	ids=$(bpf_objects "$1" | sed -n 's/^link //p' | tr '\n' ' ')
	bpftool link show | awk -v ids=" $ids" '
		/^[0-9]+:/ { if (pending) n++; id = $1; sub(":", "", id)
			     pending = index(ids, " " id " ") && ($2 == "raw_tracepoint" || $2 == "tracing"); next }
		/tp .sched_/ { pending = 0 }
		END { if (pending) n++; print n + 0 }'
}

# tracepoint_progs PID: how many of PID's programs are classic tracepoint programs
# (each attached once; USDT programs are of the kprobe type).
tracepoint_progs() {
	local ids
	ids=$(bpf_objects "$1" | sed -n 's/^prog //p' | tr '\n' ' ')
	bpftool prog show | awk -v ids=" $ids" '
		$2 == "tracepoint" { id = $1; sub(":", "", id); if (index(ids, " " id " ")) n++ }
		END { print n + 0 }'
}

# assert_nothing_left WHAT LIST: none of LIST's objects may exist any more,
# within 5 s: the kernel frees links and programs from a workqueue after
# their last fd is closed.
assert_nothing_left() {
	local left i
	for ((i = 0; i < 50; i++)); do
		left=$(bpf_objects_alive "$2")
		[[ -n $left ]] || return 0
		sleep 0.1
	done
	die "$1: BPF objects still loaded 5 s later: $(tr '\n' ' ' <<<"$left")"
}
