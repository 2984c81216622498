// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* gomaptrace: find Go maps whose growth never plateaus.  Dispatch only. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "gm_err.h"
#include "version.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "trace", cmd_trace, "trace Go processes and report maps that never stop growing" },
	{ "daemon", cmd_daemon, "watch every Go process on the node, export Prometheus metrics" },
	{ "inspect", cmd_inspect, "show Go version, map implementation and probe plan of a binary" },
	{ "symbolize", cmd_symbolize, "addresses to function, file:line from .gopclntab" },
};

static void usage(FILE *out)
{
	fprintf(out, "gomaptrace: find the Go maps that never stop growing, in unmodified running\n"
		     "Go programs.\n\n"
		     "usage: gomaptrace COMMAND [ARGS...]\n"
		     "       gomaptrace --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'gomaptrace COMMAND --help' for the options of one command.\n"
		     "exit codes: 0 ok, 1 runtime failure, 2 bad usage or unusable target, "
		     "3 leak found (trace --fail-on-leak)\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return GM_EXIT_BAD_INPUT;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return GM_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("gomaptrace %s\n", gm_version);
		return GM_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			/* getopt names the program by argv[0]: "gomaptrace trace: ..." */
			char prog[64];

			snprintf(prog, sizeof(prog), "gomaptrace %s", commands[i].name);
			argv[1] = prog;
			return commands[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "gomaptrace: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return GM_EXIT_BAD_INPUT;
}
