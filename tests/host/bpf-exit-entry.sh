#!/usr/bin/env bash
# The exit->entry pairing core (bpf/exit_entry.bpf.h) driven with synthetic
# events through BPF_PROG_TEST_RUN: build/tests/bpf/exit_entry_test (from
# tests/bpf/) checks the histograms and counters exactly and exits 77 when
# it cannot run here (not root, no raw_tp test runs); its last line says why.
. "$(dirname "$0")/../lib/common.sh"

bin=${OUTPUT:-build}/tests/bpf/exit_entry_test
[[ -x $bin ]] || die "$bin is missing: run make first"
exec "$bin"
