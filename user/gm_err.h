/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gm_err: the reason an operation failed, as one human sentence.
 *
 * Contract: the innermost layer that knows *why* something failed fills the
 * reason ("pclntab function table runs past the end of the section"); the
 * outermost layer prefixes the thing it was working on (a path or a pid) and
 * prints one line.  Functions taking a `struct gm_err *` return a negative
 * errno on failure and leave the reason in it; the pointer may be NULL when
 * the caller does not care.
 */
#ifndef GM_ERR_H
#define GM_ERR_H

#include <stddef.h>

struct gm_err {
	char msg[256];
};

/* Record a reason; returns -errnum so callers can `return gm_err_set(...)`. */
int gm_err_set(struct gm_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Exit codes of the gomaptrace command (documented in README.md). */
enum gm_exit {
	GM_EXIT_OK = 0,
	GM_EXIT_FAILURE = 1,	/* runtime failure: BPF load/attach, I/O */
	GM_EXIT_BAD_INPUT = 2,	/* bad usage, or a target that cannot be used */
	GM_EXIT_LEAK = 3,	/* trace --fail-on-leak found a leak */
};

#endif /* GM_ERR_H */
