/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cliutil: parsing of command-line values shared by the subcommands.
 * Every parser rejects trailing junk, overflow and negative values, and
 * leaves a reason naming the value.
 */
#ifndef CLIUTIL_H
#define CLIUTIL_H

#include <stdint.h>
#include <sys/types.h>
#include "gm_err.h"

/* "1.5s", "500ms", "2m", "1h", "30" (seconds) -> nanoseconds; must be > 0. */
int cli_parse_duration(const char *s, uint64_t *ns, struct gm_err *err);
/* A positive pid, digits only. */
int cli_parse_pid(const char *s, pid_t *pid, struct gm_err *err);
/* A non-negative integer within [min, max]. */
int cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *val, struct gm_err *err);

#endif /* CLIUTIL_H */
