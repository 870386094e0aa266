#!/usr/bin/env bash
# tracefs-vs-testvmm.sh on a run that testvmm stops at any point
# (--duration): the guest's own counts of in-kernel exits stay exact
# (testvmm's PC check), and every WFI blocked when stopped still counts.
TESTVMM_ARGS="--vcpus 2 --duration 1.5 --phase sysreg=50,hvc=20,mmio=5,mmio_read=5,wfi=3 --phase wfi=2,sysreg=7" \
	exec "$(dirname "$0")/tracefs-vs-testvmm.sh"
