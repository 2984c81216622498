// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cliutil.h"
#include "synctrie.h"
#include "tracker.h"

#define GONE_KEEP 256		/* gone maps kept for the report, largest first */
#define GONE_MIN_ENTRIES 64	/* smaller gone maps are not worth a report line */
/*
 * A swiss directory and its tables are re-read at every sample for maps big
 * enough to be reported (their numbers must never come from freed tables),
 * and at least this often for the others, grown or not.
 */
#define SHAPE_REFRESH_NS (10ULL * 1000000000ULL)
/*
 * ...but a sample re-reads at most this many structures (three reads each)
 * that nothing asks for but that rule: with tens of thousands of large
 * Swiss maps, re-reading all of them took a third of a core.  Each is then
 * re-read once per (large maps / this) seconds instead.  Structures whose
 * header says something changed (new directory, more entries than slots,
 * a growth event) are always read.
 */
#define SHAPE_REFRESH_PER_SAMPLE 4096
#define DEF_WINDOW_NS (60ULL * 1000000000ULL)

struct pending {
	uint64_t seed;
	const struct tstack *stack;	/* interned */
};

struct tproc {
	struct target *tgt;
	struct u64map maps;	/* addr -> struct tmap */
	struct u64map pending;	/* addr -> struct pending: created, not yet grown */
	struct u64map types;	/* type addr -> (void *)1: types already announced */
	size_t pending_cursor;
	uint32_t missed;	/* 1 << enum tunseen: why creations may have gone unseen */
};

struct tracker {
	struct tracker_opts opts;
	const struct gomap_mem *mem;
	struct u64map procs;	/* pid -> struct tproc */
	struct u64map sites;	/* hash -> struct tsite */
	struct tstacks stacks;
	size_t map_cnt, pending_cnt;
	struct tmap *lru_head, *lru_tail;	/* every live tracked map, least recently grown first */
	struct tmap *gone[GONE_KEEP];
	size_t gone_cnt;
	uint64_t start_ns, next_window_ns, window_open_ns;
	uint64_t windows_closed;
	struct tracker_stats stats;
	uint64_t lost_seen;	/* BPF lost-record count at the last tracker__note_lost() */
	/* this sample's optional structure re-reads left, and how many large
	 * Swiss maps there were at the last sample (see SHAPE_REFRESH_PER_SAMPLE) */
	uint64_t refresh_left;
	size_t large_last, large_now;
};

static void lru_unlink(struct tracker *tr, struct tmap *m)
{
	if (m->lru_prev)
		m->lru_prev->lru_next = m->lru_next;
	else if (tr->lru_head == m)
		tr->lru_head = m->lru_next;
	if (m->lru_next)
		m->lru_next->lru_prev = m->lru_prev;
	else if (tr->lru_tail == m)
		tr->lru_tail = m->lru_prev;
	m->lru_prev = m->lru_next = NULL;
}

static void lru_append(struct tracker *tr, struct tmap *m)
{
	m->lru_prev = tr->lru_tail;
	m->lru_next = NULL;
	if (tr->lru_tail)
		tr->lru_tail->lru_next = m;
	else
		tr->lru_head = m;
	tr->lru_tail = m;
}

static void lru_touch(struct tracker *tr, struct tmap *m)
{
	if (tr->lru_tail == m)
		return;
	lru_unlink(tr, m);
	lru_append(tr, m);
}

/* Every reference a map holds; the map itself is the caller's. */
static void map_release(struct tracker *tr, struct tmap *m)
{
	int i;

	tstacks__put(&tr->stacks, m->create_stack);
	tstacks__put(&tr->stacks, m->grow_stack);
	for (i = 0; i < TMAP_GROWTH_STACKS; i++)
		tstacks__put(&tr->stacks, m->growth[i].stack);
	m->create_stack = m->grow_stack = tstack__empty();
	memset(m->growth, 0, sizeof(m->growth));
}

static void map_free(struct tracker *tr, struct tmap *m)
{
	map_release(tr, m);
	free(m);
}

const struct tstack *tmap__stack(const struct tmap *m)
{
	return m->created_seen && m->create_stack->nr ? m->create_stack : m->grow_stack;
}

struct tracker *tracker__new(const struct tracker_opts *opts)
{
	struct tracker *tr = calloc(1, sizeof(*tr));

	if (!tr)
		return NULL;
	memcpy(&tr->opts, opts, opts->sz < sizeof(tr->opts) ? opts->sz : sizeof(tr->opts));
	if (!tr->opts.window_ns)
		tr->opts.window_ns = DEF_WINDOW_NS;
	if (tr->opts.window_max_ns && tr->opts.window_max_ns < tr->opts.window_ns)
		tr->opts.window_max_ns = tr->opts.window_ns;
	tr->mem = tr->opts.mem ? tr->opts.mem : gomap__process_mem();
	tstacks__init(&tr->stacks);
	if (!tr->opts.max_maps)
		tr->opts.max_maps = GM_MAX_MAPS;
	if (!tr->opts.max_pending)
		tr->opts.max_pending = 16384;
	if (!tr->opts.max_sites)
		tr->opts.max_sites = 4096;
	if (!tr->opts.judge.min_windows)
		judge_opts__init(&tr->opts.judge);
	u64map__init(&tr->procs);
	u64map__init(&tr->sites);
	return tr;
}

static void free_proc(struct tracker *tr, struct tproc *p)
{
	size_t it = 0;
	void *v;

	while (u64map__next(&p->maps, &it, NULL, &v)) {
		lru_unlink(tr, v);
		map_free(tr, v);
		tr->map_cnt--;
	}
	it = 0;
	while (u64map__next(&p->pending, &it, NULL, &v)) {
		tstacks__put(&tr->stacks, ((struct pending *)v)->stack);
		free(v);
		tr->pending_cnt--;
	}
	u64map__fini(&p->maps);
	u64map__fini(&p->pending);
	u64map__fini(&p->types);
	free(p);
}

void tracker__free(struct tracker *tr)
{
	size_t it = 0, i;
	void *v;

	if (!tr)
		return;
	while (u64map__next(&tr->procs, &it, NULL, &v))
		free_proc(tr, v);
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, &v))
		free(v);
	for (i = 0; i < tr->gone_cnt; i++)
		free(tr->gone[i]);
	u64map__fini(&tr->procs);
	u64map__fini(&tr->sites);
	tstacks__fini(&tr->stacks);	/* every stack still referenced above */
	free(tr);
}

