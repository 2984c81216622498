/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * folded: the tracked maps as folded stacks of bucket bytes held, the input of
 * flamegraph.pl, speedscope and inferno.
 *
 * Format: one line per distinct stack, `frame;frame;...;frame BYTES`,
 * outermost frame first, the lines sorted bytewise.  Frames are function
 * names only (inlined calls expanded, as stackcollapse-go does), framed by:
 * - a root frame naming the process, its Go version and map
 *   implementation, `leaky (go1.26.8, swiss maps)`: the folded format has
 *   no room for a header (a `# ` line is read as a stack), and perf's
 *   stackcollapse puts the process name at the root too;
 * - a leaf frame holding the map type in brackets,
 *   `[map[string]*main.Session]`, so a flame graph groups by type.
 * Stacks are the growth (allocation) stacks, as in Go's heap profile and
 * --pprof: each map's bucket memory split over the inserts that grew it
 * (tmap__growth_sample), or what its growth allocated when its structure
 * was never read.  Lines that are equal add up; zero values are left out.  ';' inside a name (Go
 * struct types have them) becomes ',' and control characters become '?',
 * so every line parses.
 */
#ifndef FOLDED_H
#define FOLDED_H

#include <stdio.h>
#include "tracker.h"

int folded__write(FILE *out, const struct tracker *tr);

#endif /* FOLDED_H */
