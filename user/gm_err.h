/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gm_err: the reason an operation failed, as one human sentence.
 *
 * Contract: the innermost layer that knows *why* something failed fills the
 * reason ("pclntab function table runs past the end of the section") and its
 * code (a positive errno); only the outermost layer, the command, names the
 * thing it was working on (a path or a pid), with gm_err_print().  Functions
 * taking a `struct gm_err *` return the negative code on failure and leave
 * the reason in it; the pointer may be NULL when the caller does not care.
 * A constructor that returns NULL leaves the code in errno as well.
 *
 * What a code means, where callers act on it (the daemon's
 * attach_failures_total{reason}): the readers of an executable say
 *   GM_ENOTGO      ENOEXEC     not an ELF executable, or not a Go one
 *   GM_EMALFORMED  EBADMSG     a Go executable whose data does not parse
 *   GM_EGOVERSION  ENOTSUP     a Go release or ABI gomaptrace cannot trace
 *   GM_EARCH       EPFNOSUPPORT  another architecture, word size or byte order
 * and the other codes keep their errno meaning (ENOMEM, ENOENT, ...).
 */
#ifndef GM_ERR_H
#define GM_ERR_H

#include <stddef.h>

#include <errno.h>

#define GM_ENOTGO	ENOEXEC
#define GM_EMALFORMED	EBADMSG
#define GM_EGOVERSION	ENOTSUP
#define GM_EARCH	EPFNOSUPPORT

struct gm_err {
	char msg[256];
	int code;	/* positive errno of the failure; 0 before one */
};

/*
 * Record a reason and its code (errnum, either sign); also sets errno.
 * Returns -errnum so callers can `return gm_err_set(...)`.
 */
int gm_err_set(struct gm_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The one line a command prints for a failure, to stderr:
 * gm_err_print: "gomaptrace CMD: reason"; gm_err_printf: "gomaptrace CMD:
 * THING: reason", THING formatted from fmt ("pid 42 (/usr/bin/x)").  A
 * reason never filled is said by its code (strerror), else "failed".
 */
void gm_err_print(const char *cmd, const struct gm_err *err);
void gm_err_printf(const char *cmd, const struct gm_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Exit codes of the gomaptrace command (documented in README.md). */
enum gm_exit {
	GM_EXIT_OK = 0,
	GM_EXIT_FAILURE = 1,	/* runtime failure: BPF load/attach, I/O */
	GM_EXIT_BAD_INPUT = 2,	/* bad usage, or a target that cannot be used */
	GM_EXIT_LEAK = 3,	/* trace --fail-on-leak found a leak */
};

#endif /* GM_ERR_H */
