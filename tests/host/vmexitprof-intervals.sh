#!/usr/bin/env bash
# -I in phases: testvmm (one vCPU) runs a phase of port writes, then MMIO
# (on this host; CPUID in the rig, where kvm_exit fires), then HLTs with
# idle time. Checked:
#  - the JSON lines: one per interval in time order, then the total, each
#    saying whether kvm_exit fired as the total does; the
#    intervals add up to the total, and the total to testvmm's ground truth;
#  - the phases show in order, and the heatmap's latency moves up where
#    HLT starts (from the dump's cells, which are what the heatmap draws);
#  - the dump round trip: "report x.json --json" gives the live numbers;
#    the CSV holds the same counts; the SVG parses as XML and renders in
#    headless Chromium to a non-blank PNG of its declared size;
#  - the terminal heatmap under a pseudo-terminal (script): colour on a
#    tty, none with NO_COLOR, --color=never or a pipe; a narrow terminal
#    is downsampled, never wrapped.
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh

if [[ -d /sys/module/kvm_pvm ]]; then
	# No kvm_exit here: the heatmap is of the VMM handling time.
	phases=(--phase pio=20000 --phase mmio=8000 --phase hlt=200)
	view=vmm
else
	phases=(--phase cpuid=15000 --phase pio=2000 --phase hlt=150)
	view=all
fi
start_vmm vmm --vcpus 1 "${phases[@]}" --hlt-sleep-us 3000
start_profiler prof -p "$vmm_pid" -I 50 --json --heatmap-out "$tmp/run.json"
release_vmm vmm
wait_ok "$vmm_pid" testvmm
wait_ok "$prof_pid" vmexitprof
[[ -s $tmp/run.json ]] || die "no dump written"

./vmexitprof report "$tmp/run.json" --json >"$tmp/report.json" || die "report failed"
./vmexitprof report "$tmp/run.json" --heatmap "$view" --heatmap-out "$tmp/run.csv" >/dev/null ||
	die "report --heatmap-out csv failed"
./vmexitprof report "$tmp/run.json" --heatmap "$view" --heatmap-out "$tmp/run.svg" >/dev/null ||
	die "report --heatmap-out svg failed"

python3 - "$tmp" "$view" <<'PY'
import csv, json, math, sys
sys.path.insert(0, "tests/lib")
from reports import *

tmp, view = sys.argv[1], sys.argv[2]
truth = load(f"{tmp}/vmm.json")
lines = [json.loads(l) for l in open(f"{tmp}/prof.out")]
intervals, total = lines[:-1], lines[-1]
check(total["type"] == "total" and all(l["type"] == "interval" for l in intervals),
      f"types {[l['type'] for l in lines]}")
check(len(intervals) >= 6, f"only {len(intervals)} intervals of 50 ms")
check([l["interval"] for l in intervals] == list(range(1, len(intervals) + 1)), "interval numbers")
check(all(a["end_ns"] == b["start_ns"] for a, b in zip(intervals, intervals[1:])), "intervals abut")
check(all(l["start_ns"] < l["end_ns"] for l in intervals), "intervals have length")
# kvm_exit fires in the rig, never on PVM; every line says so once a guest
# ran (before, nothing can be known: such a line says true), not only the total.
check(total["kvm_exit_fired"] == (view != "vmm"), f"total kvm_exit_fired {total['kvm_exit_fired']}")
ran = 0
for l in intervals:
    ran += l["counters"]["exits"] + l["counters"]["userspace_exits"]
    check(l["kvm_exit_fired"] == (total["kvm_exit_fired"] if ran else True),
          f"interval {l['interval']}: kvm_exit_fired {l['kvm_exit_fired']}, guests ran: {ran > 0}")

def rows(doc, field):
    """{name: count} over the document's VMs, for reasons or userspace."""
    out = {}
    for vm in doc["vms"]:
        for r in vm[field]:
            out[r["name"] if field == "reasons" else r["reason"]] = \
                out.get(r["name"] if field == "reasons" else r["reason"], 0) + r["count"]
    return out

field = "userspace" if view == "vmm" else "reasons"
summed = {}
for l in intervals:
    for k, n in rows(l, field).items():
        summed[k] = summed.get(k, 0) + n
check(summed == rows(total, field), f"intervals add up: {summed} != total {rows(total, field)}")
check(all(l["counters"]["exits_pending"] is None for l in intervals), "exits_pending is the run's alone")
for c in (c for c in total["counters"] if c != "exits_pending"):
    s = sum(l["counters"][c] for l in intervals)
    check(s == total["counters"][c], f"counter {c}: intervals {s} != total {total['counters'][c]}")
v = truth["vcpus"][0]
if view == "vmm":
    want = {k: n for k, n in v["kvm_run_returns"].items() if k != "EINTR" and n}
    check(rows(total, field) == want, f"total {rows(total, field)} != testvmm's {want}")
    order = ["IO", "MMIO", "HLT"]
else:
    t = rows(total, field)
    check(t.get("cpuid") == v["caused"]["cpuid"], f"cpuid exits {t.get('cpuid')} != {v['caused']['cpuid']}")
    check(t.get("hlt") == v["caused"]["hlt"], f"hlt exits {t.get('hlt')} != {v['caused']['hlt']}")
    order = ["cpuid", "io", "hlt"]

# Phases in order: each one's count-weighted mean interval comes after the last's.
def centre(name):
    w = [(i, rows(l, field).get(name, 0)) for i, l in enumerate(intervals)]
    n = sum(c for _, c in w)
    return sum(i * c for i, c in w) / n if n else None
centres = [centre(n) for n in order]
print("phase centres (interval index):", dict(zip(order, centres)))
check(None not in centres and centres == sorted(centres) and len(set(centres)) == 3,
      f"phases out of order: {dict(zip(order, centres))}")

