/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * naming: how every output (report, live view, metrics, pprof, folded)
 * writes the things it shows, so that they all say the same.
 *
 * Contract: each function writes into the caller's buffer (at most len - 1
 * bytes, cut short rather than overflow) and returns it; none allocates or
 * fails.  Byte counts are IEC: "512 B", "1.5 KiB", "3.0 GiB".
 */
#ifndef NAMING_H
#define NAMING_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "1.5 KiB", ... up to TiB; 16 bytes always suffice. */
const char *naming__bytes(uint64_t b, char *buf, size_t len);

#endif /* NAMING_H */
