// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "gm_err.h"

int gm_err_set(struct gm_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		err->code = errnum;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	errno = errnum;
	return -errnum;
}

static const char *reason(const struct gm_err *err)
{
	if (err && err->msg[0])
		return err->msg;
	return err && err->code ? strerror(err->code) : "failed";
}

void gm_err_print(const char *cmd, const struct gm_err *err)
{
	fprintf(stderr, "gomaptrace %s: %s\n", cmd, reason(err));
}

void gm_err_printf(const char *cmd, const struct gm_err *err, const char *fmt, ...)
{
	char thing[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(thing, sizeof(thing), fmt, ap);
	va_end(ap);
	fprintf(stderr, "gomaptrace %s: %s: %s\n", cmd, thing, reason(err));
}
