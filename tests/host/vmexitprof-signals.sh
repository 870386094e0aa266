#!/usr/bin/env bash
# SIGINT and SIGTERM end a run with the report and exit 0, and leave none
# of vmexitprof's BPF programs loaded.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
progs() { bpftool prog show 2>/dev/null | grep -c -E "name (kvm_exit|kvm_entry|kvm_userspace_exit) " || true; }

before=$(progs)
for sig in INT TERM; do
	./vmexitprof >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 100); do grep -q '^Tracing' "$tmp/err" && break; sleep 0.1; done
	((  $(progs) > before )) || die "no programs loaded while running"
	kill -$sig $pid
	rc=0
	wait $pid || rc=$?
	assert_eq "$rc" 0 "exit status after SIG$sig"
	grep -q '^Events: ' "$tmp/out" || die "no report after SIG$sig: $(cat "$tmp/out" "$tmp/err")"
	assert_eq "$(progs)" "$before" "programs loaded after SIG$sig"
done
