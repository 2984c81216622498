// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cliutil.h"

int cli_parse_duration(const char *s, uint64_t *ns, struct gm_err *err)
{
	static const struct { const char *suffix; double mult; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 }, { "", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return gm_err_set(err, EINVAL, "invalid duration '%s'", s ? s : "");
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return gm_err_set(err, EINVAL, "invalid duration '%s': want a positive number with unit ns/us/ms/s/m/h", s);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		v *= units[i].mult;
		if (v < 1 || v > 1e18)
			return gm_err_set(err, ERANGE, "duration '%s' out of range", s);
		*ns = (uint64_t)v;
		return 0;
	}
	return gm_err_set(err, EINVAL, "invalid duration '%s': unknown unit '%s'", s, end);
}

int cli_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *val, struct gm_err *err)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return gm_err_set(err, EINVAL, "invalid number '%s'", s ? s : "");
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return gm_err_set(err, EINVAL, "invalid number '%s'", s);
	if (v < min || v > max)
		return gm_err_set(err, ERANGE, "%s is out of range [%llu, %llu]", s,
				  (unsigned long long)min, (unsigned long long)max);
	*val = v;
	return 0;
}

int cli_parse_pid(const char *s, pid_t *pid, struct gm_err *err)
{
	uint64_t v;

	if (cli_parse_uint(s, 1, 4194304, &v, NULL))
		return gm_err_set(err, EINVAL, "invalid pid '%s'", s ? s : "");
	*pid = (pid_t)v;
	return 0;
}

void cli_judging__init(struct cli_judging *j)
{
	*j = (struct cli_judging){
		.window_ns = GM_DAEMON_WINDOW_S * 1000000000ULL,
		.min_windows = GM_MIN_WINDOWS,
		.min_growth = GM_MIN_GROWTH,
	};
}

void cli_judging__init_widening(struct cli_judging *j)
{
	cli_judging__init(j);
	j->window_ns = GM_TRACE_WINDOW_S * 1000000000ULL;
	j->window_max_ns = GM_TRACE_WINDOW_MAX_S * 1000000000ULL;
	j->min_span_ns = GM_TRACE_MIN_SPAN_S * 1000000000ULL;
}

int cli_judging_opt(struct cli_judging *j, int opt, const char *arg, int max_windows,
		    struct gm_err *err)
{
	uint64_t v;
	int ret;

	switch (opt) {
	case CLI_OPT_WINDOW:
		ret = cli_parse_duration(arg, &v, err);
		if (!ret && v < CLI_MIN_WINDOW_NS)
			ret = gm_err_set(err, ERANGE, "--window %s is too short (at least 100ms)", arg);
		if (!ret)
			j->window_ns = v;
		/* the user's window: fixed windows of that length */
		j->window_max_ns = 0;
		j->min_span_ns = 0;
		break;
	case CLI_OPT_MIN_WINDOWS:
		ret = cli_parse_uint(arg, 1, max_windows, &v, err);
		if (!ret)
			j->min_windows = (int)v;
		break;
	case CLI_OPT_MIN_GROWTH:
		ret = cli_parse_uint(arg, 0, UINT32_MAX, &j->min_growth, err);
		break;
	default:
		return 0;
	}
	return ret ? ret : 1;
}

int cli_see_help(const char *cmd)
{
	fprintf(stderr, "see 'gomaptrace %s --help'\n", cmd);
	return -1;
}

bool cli_env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}
