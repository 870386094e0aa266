#!/usr/bin/env bash
# Losses are counted and shown where they happen: 20 VMs at once under
# --max-keys 16 overflow vms_seen (16 VMs) and the histograms, so 4 VMs
# go unrecorded (vms_seen_full, exactly, against the 20 testvmm started)
# and VMM handling times are dropped (vmm_intervals_dropped). The -I
# lines' '#' line names both, and the report's loss lines and JSON
# counters agree with the sum of the intervals.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh

nr=20
for ((i = 0; i < nr; i++)); do
	start_vmm "vm$i" --pio 300 --mmio 100 --hlt 20
done
start_profiler text --max-keys 16 -I 100
start_profiler json --max-keys 16 --json
for ((i = 0; i < nr; i++)); do release_vmm "vm$i"; done
for ((i = 0; i < nr; i++)); do v=vm${i}_pid; wait_ok "${!v}" "testvmm $i"; done
sleep 0.5
kill -INT "$text_pid" "$json_pid"
wait_ok "$text_pid" "vmexitprof -I"
wait_ok "$json_pid" "vmexitprof --json"

python3 - "$tmp" "$nr" <<'PY'
import re, sys
sys.path.insert(0, "tests/lib")
from reports import *
tmp, nr = sys.argv[1], int(sys.argv[2])
text = open(f"{tmp}/text.out").read()
total = load(f"{tmp}/json.out")["counters"]
check(total["vms_seen_full"] == nr - 16, f"vms_seen_full {total['vms_seen_full']}, expected {nr - 16}")
check(total["vmm_intervals_dropped"] > 0, "no VMM handling time dropped with 16 histogram slots")
lost = {}
for line in text.splitlines():
    if line.startswith("#   lost or unpaired in this interval: "):
        for name, n in re.findall(r"(\w+) (\d+)", line.split(": ", 1)[1]):
            lost[name] = lost.get(name, 0) + int(n)
check(lost.get("vms_seen_full") == nr - 16, f"-I '#' lines: vms_seen_full {lost.get('vms_seen_full')}")
check(lost.get("vmm_intervals_dropped", 0) > 0, f"-I '#' lines name no vmm_intervals_dropped: {lost}")
m = re.search(r"Also lost: .* (\d+) VMs not recorded", text)
check(m and int(m.group(1)) == lost.get("vms_seen_full"), "the report's 'Also lost' line")
m = re.search(r"Also dropped: \d+ returns to userspace .*?, (\d+) VMM handling times", text)
check(m and int(m.group(1)) == lost.get("vmm_intervals_dropped"),
      f"the report's 'Also dropped' line against the intervals' {lost.get('vmm_intervals_dropped')}")
finish()
PY
