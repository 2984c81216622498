/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cliutil: parsing of command-line values shared by the subcommands.
 * Every parser rejects trailing junk, overflow and negative values, and
 * leaves a reason naming the value.
 */
#ifndef CLIUTIL_H
#define CLIUTIL_H

#include <stdbool.h>
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
	uint64_t window_ns;	/* the (first) window's length */
	/*
	 * Widening windows (trace's default): each window lasts a quarter of
	 * the session so far, between window_ns and window_max_ns, and a leak's
	 * rising windows must span min_span_ns.  0: fixed windows, as the
	 * daemon uses and as --window asks for.
	 */
	uint64_t window_max_ns;
	uint64_t min_span_ns;
	int min_windows;
	uint64_t min_growth;
};

/*
 * The defaults, one place for the code and the --help texts.  trace starts
 * with 5 s windows widening to 60 s and wants 25 s of rising windows: a
 * leak is named after about half a minute (about what Go's pprof-diff
 * workflow takes), and a steady warm-up shorter than that never is; the
 * daemon keeps fixed 60 s windows, comparable over days.
 */
#define GM_DAEMON_WINDOW_S	60
#define GM_TRACE_WINDOW_S	5
#define GM_TRACE_WINDOW_MAX_S	60
#define GM_TRACE_MIN_SPAN_S	25
#define GM_MIN_WINDOWS		5
#define GM_MIN_GROWTH		32
/*
 * Bounds and budget: maps tracked over all processes (trace and daemon;
 * the tracker's own default), sites per process with their own metric
 * series (daemon), and the probe budget per process, a fraction of one CPU
 * (daemon, and trace unless --exact).
 */
#define GM_MAX_MAPS		65536
#define GM_DAEMON_MAX_SITES	20
#define GM_MAX_OVERHEAD		0.01
#define GM_STR_(x) #x
#define GM_STR(x) GM_STR_(x)

enum { CLI_OPT_WINDOW = 0x1000, CLI_OPT_MIN_WINDOWS, CLI_OPT_MIN_GROWTH };

#define CLI_JUDGING_LONGOPTS \
	{ "window", required_argument, NULL, CLI_OPT_WINDOW }, \
	{ "min-windows", required_argument, NULL, CLI_OPT_MIN_WINDOWS }, \
	{ "min-growth", required_argument, NULL, CLI_OPT_MIN_GROWTH }

/* fixed GM_DAEMON_WINDOW_S windows, GM_MIN_WINDOWS, GM_MIN_GROWTH */
/* Shortest --window: below it a window holds no sample to judge. */
#define CLI_MIN_WINDOW_NS (100ULL * 1000000ULL)

/*
 * An environment switch of the commands: true when NAME is set to anything
 * but "" or "0".  GOMAPTRACE_NO_UPROBE_MULTI=1 (attacher_opts.no_uprobe_multi)
 * is the one there is: tests take the perf_event uprobe path with it.
 */
bool cli_env_flag(const char *name);

/*
 * After getopt's own one-line complaint about a bad option: one more line
 * pointing at the command's --help (not the whole usage).  Returns -1.
 */
int cli_see_help(const char *cmd);

void cli_judging__init(struct cli_judging *j);
/* trace's: widening GM_TRACE_WINDOW_S..GM_TRACE_WINDOW_MAX_S windows, a
 * GM_TRACE_MIN_SPAN_S span; an explicit --window makes them fixed */
void cli_judging__init_widening(struct cli_judging *j);
int cli_judging_opt(struct cli_judging *j, int opt, const char *arg, int max_windows,
		    struct gm_err *err);

#endif /* CLIUTIL_H */
