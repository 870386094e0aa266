#!/usr/bin/env bash
# One boot of the 6.1 rig: COMMAND's stdout and stderr arrive separately and
# whole, it runs in the current directory on a read-only root with a
# writable /tmp, files put in $VMRUN_SHARE come back, and its exit status
# is passed through.
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
VMRUN_OUT=$tmp/share tests/vm/run --kernel 6.1 -- bash -c '
	uname -r
	pwd
	seq 1 20000 | md5sum
	echo to-stderr >&2
	touch /usr/vmrun-must-fail 2>/dev/null && echo root-is-writable
	echo ok >/tmp/x && cat /tmp/x
	echo shared >"$VMRUN_SHARE/artifact"
	exit 7' >"$tmp/out" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 7 "exit status of COMMAND"
mapfile -t out <"$tmp/out"
assert_match "${out[0]}" '^6\.1\.' "guest kernel"
assert_eq "${out[1]}" "$top" "working directory"
assert_eq "${out[2]}" "$(seq 1 20000 | md5sum)" "20000 lines arrive intact"
assert_eq "${out[3]}" ok "tmpfs /tmp"
assert_eq "${#out[@]}" 4 "stdout line count (root must be read-only)"
assert_eq "$(cat "$tmp/err")" to-stderr "stderr"
assert_eq "$(cat "$tmp/share/artifact")" shared "VMRUN_SHARE artifact"

# A checkout under /tmp (where CI clones), which the guest covers with a
# tmpfs, is still visible at its own path.
mkdir "$tmp/checkout"
printf '#!/bin/sh\necho visible\n' >"$tmp/checkout/hello"
chmod +x "$tmp/checkout/hello"
out=$(cd "$tmp/checkout" && "$top/tests/vm/run" --kernel 6.1 -- ./hello) || die "rig run from $tmp/checkout failed"
assert_eq "$out" visible "script in a checkout under /tmp"
