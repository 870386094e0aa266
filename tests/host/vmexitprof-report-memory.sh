#!/usr/bin/env bash
# `report FILE` refuses, in one line, a dump that json-c's tree would need
# more memory for than MemAvailable says there is: /proc/meminfo is
# replaced, in a private mount namespace, by one that claims 16 MiB
# available, which the 22 KB golden dump fits (x 24) and a 4 MB one does not.
. "$(dirname "$0")/../lib/common.sh"
bin=${VMEXITPROF:-./vmexitprof}
command -v unshare >/dev/null || skip "no unshare"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/^MemAvailable:.*/MemAvailable:      16384 kB/' /proc/meminfo >"$tmp/meminfo"
python3 - "$tmp/big.json" <<'PY'
import json, sys
d = json.load(open("tests/golden/rig-6.12.json"))
iv = max(d["intervals"], key=lambda x: len(json.dumps(x)))
d["intervals"] = []
for i in range(600):
    x = json.loads(json.dumps(iv))
    x["start_ns"], x["end_ns"] = 1000 * i, 1000 * i + 1000
    d["intervals"].append(x)
json.dump(d, open(sys.argv[1], "w"))
PY
in_small_memory() { unshare -m sh -c "mount --bind $tmp/meminfo /proc/meminfo && exec \"\$@\"" sh "$@"; }
in_small_memory grep -q 'MemAvailable: *16384 kB' /proc/meminfo || skip "cannot bind-mount over /proc/meminfo here"
rc=0
in_small_memory "$bin" report "$tmp/big.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
assert_eq "$rc" 1 "exit status for a dump too big for the memory"
assert_eq "$(wc -l <"$tmp/err")" 1 "stderr lines"
assert_match "$(cat "$tmp/err")" "^vmexitprof: report: .*big.json: reading this [0-9]+ MiB dump takes about [0-9]+ MiB of memory, and 16 MiB are available$"
[[ ! -s $tmp/out ]] || die "printed a report anyway"
in_small_memory "$bin" report tests/golden/rig-6.12.json >/dev/null || die "the small golden dump was refused"
echo "a $(du -k "$tmp/big.json" | cut -f1) KiB dump refused with 16 MiB available; the golden one read"