int tracker__add_target(struct tracker *tr, struct target *tgt)
{
	struct tproc *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->tgt = tgt;
	u64map__init(&p->maps);
	u64map__init(&p->pending);
	u64map__init(&p->types);
	if (u64map__set(&tr->procs, (uint64_t)tgt->pid, p)) {
		free(p);
		return -ENOMEM;
	}
	if (!tr->next_window_ns) {
		tr->start_ns = tr->window_open_ns = gm_now_ns();
		tr->next_window_ns = tr->start_ns + tr->opts.window_ns;
	}
	return 0;
}

struct target *tracker__target(const struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	return p ? p->tgt : NULL;
}

void tracker__remove_target(struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__del(&tr->procs, (uint64_t)pid);
	size_t it = 0, i, j;
	uint64_t key;
	void *v;
	uint64_t dead[64];
	size_t ndead;

	if (!p)
		return;
	/* sites of this process go with it; collect keys first (deletion reorders) */
	do {
		ndead = 0;
		it = 0;
		while (ndead < 64 && u64map__next(&tr->sites, &it, &key, &v))
			if (((struct tsite *)v)->tgt == p->tgt)
				dead[ndead++] = key;
		for (i = 0; i < ndead; i++) {
			struct tsite *s = u64map__del(&tr->sites, dead[i]);

			tstacks__put(&tr->stacks, s->stack);
			free(s);
		}
	} while (ndead == 64);
	for (i = j = 0; i < tr->gone_cnt; i++) {
		if (tr->gone[i]->tgt == p->tgt)
			map_free(tr, tr->gone[i]);
		else
			tr->gone[j++] = tr->gone[i];
	}
	tr->gone_cnt = j;
	free_proc(tr, p);
}

bool tracker__user_frame(struct target *tgt, const struct tstack *st, struct tloc *loc)
{
	uint32_t i;

	for (i = 0; i < st->nr && i < GM_MAX_STACK_DEPTH; i++)
		if (target__user_frame(tgt, st->pcs[i], i > 0, loc))
			return true;
	return false;
}

static uint64_t site_hash(const struct target *tgt, enum tsite_kind kind, const struct tloc *loc)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t parts[5] = { (uint64_t)tgt->pid, kind, (uintptr_t)loc->function,
			      (uintptr_t)loc->file, (uint64_t)loc->line };

	for (int i = 0; i < 5; i++)
		h = (h ^ parts[i]) * 1099511628211ULL;
	return h;
}

static void series_start(struct tseries *s, uint64_t entries, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	s->first = s->last = s->max = s->win_start = s->win_hi = entries;
	s->first_ns = s->last_ns = s->win_start_ns = now;
	s->verdict = VERDICT_GROWING;
}

static struct tsite *get_site(struct tracker *tr, struct target *tgt, enum tsite_kind kind,
			      const struct tloc *loc, const struct tstack *st, uint64_t now)
{
	uint64_t key = site_hash(tgt, kind, loc);
	struct tsite *s;

	/* colliding hashes probe onwards; equality is on the fields */
	while ((s = u64map__get(&tr->sites, key))) {
		if (s->tgt == tgt && s->kind == kind && s->loc.function == loc->function &&
		    s->loc.file == loc->file && s->loc.line == loc->line)
			return s;
		key++;
	}
	if (tr->sites.cnt >= tr->opts.max_sites)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->tgt = tgt;
	s->kind = kind;
	s->loc = *loc;
	series_start(&s->s, 0, now);
	s->s.win_start_ns = tr->window_open_ns;
	if (u64map__set(&tr->sites, key, s)) {
		free(s);
		return NULL;
	}
	s->stack = tstacks__ref(st);
	return s;
}

static const struct tstack *event_stack(struct tracker *tr, const struct gm_event *e)
{
	return tstacks__get(&tr->stacks, (const uint64_t *)e->frames, e->nr_frames);
}

static void set_stack(struct tracker *tr, const struct tstack **dst, const struct tstack *st)
{
	tstacks__put(&tr->stacks, *dst);
	*dst = st;
}

/* The current window's highest sample, largest fall and the bottom after it. */
static void series_note(struct tseries *s, uint64_t v)
{
	if (v > s->win_hi) {
		s->win_hi = v;
	} else if (s->win_hi - v > s->win_drop) {
		s->win_drop = s->win_hi - v;
		s->win_low = v;
	} else if (s->win_drop && v < s->win_low) {
		s->win_low = v;
	}
}

/* Where the current window's largest fall bottomed out (its end if none). */
static uint64_t series_low(const struct tseries *s)
{
	return s->win_drop ? s->win_low : s->last;
}

static void series_sample(struct tseries *s, uint64_t v, uint64_t now)
{
	/* an event queued while memory was read is older than that read */
	if (now < s->last_ns)
		return;
	series_note(s, v);
	s->last = v;
	if (v > s->max)
		s->max = v;
	s->last_ns = now;
	s->win_samples++;
}

static uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int32_t sat_i32(int64_t v)
{
	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

/* Oldest to newest copy of the ring, for the judge. */
static int series_windows(const struct tseries *s, struct judge_window *out)
{
	int n = s->nwin < TRACK_WINDOWS ? s->nwin : TRACK_WINDOWS, i;

	for (i = 0; i < n; i++) {
		const struct twin *w = &s->windows[(s->nwin - n + i) % TRACK_WINDOWS];

		out[i] = (struct judge_window){
			.delta = w->delta, .drop = w->drop, .end = w->end, .low = w->low,
			.ns = (uint64_t)w->ms * 1000000ULL, .sampled = w->sampled,
		};
	}
	return n;
}

static void series_close(struct tseries *s, const struct judge_opts *jo, uint64_t now,
			 int64_t delta, uint64_t drop, uint64_t low, bool sampled, bool gone)
{
	struct judge_window w[TRACK_WINDOWS];
	uint64_t len = now > s->win_start_ns ? now - s->win_start_ns : 0;
	int n;

	s->windows[s->nwin % TRACK_WINDOWS] = (struct twin){
		.delta = sat_i32(delta), .drop = sat32(drop), .end = sat32(s->last),
		.low = sat32(drop ? low : s->last),
		.ms = sat32(len / 1000000ULL), .sampled = sampled,
	};
	s->nwin++;
	s->win_start = s->win_hi = s->last;
	s->win_drop = 0;
	s->win_low = 0;
	s->win_samples = 0;
	s->win_start_ns = now;
	n = series_windows(s, w);
	s->verdict = judge__verdict(jo, w, n, gone, &s->ev);
}

static void keep_gone(struct tracker *tr, struct tmap *m)
{
	size_t i, small = 0;

	if (m->s.max < GONE_MIN_ENTRIES) {
		map_free(tr, m);
		return;
	}
	if (tr->gone_cnt < GONE_KEEP) {
		tr->gone[tr->gone_cnt++] = m;
		return;
	}
	for (i = 1; i < GONE_KEEP; i++)
		if (tr->gone[i]->s.max < tr->gone[small]->s.max)
			small = i;
	if (tr->gone[small]->s.max < m->s.max) {
		map_free(tr, tr->gone[small]);
		tr->gone[small] = m;
	} else {
		map_free(tr, m);
	}
}

/* The map stopped existing: out of the address table, into the report pile. */
static void map_gone(struct tracker *tr, struct tproc *p, struct tmap *m)
{
	u64map__del(&p->maps, m->key);
	lru_unlink(tr, m);
	tr->map_cnt--;
	tr->stats.gone_maps++;
	m->gone = true;
	m->bloated = false;	/* nothing left to copy */
	m->s.verdict = VERDICT_GONE;
	if (m->site && m->site->maps)
		m->site->maps--;
	m->site = NULL;
	keep_gone(tr, m);
}

/* Least recently grown first: the list head, O(1). */
static void evict_one_map(struct tracker *tr)
{
	struct tmap *victim = tr->lru_head;
	struct tproc *p;

	if (!victim)
		return;
	p = u64map__get(&tr->procs, (uint64_t)victim->tgt->pid);
	tr->stats.evicted_maps++;
	lru_unlink(tr, victim);
	if (p)
		u64map__del(&p->maps, victim->key);
	tr->map_cnt--;
	if (victim->site && victim->site->maps)
		victim->site->maps--;
	map_free(tr, victim);
}

static void remember_creation(struct tracker *tr, struct tproc *p, const struct gm_event *e,
			      uint64_t mkey)
{
	struct pending *pd = u64map__get(&p->pending, mkey);
	uint64_t key;

	if (!pd) {
		if (tr->pending_cnt >= tr->opts.max_pending) {
			/* drop an arbitrary remembered creation, rotating through the table */
			struct pending *old;

			if (!u64map__next(&p->pending, &p->pending_cursor, &key, (void **)&old)) {
				p->pending_cursor = 0;
				if (!u64map__next(&p->pending, &p->pending_cursor, &key, (void **)&old))
					return;
			}
			u64map__del(&p->pending, key);
			tstacks__put(&tr->stacks, old->stack);
			free(old);
			tr->pending_cnt--;
			tr->stats.evicted_pending++;
		}
		pd = calloc(1, sizeof(*pd));
		if (!pd || u64map__set(&p->pending, mkey, pd)) {
			free(pd);
			return;
		}
		pd->stack = tstack__empty();
		tr->pending_cnt++;
	}
	pd->seed = e->seed;
	set_stack(tr, &pd->stack, event_stack(tr, e));
}

static const char *const unseen_words[TUNSEEN_MAX][2] = {
	[TUNSEEN_NONE] = { "seen", "seen" },
	[TUNSEEN_BEFORE] = { "before_tracing", "before tracing began" },
	[TUNSEEN_STACK] = { "stack_map", "not seen: a stack map, made by compiled code without a runtime call" },
	[TUNSEEN_LOST] = { "events_lost", "not seen: probe records were lost (ring buffer full)" },
	[TUNSEEN_SHED] = { "shed", "not seen: the governor had taken the creation probes off" },
	[TUNSEEN_EVICTED] = { "evicted", "not seen: too many maps made and not yet grown, its creation was forgotten" },
	[TUNSEEN_UNKNOWN] = { "not_seen", "not seen: made by a path without a probe" },
};

const char *tunseen__str(enum tunseen why)
{
	return (unsigned)why < TUNSEEN_MAX ? unseen_words[why][0] : "?";
}

const char *tunseen__text(enum tunseen why)
{
	return (unsigned)why < TUNSEEN_MAX ? unseen_words[why][1] : "?";
}

void tracker__creations_missed(struct tracker *tr, pid_t pid, enum tunseen why)
{
	struct tproc *p;
	size_t it = 0;

	if ((unsigned)why >= TUNSEEN_MAX)
		return;
	if (pid) {
		p = u64map__get(&tr->procs, (uint64_t)pid);
		if (p)
			p->missed |= 1u << why;
		return;
	}
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p))
		p->missed |= 1u << why;
}

void tracker__note_lost(struct tracker *tr, uint64_t lost)
{
	if (lost > tr->lost_seen)
		tracker__creations_missed(tr, 0, TUNSEEN_LOST);
	tr->lost_seen = lost;
}

/* The most specific honest reason; "before tracing" only when nothing else can explain it. */
static enum tunseen why_unseen(const struct tracker *tr, const struct tproc *p,
			       const struct tmap *m)
{
	if (m->on_stack)
		return TUNSEEN_STACK;
	if (p->missed & (1u << TUNSEEN_SHED))
		return TUNSEEN_SHED;
	if (p->missed & (1u << TUNSEEN_LOST))
		return TUNSEEN_LOST;
	if (tr->stats.evicted_pending)
		return TUNSEEN_EVICTED;
	if (p->tgt->held)
		return TUNSEEN_UNKNOWN;
	return TUNSEEN_BEFORE;
}

/*
 * A map without a type of its own takes its site's.  One line of Go code
 * creates or fills maps of one static type, except in generic code, where
 * instantiations of one GC shape share the line (pointer-valued maps of
 * different element types): a generic function's site lends nothing.
 */
static void site_type(struct tmap *m)
{
	const char *fn = m->site ? m->site->loc.function : NULL;

	if (m->type || !m->site || !m->site->type || !fn || strchr(fn, '['))
		return;
	m->type = m->site->type;
	m->type_from_site = true;
}

/*
 * A classic map being grown is evacuated a little by every write to it,
 * deletes included (mapdelete -> growWork -> evacuate, which can allocate
 * an overflow bucket): such a growth's first frame outside the runtime is
 * a delete's line, not an insert's.
 */
