#!/usr/bin/env python3
"""Exit-to-entry latencies per exit reason from a perf kvm stat recording.

    perf_latencies.py PERF.DATA > LATENCIES.json

perf's own per-event timestamps (perf script --ns), paired per thread: each
kvm_exit with that thread's next kvm_entry, as perf kvm stat does. For
tests that compare distributions, not only perf kvm stat report's
avg/min/max: medians and high percentiles shrug off the rare exit that a
host preemption of the TCG rig lengthened in one tool's figures only.
Prints {"reason": [ns, ...], ...}, each list sorted.
"""
import json
import re
import subprocess
import sys

EVENT = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+kvm:(kvm_exit|kvm_entry):(.*)$")
REASON = re.compile(r"\breason (\S+)")


def main():
    out = subprocess.run(["perf", "script", "-i", sys.argv[1], "--ns", "-F", "tid,time,event,trace"],
                         check=True, capture_output=True, text=True).stdout
    pending, lat = {}, {}
    for line in out.splitlines():
        m = EVENT.match(line)
        if not m:
            continue
        tid, ns = int(m.group(1)), int(m.group(2)) * 10**9 + int(m.group(3).ljust(9, "0")[:9])
        if m.group(4) == "kvm_exit":
            r = REASON.search(m.group(5))
            pending[tid] = (ns, r.group(1) if r else "?")
        elif tid in pending:
            start, reason = pending.pop(tid)
            lat.setdefault(reason, []).append(ns - start)
    json.dump({k: sorted(v) for k, v in lat.items()}, sys.stdout)


if __name__ == "__main__":
    main()
