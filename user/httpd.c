// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <microhttpd.h>
#include "cliutil.h"
#include "httpd.h"

/*
 * Slow clients (slowloris) must not blind /metrics and /healthz:
 * - one epoll thread serves up to HTTPD_MAX_CONNECTIONS connections (capped
 *   at half of RLIMIT_NOFILE), so a handful of clients cannot fill it;
 * - one address holds at most HTTPD_PER_IP_CONNECTIONS of them: a scraper
 *   on another address always gets in unless 32 addresses attack at once
 *   (a client that shares the attacker's address is not protected);
 * - a connection with no traffic for HTTPD_IDLE_TIMEOUT_S seconds is
 *   closed, whether it is in its headers or idle between keep-alive
 *   requests (a client that trickles faster is bounded by the limits).
 */
#define HTTPD_MAX_CONNECTIONS 512
#define HTTPD_PER_IP_CONNECTIONS 16
#define HTTPD_IDLE_TIMEOUT_S 3

#define EXPOSITION_TYPE "text/plain; version=0.0.4; charset=utf-8"

static const char landing[] =
	"<html><head><title>gomaptrace</title></head><body>\n"
	"<h1>gomaptrace daemon</h1>\n"
	"<p>Finds Go maps whose growth never levels off, in every Go process on this node.</p>\n"
	"<p><a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">/healthz</a></p>\n"
	"</body></html>\n";

struct httpd {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	char *body;
	size_t len;
	int healthy;
	char why[160];			/* under lock: the reason when !healthy */
	uint64_t beat_ns, stale_ns;	/* atomics: CLOCK_MONOTONIC of the last beat */
	int port;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* 0 when healthy, else the 503 body into buf */
static int unhealthy(struct httpd *h, char *buf, size_t len)
{
	uint64_t stale = __atomic_load_n(&h->stale_ns, __ATOMIC_RELAXED);
	uint64_t beat = __atomic_load_n(&h->beat_ns, __ATOMIC_RELAXED);
	uint64_t now = mono_ns();

	if (stale && beat && now > beat && now - beat > stale)
		return snprintf(buf, len, "unhealthy: the event loop has not turned for %.0f s\n",
				(now - beat) / 1e9);
	if (__atomic_load_n(&h->healthy, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&h->lock);
	snprintf(buf, len, "unhealthy: %s\n", h->why[0] ? h->why : "unknown");
	pthread_mutex_unlock(&h->lock);
	return (int)strlen(buf);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, const char *body, size_t len, bool copy)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **req_cls)
{
	struct httpd *h = cls;
	enum MHD_Result ret;
	static const char not_found[] = "not found\n", bad_method[] = "method not allowed\n";

	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		/* early on purpose: its body is never read, the connection closes */
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", bad_method,
			     sizeof(bad_method) - 1, false);
	/*
	 * First call: headers only.  Answering now would be an "early"
	 * response, after which libmicrohttpd closes the connection
	 * (Connection: close); answer on the second call, once the request is
	 * complete, and keep-alive works.
	 */
	if (!*req_cls) {
		*req_cls = h;
		return MHD_YES;
	}
	if (*upload_size)
		return MHD_NO;	/* no GET has a body: drop the connection */
	if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&h->lock);
		ret = reply(conn, MHD_HTTP_OK, EXPOSITION_TYPE, h->body ? h->body : "",
			    h->body ? h->len : 0, true);
		pthread_mutex_unlock(&h->lock);
		return ret;
	}
	if (!strcmp(url, "/healthz")) {
		char why[256];
		int n = unhealthy(h, why, sizeof(why));

		if (!n)
			return reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3, false);
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", why,
			     (size_t)n < sizeof(why) ? (size_t)n : sizeof(why) - 1, true);
	}
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", landing,
			     sizeof(landing) - 1, false);
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1, false);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sl,
			struct gm_err *err)
{
	char host[128];
	const char *colon, *port_s;
	uint64_t port;
	size_t hl;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (!close || close[1] != ':')
			return gm_err_set(err, EINVAL, "listen address '%s': want [ADDR]:PORT", listen);
		hl = close - listen - 1;
		port_s = close + 2;
		if (hl >= sizeof(host))
			return gm_err_set(err, EINVAL, "listen address '%s' too long", listen);
		memcpy(host, listen + 1, hl);
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return gm_err_set(err, EINVAL, "listen address '%s': want ADDR:PORT", listen);
		hl = colon - listen;
		port_s = colon + 1;
		if (hl >= sizeof(host))
			return gm_err_set(err, EINVAL, "listen address '%s' too long", listen);
		memcpy(host, listen, hl);
	}
	host[hl] = '\0';
	if (cli_parse_uint(port_s, 0, 65535, &port, NULL))
		return gm_err_set(err, EINVAL, "listen address '%s': bad port '%s'", listen, port_s);
	memset(ss, 0, sizeof(*ss));
	if (!hl || !strcmp(host, "0.0.0.0") || inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (!hl)
			in->sin_addr.s_addr = htonl(INADDR_ANY);
		else
			inet_pton(AF_INET, host, &in->sin_addr);
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*sl = sizeof(*in);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*sl = sizeof(*in6);
		return 0;
	}
	return gm_err_set(err, EINVAL, "listen address '%s': '%s' is not an IP address", listen, host);
}

struct httpd *httpd__new(const char *listen, struct gm_err *err)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct httpd *h;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct rlimit nofile;
	unsigned int limit = HTTPD_MAX_CONNECTIONS;
	socklen_t sl;

	if (parse_listen(listen, &ss, &sl, err))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		gm_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->healthy = 1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* leave half of the descriptors to tracing (BPF, /proc, the log) */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur != RLIM_INFINITY &&
	    nofile.rlim_cur / 2 < limit)
		limit = nofile.rlim_cur / 2 > HTTPD_PER_IP_CONNECTIONS ?
			(unsigned int)(nofile.rlim_cur / 2) : HTTPD_PER_IP_CONNECTIONS;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, limit,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTPD_PER_IP_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!h->mhd) {
		gm_err_set(err, EADDRINUSE, "cannot listen on %s (address in use, or not allowed)", listen);
		pthread_mutex_destroy(&h->lock);
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	return h;
}

void httpd__free(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	pthread_mutex_destroy(&h->lock);
	free(h->body);
	free(h);
}

int httpd__port(const struct httpd *h)
{
	return h->port;
}

int httpd__publish(struct httpd *h, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->lock);
	free(h->body);
	h->body = copy;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void httpd__set_healthy(struct httpd *h, bool healthy, const char *why)
{
	if (!healthy) {
		pthread_mutex_lock(&h->lock);
		snprintf(h->why, sizeof(h->why), "%s", why ? why : "");
		pthread_mutex_unlock(&h->lock);
	}
	__atomic_store_n(&h->healthy, healthy ? 1 : 0, __ATOMIC_RELAXED);
}

void httpd__beat(struct httpd *h)
{
	__atomic_store_n(&h->beat_ns, mono_ns(), __ATOMIC_RELAXED);
}

void httpd__set_stale_after(struct httpd *h, uint64_t ns)
{
	__atomic_store_n(&h->stale_ns, ns, __ATOMIC_RELAXED);
}
