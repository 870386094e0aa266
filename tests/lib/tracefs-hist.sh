# Sourced by rig tests whose guest has no python3 (the arm64 rig): counts
# tracepoint hits with the kernel's hist triggers, in a private tracefs
# instance (in-kernel counting: no ring buffer to overflow), around a
# command, into files that a host-side check reads with
# tests/lib/tracecount.py's parse_hist. An oracle that knows nothing of
# vmexitprof.
#
#   hist_add SYSTEM/EVENT KEYS [FILTER]   a trigger (at most three keys)
#   hist_run OUTDIR COMMAND [ARGS...]     runs COMMAND with the triggers on;
#       then writes each event's hist as OUTDIR/SYSTEM.EVENT.hist and its
#       format as OUTDIR/SYSTEM.EVENT.format, and removes the triggers.
#       Returns COMMAND's status; fails when a hist table dropped entries.
hist_specs=()
hist_add() {
	hist_specs+=("$1|$2|${3-}")
}

hist_run() {
	local out=$1 tracefs=/sys/kernel/tracing spec event keys filter file rc=0
	shift
	local inst=$tracefs/instances/hist-$$
	[[ -d $tracefs/events ]] || { echo "hist_run: no tracefs at $tracefs" >&2; return 1; }
	mkdir "$inst"
	for spec in "${hist_specs[@]}"; do
		IFS='|' read -r event keys filter <<<"$spec"
		[[ -d $inst/events/$event ]] || { echo "hist_run: no event $event" >&2; rmdir "$inst"; return 1; }
		echo "hist:keys=$keys:vals=hitcount:size=8192${filter:+ if $filter}" >"$inst/events/$event/trigger"
	done
	"$@" || rc=$?
	for spec in "${hist_specs[@]}"; do
		IFS='|' read -r event keys filter <<<"$spec"
		file=$out/${event//\//.}
		cat "$inst/events/$event/hist" >"$file.hist"
		cat "$inst/events/$event/format" >"$file.format"
		echo "!hist:keys=$keys:vals=hitcount:size=8192${filter:+ if $filter}" >"$inst/events/$event/trigger"
		# "Dropped: N" means the hist table filled up: its counts are useless.
		if grep -q -E 'Dropped: *[1-9]' "$file.hist"; then
			echo "hist_run: the $event hist dropped entries" >&2
			rc=1
		fi
	done
	rmdir "$inst"
	return $rc
}
