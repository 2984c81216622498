// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the daemon's HTTP request path: the input is the raw
 * bytes a client sends (request lines, headers, bodies, pipelined requests,
 * garbage), parsed by libmicrohttpd and routed by httpd.c's handler
 * (on_request, reply) to the response it chooses.
 *
 * The handler is static and needs a live MHD_Connection, so this file
 * includes user/httpd.c itself (no test hook in user/) and runs the
 * daemon's handler in a libmicrohttpd instance of its own, started once per
 * process, with no listening socket and no thread: each input is one
 * connection handed over with MHD_add_connection() on a socketpair, driven
 * by MHD_run() until the server closes it.  That keeps one execution
 * deterministic and fast (no TCP, no timers).  The daemon's real listener
 * (epoll thread, per-address and idle limits) is tested on loopback by
 * tests/e2e/test_httpd.sh.  (It cannot be the fuzzer's transport:
 * libmicrohttpd 0.9.75's epoll mode notices a client's half-close only at
 * the idle timeout, so every input would cost 3 s.)
 *
 * Before each input the /metrics snapshot is replaced with a line whose
 * label value is the input (up to its first NUL, at most 256 bytes) escaped
 * by metrics__escape(), as the daemon escapes comm names and pod labels.
 *
 * Checked promises: the server closes the connection within a bounded
 * number of MHD_run() rounds once the client has half-closed; every
 * response is a well-formed HTTP/1.x status line with a known status code,
 * headers and a Content-Length body; the bodies of the handler's own
 * statuses are the ones it serves (200: the published snapshot, "ok\n" or
 * the landing page; 404 and 405 their fixed texts; no 503, the server stays
 * healthy); the reply is bounded (1 MiB, and no more responses than the
 * input could hold requests); the escaped label value has no raw newline,
 * no unescaped quote, and unescapes to the input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
/* httpd.o is linked in too: its public names get a private spelling here */
#define httpd__new fuzz_copy_httpd__new
#define httpd__free fuzz_copy_httpd__free
#define httpd__port fuzz_copy_httpd__port
#define httpd__publish fuzz_copy_httpd__publish
#define httpd__set_healthy fuzz_copy_httpd__set_healthy
#define httpd__beat fuzz_copy_httpd__beat
#define httpd__set_stale_after fuzz_copy_httpd__set_stale_after
#include "../../user/httpd.c"
#include "metrics.h"
#include "strbuf.h"

#define FUZZ_TAG "fuzz_httpd"
#define FUZZ_OWN_INIT
#include "fuzzcommon.h"

#define TAG FUZZ_TAG
#define MAX_LABEL	256
#define MAX_ROUNDS	100000
#define MAX_REPLY	(1u << 20)

static struct httpd *srv;
static struct strbuf body;	/* the snapshot published for this input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	/* what httpd__new() sets up, minus the socket and the thread */
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		abort();
	pthread_mutex_init(&srv->lock, NULL);
	srv->healthy = 1;
	srv->mhd = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, on_request, srv,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_MAX_CONNECTIONS,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				    (unsigned int)HTTPD_PER_IP_CONNECTIONS,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_TIMEOUT_S,
				    MHD_OPTION_END);
	if (!srv->mhd) {
		fprintf(stderr, TAG ": cannot start libmicrohttpd\n");
		exit(1);
	}
	strbuf__init(&body);
	return 0;
}

/* Undo metrics__escape: -1 if v is not a well-formed escaped value. */
static int unescape(const char *v, size_t n, char *out, size_t *outn)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (v[i] == '\n' || v[i] == '"')
			return -1;
		if (v[i] != '\\') {
			out[o++] = v[i];
			continue;
		}
		if (++i == n)
			return -1;
		if (v[i] == '\\' || v[i] == '"')
			out[o++] = v[i];
		else if (v[i] == 'n')
			out[o++] = '\n';
		else
			return -1;
	}
	*outn = o;
	return 0;
}

static void publish(const uint8_t *data, size_t size)
{
	char label[MAX_LABEL + 1], back[MAX_LABEL + 1];
	struct strbuf esc;
	size_t n = 0, backn;

	while (n < size && n < MAX_LABEL && data[n])
		n++;
	memcpy(label, data, n);
	label[n] = '\0';
	strbuf__init(&esc);
	metrics__escape(&esc, label);
	CHECK(!esc.failed);
	CHECK(esc.len >= n && esc.len <= 2 * n);
	CHECK(unescape(esc.buf ? esc.buf : "", esc.len, back, &backn) == 0);
	CHECK(backn == n && memcmp(back, label, n) == 0);

	strbuf__reset(&body);
	strbuf__printf(&body, "# TYPE gomaptrace_fuzz gauge\ngomaptrace_fuzz{comm=\"");
	strbuf__append(&body, esc.buf ? esc.buf : "", esc.len);
	strbuf__printf(&body, "\"} 1\n");
	CHECK(!body.failed);
	CHECK(httpd__publish(srv, body.buf, body.len) == 0);
	strbuf__fini(&esc);
}

