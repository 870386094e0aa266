#!/usr/bin/env bash
# tests/vm/run rejects bad options with a usage error (exit 2), before booting,
# with --cpu amd (QEMU), --cpu intel (Bochs) and --arch arm64, and their
# nonsense combinations.
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
	"--arch"
	"--arch mips --kernel 6.1 -- true"
	"--arch arm64 -- true"
	"--arch arm64 --kernel 5.10 -- true"
	"--cpu intel --arch arm64 -- true"
	"--arch arm64 --cpu intel --kernel 6.12 -- true"
	"--arch arm64 --cpu amd --kernel 6.1 -- true"
	"--arch arm64 --kernel 6.1 --bochs-cpu corei7_skylake_x -- true"
)
for c in "${cases[@]}"; do
	eval "args=($c)"
	expect_status 2 tests/vm/run "${args[@]}"
	assert_match "$err" "^tests/vm/run: .*" "usage error for: $c"
done
tests/vm/run --help | grep -q -- '--kernel 6.1|6.12' || die "--help prints no usage"
tests/vm/run --help | grep -q -- '--cpu amd|intel' || die "--help says nothing of --cpu"
tests/vm/run --help | grep -q -- '--arch x86_64|arm64' || die "--help does not mention --arch"
# A CPU for another architecture's guest is named as the mistake it is.
for c in "--cpu intel --arch arm64 -- true" "--arch arm64 --kernel 6.1 --cpu amd -- true"; do
	eval "args=($c)"
	expect_status 2 tests/vm/run "${args[@]}"
	assert_match "$err" "^tests/vm/run: --cpu is for --arch x86_64" "the error for: $c"
done
