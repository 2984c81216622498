/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* strbuf: a growable text buffer; on allocation failure it latches an error. */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};

void strbuf__init(struct strbuf *sb);
void strbuf__fini(struct strbuf *sb);
void strbuf__reset(struct strbuf *sb);
void strbuf__printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf__append(struct strbuf *sb, const char *s, size_t len);

#endif /* STRBUF_H */
