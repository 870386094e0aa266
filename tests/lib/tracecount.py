#!/usr/bin/env python3
"""Count KVM tracepoint hits per thread through tracefs, around a command.

    tracecount.py --out COUNTS.json -- COMMAND [ARGS...]

An independent oracle for tests: it uses the kernel's own hist triggers in
a private tracefs instance (in-kernel counting, so no ring buffer can
overflow) and knows nothing of vmexitprof. COMMAND's stdout and stderr
pass through; the exit status is COMMAND's.

COUNTS.json maps each event to a list of {"key": {field: value}, "hits": N}
rows, with the keys below (raw numeric field values).
"""
import argparse
import json
import os
import re
import subprocess
import sys

TRACEFS = "/sys/kernel/tracing"
EVENT_KEYS = {
    # A hist trigger takes at most three keys.
    "kvm_exit": "common_pid,vcpu_id,exit_reason",
    "kvm_entry": "common_pid,vcpu_id",
    "kvm_userspace_exit": "common_pid,reason,errno",
    "kvm_pio": "common_pid,rw,port",
    "kvm_mmio": "common_pid,type,gpa",
}
ROW = re.compile(r"^\{(.*)\}\s+hitcount:\s+(\d+)")
PAIR = re.compile(r"(\w+):\s*(-?\d+)")


def signed64(v):
    return v - (1 << 64) if v >= (1 << 63) else v


def parse_hist(text):
    rows = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            # hist prints signed fields (errno) as unsigned 64-bit values.
            key = {k: signed64(int(v)) for k, v in PAIR.findall(m.group(1))}
            rows.append({"key": key, "hits": int(m.group(2))})
    return rows


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("command", nargs="+")
    args = ap.parse_args()

    if not os.path.isdir(os.path.join(TRACEFS, "events", "kvm")):
        sys.exit("tracecount: no kvm events under %s (tracefs mounted? kvm loaded?)" % TRACEFS)
    inst = os.path.join(TRACEFS, "instances", "tracecount-%d" % os.getpid())
    os.mkdir(inst)
    triggers = []
    try:
        for event, keys in EVENT_KEYS.items():
            trig = os.path.join(inst, "events", "kvm", event, "trigger")
            spec = "hist:keys=%s:vals=hitcount:size=8192" % keys
            write(trig, spec)
            triggers.append((trig, spec))
        rc = subprocess.call(args.command)
        counts = {}
        for event in EVENT_KEYS:
            with open(os.path.join(inst, "events", "kvm", event, "hist")) as f:
                text = f.read()
            # "Dropped: N" means the hist table filled up: the counts are useless.
            dropped = re.search(r"Dropped:\s*(\d+)", text)
            if dropped and int(dropped.group(1)):
                sys.exit("tracecount: %s hist dropped %s entries" % (event, dropped.group(1)))
            counts[event] = parse_hist(text)
        with open(args.out, "w") as f:
            json.dump(counts, f, indent=1)
    finally:
        for trig, spec in triggers:
            write(trig, "!" + spec)
        os.rmdir(inst)
    sys.exit(rc)


if __name__ == "__main__":
    main()
