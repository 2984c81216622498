/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * httpd: the daemon's HTTP endpoint (libmicrohttpd), serving a snapshot.
 *
 * Contract: the main loop renders the metrics exposition into a buffer and
 * hands it over with httpd__publish(); the server's own thread only copies
 * the latest snapshot under a mutex, so scrapes never touch tracker state
 * and a slow client never stalls tracing.  Routes: GET /metrics, GET
 * /healthz, GET / (landing page); anything else 404, non-GET 405.
 */
#ifndef HTTPD_H
#define HTTPD_H

#include <stddef.h>
#include "gm_err.h"

struct httpd;

/* listen: "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6); port 0 picks one. */
struct httpd *httpd__new(const char *listen, struct gm_err *err);
void httpd__free(struct httpd *h);
/* The bound port (useful with port 0). */
int httpd__port(const struct httpd *h);
/* Replace the /metrics body; the text is copied. */
int httpd__publish(struct httpd *h, const char *text, size_t len);
/* Mark unhealthy (e.g. BPF object gone): /healthz then answers 503. */
void httpd__set_healthy(struct httpd *h, int healthy);

#endif /* HTTPD_H */
