#!/usr/bin/env bash
# --heatmap-out on a read-only or a full filesystem: one clear line, exit
# status 1, the file that was there before left as it was, and no
# temporary file left behind. Read-only is refused before tracing starts;
# a full disk shows only when the run's data is written, at the end.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

mkdir "$tmp/ro" "$tmp/full"
mount -t tmpfs -o ro,size=1m none "$tmp/ro"
# Big enough for the old file, too small for the run's dump.
mount -t tmpfs -o size=64k none "$tmp/full"
trap 'umount "$tmp/ro" "$tmp/full" 2>/dev/null; cleanup_profile' EXIT
echo "old" >"$tmp/full/run.json"
head -c 56000 /dev/zero >"$tmp/full/filler"

start_vmm vmm --vcpus 2 --pio 3000 --mmio 500 --hlt 20
expect_status 1 ./vmexitprof -p "$vmm_pid" --heatmap-out "$tmp/ro/run.svg"
assert_match "$err" "^vmexitprof: --heatmap-out: cannot write in $tmp/ro: Read-only file system$" "read-only"

start_profiler prof -p "$vmm_pid" -I 20 --heatmap-out "$tmp/full/run.json"
release_vmm vmm
wait_ok "$vmm_pid" testvmm
rc=0
wait "$prof_pid" || rc=$?
((rc == 1)) || die "a full disk: exit $rc, expected 1"
msg=$(grep -v '^Tracing\|exited during the run\|kvm:kvm_exit never fired' "$tmp/prof.err")
assert_match "$msg" "^vmexitprof: --heatmap-out: cannot write $tmp/full/run.json: No space left on device; it was left as it was$" "full disk"
assert_eq "$(cat "$tmp/full/run.json")" "old" "the old file after a failed write"
leftover=$(ls -A "$tmp/full" | grep -v '^run.json$\|^filler$' || true)
[[ -z $leftover ]] || die "temporary files left behind: $leftover"
# The report itself still reached stdout.
grep -q 'Returns to userspace\|REASON' "$tmp/prof.out" || die "no report on stdout"
echo "read-only: refused before tracing; full: one line, exit 1, old file kept, nothing left behind"
