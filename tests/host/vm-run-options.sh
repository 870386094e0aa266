#!/usr/bin/env bash
# tests/vm/run rejects bad options with a usage error (exit 2), before booting,
# with --cpu amd (QEMU) and --cpu intel (Bochs).
. "$(dirname "$0")/../lib/common.sh"

cases=(
	"--kernel 6.1"
	"--kernel 5.10 -- true"
	"-- true"
	"--kernel"
	"--kernel 6.1 --cpus 0 -- true"
	"--kernel 6.1 --cpus -1 -- true"
	"--kernel 6.1 --cpus x -- true"
	"--kernel 6.1 --cpus 99999999999 -- true"
	"--kernel 6.1 --mem 12 -- true"
	"--kernel 6.1 --timeout '' -- true"
	"--kernel 6.1 --bogus -- true"
	"--cpu arm -- true"
	"--cpu"
	"--cpu intel --kernel 6.1 -- true"
	"--cpu intel --qemu-cpu EPYC -- true"
	"--cpu intel --icount 3 -- true"
	"--kernel 6.1 --bochs-cpu corei7_skylake_x -- true"
	"--cpu intel"
)
for c in "${cases[@]}"; do
	eval "args=($c)"
	expect_status 2 tests/vm/run "${args[@]}"
	assert_match "$err" "^tests/vm/run: .*" "usage error for: $c"
done
tests/vm/run --help | grep -q -- '--kernel 6.1|6.12' || die "--help prints no usage"
tests/vm/run --help | grep -q -- '--cpu amd|intel' || die "--help says nothing of --cpu"
