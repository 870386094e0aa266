// SPDX-License-Identifier: GPL-2.0
/*
 * The exposition kept current (include/publish.h).
 *
 * Counters and memory over days: every exposed number is a field of the
 * run's cumulative snapshot, which only grows while the process lives
 * (an exited VM's entries move out of the maps into the collector's own
 * snapshot, whole). A VM that exited keeps its series, at their final
 * values, for PUBLISH_EXITED_DELIVERIES deliveries; then they are left
 * out, never merged into another series (that series would jump by the
 * VM's whole count at once, a false spike in every rate()). Process-wide
 * totals stay in vmexitprof_events_total, from the BPF counters. A later
 * process on the same pid is another VM (its start differs), so another
 * series (the start_ticks label). Memory: the collector keeps at most
 * --keep-exited exited VMs apart and folds older ones into one pseudo-VM,
 * never shown; this file keeps one entry per VM in the collector's list,
 * and the texts are rebuilt, not grown.
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

/* At least that many scrapes and textfile writes since m, on the routes in use. */
static bool delivered_since(const struct publisher *p, const struct publish_mark *m,
			    unsigned long long scrapes, unsigned long long writes)
{
	struct publish_mark now = mark_now(p);

	return (!p->http || now.scrapes - m->scrapes >= scrapes) &&
	       (!p->opts.textfile || now.writes - m->writes >= writes);
}

/*
 * Follow the collector's exited list: new ones noted as of now, those it
 * folded away forgotten, and those delivered often enough retired.
 */
static int follow_exited(struct publisher *p, const struct vm_id *exited, size_t nr)
{
	struct publish_exited *next = NULL, *e;
	size_t nr_next = 0;

	for (size_t i = 0; i < nr; i++) {
		const struct publish_exited *known = NULL;

		for (size_t j = 0; j < p->nr_exited && !known; j++)
			if (p->exited[j].pid == exited[i].pid && p->exited[j].start == exited[i].start)
				known = &p->exited[j];
		e = array_append(&next, &nr_next, sizeof(*e));
		if (!e) {
			free(next);
			return -ENOMEM;
		}
		*e = known ? *known : (struct publish_exited){ .pid = exited[i].pid, .start = exited[i].start,
								 .since = mark_now(p) };
		e->retired = delivered_since(p, &e->since, PUBLISH_EXITED_DELIVERIES, PUBLISH_EXITED_DELIVERIES);
	}
	free(p->exited);
	p->exited = next;
	p->nr_exited = nr_next;
	return 0;
}

static bool not_shown(const struct run_vm *vm, void *ctx)
{
	const struct publisher *p = ctx;

	if (vm->pid == FOLDED_VM_PID)
		return true;
	for (size_t i = 0; i < p->nr_exited; i++)
		if (p->exited[i].pid == vm->pid && p->exited[i].start == vm->start)
			return p->exited[i].retired;
	return false;
}

/*
 * Series are born at zero. Prometheus' increase() and rate() count from
 * a series' first sample: one that appears already at 1234 loses those
 * 1234. So a series' first exposition, on every route, shows it at 0, and
 * its numbers follow once that was delivered: one scrape of /metrics, and
 * PUBLISH_BORN_WRITES writes of the textfile (node_exporter reads it when
 * it is scraped, which we do not see: a second version at zero gives a
 * scrape that failed or came late a second chance). Nothing is lost, only
 * delayed. The series shown, with when each was born, are kept
 * sorted from one refresh to the next; a retired VM's go with it.
 */
#define PUBLISH_BORN_WRITES 2

enum { SERIES_EXIT, SERIES_VMM, SERIES_UEXIT, SERIES_IO };

/* Compared with memcmp up to born: no padding may hide in between. */
_Static_assert(offsetof(struct publish_series, born) == 48, "publish_series has no holes");

static int cmp_series(const void *a, const void *b)
{
	return memcmp(a, b, offsetof(struct publish_series, born));
}

struct births {
	struct publisher *p;
	struct publish_series *next;
	size_t nr;
	struct publish_mark now;
	int err;
};

/*
 * A VM that exited while one of its series was still shown at zero keeps
 * them all PUBLISH_EXITED_DELIVERIES deliveries more from now: its final
 * numbers are delivered as often as any other exited VM's.
 */