static bool grown_in_delete(struct target *tgt, const struct tstack *st)
{
	struct tloc loc;
	uint32_t i;

	for (i = 0; i < st->nr && i < GM_MAX_STACK_DEPTH; i++) {
		if (target__user_frame(tgt, st->pcs[i], i > 0, &loc))
			return false;
		if (target__in_mapdelete(tgt, st->pcs[i], i > 0))
			return true;
	}
	return false;
}

/* insert_at from the map's newest growth stack, unless a delete made that growth. */
static void note_insert_site(struct tproc *p, struct tmap *m)
{
	if (!grown_in_delete(p->tgt, m->grow_stack))
		tracker__user_frame(p->tgt, m->grow_stack, &m->insert_at);
}

/*
 * The creation remembered at this address is this map's: the same seed,
 * or, since Go reseeds a map that a delete empties, any seed while no
 * creation in the process can have gone unseen since its probes went in
 * (another map made here later would have replaced the remembered one).
 */
static bool creation_is_ours(const struct tracker *tr, const struct tproc *p,
			     const struct pending *pd, const struct gm_event *e)
{
	return pd->seed == e->seed || (!p->missed && !tr->stats.evicted_pending);
}

static struct tmap *new_map(struct tracker *tr, struct tproc *p, const struct gm_event *e,
			    uint64_t mkey, uint64_t now)
{
	struct tmap *m;
	struct pending *pd;

	if (tr->map_cnt >= tr->opts.max_maps)
		evict_one_map(tr);
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->tgt = p->tgt;
	m->addr = e->map;
	m->key = mkey;
	m->seed = e->seed;
	m->create_stack = m->grow_stack = tstack__empty();
	if (stackmaps__is_key(mkey)) {
		m->on_stack = true;
		stackmaps__id_init(&m->stk, e);
		stackmaps__holder(p->tgt, &m->stk, &m->holder);
	}
	series_start(&m->s, e->entries, now);
	pd = u64map__get(&p->pending, mkey);
	if (pd && creation_is_ours(tr, p, pd, e)) {
		m->created_seen = true;
		m->create_stack = pd->stack;	/* the reference moves */
		pd->stack = tstack__empty();
		tracker__user_frame(p->tgt, m->create_stack, &m->created_at);
	}
	if (pd) {
		u64map__del(&p->pending, mkey);
		tstacks__put(&tr->stacks, pd->stack);
		free(pd);
		tr->pending_cnt--;
	}
	if (!m->created_seen)
		m->unseen = why_unseen(tr, p, m);
	m->grow_stack = event_stack(tr, e);
	note_insert_site(p, m);
	/* a stack map's creation line is per frame: its fill line names the map (and the metric) */
	if (m->created_seen && m->created_at.function && !m->on_stack &&
	    (!tr->opts.site_by_insert || !m->insert_at.function))
		m->site = get_site(tr, p->tgt, TSITE_CREATED, &m->created_at, m->create_stack, now);
	else if (m->insert_at.function)
		m->site = get_site(tr, p->tgt, TSITE_INSERTED, &m->insert_at, m->grow_stack, now);
	if (m->site) {
		if (!m->site->joined)
			m->site->stack_only = m->on_stack;
		else if (!m->on_stack)
			m->site->stack_only = false;
		m->site->joined = true;
		m->site->maps++;
		if (!m->site->type)
			m->site->type = e->type;
		site_type(m);
	}
	if (u64map__set(&p->maps, mkey, m)) {
		if (m->site)
			m->site->maps--;
		map_free(tr, m);
		return NULL;
	}
	lru_append(tr, m);
	tr->map_cnt++;
	tr->stats.maps_tracked++;
	return m;
}

const struct tstack *tmap__growth_sample(const struct tmap *m, int i, uint64_t *alloc,
					 uint64_t *grows, uint64_t *inuse, uint64_t *entries)
{
	uint64_t total = 0, before = 0;
	int k, last = -1;

	*alloc = *grows = *inuse = *entries = 0;
	for (k = 0; k < TMAP_GROWTH_STACKS; k++) {
		if (!m->growth[k].stack)
			continue;
		total += m->growth[k].bytes;
		last = k;
	}
	if (last < 0) {
		if (i)
			return NULL;
		*inuse = m->bucket_bytes;
		*entries = m->s.last;
		return m->grow_stack;
	}
	if (i < 0 || i >= TMAP_GROWTH_STACKS || !m->growth[i].stack)
		return NULL;
	*alloc = m->growth[i].bytes;
	*grows = m->growth[i].grows;
	for (k = 0; k < i; k++)
		if (m->growth[k].stack)
			before += m->growth[k].bytes;
	if (i == last) {
		/* the remainder, so the shares add up exactly */
		uint64_t in_before = total ? (uint64_t)((double)m->bucket_bytes * before / total) : 0;
		uint64_t en_before = total ? (uint64_t)((double)m->s.last * before / total) : 0;

		*inuse = m->bucket_bytes - (in_before < m->bucket_bytes ? in_before : m->bucket_bytes);
		*entries = m->s.last - (en_before < m->s.last ? en_before : m->s.last);
	} else if (total) {
		uint64_t in_to = (uint64_t)((double)m->bucket_bytes * (before + *alloc) / total);
		uint64_t in_from = (uint64_t)((double)m->bucket_bytes * before / total);
		uint64_t en_to = (uint64_t)((double)m->s.last * (before + *alloc) / total);
		uint64_t en_from = (uint64_t)((double)m->s.last * before / total);

		*inuse = in_to - in_from;
		*entries = en_to - en_from;
	}
	return m->growth[i].stack;
}

/* Growth bytes under this stack: a slot of its own, or merged into the smallest. */
static void add_growth(struct tracker *tr, struct tmap *m, const struct tstack *st, uint64_t bytes)
{
	struct tgrowth *g = NULL, *small = &m->growth[0];
	int i;

	for (i = 0; i < TMAP_GROWTH_STACKS; i++) {
		struct tgrowth *x = &m->growth[i];

		if (x->stack == st || !x->stack) {
			g = x;
			break;
		}
		if (x->bytes < small->bytes)
			small = x;
	}
	if (!g) {
		/* keep the sums: the smallest slot takes the new stack and its bytes stay */
		g = small;
		set_stack(tr, &g->stack, tstacks__ref(st));
	} else if (!g->stack) {
		g->stack = tstacks__ref(st);
	}
	g->bytes += bytes;
	g->grows++;
}

static void announce_type(struct tracker *tr, struct tproc *p, uint64_t type)
{
	if (!type || !tr->opts.on_type || u64map__get(&p->types, type))
		return;
	if (u64map__set(&p->types, type, (void *)1))
		return;
	tr->opts.on_type(p->tgt, type, tr->opts.ctx);
}

