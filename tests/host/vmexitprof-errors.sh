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
# Read whole: grep -q would leave once it matched, and a --help longer than
# one stdio buffer then dies of SIGPIPE, which pipefail took for a failure.
help=$(./vmexitprof --help)
grep -q '^EXAMPLES:' <<<"$help" || die "--help has no EXAMPLES"

# Not root: capabilities, not the user, decide (the service runs as its own user).
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
expect_status 1 "${nobody[@]}" ./vmexitprof -d 1
assert_eq "$err" "vmexitprof: must run as root or with CAP_BPF and CAP_PERFMON: loading BPF programs on kvm tracepoints needs them (try: sudo vmexitprof)" "not root"
# caps bpf,perfmon: setpriv's options that give exactly those, inherited by its command.
caps() { local c=+${1//,/,+}; echo "--inh-caps=$c --ambient-caps=$c --bounding-set=-all,$c"; }
# tracefs is mode 0700 unless mounted otherwise: then CAP_DAC_READ_SEARCH is needed too.
if ! "${nobody[@]}" test -x /sys/kernel/tracing; then
	# shellcheck disable=SC2046 # caps gives three words
	expect_status 1 "${nobody[@]}" $(caps bpf,perfmon) ./vmexitprof -d 1
	assert_eq "$err" "vmexitprof: cannot read tracefs (/sys/kernel/tracing: Permission denied), where the kvm tracepoints' ids and formats are: run as root, or with CAP_DAC_READ_SEARCH besides CAP_BPF and CAP_PERFMON" "not root, tracefs closed"
fi
# shellcheck disable=SC2046
out=$("${nobody[@]}" $(caps bpf,perfmon,dac_read_search) ./vmexitprof -d 0.2 2>&1 >/dev/null) ||
	die "vmexitprof failed as nobody with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH: $out"
# Root without CAP_SYS_ADMIN, CAP_BPF and CAP_PERFMON (as a container may run it).
no_caps=(setpriv --inh-caps=-sys_admin,-bpf,-perfmon --bounding-set=-sys_admin,-bpf,-perfmon)
expect_status 1 "${no_caps[@]}" ./vmexitprof -d 1
assert_eq "$err" "vmexitprof: runs as root but without the capabilities BPF tracing needs: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (dropped by a container runtime, capsh or setpriv?)" "root without capabilities"
# Root in a user namespace has every capability there, none on the host:
# the kernel refuses (EPERM), and that is explained in one line, not
# libbpf's four.
expect_status 1 unshare --user --map-root-user ./vmexitprof -d 1
assert_eq "$err" "vmexitprof: cannot load the BPF programs: Operation not permitted: the kernel refused BPF to this process; it needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) in the host's initial user namespace, which root inside a container or user namespace does not have (-v shows libbpf's log)" "root in a user namespace"
# CAP_BPF and CAP_PERFMON are enough without CAP_SYS_ADMIN. libbpf then
# cannot read module BTF (BPF_BTF_GET_FD_BY_ID takes CAP_SYS_ADMIN): with
# the types in modules (libbpf searches them all for kvm_amd's, kvm_intel's
# and kvm.ko's, even where kvm is built in, as here), one line and the
# classic tracepoints.
out=$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin ./vmexitprof -d 0.2 2>&1 >/dev/null) ||
	die "vmexitprof failed with CAP_BPF and CAP_PERFMON but no CAP_SYS_ADMIN: $out"
if [[ $out != *"; tp_btf tracepoints)"* ]]; then
	assert_match "$out" "^vmexitprof: the BTF-typed \(tp_btf\) programs need the kvm modules' BTF, which only CAP_SYS_ADMIN may read; classic tracepoints instead"$'\n'"Tracing KVM exits for the given duration \(VMM handling time from kvm_fpu; classic tracepoints\)" \
		"no CAP_SYS_ADMIN"
fi

# tracefs not mounted, in a private mount namespace: vmexitprof mounts it
# itself; and without CAP_SYS_ADMIN, which mounting needs, it says how.
# debugfs goes too: its tracing/ directory would mount tracefs on access.
unmount_tracefs='for m in /sys/kernel/debug /sys/kernel/tracing; do
	while mountpoint -q $m; do umount -l $m || exit 99; done
done
[ ! -e /sys/kernel/tracing/events ] || exit 98'
out=$(unshare -m sh -c "$unmount_tracefs"'
	./vmexitprof -d 0.2 >/dev/null 2>&1 || exit 97
	mountpoint -q /sys/kernel/tracing && echo mounted') || die "tracefs unmounted: exit $?"
assert_eq "$out" mounted "vmexitprof mounts tracefs"
expect_status 1 unshare -m sh -c "$unmount_tracefs"'
	exec setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin ./vmexitprof -d 1'
assert_eq "$err" "vmexitprof: tracefs is not mounted and mounting it failed (Operation not permitted); try: mount -t tracefs nodev /sys/kernel/tracing" "tracefs not mountable"

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