static void linger_from_now(struct publisher *p, __u32 pid, __u64 start, const struct publish_mark *now)
{
	for (size_t i = 0; i < p->nr_exited; i++)
		if (p->exited[i].pid == pid && p->exited[i].start == start)
			p->exited[i].since = *now;
}

/* Whether the series of key was delivered at zero already; else it is (again) now. */
static bool born(struct births *b, struct publish_series *key)
{
	const struct publish_series *old = b->p->nr_series ?
		bsearch(key, b->p->series, b->p->nr_series, sizeof(*key), cmp_series) : NULL;
	struct publish_series *e = array_append(&b->next, &b->nr, sizeof(*e));

	if (!e) {
		b->err = -ENOMEM;
		return true;
	}
	key->born = old ? old->born : b->now;
	*e = *key;
	if (delivered_since(b->p, &key->born, 1, PUBLISH_BORN_WRITES))
		return true;
	linger_from_now(b->p, key->pid, key->start, &b->now);
	return false;
}

static void zero_unborn_rows(struct births *b, const struct run_vm *vm, __u32 vcpu,
			     struct reason_rows *reasons, struct reason_rows *vmm, struct uexit_rows *uexits)
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
			if (!born(b, &key))
				memset(&r->h, 0, sizeof(r->h));
		}
	}
	key.isa = 0;
	for (size_t i = 0; i < uexits->nr; i++) {
		key.kind = SERIES_UEXIT;
		key.reason = uexits->rows[i].reason;
		key.flags = uexits->rows[i].flags;
		if (!born(b, &key))
			uexits->rows[i].count = 0;
	}
}

static int zero_unborn(struct publisher *p, struct summary *sum)
{
	struct births b = { .p = p, .now = mark_now(p) };
	struct publish_series key;

	for (size_t i = 0; i < sum->nr_vms; i++) {
		struct vm_summary *vm = &sum->vms[i];

		if (p->opts.expose.per_vcpu) {
			for (size_t j = 0; j < vm->nr_vcpus; j++) {
				struct vcpu_summary *v = &vm->vcpus[j];

				zero_unborn_rows(&b, &vm->vm, v->vcpu, &v->reasons, &v->vmm, &v->uexits);
			}
		} else {
			zero_unborn_rows(&b, &vm->vm, VCPU_UNKNOWN, &vm->reasons, &vm->vmm, &vm->uexits);
		}
		for (size_t j = 0; j < vm->io.nr; j++) {
			struct io_row *io = &vm->io.rows[j];

			key = (struct publish_series){ .pid = vm->vm.pid, .start = vm->vm.start, .vcpu = VCPU_UNKNOWN,
						       .kind = SERIES_IO, .isa = io->key.kind, .addr = io->key.addr,
						       .dir = io->key.dir, .size = io->key.size };
			if (!born(&b, &key))
				memset(&io->stats, 0, sizeof(io->stats));
		}
	}
	if (b.err) {
		free(b.next);
		return b.err;
	}
	sort_array(b.next, b.nr, sizeof(*b.next), cmp_series);
	free(p->series);
	p->series = b.next;
	p->nr_series = b.nr;
	return 0;
}

int publish_refresh(struct publisher *p, const struct snapshot *total, const struct run *run,
		    const struct reason_table *names, const struct vm_id *exited, size_t nr_exited)
{
	struct summary sum = {};
	char *text = NULL, *copy;
	size_t len = 0;
	FILE *f;
	int err = follow_exited(p, exited, nr_exited);

	if (!err)
		err = summary_of_total(run, total, &sum);
	if (err)
		goto out;
	/* As of this snapshot, not of the last -I interval (there are none here). */
	sum.kvm_exit_fired = counters_kvm_exit_fired(total->counters);
	summary_drop_vms(&sum, not_shown, p);
	err = zero_unborn(p, &sum);
	if (err)
		goto out;
	summary_sort(&sum, SORT_COUNT);
	f = open_memstream(&text, &len);
	if (!f) {
		err = -ENOMEM;
		goto out;
	}
	expose_write(f, &sum, names, &p->opts.expose);
	if (fclose(f)) {
		err = -ENOMEM;
		goto out;
	}
	if (p->http) {
		copy = malloc(len + 1);
		if (!copy) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(copy, text, len + 1);
		exporter_publish(p->http, copy, len);
	}
	free(p->text);
	p->text = text;
	p->len = len;
	text = NULL;
out:
	free(text);
	summary_free(&sum);
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
