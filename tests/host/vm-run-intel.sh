#!/usr/bin/env bash
# The Intel rig (tests/vm/run --cpu intel, Bochs): one boot hands back
# COMMAND's stdout and stderr apart and whole, its exit status and the
# files it put in $VMRUN_SHARE, running in /rig with the static builds;
# and it fails with one line and exit 125 or 124 when a package is
# missing, when the kernel cannot be fetched, when the emulated CPU has no
# VMX (no /dev/kvm), and when COMMAND outlives --timeout (Bochs killed).
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
VMRUN_OUT=$tmp/share tests/vm/run --cpu intel -- bash -c '
	uname -r
	pwd
	seq 1 20000 | md5sum
	printf "cr\r\n"
	echo to-stderr >&2
	./vmexitprof --help >/dev/null 2>&1 && echo static-vmexitprof
	[ -c /dev/kvm ] && grep -q vmx /proc/cpuinfo && echo vmx-kvm
	echo shared >"$VMRUN_SHARE/artifact"
	exit 7' >"$tmp/out" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 7 "exit status of COMMAND"
mapfile -t out <"$tmp/out"
assert_match "${out[0]}" '^6\.12\..*-cloud-amd64$' "guest kernel"
assert_eq "${out[1]}" /rig "working directory"
assert_eq "${out[2]}" "$(seq 1 20000 | md5sum)" "20000 lines arrive intact"
assert_eq "${out[3]}" $'cr\r' "a carriage return of COMMAND's kept, none added"
assert_eq "${out[4]}" static-vmexitprof "the static vmexitprof runs"
assert_eq "${out[5]}" vmx-kvm "VMX and /dev/kvm"
assert_eq "${#out[@]}" 6 "stdout line count"
assert_eq "$(cat "$tmp/err")" to-stderr "stderr"
assert_eq "$(cat "$tmp/share/artifact")" shared "VMRUN_SHARE artifact"

# A missing package: this PATH has everything but bochs.
mkdir "$tmp/path"
ln -s /usr/bin/* /usr/sbin/* "$tmp/path/" 2>/dev/null || true
rm "$tmp/path/bochs"
PATH=$tmp/path expect_status 125 tests/vm/run --cpu intel -- true
assert_eq "$err" "tests/vm/run: 'bochs' is missing; run 'make deps'" "missing-package message"

# Debian's mirror cannot be made to fail on demand, so this mocks apt:
# an empty cache and apt commands that know no package.
mkdir "$tmp/bin"
printf '#!/bin/sh\nexit 100\n' >"$tmp/bin/apt-get"
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/apt-cache"
chmod +x "$tmp/bin"/*
VMEXITPROF_CACHE=$tmp/cache PATH=$tmp/bin:$PATH expect_status 125 tests/vm/run --cpu intel -- true
assert_match "$err" "cannot fetch the 6.12 kernel: apt knows no package linux-image-6.12-cloud-amd64" "fetch failure message"
assert_eq "$(wc -l <<<"$err")" 1 "one line"

# A 64-bit CPU model without VMX: kvm_intel cannot load.
expect_status 125 tests/vm/run --cpu intel --bochs-cpu p4_prescott_celeron_336 -- true
assert_match "$err" "KVM did not come up in the guest" "no-VMX message"
assert_eq "$(wc -l <<<"$err")" 1 "one line"

# The time limit: Bochs is killed, and nothing of this run is left.
start=$SECONDS
TMPDIR=$tmp expect_status 124 tests/vm/run --cpu intel --timeout 20 -- sleep 600
((SECONDS - start < 60)) || die "time-out took $((SECONDS - start))s"
assert_match "$err" "timed out after 20s; Bochs was killed" "time-out message"
pgrep -f "bochs.*$tmp" >/dev/null && die "Bochs still running after the time-out"
true
