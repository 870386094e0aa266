#!/usr/bin/env bash
# vmexitprof --prometheus and --textfile against a real Prometheus (and
# node_exporter's textfile collector) on this host's userspace-exit path,
# where kvm_exit never fires: returns to userspace and the VMM handling
# time, exact against testvmm; a new VM on the same pid as another series;
# every dashboard expression (tests/lib/prometheus.sh, promcheck.py).
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh
. tests/lib/prometheus.sh
prometheus_scenario host
