/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every fuzz target shares: CHECK(), which ends the run with a line
 * naming the broken promise (a crash libFuzzer keeps as a finding),
 * FUZZ_VERBOSE read once at start into `verbose`, and `sink`, where a
 * target adds what it reads so that the reads are not optimized away.
 * Define FUZZ_TAG (the target's name) before including; a target with its
 * own start-up defines FUZZ_OWN_INIT and sets `verbose` itself.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_TAG
#error "define FUZZ_TAG before including fuzzcommon.h"
#endif

#define CHECK(c)                                                                      \
	do {                                                                          \
		if (!(c)) {                                                           \
			fprintf(stderr, FUZZ_TAG ": broken promise: %s (%s:%d)\n", #c, \
				__FILE__, __LINE__);                                  \
			abort();                                                      \
		}                                                                     \
	} while (0)

static int verbose __attribute__((unused));
static volatile size_t sink __attribute__((unused));

#ifndef FUZZ_OWN_INIT
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}
#endif

#endif /* FUZZ_COMMON_H */