bool tracker__tracks(const struct tracker *tr, pid_t pid, uint64_t map)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	return p && u64map__get(&p->maps, map);
}

static void handle_alloc(struct tracker *tr, struct tproc *p, const struct gm_event *e, uint64_t now)
{
	const struct tstack *st = event_stack(tr, e);
	struct tloc loc;
	struct tsite *s;

	tr->stats.allocs++;
	if (tracker__user_frame(p->tgt, st, &loc)) {
		s = get_site(tr, p->tgt, TSITE_INSERTED, &loc, st, now);
		if (s)
			s->exact_bucket_bytes += e->arg;
	}
	tstacks__put(&tr->stacks, st);
}

/*
 * A sync.Map trie (synctrie.h): walk it, within the node bound, and keep
 * the count; 1, or 0 when it is no longer a trie of ours (gone), -ESRCH
 * when its process is gone.  Large
 * tries are walked less often: one walk per TRACK_TRIE_NODES_PER_SEC
 * nodes it read, at least every TRACK_TRIE_MAX_INTERVAL_NS and twice a
 * window.
 */
static int sample_trie(struct tracker *tr, struct tproc *p, struct tmap *m, uint64_t now,
		       bool first)
{
	struct synctrie_count c;
	enum gomap_status st;
	bool gone_proc = false;
	uint64_t iv, lim, ind;

	st = synctrie__count(tr->mem, p->tgt->pid, m->addr, tr->opts.trie_max_nodes, &c, &gone_proc);
	tr->stats.trie_walks++;
	tr->stats.trie_nodes += c.nodes;
	tr->stats.trie_skipped_nodes += c.skipped;
	if (gone_proc)
		return -ESRCH;
	if (st == GOMAP_UNSTABLE) {
		tr->stats.unstable++;
		return 1;
	}
	if (st == GOMAP_UNREADABLE) {
		tr->stats.read_failures++;
		return 0;
	}
	if (st != GOMAP_OK) {
		tr->stats.rejected++;
		return 0;
	}
	/* initSlow draws a new seed: another trie at this address */
	if (c.inited && m->seed && c.seed != m->seed) {
		tr->stats.reused++;
		return 0;
	}
	if (c.inited)
		m->seed = c.seed;
	if (c.estimated)
		tr->stats.trie_estimated++;
	m->buckets = c.root;
	m->count_estimated = c.estimated;
	m->trie_nodes = c.nodes;
	/* indirect nodes and entries (entry[any, any]: 48 bytes), scaled with an estimate */
	ind = c.indirects;
	if (c.estimated && c.counted && c.entries > c.counted)
		ind = (uint64_t)((double)ind * c.entries / c.counted);
	m->bucket_bytes = ind * SYNCTRIE_IND_ALLOC + c.entries * SYNCTRIE_ENTRY_SIZE;
	m->capacity = 0;
	m->tables = 0;
	m->shape_ns = now;
	m->shape_dirty = false;
	m->bloated = false;
	if (first)
		series_start(&m->s, c.entries, now);
	else
		series_sample(&m->s, c.entries, now);
	iv = (uint64_t)c.nodes * 1000000000ULL / TRACK_TRIE_NODES_PER_SEC;
	lim = tracker__window_ns(tr) / 2;
	if (lim > TRACK_TRIE_MAX_INTERVAL_NS)
		lim = TRACK_TRIE_MAX_INTERVAL_NS;
	if (iv > lim)
		iv = lim;
	/* within a tenth of a second of the due time: the once-a-second tick takes it */
	m->trie_next_ns = iv >= 1000000000ULL ? now + iv - 100000000ULL : 0;
	return 1;
}

/* A trie first seen by its growth: its count now, and what it is. */
static void trie_start(struct tracker *tr, struct tproc *p, struct tmap *m, uint64_t now)
{
	m->trie = true;
	m->type = TMAP_TYPE_SYNCTRIE;
	m->type_from_site = false;
	m->seed = 0;
	if (m->site && (!m->site->type || m->site->type == TMAP_TYPE_SYNCTRIE))
		m->site->type = TMAP_TYPE_SYNCTRIE;
	/* gone already: the next sample drops it */
	sample_trie(tr, p, m, now, true);
}

