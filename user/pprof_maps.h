/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pprof_maps: the tracker's maps as Go's heap profile has them:
 * samples at the allocation (growth) stacks, so the function whose
 * insert grew a map is a frame.  One sample per map and growth stack
 * (tmap__growth_sample), values inuse_space (bytes the map holds now,
 * split over its growth stacks; the default), alloc_space (bytes its
 * growth allocated there), grows and entries (count); labels type,
 * verdict, pid, map (its address) and created_at (the creation site, the
 * view by where maps are made: `-tagfocus`, `-tags`).  Each target
 * gets a Mapping (its executable's text: /proc/PID/maps while the process
 * lives, else its ELF segment and load bias) with has_functions set, so
 * pprof shows the names carried here and never needs the binary: stripped
 * PIE profiles read the same.  Comments name each target's Go version and
 * map implementation.
 */
#ifndef PPROF_MAPS_H
#define PPROF_MAPS_H

#include <stdio.h>
#include "report.h"
#include "tracker.h"

/*
 * The tracker's maps as a gzipped profile, to f (not closed; 0 or -errno).
 * The caller, which opened f, names the path in its message (outfile.h).
 */
int pprof__write_maps_to(FILE *f, const struct tracker *tr, const struct report_session *rs);

#endif /* PPROF_MAPS_H */
