// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "synctrie.h"

struct walk {
	const struct gomap_mem *mem;
	pid_t pid;
	uint64_t budget;	/* nodes that may still be read */
	struct synctrie_count *out;
	bool esrch;
};

/* One level of indirect nodes: what it holds below. */
struct level {
	uint64_t *node, *parent;	/* indirect nodes and the parent each must name */
	size_t n;
};

static void level_free(struct level *l)
{
	free(l->node);
	free(l->parent);
	l->node = l->parent = NULL;
	l->n = 0;
}

static bool node_ptr(uint64_t p)
{
	return p && !(p & 7) && p < GOMAP_MAX_BYTES;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* An entry's overflow chain (full-hash collisions) after its head. */
static int chain(struct walk *w, uint64_t next, uint64_t *entries)
{
	uint8_t hdr[SYNCTRIE_ENTRY_HDR];
	int r;

	while (next) {
		if (!w->budget)
			return -ENOSPC;
		w->budget--;
		w->out->nodes++;
		if (!node_ptr(next)) {
			w->out->skipped++;
			return 0;
		}
		r = w->mem->read(w->mem->ctx, w->pid, next, hdr, sizeof(hdr));
		if (r == -ESRCH) {
			w->esrch = true;
			return -ESRCH;
		}
		if (r || hdr[SYNCTRIE_NODE_ISENTRY] != 1) {
			w->out->skipped++;
			return 0;
		}
		(*entries)++;
		next = get64(hdr + SYNCTRIE_ENTRY_OVERFLOW);
	}
	return 0;
}

/*
 * Read the indirect nodes of cur and their children: entries are added to
 * *entries, indirect children make *next.  -ENOSPC when the budget ran out
 * (what was read is still counted in *entries), -ESRCH, -ENOMEM.
 * *root_bad: cur is the root alone and it failed its checks.  With cut,
 * children that would take more than half of the budget left are cut to
 * a prefix (hash order) that does not, and *cut says by how much.
 */
static int read_level(struct walk *w, const struct level *cur, uint64_t *entries,
		      struct level *next, bool *root_bad, double *cut)
{
	uint8_t *ind = NULL, *hdr = NULL;
	uint64_t *kids = NULL, *kpar = NULL;
	bool *ok = NULL, *kok = NULL;
	size_t i, j, nk = 0;
	ssize_t got;
	int ret = -ENOMEM;

	memset(next, 0, sizeof(*next));
	if (cur->n > w->budget)
		return -ENOSPC;
	w->budget -= cur->n;
	w->out->nodes += cur->n;
	ind = malloc(cur->n * SYNCTRIE_IND_SIZE);
	ok = calloc(cur->n, sizeof(*ok));
	kids = malloc(cur->n * SYNCTRIE_FANOUT * sizeof(*kids));
	kpar = malloc(cur->n * SYNCTRIE_FANOUT * sizeof(*kpar));
	if (!ind || !ok || !kids || !kpar)
		goto out;
	got = gomap__read_many(w->mem, w->pid, cur->node, cur->n, SYNCTRIE_IND_SIZE, ind, ok);
	if (got == -ESRCH) {
		w->esrch = true;
		ret = -ESRCH;
		goto out;
	}
	for (i = 0; i < cur->n; i++) {
		const uint8_t *p = ind + i * SYNCTRIE_IND_SIZE;
		uint32_t dead;

		if (!ok[i] || p[SYNCTRIE_NODE_ISENTRY] != 0 ||
		    get64(p + SYNCTRIE_IND_PARENT) != cur->parent[i] ||
		    (dead = get32(p + SYNCTRIE_IND_DEAD)) > 1) {
			if (root_bad && cur->n == 1 && !cur->parent[0])
				*root_bad = true;
			w->out->skipped++;
			continue;
		}
		w->out->indirects++;
		/* unlinked by a delete while we walked: what it held is gone */
		if (dead)
			continue;
		for (j = 0; j < SYNCTRIE_FANOUT; j++) {
			uint64_t c = get64(p + SYNCTRIE_IND_CHILDREN + 8 * j);

			if (!c)
				continue;
			if (!node_ptr(c)) {
				w->out->skipped++;
				continue;
			}
			kids[nk] = c;
			kpar[nk++] = cur->node[i];
		}
	}
	if (cut && nk > w->budget / 2 && w->budget / 2) {
		*cut = (double)nk / (double)(w->budget / 2);
		nk = w->budget / 2;
	}
	if (nk > w->budget) {
		ret = -ENOSPC;
		goto out;
	}
	w->budget -= nk;
	w->out->nodes += nk;
	hdr = malloc(nk ? nk * SYNCTRIE_ENTRY_HDR : 1);
	kok = calloc(nk ? nk : 1, sizeof(*kok));
	next->node = malloc((nk ? nk : 1) * sizeof(uint64_t));
	next->parent = malloc((nk ? nk : 1) * sizeof(uint64_t));
	if (!hdr || !kok || !next->node || !next->parent)
		goto out;
	got = gomap__read_many(w->mem, w->pid, kids, nk, SYNCTRIE_ENTRY_HDR, hdr, kok);
	if (got == -ESRCH) {
		w->esrch = true;
		ret = -ESRCH;
		goto out;
	}
	ret = 0;
	for (i = 0; i < nk; i++) {
		const uint8_t *p = hdr + i * SYNCTRIE_ENTRY_HDR;

		if (!kok[i] || p[SYNCTRIE_NODE_ISENTRY] > 1) {
			w->out->skipped++;
			continue;
		}
		if (!p[SYNCTRIE_NODE_ISENTRY]) {
			next->node[next->n] = kids[i];
			next->parent[next->n++] = kpar[i];
			continue;
		}
		(*entries)++;
		ret = chain(w, get64(p + SYNCTRIE_ENTRY_OVERFLOW), entries);
		if (ret)
			break;
	}
out:
	free(ind);
	free(ok);
	free(kids);
	free(kpar);
	free(hdr);
	free(kok);
	if (ret)
		level_free(next);
	return ret;
}

enum gomap_status synctrie__count(const struct gomap_mem *mem, pid_t pid, uint64_t ht,
				  uint32_t max_nodes, struct synctrie_count *out,
				  bool *gone_process)
{
	struct walk w = { mem, pid, max_nodes ? max_nodes : SYNCTRIE_MAX_NODES, out, false };
	uint8_t hdr[SYNCTRIE_HT_SIZE];
	struct level cur = { NULL, NULL, 1 }, next;
	uint64_t root, rootp = 0;
	double scale = 1.0, est = 0.0, cut;
	uint32_t inited;
	bool root_bad = false;
	int depth, r;

	memset(out, 0, sizeof(*out));
	if (gone_process)
		*gone_process = false;
	r = mem->read(mem->ctx, pid, ht, hdr, sizeof(hdr));
	if (r) {
		if (r == -ESRCH && gone_process)
			*gone_process = true;
		return GOMAP_UNREADABLE;
	}
	inited = get32(hdr + SYNCTRIE_HT_INITED);
	root = get64(hdr + SYNCTRIE_HT_ROOT);
	out->seed = get64(hdr + SYNCTRIE_HT_SEED);
	out->root = root;
	if (inited > 1)
		return GOMAP_BAD_HEADER;
	/* initSlow stores root, the functions and seed, then inited: a new trie */
	if (!inited)
		return root && !node_ptr(root) ? GOMAP_BAD_HEADER : GOMAP_OK;
	out->inited = true;
	if (!node_ptr(root) || !get64(hdr + SYNCTRIE_HT_KEYHASH))
		return GOMAP_BAD_HEADER;

	/*
	 * Level by level.  A level whose nodes might not fit in half of what
	 * is left of the budget is cut to a prefix of its nodes that does,
	 * and what lies below is scaled up by how much was cut (the hash
	 * spreads keys evenly: each node of a level holds about as much).
	 */
	cur.node = &root;
	cur.parent = &rootp;
	for (depth = 0; cur.n; depth++) {
		uint64_t e = 0;
		size_t keep;

		if (depth >= SYNCTRIE_MAX_DEPTH) {
			/* deeper than 64 hash bits allow: no trie node */
			out->skipped += cur.n;
			break;
		}
		if (cur.n > w.budget / 2) {
			keep = w.budget / 2 ? w.budget / 2 : 1;
			scale = scale * (double)cur.n / (double)keep;
			cur.n = keep;
			out->estimated = true;
		}
		cut = 1.0;
		r = read_level(&w, &cur, &e, &next, depth ? NULL : &root_bad, &cut);
		if (cut > 1.0) {
			scale *= cut;
			out->estimated = true;
		}
		if (cur.node != &root)
			level_free(&cur);
		cur.node = NULL;
		cur.n = 0;
		out->counted += e;
		est += scale * (double)e;
		if (r == -ESRCH) {
			if (gone_process)
				*gone_process = true;
			return GOMAP_UNREADABLE;
		}
		if (r == -ENOSPC) {
			/* overflow chains took the budget: what was seen, a lower bound */
			out->estimated = true;
			break;
		}
		if (r)
			return GOMAP_UNSTABLE;	/* out of memory: try again next sample */
		if (root_bad) {
			level_free(&next);
			return GOMAP_BAD_HEADER;
		}
		cur = next;
	}
	if (cur.node && cur.node != &root)
		level_free(&cur);
	out->entries = (uint64_t)(est + 0.5);
	if (out->entries < out->counted)
		out->entries = out->counted;
	if (out->skipped)
		out->estimated = true;
	return GOMAP_OK;
}
