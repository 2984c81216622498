// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"
#include "naming.h"
#include "tracker.h"
#include "strbuf.h"

#define MAX_INLINE 32

struct fline {
	char *stack;
	uint64_t bytes;
};

/* A frame as text that cannot break the line: ';' separates frames, '\n' lines. */
static void put_frame(struct strbuf *sb, const char *s)
{
	char c;

	if (sb->len)
		strbuf__append(sb, ";", 1);
	for (; *s; s++) {
		c = *s;
		if (c == ';')
			c = ',';
		else if ((unsigned char)c < 0x20 || c == 0x7f)
			c = '?';
		strbuf__append(sb, &c, 1);
	}
}

static void fold_stack(struct strbuf *sb, const struct tmap *m, const struct tstack *st)
{
	const struct target *t = m->tgt;
	struct pcln_frame fr[MAX_INLINE];
	char buf[384];
	uint32_t i, nr = st->nr < GM_MAX_STACK_DEPTH ? st->nr : GM_MAX_STACK_DEPTH;
	int n, k;

	snprintf(buf, sizeof(buf), "%s (%s, %s maps)", t->comm, t->bin->bi.version,
		 gomap__impl_name(t->bin->plan->impl));
	put_frame(sb, buf);
	/* pcs[0] is the innermost; symbolize gives each pc's inlined frames innermost first */
	for (i = nr; i-- > 0;) {
		n = target__symbolize(t, st->pcs[i], i > 0, fr, MAX_INLINE);
		if (!n)
			put_frame(sb, "[unknown]");
		for (k = n; k-- > 0;)
			put_frame(sb, fr[k].function ? fr[k].function : "[unknown]");
	}
	buf[0] = '[';
	naming__type(t, m->type, buf + 1, sizeof(buf) - 2);
	strcat(buf, "]");
	put_frame(sb, buf);
}

static int cmp_fline(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->stack, ((const struct fline *)b)->stack);
}

int folded__write(FILE *out, const struct tracker *tr)
{
	struct tmap **maps;
	struct fline *lines = NULL;
	struct strbuf sb;
	size_t nm = tracker__maps(tr, &maps), nl = 0, i, j;
	uint64_t sum;
	int ret = -ENOMEM;

	strbuf__init(&sb);
	if (!maps)
		goto cleanup;
	lines = calloc(nm * TMAP_GROWTH_STACKS + 1, sizeof(*lines));
	if (!lines)
		goto cleanup;
	for (i = 0; i < nm; i++) {
		for (int k = 0; k < TMAP_GROWTH_STACKS; k++) {
			uint64_t alloc, grows, inuse, entries, v;
			const struct tstack *st = tmap__growth_sample(maps[i], k, &alloc, &grows,
								      &inuse, &entries);

			/* what the map holds, else (never read) what its growth allocated */
			v = maps[i]->shape_ns ? inuse : alloc;
			if (!st || !v)
				continue;
			strbuf__reset(&sb);
			fold_stack(&sb, maps[i], st);
			if (sb.failed)
				goto cleanup;
			lines[nl].stack = strdup(sb.buf);
			if (!lines[nl].stack)
				goto cleanup;
			lines[nl++].bytes = v;
		}
	}
	qsort(lines, nl, sizeof(*lines), cmp_fline);
	for (i = 0; i < nl; i = j) {
		sum = 0;
		for (j = i; j < nl && !strcmp(lines[i].stack, lines[j].stack); j++)
			sum += lines[j].bytes;
		fprintf(out, "%s %" PRIu64 "\n", lines[i].stack, sum);
	}
	ret = fflush(out) || ferror(out) ? -EIO : 0;
cleanup:
	for (i = 0; lines && i < nl; i++)
		free(lines[i].stack);
	free(lines);
	free(maps);
	strbuf__fini(&sb);
	return ret;
}
