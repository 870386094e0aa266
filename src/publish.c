// SPDX-License-Identifier: GPL-2.0
/*
 * The exposition kept current (include/publish.h).
 *
 * Counters and memory over days: every exposed number is a field of the
 * run's cumulative snapshot, which only grows while the process lives
 * (an exited VM's entries move out of the maps into the collector's own
 * snapshot, whole). A VM that exited keeps its series, at their final
 * values, for PUBLISH_EXITED_DELIVERIES deliveries on a route; then that
 * route leaves them out. They are never merged into another series (that
 * series would jump by the VM's whole count at once, a false spike in
 * every rate()). Process-wide totals stay in vmexitprof_events_total,
 * from the BPF counters. A later process on the same pid is another VM
 * (its start differs), so another series (the start_ticks label).
 * Memory: the collector keeps at most --keep-exited exited VMs apart and
 * folds older ones into one pseudo-VM, never shown; this file keeps an
 * entry per VM of the collector's list and per series shown, and the
 * texts are made anew each time, not grown.
 *
 * The two routes, /metrics and the textfile, are delivered at their own
 * pace (each scrape; each -I interval), so each has its own text: a
 * series is born, and an exited VM retires, on each route after that
 * route's own deliveries.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporter.h"
#include "publish.h"
#include "summary.h"
#include "util.h"

enum route { ROUTE_HTTP, ROUTE_TEXTFILE };

/*
 * Series are born at zero. Prometheus' increase() and rate() count from
 * a series' first sample: one that appears already at 1234 loses those
 * 1234. So on each route a series is first shown at 0, and its numbers
 * follow once that was delivered twice: two scrapes of /metrics, or two
 * writes of the textfile (node_exporter reads it when it is scraped,
 * which we do not see). Twice, because a delivery is not an ingestion: a
 * scrape that Prometheus gave up on (scrape_timeout, on a loaded host: up
 * is 0 for it) was still served, and the rig's Prometheus test lost a
 * short VM's zero so. Nothing is lost, only delayed.
 */
#define PUBLISH_BORN_DELIVERIES 2

int publish_start(struct publisher *p, const struct publish_opts *opts)
{
	memset(p, 0, sizeof(*p));
	p->opts = *opts;
	if (!opts->http)
		return 0;
	if (exporter_start(&p->http, opts->http_addr, opts->http_port))
		return -1;
	/* Tests and scripts read the port here (it is the kernel's choice for port 0). */
	fprintf(stderr, "vmexitprof: serving metrics on http://%s%s%s:%u/metrics\n",
		strchr(opts->http_addr, ':') ? "[" : "", opts->http_addr,
		strchr(opts->http_addr, ':') ? "]" : "", exporter_port(p->http));
	return 0;
}

static struct publish_mark mark_now(const struct publisher *p)
{
	return (struct publish_mark){ p->http ? exporter_scrapes(p->http) : 0, p->textfile_writes };
}

/* At least n deliveries on route r since m. */
static bool delivered_since(const struct publisher *p, const struct publish_mark *m, enum route r,
			    unsigned long long n)
{
	struct publish_mark now = mark_now(p);

	return r == ROUTE_HTTP ? now.scrapes - m->scrapes >= n : now.writes - m->writes >= n;
}

static bool route_used(const struct publisher *p, enum route r)
{
	return r == ROUTE_HTTP ? p->http != NULL : p->opts.textfile != NULL;
}

static struct publish_exited *exited_vm(const struct publisher *p, __u32 pid, __u64 start)
{
	for (size_t i = 0; i < p->nr_exited; i++)
		if (p->exited[i].pid == pid && p->exited[i].start == start)
			return &p->exited[i];
	return NULL;
}

/* Follow the collector's exited list: new ones noted as of now, those it folded away forgotten. */
static int follow_exited(struct publisher *p, const struct vm_id *exited, size_t nr)
{
	struct publish_exited *next = NULL, *e;
	size_t nr_next = 0;

	for (size_t i = 0; i < nr; i++) {
		const struct publish_exited *known = exited_vm(p, exited[i].pid, exited[i].start);

		e = array_append(&next, &nr_next, sizeof(*e));
		if (!e) {
			free(next);
			return -ENOMEM;
		}
		*e = known ? *known : (struct publish_exited){ .pid = exited[i].pid, .start = exited[i].start,
								 .since = mark_now(p) };
	}
	free(p->exited);
	p->exited = next;
	p->nr_exited = nr_next;
	return 0;
}

