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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gm_err.h"

struct httpd;

/* listen: "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6); port 0 picks one. */
struct httpd *httpd__new(const char *listen, struct gm_err *err);
void httpd__free(struct httpd *h);
/* The bound port (useful with port 0). */
int httpd__port(const struct httpd *h);
/* Replace the /metrics body; the text is copied. */
int httpd__publish(struct httpd *h, const char *text, size_t len);
/*
 * /healthz: 200 "ok" unless the owner says otherwise, 503 "unhealthy:
 * REASON" when it does.  Two rules, both the owner's:
 * - httpd__set_healthy(): a state it judged (why: one line, copied);
 * - httpd__beat() on every turn of its loop, with httpd__set_stale_after():
 *   once no beat came for that long the loop is stuck, and the server's own
 *   thread, which still answers, says so (its last beat's age).  0: off.
 * Both are safe to call from any thread.
 */
void httpd__set_healthy(struct httpd *h, bool healthy, const char *why);
void httpd__beat(struct httpd *h);
void httpd__set_stale_after(struct httpd *h, uint64_t ns);

#endif /* HTTPD_H */
