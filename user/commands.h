/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * commands: the subcommands of gomaptrace, one file each (cmd_*.c).
 *
 * Contract: each takes the arguments after its own name (argv[0] is the
 * subcommand name, getopt-style), prints errors as one line
 * "gomaptrace <cmd>: <thing>: <reason>" on stderr, and returns an exit code
 * from enum gm_exit.
 */
#ifndef COMMANDS_H
#define COMMANDS_H

int cmd_inspect(int argc, char **argv);
int cmd_symbolize(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_daemon(int argc, char **argv);

#endif /* COMMANDS_H */