/* What a render leaves out: the merged VM always; exited VMs once retired on its route (or on every one). */
struct render {
	struct publisher *p;
	enum route route;
	bool all_routes;
	struct publish_mark now;
	bool tracking;			/* noting the series, not rendering */
	struct publish_series *next;	/* the series noted, with their births */
	size_t nr;
	int err;
};

static bool retired_on(const struct publisher *p, const struct publish_exited *e, enum route r)
{
	return route_used(p, r) && delivered_since(p, &e->since, r, PUBLISH_EXITED_DELIVERIES);
}

static bool not_shown(const struct run_vm *vm, void *ctx)
{
	const struct render *rd = ctx;
	const struct publish_exited *e = exited_vm(rd->p, vm->pid, vm->start);

	if (vm->pid == FOLDED_VM_PID)
		return true;
	if (!e)
		return false;
	if (!rd->all_routes)
		return retired_on(rd->p, e, rd->route);
	return (!route_used(rd->p, ROUTE_HTTP) || retired_on(rd->p, e, ROUTE_HTTP)) &&
	       (!route_used(rd->p, ROUTE_TEXTFILE) || retired_on(rd->p, e, ROUTE_TEXTFILE));
}

/* Compared with memcmp up to born: no padding may hide in between. */
_Static_assert(offsetof(struct publish_series, born) == 48, "publish_series has no holes");

static int cmp_series(const void *a, const void *b)
{
	return memcmp(a, b, offsetof(struct publish_series, born));
}

enum { SERIES_EXIT, SERIES_VMM, SERIES_UEXIT, SERIES_IO };

/*
 * One row's series. Tracking: note it, with its birth
 * (kept from before, else now); returns false. Rendering: whether to
 * show it at zero, as it was not delivered so on this route yet; then
 * its VM, if it exited, lingers from now on this route.
 */
static bool unborn(struct render *rd, struct publish_series *key)
{
	const struct publish_series *old = rd->p->nr_series ?
		bsearch(key, rd->p->series, rd->p->nr_series, sizeof(*key), cmp_series) : NULL;
	struct publish_exited *e;

	if (rd->tracking) {
		struct publish_series *slot = array_append(&rd->next, &rd->nr, sizeof(*slot));

		if (!slot) {
			rd->err = -ENOMEM;
			return false;
		}
		key->born = old ? old->born : rd->now;
		*slot = *key;
		return false;
	}
	if (old && delivered_since(rd->p, &old->born, rd->route, PUBLISH_BORN_DELIVERIES))
		return false;
	e = exited_vm(rd->p, key->pid, key->start);
	if (e && rd->route == ROUTE_HTTP)
		e->since.scrapes = rd->now.scrapes;
	else if (e)
		e->since.writes = rd->now.writes;
	return true;
}

static void visit_rows(struct render *rd, const struct run_vm *vm, __u32 vcpu, struct reason_rows *reasons,
		       struct reason_rows *vmm, struct uexit_rows *uexits)
{
	struct publish_series key;

	memset(&key, 0, sizeof(key));	/* memcmp'd whole: no stray bytes */
	key.pid = vm->pid;
	key.start = vm->start;
	key.vcpu = vcpu;
	for (int set = 0; set < 2; set++) {
		struct reason_rows *rows = set ? vmm : reasons;

		for (size_t i = 0; i < rows->nr; i++) {
			struct reason_row *r = &rows->rows[i];

			key.kind = set ? SERIES_VMM : SERIES_EXIT;
			key.isa = r->isa;
			key.reason = r->reason;
			key.flags = r->flags;
			if (unborn(rd, &key))
				memset(&r->h, 0, sizeof(r->h));
		}
	}
	key.isa = 0;
	for (size_t i = 0; i < uexits->nr; i++) {
		key.kind = SERIES_UEXIT;
		key.reason = uexits->rows[i].reason;
		key.flags = uexits->rows[i].flags;
		if (unborn(rd, &key))
			uexits->rows[i].count = 0;
	}
}

