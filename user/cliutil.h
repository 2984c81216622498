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

/*
 * The judging options trace and daemon share: --window, --min-windows,
 * --min-growth.  Put CLI_JUDGING_LONGOPTS in a getopt_long table and hand
 * every option to cli_judging_opt(): it returns 1 when it took the option,
 * 0 when the option is not one of these, -errno (reason in err) on a bad
 * value.
 */
struct cli_judging {
	uint64_t window_ns;
	int min_windows;
	uint64_t min_growth;
};

enum { CLI_OPT_WINDOW = 0x1000, CLI_OPT_MIN_WINDOWS, CLI_OPT_MIN_GROWTH };

#define CLI_JUDGING_LONGOPTS \
	{ "window", required_argument, NULL, CLI_OPT_WINDOW }, \
	{ "min-windows", required_argument, NULL, CLI_OPT_MIN_WINDOWS }, \
	{ "min-growth", required_argument, NULL, CLI_OPT_MIN_GROWTH }

void cli_judging__init(struct cli_judging *j);	/* 60 s, 5 windows, 32 entries */
int cli_judging_opt(struct cli_judging *j, int opt, const char *arg, int max_windows,
		    struct gm_err *err);

#endif /* CLIUTIL_H */
