/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --trace-out FILE.json: the run's slow exits in the Chrome trace event
 * format, which Perfetto's UI and chrome://tracing open: a process per
 * VM, a track (thread) per vCPU, each slow exit a complete ("X") slice
 * with its fields as args.
 */
#ifndef VMEXITPROF_TRACE_OUT_H
#define VMEXITPROF_TRACE_OUT_H

#include <stdio.h>

#include "reasons.h"
#include "snapshot.h"

/* 0, or ENOMEM (the file is then not kept: the caller writes it atomically). */
int trace_out_write(FILE *out, const struct run *run, const struct reason_table *names);

#endif /* VMEXITPROF_TRACE_OUT_H */