/* Every row that is a series: per VM, or per vCPU with --per-vcpu; the tallies per VM. */
static void visit_summary(struct render *rd, struct summary *sum)
{
	for (size_t i = 0; i < sum->nr_vms; i++) {
		struct vm_summary *vm = &sum->vms[i];

		if (rd->p->opts.expose.per_vcpu) {
			for (size_t j = 0; j < vm->nr_vcpus; j++) {
				struct vcpu_summary *v = &vm->vcpus[j];

				visit_rows(rd, &vm->vm, v->vcpu, &v->reasons, &v->vmm, &v->uexits);
			}
		} else {
			visit_rows(rd, &vm->vm, VCPU_UNKNOWN, &vm->reasons, &vm->vmm, &vm->uexits);
		}
		for (size_t j = 0; j < vm->io.nr; j++) {
			struct io_row *io = &vm->io.rows[j];
			struct publish_series key = {
				.pid = vm->vm.pid, .start = vm->vm.start, .vcpu = VCPU_UNKNOWN, .kind = SERIES_IO,
				.isa = io->key.kind, .addr = io->key.addr, .dir = io->key.dir, .size = io->key.size,
			};

			if (unborn(rd, &key))
				memset(&io->stats, 0, sizeof(io->stats));
		}
	}
}

/* Note every series shown on some route, with its birth; the others are forgotten. */
static int track_series(struct publisher *p, struct summary *sum)
{
	struct render rd = { .p = p, .now = mark_now(p), .tracking = true };

	visit_summary(&rd, sum);
	if (rd.err) {
		free(rd.next);
		return rd.err;
	}
	sort_array(rd.next, rd.nr, sizeof(*rd.next), cmp_series);
	free(p->series);
	p->series = rd.next;
	p->nr_series = rd.nr;
	return 0;
}

/*
 * The text of route r: the totals less what r does not show, new series
 * at zero. With track, the series are noted first (once a refresh).
 */
static int render(struct publisher *p, const struct snapshot *total, const struct run *run,
		  const struct reason_table *names, enum route r, bool track, char **text, size_t *len)
{
	struct render rd = { .p = p, .route = r, .now = mark_now(p) };
	struct summary sum = {};
	FILE *f;
	int err = summary_of_total(run, total, &sum);

	*text = NULL;
	if (err)
		goto out;
	/* As of this snapshot, not of the last -I interval (there are none here). */
	sum.kvm_exit_fired = counters_kvm_exit_fired(total->counters);
	if (track) {
		rd.all_routes = true;
		summary_drop_vms(&sum, not_shown, &rd);
		err = track_series(p, &sum);
		if (err)
			goto out;
		rd.all_routes = false;
	}
	summary_drop_vms(&sum, not_shown, &rd);
	visit_summary(&rd, &sum);
	summary_sort(&sum, SORT_COUNT);
	f = open_memstream(text, len);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	expose_write(f, &sum, names, &p->opts.expose);
	if (fclose(f))
		err = -ENOMEM;
out:
	if (err) {
		free(*text);
		*text = NULL;
	}
	summary_free(&sum);
	return err;
}

int publish_refresh(struct publisher *p, const struct snapshot *total, const struct run *run,
		    const struct reason_table *names, const struct vm_id *exited, size_t nr_exited,
		    bool textfile)
{
	char *text;
	size_t len;
	int err = follow_exited(p, exited, nr_exited);
	bool tracked = false;

	if (!err && p->http) {
		err = render(p, total, run, names, ROUTE_HTTP, true, &text, &len);
		tracked = true;
		if (!err)
			exporter_publish(p->http, text, len);
	}
	if (!err && textfile && p->opts.textfile) {
		err = render(p, total, run, names, ROUTE_TEXTFILE, !tracked, &text, &len);
		if (!err) {
			free(p->text);
			p->text = text;
			p->len = len;
		}
	}
	return err;
}

static int fill_textfile(FILE *f, void *ctx)
{
	const struct publisher *p = ctx;

	return fwrite(p->text, 1, p->len, f) == p->len ? 0 : EIO;
}

int publish_textfile(struct publisher *p)
{
	int err;

	if (!p->opts.textfile || !p->text)
		return 0;
	err = write_file_atomic(p->opts.textfile, fill_textfile, p);
	/* A service keeps serving through a full disk: said when it starts and when it ends. */
	if (err && err != p->textfile_err)
		fprintf(stderr, "vmexitprof: --textfile: cannot write %s: %s; trying again every "
			"interval\n", p->opts.textfile, strerror(err));
	else if (!err && p->textfile_err)
		fprintf(stderr, "vmexitprof: --textfile: %s written again\n", p->opts.textfile);
	p->textfile_err = err;
	if (err)
		return -1;
	p->textfile_writes++;
	return 0;
}

void publish_stop(struct publisher *p)
{
	exporter_stop(p->http);
	p->http = NULL;
	if (p->opts.textfile && p->textfile_writes)
		unlink(p->opts.textfile);
	free(p->exited);
	free(p->series);
	free(p->text);
	p->exited = NULL;
	p->series = NULL;
	p->text = NULL;
}
