#!/usr/bin/env bash
# On a host whose KVM never fires kvm:kvm_exit (PVM, like ours) although
# guests run, vmexitprof says exactly that within a few seconds and exits 1
# instead of printing an empty table. Runs where kvm_pvm is loaded.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm_pvm ]] || skip "kvm_pvm is not loaded: kvm_exit fires here"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# A guest that keeps returning to userspace (PIO) for 20 s.
tests/vmm/testvmm --duration 20 --pio 1000 >/dev/null 2>"$tmp/vmm.err" &
vmm=$!
for _ in $(seq 50); do grep -q ready "$tmp/vmm.err" && break; sleep 0.1; done
start=$SECONDS
expect_status 1 ./vmexitprof -p "$vmm"
((SECONDS - start <= 10)) || die "took $((SECONDS - start)) s to notice"
assert_match "$err" "kvm:kvm_exit never fired although the guests returned to userspace [0-9]+ times: this host's KVM does not emit kvm_exit/kvm_entry \(it is PVM: kvm_pvm\)" "PVM message"
