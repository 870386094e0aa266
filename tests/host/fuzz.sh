#!/usr/bin/env bash
# The libFuzzer targets (tests/fuzz/), ASan + UBSan, each from its seed
# corpus for at most 20 s and 5 million inputs: any crash, leak, sanitizer
# report or hang fails, with the input saved under build/fuzz/crashes/.
# The tree is not written to. A longer run: make fuzz FUZZ_SECONDS=600.
. "$(dirname "$0")/../lib/common.sh"

out=${OUTPUT:-build}
for src in tests/fuzz/fuzz_*.c; do
	bin=$out/fuzz/$(basename "$src" .c)
	[[ -x $bin ]] || die "$bin is missing; run 'make' first"
	# make's own view of the target's dependencies (sources, headers, flags' files).
	make -q --no-print-directory OUTPUT="$out" "$bin" 2>/dev/null ||
		die "$bin is out of date; run 'make' first"
done
OUTPUT=$out tests/fuzz/run --seconds "${FUZZ_SECONDS:-20}" --runs 5000000
