// SPDX-License-Identifier: GPL-2.0
/*
 * --prometheus's HTTP server (include/exporter.h), on libmicrohttpd:
 * GET or HEAD of /metrics and /, 404 for other paths, 405 for other
 * methods; nothing is ever written. Built without libmicrohttpd
 * (VMEXITPROF_NO_HTTP: the static and arm64 builds), --prometheus says so.
 *
 * Against slow and abusive clients:
 *  - at most EXPORTER_MAX_CONNECTIONS at once, EXPORTER_MAX_PER_IP of them
 *    from one address; past that libmicrohttpd closes new ones at once;
 *  - a request's headers may take EXPORTER_MEMORY_LIMIT bytes (past that:
 *    431 and the connection closed), so no client grows our memory;
 *  - EXPORTER_IDLE_S of silence closes a connection (libmicrohttpd's
 *    timeout), and, since that timeout is one of inactivity that a client
 *    sending a byte a second never meets, every request must also be whole
 *    and answered within EXPORTER_DEADLINE_S of its connection opening or
 *    of the connection's previous answer, else the socket is shut down.
 * libmicrohttpd runs in our own thread (MHD_run_wait): its callbacks and
 * that deadline's sweep run there, one after the other, so a socket is
 * never shut down after libmicrohttpd closed it (and its number reused).
 * Each answer holds a reference to the text it serves; the loop's next
 * text replaces it without copying and without waiting for slow readers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter.h"

#ifdef VMEXITPROF_NO_HTTP

int exporter_start(struct exporter **out, const char *addr, unsigned int port)
{
	fprintf(stderr, "vmexitprof: --prometheus: this build has no HTTP server (built without "
		"libmicrohttpd); use --textfile with node_exporter instead\n");
	return -1;
}

unsigned int exporter_port(const struct exporter *e) { return 0; }
void exporter_publish(struct exporter *e, char *text, size_t len) { free(text); }
unsigned long long exporter_scrapes(const struct exporter *e) { return 0; }
void exporter_stop(struct exporter *e) {}

#else

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "expose.h"

#define EXPORTER_MAX_CONNECTIONS	32
#define EXPORTER_MAX_PER_IP		16	/* one client cannot take every slot */
#define EXPORTER_MEMORY_LIMIT		(16 * 1024)
#define EXPORTER_IDLE_S			10
/* Prometheus' own default scrape timeout: an answer later than that is not waited for. */
#define EXPORTER_DEADLINE_S		10
#define EXPORTER_POLL_MS		250

/* A published text; each answer that serves it holds a reference. */
struct exposition {
	char *text;
	size_t len;
	unsigned int refs;
};

/* A connection, for the deadline; only the server's thread touches them. */
struct conn {
	struct MHD_Connection *c;
	int fd;
	bool shut;
	uint64_t deadline_ns;
};

struct exporter {
	struct MHD_Daemon *daemon;
	pthread_t thread;
	atomic_bool stop;
	unsigned int port;
	pthread_mutex_t lock;		/* current and every exposition's refs */
	struct exposition *current;
	atomic_ullong scrapes;
	struct conn conns[EXPORTER_MAX_CONNECTIONS];
};

static const char landing[] =
	"<!DOCTYPE html>\n<html><head><title>vmexitprof</title></head><body>\n"
	"<h1>vmexitprof</h1>\n<p>KVM exit latency per VM, vCPU and exit reason: "
	"<a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void unref(struct exporter *e, struct exposition *x)
{
	bool last;

	if (!x)
		return;
	pthread_mutex_lock(&e->lock);
	last = --x->refs == 0;
	pthread_mutex_unlock(&e->lock);
	if (last) {
		free(x->text);
		free(x);
	}
}

/* An answer's reference: the text and its server, for the free callback. */
struct answer {
	struct exporter *e;
	struct exposition *x;
};

static ssize_t read_answer(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct exposition *x = ((struct answer *)cls)->x;
	size_t n;

	if (pos >= x->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = x->len - pos < max ? x->len - pos : max;
	memcpy(buf, x->text + pos, n);
	return n;
}

static void free_answer(void *cls)
{
	struct answer *a = cls;

	unref(a->e, a->x);
	free(a);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r,
			     const char *type)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;	/* out of memory: libmicrohttpd closes the connection */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	return queue(c, status, MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT),
		     "text/plain; charset=utf-8");
}

static enum MHD_Result serve_metrics(struct exporter *e, struct MHD_Connection *c, bool head)
{
	struct answer *a = malloc(sizeof(*a));
	struct MHD_Response *r;

	if (!a)
		return MHD_NO;
	pthread_mutex_lock(&e->lock);
	a->e = e;
	a->x = e->current;
	if (a->x)
		a->x->refs++;
	pthread_mutex_unlock(&e->lock);
	if (!a->x) {
		free(a);
		return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "vmexitprof is starting\n");
	}
	r = MHD_create_response_from_callback(a->x->len, 64 * 1024, read_answer, a, free_answer);
	if (!r) {
		free_answer(a);
		return MHD_NO;
	}
	if (!head)
		atomic_fetch_add(&e->scrapes, 1);
	return queue(c, MHD_HTTP_OK, r, EXPOSE_CONTENT_TYPE);
}