# Round trip: the report of the dump is the live total.
rep = load(f"{tmp}/report.json")
for k in ("counters", "vms", "kvm_exit_fired", "vmm_time_source"):
    check(rep[k] == total[k], f"report of the dump differs in {k}: {rep[k]} != {total[k]}")

# The heatmap's cells (the CSV of the same data): latency moves up where HLT starts.
cells = list(csv.DictReader(open(f"{tmp}/run.csv")))
sel = [c for c in cells if (c["what"] == "vmm") == (view == "vmm")]
csv_total = {}
for c in sel:
    csv_total[c["reason"]] = csv_total.get(c["reason"], 0) + int(c["count"])
want = {k: n for k, n in rows(total, field).items()} if view != "vmm" else \
       {k: sum(u["handling"]["count"] for vm in total["vms"] for u in vm["userspace"]
               if u["reason"] == k and u["handling"]) for k in rows(total, field)}
check(csv_total == {k: n for k, n in want.items() if n}, f"CSV counts {csv_total} != {want}")
def log_mean(t):
    cs = [c for c in sel if c["start_s"] == t]
    n = sum(int(c["count"]) for c in cs)
    return sum(int(c["count"]) * math.log(max(int(c["bucket_lower_ns"]), 1)) for c in cs) / n if n else None
starts = sorted({c["start_s"] for c in sel}, key=float)
means = [log_mean(t) for t in starts]
hlt_first = min(i for i, l in enumerate(intervals) if rows(l, field).get(order[2]))
before = [m for t, m in zip(starts, means) if float(t) * 1e9 < intervals[hlt_first]["start_ns"] and m]
after = [m for t, m in zip(starts, means) if float(t) * 1e9 > intervals[hlt_first]["end_ns"] and m]
check(before and after and max(before) < min(after),
      f"heatmap latency does not move up at HLT: before {before}, after {after}")
finish()
PY

# The SVG: well-formed, one rect per cell, and it renders.
python3 - "$tmp/run.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
rects = [r for r in root.iter(ns + "rect") if r.find(ns + "title") is not None]
if not rects or int(root.get("width")) < 800 or int(root.get("height")) < 100:
    sys.exit(f"assertion failed: SVG has {len(rects)} cells, size {root.get('width')}x{root.get('height')}")
print(f"SVG: {len(rects)} cells, {root.get('width')}x{root.get('height')}")
PY
if [[ -n ${VMEXITPROF_IN_RIG:-} ]]; then
	# Chromium under TCG takes minutes; the host run of this test renders the same SVG code.
	echo "note: in the rig: SVG rendering is left to the host run"
elif command -v chromium >/dev/null; then
	read -r width height < <(python3 -c 'import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot(); print(r.get("width"), r.get("height"))' "$tmp/run.svg")
	# Chromium wants a writable home; --no-sandbox as root.
	HOME=$tmp timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size="$width,$height" --screenshot="$tmp/run.png" "file://$tmp/run.svg" \
		>"$tmp/chromium.log" 2>&1 || die "chromium failed: $(tail -3 "$tmp/chromium.log")"
	python3 - "$tmp/run.png" "$width" "$height" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
w, h = struct.unpack(">II", data[16:24])
if (w, h) != (int(sys.argv[2]), int(sys.argv[3])):
    sys.exit(f"assertion failed: PNG is {w}x{h}, the SVG {sys.argv[2]}x{sys.argv[3]}")
# Decode the IDAT stream; count distinct bytes of pixel data: a blank page has one or two.
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
distinct = len(set(zlib.decompress(idat)))
if distinct < 20:
    sys.exit(f"assertion failed: the rendered PNG looks blank ({distinct} distinct byte values)")
print(f"PNG {w}x{h}, {distinct} distinct byte values")
PY
else
	# CI installs chromium (tools/install-deps); a developer machine may not have it.
	echo "note: chromium not installed: SVG not rendered"
fi

# The terminal heatmap, under a pseudo-terminal and not.
tty_run() { script -qec "stty cols $1; $2" /dev/null | tr -d '\r' || true; }
color=$(tty_run 100 "./vmexitprof report $tmp/run.json --heatmap $view")
grep -q $'\e\[48;5;' <<<"$color" || die "no colour on a tty: $color"
plain=$(tty_run 100 "NO_COLOR=1 ./vmexitprof report $tmp/run.json --heatmap $view")
! grep -q $'\e' <<<"$plain" || die "colour despite NO_COLOR"
grep -q 'count per cell: \.=1' <<<"$plain" || die "no ASCII legend without colour: $plain"
never=$(tty_run 100 "./vmexitprof report $tmp/run.json --heatmap $view --color=never")
! grep -q $'\e' <<<"$never" || die "colour despite --color=never"
piped=$(./vmexitprof report "$tmp/run.json" --heatmap "$view")
! grep -q $'\e' <<<"$piped" || die "colour into a pipe"
always=$(./vmexitprof report "$tmp/run.json" --heatmap "$view" --color=always)
grep -q $'\e\[48;5;' <<<"$always" || die "no colour with --color=always"
# 24 columns leave 13 for the intervals, fewer than even a short run has.
narrow=$(tty_run 24 "./vmexitprof report $tmp/run.json --heatmap $view --color=never")
grep -q 'to a column to fit 24 columns' <<<"$narrow" || die "24 columns: not downsampled: $narrow"
long=$(sed -n '/^ *[0-9.]*[num]*s |/p' <<<"$narrow" | awk 'length > 24' | head -3)
[[ -z $long ]] || die "heatmap rows wider than the 24-column terminal: $long"
echo "terminal heatmap: colour on a tty, none with NO_COLOR/--color=never/a pipe, downsampled to 24 columns"
