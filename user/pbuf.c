// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "pbuf.h"

void pbuf__init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf__fini(struct pbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool pbuf_reserve(struct pbuf *b, size_t more)
{
	size_t cap;
	uint8_t *d;

	if (b->failed)
		return false;
	if (b->len + more <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d) {
		b->failed = true;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void pbuf__raw(struct pbuf *b, const void *p, size_t len)
{
	if (!len || !pbuf_reserve(b, len))
		return;
	memcpy(b->data + b->len, p, len);
	b->len += len;
}

void pbuf__varint(struct pbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	pbuf__raw(b, tmp, n);
}

void pbuf__key(struct pbuf *b, uint32_t field, enum pb_wire wire)
{
	pbuf__varint(b, (uint64_t)field << 3 | wire);
}

void pbuf__uint(struct pbuf *b, uint32_t field, uint64_t v)
{
	pbuf__key(b, field, PB_VARINT);
	pbuf__varint(b, v);
}

void pbuf__int(struct pbuf *b, uint32_t field, int64_t v)
{
	pbuf__uint(b, field, (uint64_t)v);
}

void pbuf__bytes(struct pbuf *b, uint32_t field, const void *p, size_t len)
{
	pbuf__key(b, field, PB_LEN);
	pbuf__varint(b, len);
	pbuf__raw(b, p, len);
}

void pbuf__string(struct pbuf *b, uint32_t field, const char *s)
{
	pbuf__bytes(b, field, s, strlen(s));
}

void pbuf__message(struct pbuf *b, uint32_t field, const struct pbuf *sub)
{
	if (sub->failed)
		b->failed = true;
	pbuf__bytes(b, field, sub->data, sub->len);
}

void pbuf__packed(struct pbuf *b, uint32_t field, const uint64_t *v, size_t n)
{
	struct pbuf tmp;
	size_t i;

	if (!n)
		return;
	pbuf__init(&tmp);
	for (i = 0; i < n; i++)
		pbuf__varint(&tmp, v[i]);
	pbuf__message(b, field, &tmp);
	pbuf__fini(&tmp);
}