void tracker__handle_event(struct tracker *tr, const struct gm_event *e)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)e->tgid);
	uint64_t now = e->ts_ns, bytes, cap, mkey = e->map;
	struct tmap *m;

	tr->stats.events++;
	if (!p) {
		tr->stats.unknown_target++;
		return;
	}
	if (!p->tgt->bias_known)
		target__resolve_bias(p->tgt);
	if (e->flags & GM_EV_ON_STACK) {
		tr->stats.on_stack++;
		if (!e->goid || !e->stack_off)
			return;		/* its goroutine could not be read: no way to follow it */
		mkey = stackmaps__key(e);
	}
	switch (e->kind) {
	case GM_PROBE_MAKEMAP_RET:
	case GM_PROBE_NEWMAP_RET:
		tr->stats.creations++;
		/* a creation at a tracked address: that map is gone (or this is its twin probe) */
		m = u64map__get(&p->maps, mkey);
		if (m && m->seed != e->seed) {
			tr->stats.reused++;
			map_gone(tr, p, m);
		} else if (m) {
			return;
		}
		remember_creation(tr, p, e, mkey);
		return;
	case GM_PROBE_MALLOCGC:
		handle_alloc(tr, p, e, now);
		return;
	case GM_PROBE_TRIE_INIT:
		tr->stats.creations++;
		/* a trie already followed here: a walk tells a new one by its seed */
		if (!u64map__get(&p->maps, mkey))
			remember_creation(tr, p, e, mkey);
		return;
	case GM_PROBE_MAPASSIGN:
	case GM_PROBE_GROWWORK:
		tr->stats.assigns++;
		break;
	default:
		tr->stats.growths++;
		break;
	}
	if (!e->map)
		return;
	m = u64map__get(&p->maps, mkey);
	/* a stack map: where its header is now (the stack may have moved) */
	if (m && m->on_stack && now >= m->s.last_ns && m->addr != e->map) {
		m->addr = e->map;
		m->stk.moves++;
	}
	/*
	 * Go reseeds a map that becomes empty (clear, or deleting the last
	 * key), so a new seed here is no proof of a new map: a creation event
	 * or the memory read (seed and bucket array both changed) decides.
	 */
	if (m && !m->trie && m->seed != e->seed && now >= m->s.last_ns)
		m->seed = e->seed;
	/* a first insert into a small map: too small to leak, not worth tracking */
	if (!m && e->kind == GM_PROBE_GROW_TO_SMALL) {
		struct pending *pd = u64map__get(&p->pending, mkey);

		if (pd)
			pd->seed = e->seed;	/* NewEmptyMap left the seed for growToSmall */
		announce_type(tr, p, e->type);
		return;
	}
	if (!m) {
		m = new_map(tr, p, e, mkey, now);
		if (!m)
			return;
		if (e->kind == GM_PROBE_TRIE_EXPAND)
			trie_start(tr, p, m, now);
	} else if (!m->trie) {
		series_sample(&m->s, e->entries, now);
	}
	if (e->type && (!m->type || m->type_from_site)) {
		m->type = e->type;
		m->type_from_site = false;
		if (m->site && !m->site->type)
			m->site->type = e->type;
	}
	if (e->type && e->bucket_size && !m->bucket_size && e->bucket_size <= GOMAP_MAX_BYTES)
		m->bucket_size = e->bucket_size;
	announce_type(tr, p, e->type);
	if (e->kind == GM_PROBE_MAPASSIGN || e->kind == GM_PROBE_GROWWORK) {
		set_stack(tr, &m->grow_stack, event_stack(tr, e));
		note_insert_site(p, m);
		return;
	}
	/* growth swaps the bucket array or a table: the next sample reads the structure */
	m->buckets = 0;
	m->shape_dirty = true;
	gomap__growth_cost(e, e->bucket_size ? e->bucket_size : m->bucket_size, &bytes, &cap);
	m->grown_bytes += bytes;
	/* until the structure is read, the event's word on capacity (classic) */
	if (!m->shape_ns && cap > m->capacity)
		m->capacity = cap;
	m->grows++;
	m->last_grow_ns = now;
	lru_touch(tr, m);
	set_stack(tr, &m->grow_stack, event_stack(tr, e));
	note_insert_site(p, m);
	add_growth(tr, m, m->grow_stack, bytes);
	if (m->site) {
		m->site->bucket_bytes += bytes;
		m->site->grows++;
	}
}

/* The type's BucketSize / GroupSize, read once when no event carried it. */
static void learn_bucket_size(struct tracker *tr, struct tproc *p, struct tmap *m)
{
	const struct gm_layout *lay = &p->tgt->bin->plan->layout;
	uint64_t v = 0;

	if (m->bucket_size || !m->type || m->trie || lay->type_bucketsize_off == GM_OFF_ABSENT)
		return;
	if (!tr->mem->read(tr->mem->ctx, p->tgt->pid, m->type + lay->type_bucketsize_off, &v,
			   lay->type_bucketsize_size > 8 ? 8 : lay->type_bucketsize_size) &&
	    v <= GOMAP_MAX_BYTES)
		m->bucket_size = v;
}

/*
 * The structure of a map whose header h was just read and passed: read it,
 * then read the header again; a map that moved its directory or was being
 * written meanwhile is read once more, then left for the next sample.
 */
static enum gomap_status read_shape(struct tracker *tr, struct tproc *p, struct tmap *m,
				    struct gomap_header *h, struct gomap_shape *sh)
{
	const struct gm_layout *lay = &p->tgt->bin->plan->layout;
	size_t len = gomap__header_len(lay);
	uint8_t hdr[128];
	struct gomap_header h2;
	enum gomap_status st = GOMAP_UNSTABLE;
	int try, r;

	if (len > sizeof(hdr))
		return GOMAP_BAD_HEADER;
	for (try = 0; try < 2; try++) {
		if (try) {
			r = tr->mem->read(tr->mem->ctx, p->tgt->pid, m->addr, hdr, len);
			if (r)
				return GOMAP_UNREADABLE;
			st = gomap__parse_header(lay, hdr, m->bucket_size, h);
			if (st != GOMAP_OK)
				return st;
		}
		if (h->writing) {
			st = GOMAP_UNSTABLE;
			continue;
		}
		st = gomap__shape(tr->mem, p->tgt->pid, lay, h, m->bucket_size, sh);
		if (st == GOMAP_UNREADABLE)
			return st;
		if (lay->impl == GM_MAP_CLASSIC || !h->dirlen) {
			if (st == GOMAP_OK)
				return st;
			continue;
		}
		r = tr->mem->read(tr->mem->ctx, p->tgt->pid, m->addr, hdr, len);
		if (r)
			return GOMAP_UNREADABLE;
		if (gomap__parse_header(lay, hdr, m->bucket_size, &h2) != GOMAP_OK)
			return GOMAP_BAD_HEADER;
		if (h2.buckets != h->buckets || h2.dirlen != h->dirlen || h2.writing ||
		    h2.seed != h->seed) {
			st = GOMAP_UNSTABLE;
			continue;
		}
		if (st == GOMAP_OK)
			return st;
	}
	return st;
}

/* One header read for this map (hdr); false when the map turned out gone. */
static bool sample_map(struct tracker *tr, struct tproc *p, struct tmap *m, const uint8_t *hdr,
		       bool force_shape, uint64_t now)
{
	const struct gm_layout *lay = &p->tgt->bin->plan->layout;
	struct gomap_header h;
	struct gomap_shape sh;
	enum gomap_status st;
	bool need;

	learn_bucket_size(tr, p, m);
	st = gomap__parse_header(lay, hdr, m->bucket_size, &h);
	if (st != GOMAP_OK) {
		tr->stats.rejected++;
		return false;
	}
	/* reused address: new seed and new buckets (a clear keeps the buckets) */
	if (h.seed != m->seed && m->buckets && h.buckets != m->buckets) {
		tr->stats.reused++;
		return false;
	}
	/* read from the header alone, or a change the header shows: always */
	need = force_shape || lay->impl == GM_MAP_CLASSIC || !h.dirlen || m->shape_dirty ||
	       !m->shape_ns || h.buckets != m->buckets || h.dirlen != m->dirlen ||
	       h.count > m->capacity;
	if (!need && m->s.max >= GONE_MIN_ENTRIES) {
		/* large: every sample while few, round the set within the budget when many */
		uint64_t every = (uint64_t)tr->large_last * 1000000000ULL / SHAPE_REFRESH_PER_SAMPLE;

		tr->large_now++;
		if (now - m->shape_ns >= every && tr->refresh_left) {
			tr->refresh_left--;
			need = true;
		} else if (now - m->shape_ns >= every) {
			tr->stats.shape_deferred++;
		}
	} else if (!need && now - m->shape_ns >= SHAPE_REFRESH_NS) {
		need = true;
	}
	if (need) {
		st = read_shape(tr, p, m, &h, &sh);
		if (st == GOMAP_UNSTABLE) {
			tr->stats.unstable++;
		} else if (st == GOMAP_UNREADABLE) {
			tr->stats.read_failures++;
			return false;
		} else if (st != GOMAP_OK || h.count > sh.capacity) {
			/* no live map holds more entries than it has slots */
			tr->stats.rejected++;
			return false;
		} else {
			m->capacity = sh.capacity;
			m->bucket_bytes = sh.bytes;
			m->tables = sh.tables;
			m->shape_ns = now;
			m->shape_dirty = false;
		}
	}
	m->seed = h.seed;
	m->buckets = h.buckets;
	m->dirlen = h.dirlen;
	series_sample(&m->s, h.count, now);
	m->bloated = m->shape_ns && judge__bloated(&tr->opts.judge, m->capacity, h.count);
	return true;
}

