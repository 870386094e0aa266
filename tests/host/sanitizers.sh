#!/usr/bin/env bash
# The loader and the unit tests built with AddressSanitizer (and its leak
# checker) and UndefinedBehaviorSanitizer ('make sanitize', build/asan/):
# the unit tests, every bad command line, `report` on saved dumps, and real
# runs against testvmm
# (text with every section, JSON, and a SIGINT'd all-VMs run) must finish
# as they do without sanitizers and with no sanitizer report.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/sanitizers.sh
. tests/lib/profile.sh

OUTPUT=$asan_dir tests/host/unit.sh >"$tmp/unit.log" 2>&1 || die "unit tests under ASan+UBSan: $(cat "$tmp/unit.log")"
assert_sanitizer_clean "$tmp/unit.log" "unit tests"
VMEXITPROF=$asan_dir/vmexitprof tests/host/vmexitprof-bad-options.sh >"$tmp/bad.log" 2>&1 ||
	die "bad options under ASan+UBSan: $(cat "$tmp/bad.log")"

# Dumps through everything `report` renders: the golden ones, which must
# render, and the fuzz corpus (one with 208 intervals and a cell of 2^62+1
# exits), which may also be refused with a reason (exit 1), never crash.
for dump in tests/golden/*.json tests/fuzz/corpus/dump/*.json; do
	for args in "--per-vcpu --hist all" "--json --per-vcpu" "--heatmap --color=always" \
		"--heatmap=vmm --color=never" "--per-vcpu --heatmap-out $tmp/out.svg"; do
		for columns in 80 30; do
			rc=0
			COLUMNS=$columns "$asan_dir/vmexitprof" report "$dump" $args >/dev/null 2>"$tmp/report.err" || rc=$?
			assert_sanitizer_clean "$tmp/report.err" "report $dump $args (COLUMNS=$columns)"
			((rc == 0)) || [[ $dump == tests/fuzz/* && $rc == 1 && -s $tmp/report.err ]] ||
				die "report $dump $args (COLUMNS=$columns) exited $rc: $(cat "$tmp/report.err")"
		done
	done
done

[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host: no runs against testvmm"
vmexitprof_cmd=("$asan_dir/vmexitprof")
start_vmm vmm --vcpus 2 --pio 300 --mmio 100 --hlt 20 --scale 1,3 --hlt-sleep-us 1000 --delay 500
start_profiler text -p "$vmm_pid" --per-vcpu --ports --mmio --hist all
start_profiler json -p "$vmm_pid" --per-vcpu --ports --mmio --json --sort time
start_profiler all
release_vmm vmm
wait_ok "$vmm_pid" testvmm
wait_clean "$text_pid" "vmexitprof (text) under ASan+UBSan" "$tmp/text.err"
wait_clean "$json_pid" "vmexitprof (--json) under ASan+UBSan" "$tmp/json.err"
kill -INT "$all_pid"
wait_clean "$all_pid" "vmexitprof (all VMs, SIGINT) under ASan+UBSan" "$tmp/all.err"
grep -q '^Returns to userspace' "$tmp/text.out" || die "text report without the returns to userspace: $(cat "$tmp/text.out")"
grep -q '^Events: ' "$tmp/all.out" || die "no report after SIGINT: $(cat "$tmp/all.out")"
python3 - "$tmp/vmm.json" "$tmp/json.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
vm = [v for v in prof["vms"] if v["pid"] == truth["pid"]]
check(len(vm) == 1, "the VM is in the report")
check(prof.get("attach") in ("tp_btf", "classic"), f"attach {prof.get('attach')!r}")
returns = sum(n for v in truth["vcpus"] for k, n in v["kvm_run_returns"].items() if k != "EINTR")
got = sum(u["count"] for u in vm[0]["userspace"]) if vm else None
check(got == returns, f"returns to userspace {got} != testvmm's {returns}")
finish()
PY
