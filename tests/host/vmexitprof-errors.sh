#!/usr/bin/env bash
# vmexitprof's errors on this host: one clear line and exit 1 for a bad
# environment or target, exit 2 for bad usage.
. "$(dirname "$0")/../lib/common.sh"

expect_status 2 ./vmexitprof --sort bogus
assert_match "$err" "^vmexitprof: --sort: 'bogus' is not one of" "bad --sort"
expect_status 2 ./vmexitprof -p 12,abc
assert_match "$err" "^vmexitprof: -p: 'abc' is not a number" "bad -p"
expect_status 2 ./vmexitprof --frobnicate
assert_eq "$(wc -l <<<"$err")" 1 "unknown option: one line"
./vmexitprof --help | grep -q '^EXAMPLES:' || die "--help has no EXAMPLES"

expect_status 1 setpriv --reuid=65534 --regid=65534 --clear-groups ./vmexitprof -d 1
assert_match "$err" "^vmexitprof: must run as root" "not root"

gone=$(( $(cat /proc/sys/kernel/pid_max) - 1 ))
while [[ -e /proc/$gone ]]; do gone=$((gone - 1)); done
expect_status 1 ./vmexitprof -p "$gone"
assert_eq "$err" "vmexitprof: no such process: $gone" "no such pid"

expect_status 1 ./vmexitprof -p $$
assert_match "$err" "^vmexitprof: process $$ \(bash\) is not a KVM VM: it holds no kvm-vm file descriptor$" "not a VM"

# No BTF: hide /sys/kernel/btf in a private mount namespace.
expect_status 1 unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec ./vmexitprof -d 1'
assert_match "$err" "^vmexitprof: this kernel has no BTF" "no BTF"

# kvm not loaded: only the rig can unload it (the host's is built in).
expect_status 1 tests/vm/run --kernel 6.1 -- sh -c 'rmmod kvm_amd kvm && exec ./vmexitprof -d 1'
assert_match "$err" "^vmexitprof: kvm is not loaded: there is no kvm:kvm_exit tracepoint" "kvm not loaded"

# --hist must name a reason this kernel knows (checked once the names are loaded).
expect_status 2 ./vmexitprof --hist bogus -d 1
assert_eq "$err" "vmexitprof: --hist: 'bogus' is not an exit reason of this kernel (a name from the REASON column, or 'all')" "--hist bogus"