/*
 * Stack maps: re-find each header from its goroutine's stack as it is now;
 * those whose goroutine or frame ended are gone, those whose stack is
 * being copied sit this sample out.  Compacts maps[] to what is to be read.
 */
static int refresh_stack_maps(struct tracker *tr, struct tproc *p, struct tmap **maps, size_t *n)
{
	const struct tstackid **ids;
	enum stackmap_state *st;
	uint64_t *addr;
	struct tmap **sm;
	size_t i, j, k, cnt = 0;
	int ret;

	for (i = 0; i < *n; i++)
		cnt += maps[i]->on_stack;
	if (!cnt)
		return 0;
	ids = calloc(cnt, sizeof(*ids));
	st = calloc(cnt, sizeof(*st));
	addr = calloc(cnt, sizeof(*addr));
	sm = calloc(cnt, sizeof(*sm));
	ret = -ENOMEM;
	if (!ids || !st || !addr || !sm)
		goto cleanup;
	for (i = j = 0; i < *n; i++)
		if (maps[i]->on_stack) {
			sm[j] = maps[i];
			ids[j++] = &maps[i]->stk;
		}
	ret = stackmaps__refresh(p->tgt->pid, &p->tgt->bin->plan->layout, ids, cnt, addr, st);
	if (ret)
		goto cleanup;
	/* keep heap maps and live stack maps, in order (sm[] follows maps[]) */
	for (i = j = k = 0; i < *n; i++) {
		if (!maps[i]->on_stack) {
			maps[j++] = maps[i];
			continue;
		}
		if (st[k] == STACKMAP_LIVE) {
			if (maps[i]->addr != addr[k])
				maps[i]->stk.moves++;
			maps[i]->addr = addr[k];
			maps[j++] = maps[i];
		}
		k++;
	}
	/* only now: map_gone may free them */
	for (k = 0; k < cnt; k++)
		if (st[k] == STACKMAP_GONE)
			map_gone(tr, p, sm[k]);
	*n = j;
cleanup:
	free(ids);
	free(st);
	free(addr);
	free(sm);
	return ret;
}

/* The sync.Map tries of a process whose walk is due; false when the process is gone. */
static bool sample_tries(struct tracker *tr, struct tproc *p, struct tmap **tries, size_t nt,
			 bool force_shape)
{
	uint64_t now = gm_now_ns();
	size_t k;
	int r;

	for (k = 0; k < nt; k++) {
		struct tmap *m = tries[k];

		if (!force_shape && m->trie_next_ns && now < m->trie_next_ns) {
			tr->stats.trie_deferred++;
			continue;
		}
		r = sample_trie(tr, p, m, gm_now_ns(), false);
		if (r == -ESRCH) {
			tracker__target_exited(tr, p->tgt->pid);
			return false;
		}
		if (!r)
			map_gone(tr, p, m);
	}
	return true;
}

static void sample_proc(struct tracker *tr, struct tproc *p, bool force_shape)
{
	const struct gm_layout *lay = &p->tgt->bin->plan->layout;
	size_t n = p->maps.cnt, i = 0, it = 0, k, len = gomap__header_len(lay), nt = 0;
	struct tmap **maps, **tries;
	uint64_t *addrs, now;
	uint8_t *buf;
	bool *ok;
	ssize_t got;
	struct tmap *m;

	if (!n)
		return;
	maps = calloc(n, sizeof(*maps));
	tries = calloc(n, sizeof(*tries));
	addrs = calloc(n, sizeof(*addrs));
	buf = calloc(n, len);
	ok = calloc(n, sizeof(*ok));
	if (!maps || !tries || !addrs || !buf || !ok)
		goto out;
	while (i < n && u64map__next(&p->maps, &it, NULL, (void **)&m)) {
		if (m->trie) {
			tries[nt++] = m;
			continue;
		}
		maps[i] = m;
		addrs[i] = m->addr;
		i++;
	}
	n = i;
	if (nt && !sample_tries(tr, p, tries, nt, force_shape))
		goto out;
	if (refresh_stack_maps(tr, p, maps, &n) == -ESRCH) {
		tracker__target_exited(tr, p->tgt->pid);
		goto out;
	}
	for (k = 0; k < n; k++)
		addrs[k] = maps[k]->addr;
	got = gomap__read_many(tr->mem, p->tgt->pid, addrs, n, len, buf, ok);
	/* the values are as of the end of the reads: events stamped earlier are older */
	now = gm_now_ns();
	if (got == -ESRCH) {
		tracker__target_exited(tr, p->tgt->pid);
		goto out;
	}
	for (k = 0; k < n; k++) {
		m = maps[k];
		if (!ok[k]) {
			tr->stats.read_failures++;
			map_gone(tr, p, m);
			continue;
		}
		if (!sample_map(tr, p, m, buf + k * len, force_shape, now))
			map_gone(tr, p, m);
	}
out:
	free(maps);
	free(tries);
	free(addrs);
	free(buf);
	free(ok);
}

