#!/usr/bin/env bash
# When attaching to QEMU's USDT probes fails, libbpf's reason is shown
# (it used to be held back and dropped, with its memstream leaked), and the
# run ends with our one line, leaving nothing behind. The failure is made
# with few file descriptors (RLIMIT_NOFILE): the limit is searched for at
# which loading and the tracepoints work but the uprobes do not.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh
. tests/lib/sanitizers.sh

start_vmm vmm --pio 10
found=""
for ((n = 60; n >= 16; n--)); do
	bash -c "ulimit -n $n; exec timeout 10 ./vmexitprof -p $vmm_pid --vmm-time usdt -d 0.1" \
		>/dev/null 2>"$tmp/err" && continue
	if grep -q "^vmexitprof: cannot attach to qemu:" "$tmp/err"; then
		found=$n
		break
	fi
done
[[ -n $found ]] || die "no file limit from 60 down to 16 made the USDT attach fail: $(cat "$tmp/err")"
assert_eq "$(grep -c '^vmexitprof: ' "$tmp/err")" 1 "our lines"
assert_eq "$(tail -n 1 "$tmp/err" | grep -c '^vmexitprof: cannot attach to qemu:.*Too many open files$')" 1 \
	"our line is last and says why: $(cat "$tmp/err")"
grep -q "^libbpf: usdt: failed to attach" "$tmp/err" || die "libbpf's reason is not shown: $(cat "$tmp/err")"
# The ASan build on the same path (its own limit: ASan takes descriptors too): no leak.
asan_found=""
for ((m = found + 12; m >= found - 4; m--)); do
	bash -c "ulimit -n $m; exec timeout 20 $asan_dir/vmexitprof -p $vmm_pid --vmm-time usdt -d 0.1" \
		>/dev/null 2>"$tmp/asan.err" && continue
	if grep -q "^vmexitprof: cannot attach to qemu:" "$tmp/asan.err"; then
		asan_found=$m
		break
	fi
done
[[ -n $asan_found ]] || die "the ASan build never reached the USDT attach failure: $(cat "$tmp/asan.err")"
assert_sanitizer_clean "$tmp/asan.err" "USDT attach failure under ASan+LSan"
release_vmm vmm
wait_ok "$vmm_pid" testvmm
echo "USDT attach failed at $found file descriptors: libbpf's reason, then ours; nothing leaked"
