#!/usr/bin/env bash
# vmexitprof --prometheus and --textfile against a real Prometheus and
# node_exporter in the rig, where kvm_exit fires: exits per SVM reason and
# returns to userspace exact against testvmm through increase(), the exit
# latency's and the VMM handling time's histogram_quantile(0.99) within a
# bucket of vmexitprof's p99, a new VM on the same pid as another series,
# and every dashboard expression with data (tests/lib/prometheus.sh).
. "$(dirname "$0")/../lib/common.sh"
. tests/lib/profile.sh
. tests/lib/prometheus.sh
# The guest's loopback may come up down.
ip link set lo up 2>/dev/null || true
prometheus_scenario rig
