// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "gobin.h"
#include "naming.h"
#include "synctrie.h"
#include "tracker.h"

const char *naming__bytes(uint64_t b, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

const char *naming__loc(const struct tloc *loc, char *buf, size_t len)
{
	if (!loc->function)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%s %s:%d", loc->function, loc->file ? loc->file : "?", loc->line);
	return buf;
}

const char *naming__type(const struct target *t, uint64_t type, char *buf, size_t len)
{
	/* a sync.Map of Go >= 1.24: a trie, no runtime map type (tracker.h) */
	if (type == TMAP_TYPE_SYNCTRIE) {
		snprintf(buf, len, "%s", SYNCTRIE_TYPE_NAME);
		return buf;
	}
	if (!type || !t->bias_known || type < t->bias) {
		snprintf(buf, len, "?");
		return buf;
	}
	gobin__type_name(t->bin, type - t->bias, buf, len);
	/*
	 * A sync.Map of Go <= 1.23 keeps its entries in runtime maps of this
	 * type (its read and dirty maps): say what the user declared.
	 */
	if (!strcmp(buf, "map[interface {}]*sync.entry") || !strcmp(buf, "map[any]*sync.entry")) {
		char under[64];

		snprintf(under, sizeof(under), "%s", buf);
		snprintf(buf, len, "sync.Map (%s)", under);
	}
	return buf;
}

const char *naming__type_unavailable(const struct target *t, uint64_t type)
{
	if (type == TMAP_TYPE_SYNCTRIE)
		return NULL;
	if (t->bin->types_unavailable[0] || !type)
		return gobin__type_unavailable(t->bin, 0);
	if (!t->bias_known)
		return "the executable's load address in this process is not known";
	if (type < t->bias)
		return "its type pointer lies below the executable's mapping";
	return gobin__type_unavailable(t->bin, type - t->bias);
}


/*
 * A process name or path as the terminal may show it: control bytes and
 * DEL as \xNN, a backslash doubled (names are the process's own, so
 * untrusted: an escape sequence must not reach the terminal raw).
 */
const char *naming__printable(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!len)
		return buf;
	for (; s && *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			buf[o++] = '\\';
			if (c == '\\') {
				buf[o++] = '\\';
				continue;
			}
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}