/*
 * Called once the headers are in (a body, if any, is never read: the
 * answer goes at once and libmicrohttpd then closes the connection).
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	bool head = !strcmp(method, MHD_HTTP_METHOD_HEAD);

	if (!head && strcmp(method, MHD_HTTP_METHOD_GET))
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(cls, c, head);
	if (!strcmp(url, "/"))
		return queue(c, MHD_HTTP_OK, MHD_create_response_from_buffer(sizeof(landing) - 1,
				(void *)landing, MHD_RESPMEM_PERSISTENT), "text/html; charset=utf-8");
	return queue_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct exporter *e = cls;
	struct conn *slot = *socket_context;
	const union MHD_ConnectionInfo *info;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot)
			slot->c = NULL;
		*socket_context = NULL;
		return;
	}
	info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (size_t i = 0; info && i < EXPORTER_MAX_CONNECTIONS; i++) {
		if (e->conns[i].c)
			continue;
		e->conns[i] = (struct conn){ c, info->connect_fd, false,
					     mono_ns() + EXPORTER_DEADLINE_S * 1000000000ULL };
		*socket_context = &e->conns[i];
		return;
	}
}

/* An answer sent (or given up): the connection's next request gets a deadline of its own. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *slot = info ? info->socket_context : NULL;

	if (slot && !slot->shut)
		slot->deadline_ns = mono_ns() + EXPORTER_DEADLINE_S * 1000000000ULL;
}

/* Shut down the sockets past their deadline: libmicrohttpd then reads their end and closes them. */
static void sweep(struct exporter *e)
{
	uint64_t now = mono_ns();

	for (size_t i = 0; i < EXPORTER_MAX_CONNECTIONS; i++) {
		struct conn *k = &e->conns[i];

		if (k->c && !k->shut && now >= k->deadline_ns) {
			shutdown(k->fd, SHUT_RDWR);
			k->shut = true;
		}
	}
}

static void *serve(void *arg)
{
	struct exporter *e = arg;

	while (!atomic_load(&e->stop)) {
		MHD_run_wait(e->daemon, EXPORTER_POLL_MS);
		sweep(e);
	}
	return NULL;
}

/* Our own listening socket: clear errors (address in use, not ours), and port 0's choice known. */
static int listen_on(const char *addr, unsigned int port, unsigned int *bound, bool *v6)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	*v6 = inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1;
	if (*v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	} else {
		fprintf(stderr, "vmexitprof: --prometheus: '%s' is not an IPv4 or IPv6 address\n", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* A restart binds again while the last run's connections linger in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (*v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		goto fail;
	*bound = ntohs(*v6 ? in6->sin6_port : in4->sin_port);
	return fd;
fail:
	fprintf(stderr, "vmexitprof: --prometheus: cannot listen on %s%s%s:%u: %s\n", *v6 ? "[" : "", addr,
		*v6 ? "]" : "", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int exporter_start(struct exporter **out, const char *addr, unsigned int port)
{
	struct exporter *e = calloc(1, sizeof(*e));
	bool v6;
	int fd;

	if (!e) {
		fprintf(stderr, "vmexitprof: out of memory\n");
		return -1;
	}
	fd = listen_on(addr, port, &e->port, &v6);
	if (fd < 0) {
		free(e);
		return -1;
	}
	pthread_mutex_init(&e->lock, NULL);
	/* No MHD_USE_ERROR_LOG: a flood would write a line per refused client. */
	e->daemon = MHD_start_daemon(MHD_USE_EPOLL | (v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
				     on_request, e,
				     MHD_OPTION_LISTEN_SOCKET, fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)EXPORTER_MAX_CONNECTIONS,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)EXPORTER_MAX_PER_IP,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EXPORTER_MEMORY_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)EXPORTER_IDLE_S,
				     MHD_OPTION_NOTIFY_CONNECTION, on_connection, e,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, e,
				     MHD_OPTION_END);
	if (!e->daemon) {
		fprintf(stderr, "vmexitprof: --prometheus: libmicrohttpd would not start on %s:%u\n", addr,
			e->port);
		goto fail;
	}
	if (pthread_create(&e->thread, NULL, serve, e)) {
		fprintf(stderr, "vmexitprof: --prometheus: cannot start the server's thread\n");
		MHD_stop_daemon(e->daemon);	/* closes fd */
		fd = -1;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return -1;
}

unsigned int exporter_port(const struct exporter *e)
{
	return e->port;
}

void exporter_publish(struct exporter *e, char *text, size_t len)
{
	struct exposition *x = malloc(sizeof(*x)), *old;

	if (!x) {
		free(text);
		return;	/* the last text stays served */
	}
	*x = (struct exposition){ text, len, 1 };
	pthread_mutex_lock(&e->lock);
	old = e->current;
	e->current = x;
	pthread_mutex_unlock(&e->lock);
	unref(e, old);
}

unsigned long long exporter_scrapes(const struct exporter *e)
{
	return atomic_load(&((struct exporter *)e)->scrapes);
}

void exporter_stop(struct exporter *e)
{
	if (!e)
		return;
	atomic_store(&e->stop, true);
	pthread_join(e->thread, NULL);
	/* Closes the listening socket and every connection; their answers' references go. */
	MHD_stop_daemon(e->daemon);
	unref(e, e->current);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

#endif /* VMEXITPROF_NO_HTTP */
