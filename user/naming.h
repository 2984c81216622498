/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * naming: how every output (report, live view, metrics, pprof, folded,
 * the commands' messages) writes the things it shows — a map's type, a
 * source location, a byte count, a process's name — so that they all say
 * the same without depending on one another.
 *
 * Contract: each function writes into the caller's buffer (at most len - 1
 * bytes, cut short rather than overflow) and returns it; none allocates or
 * fails.  Byte counts are IEC: "512 B", "1.5 KiB", "3.0 GiB".
 */
#ifndef NAMING_H
#define NAMING_H

#include <stddef.h>
#include <stdint.h>

struct target;
struct tloc;

/* "512 B", "1.5 KiB", ... up to TiB; 16 bytes always suffice. */
const char *naming__bytes(uint64_t b, char *buf, size_t len);
/* "function file:line" of a location; "?" when unknown. */
const char *naming__loc(const struct tloc *loc, char *buf, size_t len);
/*
 * The map type of a runtime type address of this target: Go's own name,
 * "sync.Map (...)" for a sync.Map's inner maps, "?" when unknown.
 */
const char *naming__type(const struct target *t, uint64_t type, char *buf, size_t len);
/*
 * Why naming__type() gives "?" for it (one line), or NULL when the type has
 * a name.  Every output that prints "?" says this too.
 */
const char *naming__type_unavailable(const struct target *t, uint64_t type);
/*
 * A process name or path for the terminal: control bytes and DEL as \xNN,
 * a backslash doubled (names are the target's own: untrusted).
 */
const char *naming__printable(const char *s, char *buf, size_t len);

#endif /* NAMING_H */
