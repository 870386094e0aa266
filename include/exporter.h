/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP side of --prometheus: GET and HEAD of /metrics (and a page at
 * /), served by libmicrohttpd from its own thread, from the text the loop
 * last published. It knows nothing of VMs: it serves a buffer.
 */
#ifndef VMEXITPROF_EXPORTER_H
#define VMEXITPROF_EXPORTER_H

#include <stddef.h>

struct exporter;

/*
 * Bind addr (an IPv4 or IPv6 address) and port (0: any free one), start
 * serving. 0 and *out, or -1 after a one-line error.
 */
int exporter_start(struct exporter **out, const char *addr, unsigned int port);
/* The port bound: the one given, or the one the kernel chose for 0. */
unsigned int exporter_port(const struct exporter *e);
/* Serve text (malloc'd, len bytes; taken) from now on. */
void exporter_publish(struct exporter *e, char *text, size_t len);
/* How many GET /metrics were answered with the text so far. */
unsigned long long exporter_scrapes(const struct exporter *e);
/* Stop serving, close every connection, free e (NULL: nothing). */
void exporter_stop(struct exporter *e);

#endif /* VMEXITPROF_EXPORTER_H */