/* One connection: send data, half-close, run the server until it closes. */
static size_t exchange(const uint8_t *data, size_t size, char *reply, size_t cap)
{
	struct sockaddr_in peer = { .sin_family = AF_INET };
	size_t sent = 0, got = 0;
	int sv[2], rounds;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer.sin_port = htons(40000);
	CHECK(MHD_add_connection(srv->mhd, sv[0], (struct sockaddr *)&peer,
				 sizeof(peer)) == MHD_YES);
	for (rounds = 0;; rounds++) {
		ssize_t n;

		if (rounds == MAX_ROUNDS) {
			fprintf(stderr, TAG ": broken promise: the server has not closed the "
				"connection after %d rounds (%zu of %zu bytes sent, %zu received)\n",
				MAX_ROUNDS, sent, size, got);
			abort();
		}
		if (sent < size) {
			n = send(sv[1], data + sent, size - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;	/* the server closed on us */
			if (sent == size)
				shutdown(sv[1], SHUT_WR);
		} else if (rounds == 0) {
			shutdown(sv[1], SHUT_WR);
		}
		CHECK(MHD_run(srv->mhd) == MHD_YES);
		for (;;) {
			n = recv(sv[1], reply + got, cap - got, 0);
			if (n <= 0)
				break;
			got += n;
			CHECK(got < cap);	/* bounded reply */
		}
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;	/* EOF or reset: the server closed it */
	}
	close(sv[1]);
	return got;
}

static const char landing_head[] = "<html><head><title>gomaptrace</title>";

static int known_status(int s)
{
	switch (s) {
	case 100: case 200: case 400: case 404: case 405: case 413: case 414: case 417:
	case 431: case 500: case 501: case 503: case 505:
		return 1;
	default:
		return 0;
	}
}

/* Walk the responses in reply[0, n); returns how many there were. */
static int check_reply(const char *r, size_t n, int *last_status)
{
	size_t at = 0;
	int count = 0;

	while (at < n) {
		const char *p = r + at, *end = r + n, *hdr_end, *cl;
		size_t left = n - at, clen = 0, blen;
		int status;

		CHECK(left >= 13 && (!memcmp(p, "HTTP/1.1 ", 9) || !memcmp(p, "HTTP/1.0 ", 9)));
		CHECK(p[9] >= '1' && p[9] <= '5' && p[10] >= '0' && p[10] <= '9' &&
		      p[11] >= '0' && p[11] <= '9' && p[12] == ' ');
		status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
		if (!known_status(status)) {
			fprintf(stderr, TAG ": unexpected status %d:\n%.*s\n", status,
				(int)(left < 400 ? left : 400), p);
			CHECK(known_status(status));
		}
		hdr_end = memmem(p, left, "\r\n\r\n", 4);
		CHECK(hdr_end != NULL);
		hdr_end += 4;
		if (status == 100) {
			/* "Expect: 100-continue" answered: interim, no body */
			at = (size_t)(hdr_end - r);
			continue;
		}
		cl = memmem(p, hdr_end - p, "\r\nContent-Length: ", 18);
		if (!cl)
			cl = memmem(p, hdr_end - p, "\r\ncontent-length: ", 18);
		CHECK(cl != NULL);	/* every response here comes from a buffer */
		clen = strtoul(cl + 18, NULL, 10);
		blen = (size_t)(end - hdr_end);
		/* a HEAD reply has the length but no body: the next reply follows */
		if (blen == 0 || (blen >= 7 && !memcmp(hdr_end, "HTTP/1.", 7) && clen &&
				  (blen < clen || memcmp(hdr_end, "HTTP/1.", 7) == 0)))
			blen = 0;
		else {
			CHECK(blen >= clen);
			blen = clen;
		}
		if (blen) {
			switch (status) {
			case 200:
				CHECK((blen == body.len && !memcmp(hdr_end, body.buf, blen)) ||
				      (blen == 3 && !memcmp(hdr_end, "ok\n", 3)) ||
				      (blen > sizeof(landing_head) &&
				       !memcmp(hdr_end, landing_head, sizeof(landing_head) - 1)));
				break;
			case 404:
				CHECK(blen == 10 && !memcmp(hdr_end, "not found\n", 10));
				break;
			case 405:
				CHECK(blen == 19 && !memcmp(hdr_end, "method not allowed\n", 19));
				break;
			case 503:
				CHECK(0);	/* healthy all along */
				break;
			default:
				break;	/* libmicrohttpd's own error page */
			}
		}
		at = (size_t)(hdr_end - r) + blen;
		*last_status = status;
		count++;
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *reply;
	size_t n;
	int count, last = 0;

	if (!reply)
		reply = malloc(MAX_REPLY);
	publish(data, size);
	n = exchange(data, size, reply, MAX_REPLY);
	count = check_reply(reply, n, &last);
	/* a request takes at least "GET / HTTP/1.0\n\n" (16 bytes) */
	CHECK((size_t)count <= size / 16 + 1);
	if (verbose)
		fprintf(stderr, TAG ": %s: %zu bytes in, %d responses, %zu bytes out, last %d\n",
			n ? "parsed" : "refused", size, count, n, last);
	return 0;
}
