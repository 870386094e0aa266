#!/usr/bin/env bash
# The same BPF objects load and pass the BPF_PROG_TEST_RUN pairing test on
# the rig kernels as on the host (tests/host/bpf-exit-entry.sh).
exec "$(dirname "$0")/../host/bpf-exit-entry.sh"
