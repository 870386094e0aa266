#!/usr/bin/env bash
# The ASan+UBSan loader ('make sanitize') where kvm_exit fires: latency
# tables, histograms (--hist all), per-vCPU, ports and MMIO, text and JSON,
# intervals with a heatmap and a dump, and 'report' reading that dump.
# Both runs must end as usual with no sanitizer report, and the JSON one
# must still count testvmm's exits exactly.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/sanitizers.sh
. tests/lib/profile.sh

vmexitprof_cmd=("$asan_dir/vmexitprof")
start_vmm vmm --vcpus 2 --cpuid 2000 --pio 200 --mmio 50 --hlt 10 --scale 1,2
start_profiler text -p "$vmm_pid" --per-vcpu --ports --mmio --hist all --sort p99
start_profiler json -p "$vmm_pid" --per-vcpu --ports --mmio --json
start_profiler intervals -p "$vmm_pid" -I 200 --heatmap --heatmap-out "$tmp/run.json" --color always
release_vmm vmm
wait_ok "$vmm_pid" testvmm
wait_clean "$text_pid" "vmexitprof (text) under ASan+UBSan" "$tmp/text.err"
wait_clean "$json_pid" "vmexitprof (--json) under ASan+UBSan" "$tmp/json.err"
wait_clean "$intervals_pid" "vmexitprof (-I --heatmap --heatmap-out) under ASan+UBSan" "$tmp/intervals.err"
# The dump read back: the report parser under the sanitizers too.
"$asan_dir/vmexitprof" report "$tmp/run.json" --heatmap --per-vcpu >"$tmp/report.out" 2>"$tmp/report.err" &
wait_clean $! "vmexitprof report FILE under ASan+UBSan" "$tmp/report.err"
grep -q -E '^REASON ' "$tmp/report.out" || die "report FILE printed no table: $(cat "$tmp/report.out")"
grep -q -E '^  cpuid, VM pid [0-9]+: [0-9]+ exits$' "$tmp/text.out" || die "no cpuid histogram: $(cat "$tmp/text.out")"

python3 - "$tmp/vmm.json" "$tmp/json.out" <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from reports import *

truth, prof = load(sys.argv[1]), load(sys.argv[2])
check_vm_exit_counts(prof["vms"][0], truth, "ASan+UBSan")
check_io_tallies(prof["vms"][0], truth, "--ports/--mmio")
finish()
PY
