/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pbuf: protobuf wire encoding into a growable buffer (varints,
 * length-delimited and packed fields), what pprof's profile.proto needs.
 *
 * Contract: allocation failure latches `failed`; every later call is then
 * a no-op and the buffer is to be discarded.  Nothing here knows a schema:
 * field numbers are the caller's.
 */
#ifndef PBUF_H
#define PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_I32 = 5,
};

struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

void pbuf__init(struct pbuf *b);
void pbuf__fini(struct pbuf *b);
void pbuf__raw(struct pbuf *b, const void *p, size_t len);
void pbuf__varint(struct pbuf *b, uint64_t v);
void pbuf__key(struct pbuf *b, uint32_t field, enum pb_wire wire);
void pbuf__uint(struct pbuf *b, uint32_t field, uint64_t v);
/* int64 fields: negative values take ten bytes (two's complement), as in protoc. */
void pbuf__int(struct pbuf *b, uint32_t field, int64_t v);
void pbuf__bytes(struct pbuf *b, uint32_t field, const void *p, size_t len);
void pbuf__string(struct pbuf *b, uint32_t field, const char *s);
/* A nested message: field, length, then sub's bytes (sub's failure carries over). */
void pbuf__message(struct pbuf *b, uint32_t field, const struct pbuf *sub);
/* A packed repeated varint field; nothing at all when n is 0. */
void pbuf__packed(struct pbuf *b, uint32_t field, const uint64_t *v, size_t n);

#endif /* PBUF_H */