static void site_sums(struct tracker *tr, uint64_t now)
{
	struct tproc *p;
	struct tmap *m;
	struct tsite *s;
	size_t it = 0, jt;

	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s))
		s->s.last = 0;
	it = 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m))
			if (m->site)
				m->site->s.last += m->s.last;
	}
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		if (!s->s.win_samples && !s->s.nwin) {
			s->s.first = s->s.last;
			s->s.first_ns = now;
		}
		if (s->s.last > s->s.max)
			s->s.max = s->s.last;
		series_note(&s->s, s->s.last);
		s->s.last_ns = now;
		s->s.win_samples++;
	}
}

static void sample_all(struct tracker *tr, uint64_t now_ns, bool force_shape)
{
	struct tproc *p;
	size_t it = 0, cnt = tr->procs.cnt, i = 0;
	struct tproc **procs = calloc(cnt ? cnt : 1, sizeof(*procs));

	if (!procs)
		return;
	/* sampling may remove maps; iterate over a copy of the process list */
	while (i < cnt && u64map__next(&tr->procs, &it, NULL, (void **)&p))
		procs[i++] = p;
	tr->large_last = tr->large_now;
	tr->large_now = 0;
	tr->refresh_left = SHAPE_REFRESH_PER_SAMPLE;
	for (size_t k = 0; k < i; k++)
		if (!procs[k]->tgt->exited)
			sample_proc(tr, procs[k], force_shape);
	free(procs);
	site_sums(tr, now_ns);
}

void tracker__sample(struct tracker *tr, uint64_t now_ns)
{
	sample_all(tr, now_ns, false);
}

/* The next window's length: fixed, or a quarter of the session so far. */
static uint64_t next_window_len(const struct tracker *tr, uint64_t now)
{
	uint64_t len = tr->opts.window_ns;

	if (tr->opts.window_max_ns && now > tr->start_ns) {
		len = (now - tr->start_ns) / 4;
		if (len < tr->opts.window_ns)
			len = tr->opts.window_ns;
		if (len > tr->opts.window_max_ns)
			len = tr->opts.window_max_ns;
	}
	return len;
}

uint64_t tracker__window_ns(const struct tracker *tr)
{
	return tr->next_window_ns > tr->window_open_ns ? tr->next_window_ns - tr->window_open_ns
						       : tr->opts.window_ns;
}

bool tracker__tick(struct tracker *tr, uint64_t now_ns)
{
	struct tproc *p;
	struct tmap *m;
	struct tsite *s;
	size_t it = 0, jt;

	if (!tr->next_window_ns || now_ns < tr->next_window_ns)
		return false;
	if (tr->opts.window_max_ns) {
		tr->next_window_ns = now_ns + next_window_len(tr, now_ns);
	} else {
		while (tr->next_window_ns <= now_ns)
			tr->next_window_ns += tr->opts.window_ns;
	}
	tr->window_open_ns = now_ns;
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		s->win_delta = 0;
		s->win_drop = 0;
		s->win_low = 0;
		s->win_any = false;
	}
	it = 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		/* an exited process keeps the verdicts it had when it ended */
		if (p->tgt->exited)
			continue;
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m)) {
			int64_t delta = (int64_t)(m->s.last - m->s.win_start);
			uint64_t drop = m->s.win_drop, low = series_low(&m->s);

			if (m->site && m->whole_window) {
				m->site->win_delta += delta;
				m->site->win_drop += drop;
				m->site->win_low += low;
				m->site->win_any = true;
			}
			series_close(&m->s, &tr->opts.judge, now_ns, delta, drop, low,
				     m->s.win_samples > 0 || delta != 0, false);
			m->whole_window = true;
			site_type(m);	/* its site may have learnt a type since */
		}
	}
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		bool gone = !s->maps && s->s.nwin > 0;

		if (s->tgt->exited)
			continue;
		if (s->stack_only && s->s.win_samples) {
			/* exact lives: the sampled sum is the site (see stack_only) */
			s->win_delta = (int64_t)s->s.last - (int64_t)s->s.win_start;
			s->win_drop = s->s.win_drop;
			s->win_low = series_low(&s->s);
			s->win_any = true;
		}
		series_close(&s->s, &tr->opts.judge, now_ns, s->win_delta, s->win_drop,
			     s->win_drop ? s->win_low : s->s.last, s->win_any, gone);
	}
	tr->windows_closed++;
	return true;
}

void tracker__target_exited(struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	/* Verdicts stay as judged while it ran: a leak that ended with the process is still a leak. */
	if (p)
		p->tgt->exited = true;
}

void tracker__measure_capacity(struct tracker *tr)
{
	sample_all(tr, gm_now_ns(), true);
}

size_t tracker__alive_maps(const struct tracker *tr)
{
	return tr->map_cnt;
}

static int cmp_maps(const void *a, const void *b)
{
	const struct tmap *x = *(struct tmap *const *)a, *y = *(struct tmap *const *)b;
	int rx = verdict__rank(x->s.verdict), ry = verdict__rank(y->s.verdict);

	if (rx != ry)
		return rx - ry;
	return x->s.last > y->s.last ? -1 : x->s.last < y->s.last;
}

size_t tracker__maps(const struct tracker *tr, struct tmap ***out)
{
	size_t n = 0, it = 0, jt, i;
	struct tproc *p;
	struct tmap *m;
	struct tmap **arr = calloc(tr->map_cnt + tr->gone_cnt + 1, sizeof(*arr));

	*out = arr;
	if (!arr)
		return 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m))
			arr[n++] = m;
	}
	for (i = 0; i < tr->gone_cnt; i++)
		arr[n++] = tr->gone[i];
	qsort(arr, n, sizeof(*arr), cmp_maps);
	return n;
}

static int cmp_sites(const void *a, const void *b)
{
	const struct tsite *x = *(struct tsite *const *)a, *y = *(struct tsite *const *)b;
	int rx = verdict__rank(x->s.verdict), ry = verdict__rank(y->s.verdict);

	if (rx != ry)
		return rx - ry;
	return x->s.last > y->s.last ? -1 : x->s.last < y->s.last;
}

size_t tracker__sites(const struct tracker *tr, struct tsite ***out)
{
	size_t n = 0, it = 0;
	struct tsite *s;
	struct tsite **arr = calloc(tr->sites.cnt + 1, sizeof(*arr));

	*out = arr;
	if (!arr)
		return 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s))
		arr[n++] = s;
	qsort(arr, n, sizeof(*arr), cmp_sites);
	return n;
}

const struct tracker_stats *tracker__stats(const struct tracker *tr)
{
	return &tr->stats;
}

uint64_t tracker__windows_closed(const struct tracker *tr)
{
	return tr->windows_closed;
}
