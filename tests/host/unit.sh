#!/usr/bin/env bash
# The C unit tests (tests/unit/test_*.c): each built binary must exist, be
# newer than its source, and exit 0. Build them with 'make'.
. "$(dirname "$0")/../lib/common.sh"

bindir=${OUTPUT:-build}/tests/unit
failed=()
for src in tests/unit/test_*.c; do
	name=$(basename "$src" .c)
	bin=$bindir/$name
	[[ -x $bin ]] || die "$bin is missing; run 'make' first"
	for dep in "$src" tests/unit/check.h; do
		[[ $bin -nt $dep ]] || die "$bin is older than $dep; run 'make' first"
	done
	echo "--- $name"
	rc=0
	"$bin" tests/unit/data || rc=$?
	((rc == 0)) || failed+=("$name (exit $rc)")
done
((${#failed[@]} == 0)) || die "unit tests failed: ${failed[*]}"
