#!/usr/bin/env bash
# Byte-exact outputs for fixed inputs: what `vmexitprof report` prints
# (text, JSON, terminal heatmaps, SVG, CSV) and what the live loop prints
# per -I interval (tests/golden/render_intervals, which calls the same
# printers), for two dumps in tests/golden/: a real run in the 6.12 rig
# guest (two testvmm VMs, --ports --mmio --per-vcpu -I 150), and the same
# with edge cases added by hand (a VMX VM with a failed VM-entry row and
# an unknown vCPU, errno returns, an unknown KVM_EXIT code, a reused pid).
# The expected files were recorded before the loader's middle was
# reorganised, so a refactor that changes one byte fails here. A change
# of output on purpose re-records them: tests/host/golden-output.sh --record.
# The dump written back must hold the same JSON data (not the same bytes).
. "$(dirname "$0")/../lib/common.sh"
bin=${VMEXITPROF:-./vmexitprof}
render=${OUTPUT:-build}/tests/golden/render_intervals
expected=tests/golden/expected
record=0
[[ ${1-} == --record ]] && record=1
[[ -x $bin && -x $render ]] || die "$bin or $render is missing; run 'make' first"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# NAME | COMMAND (F is the dump; OUT a file the command writes, compared instead of stdout)
cases=$(cat <<'TABLE'
text            | $bin report F
text-vcpu-hist  | $bin report F --per-vcpu --hist all --sort time
text-sort-p99   | $bin report F --sort p99 --hist io
json            | $bin report F --json
json-vcpu       | $bin report F --json --per-vcpu --sort avg
heatmap-color   | COLUMNS=100 $bin report F --heatmap --color=always
heatmap-vmm     | COLUMNS=60 $bin report F --per-vcpu --heatmap=vmm --color=never
svg             | $bin report F --per-vcpu --heatmap-out OUT.svg
csv             | $bin report F --heatmap-out OUT.csv
iv-text         | $render F
iv-text-vcpu    | $render --per-vcpu F
iv-json         | $render --json F
iv-json-vcpu    | $render --json --per-vcpu F
TABLE
)

mismatches=0
checked=0
for dump in tests/golden/rig-6.12.json tests/golden/edges.json; do
	d=$(basename "$dump" .json)
	while IFS='|' read -r name cmd; do
		name=${name// /}
		out=$tmp/$d-$name
		cmd=${cmd//F/$dump}
		cmd=${cmd//OUT/$out}
		eval "$cmd" >"$out.stdout" 2>"$out.stderr" || die "$d/$name: '$cmd' failed: $(cat "$out.stderr")"
		got=$out.stdout
		for f in "$out".svg "$out".csv; do [[ -e $f ]] && got=$f; done
		want=$expected/$d-$name.out
		if ((record)); then
			mkdir -p "$expected"
			cp "$got" "$want"
			continue
		fi
		[[ -f $want ]] || die "$want is missing; record with $0 --record"
		checked=$((checked + 1))
		if ! cmp -s "$got" "$want"; then
			echo "MISMATCH $d/$name ($cmd):"
			diff -u "$want" "$got" | head -20 || true
			mismatches=$((mismatches + 1))
		fi
	done <<<"$cases"
	# The dump written back: the same data.
	$bin report "$dump" --heatmap-out "$tmp/$d-back.json" >/dev/null
	python3 -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); sys.exit(a != b)' \
		"$dump" "$tmp/$d-back.json" || die "$d: the dump written back holds other data"
done
((record)) && { echo "recorded $expected"; exit 0; }
((mismatches == 0)) || die "$mismatches of $checked outputs differ from tests/golden/expected"
echo "$checked outputs byte-identical; both dumps round-trip"
