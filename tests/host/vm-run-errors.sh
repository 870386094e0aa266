#!/usr/bin/env bash
# tests/vm/run fails clearly, with a first line that says why and exit 125
# or 124, when KVM cannot come up in the guest, when the kernel cannot be
# fetched, when COMMAND outlives --timeout, when the guest kernel locks up,
# and when it goes silent past --idle-timeout; QEMU is killed in the last three.
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A CPU model without SVM: kvm_amd cannot load.
expect_status 125 tests/vm/run --kernel 6.1 --qemu-cpu qemu64,-svm -- true
assert_match "$err" "KVM did not come up in the guest" "no-SVM message"
assert_eq "$(wc -l <<<"$err")" 1 "one line"

# Debian's mirror cannot be made to fail on demand, so this mocks apt:
# an empty cache and apt commands that know no package.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 100\n' >"$tmp/bin/apt-get"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/apt-cache"
chmod +x "$tmp/bin"/*
VMEXITPROF_CACHE=$tmp/cache PATH=$tmp/bin:$PATH expect_status 125 tests/vm/run --kernel 6.12 -- true
assert_match "$err" "cannot fetch the 6.12 kernel" "fetch failure message"
assert_eq "$(wc -l <<<"$err")" 1 "one line"

# The run's files (and so its QEMU's command line) live under our own TMPDIR.
start=$SECONDS
TMPDIR=$tmp expect_status 124 tests/vm/run --kernel 6.1 --timeout 20 -- sleep 600
((SECONDS - start < 60)) || die "time-out took $((SECONDS - start))s"
assert_match "$err" "timed out after 20s; QEMU was killed" "time-out message"
pgrep -f "qemu-system-x86_64.*$tmp" >/dev/null && die "QEMU still running after the time-out"
true

# A guest kernel that reports a lockup on its console is stopped at once
# (the message is faked through /dev/kmsg: a real one cannot be made on demand).
start=$SECONDS
expect_status 125 tests/vm/run --kernel 6.1 -- sh -c 'echo "<0>watchdog: BUG: soft lockup - CPU#0 stuck for 99s! [test:1]" >/dev/kmsg; sleep 600'
((SECONDS - start < 60)) || die "lockup noticed only after $((SECONDS - start))s"
assert_match "$err" "the guest kernel locked up \(soft lockup - CPU\); QEMU was killed" "lockup message"

# A guest that goes silent (no output, no console) is stopped after --idle-timeout.
start=$SECONDS
TMPDIR=$tmp expect_status 125 tests/vm/run --kernel 6.1 --idle-timeout 10 -- sleep 600
((SECONDS - start < 60)) || die "silence noticed only after $((SECONDS - start))s"
assert_match "$err" "no output for 10s, the guest looks hung; QEMU was killed" "idle message"
