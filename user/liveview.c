// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <curses.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "holder.h"
#include "liveview.h"
#include "naming.h"

#define TARGET_LINES 3		/* target lines shown before "+N more" */

enum lv_sort {
	SORT_ENTRIES = 0,
	SORT_GROWTH,
	SORT_BYTES,
	SORT_CNT,
};

static const char *const sort_names[SORT_CNT] = { "entries", "growth/min", "bucket bytes" };

enum { PAIR_LEAK = 1, PAIR_GROWING };

struct liveview {
	struct liveview_opts opts;
	SCREEN *scr;
	enum lv_sort sort;
	uint64_t last_events, last_ns;
	double events_per_s;
};

struct liveview *liveview__new(const struct liveview_opts *opts)
{
	struct liveview *lv;
	const char *term = getenv("TERM");

	/* a terminal without cursor addressing would get a scroll of table dumps */
	if (!isatty(STDOUT_FILENO) || !term || !*term || !strcmp(term, "dumb"))
		return NULL;
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	if (opts)
		memcpy(&lv->opts, opts, opts->sz < sizeof(lv->opts) ? opts->sz : sizeof(lv->opts));
	lv->scr = newterm(NULL, stdout, stdin);
	if (!lv->scr) {
		free(lv);
		return NULL;
	}
	set_term(lv->scr);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		use_default_colors();
		init_pair(PAIR_LEAK, COLOR_RED, -1);
		init_pair(PAIR_GROWING, COLOR_YELLOW, -1);
	}
	return lv;
}

void liveview__free(struct liveview *lv)
{
	if (!lv)
		return;
	endwin();
	delscreen(lv->scr);
	free(lv);
}

enum liveview_action liveview__poll(struct liveview *lv)
{
	enum liveview_action act = LIVEVIEW_NONE;
	int c;

	while ((c = getch()) != ERR) {
		switch (c) {
		case 'q':
		case 'Q':
			return LIVEVIEW_QUIT;
		case 's':
		case 'S':
			lv->sort = (lv->sort + 1) % SORT_CNT;
			act = LIVEVIEW_REDRAW;
			break;
		case KEY_RESIZE:
		case 12:	/* Ctrl-L: the screen got garbled */
			clearok(curscr, TRUE);
			act = LIVEVIEW_REDRAW;
			break;
		default:
			break;
		}
	}
	return act;
}

struct row {
	const struct tmap *m;
	double rate;		/* entries per minute, lately */
};

/*
 * The rate the verdict rests on (its judged windows), as in the report; a
 * map that filled up an hour ago and stays flat shows 0.  Before the first
 * window closes, the average since tracing began is all there is.
 */
static double judged_per_minute(const struct tmap *m)
{
	const struct tseries *s = &m->s;

	if (!s->nwin || !s->ev.judged_ns)
		return judge__per_minute(s->first, s->last, s->first_ns, s->last_ns);
	return judge__rate(&s->ev);
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct row *ra = a, *rb = b;
	const struct tmap *x = ra->m, *y = rb->m;

	switch (*(const enum lv_sort *)arg) {
	case SORT_GROWTH:
		if (ra->rate != rb->rate)
			return ra->rate > rb->rate ? -1 : 1;
		break;
	case SORT_BYTES:
		if (x->bucket_bytes != y->bucket_bytes)
			return x->bucket_bytes > y->bucket_bytes ? -1 : 1;
		break;
	default:
		break;
	}
	if (x->s.last != y->s.last)
		return x->s.last > y->s.last ? -1 : 1;
	/* equal rows keep a stable order, or the table flickers between draws */
	if (x->tgt->pid != y->tgt->pid)
		return x->tgt->pid < y->tgt->pid ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const char *elapsed_str(double s, char *buf, size_t len)
{
	unsigned long t = s > 0 ? (unsigned long)s : 0;

	snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	return buf;
}

/* Text from a binary or a process may hold anything: never a control character. */
static void put_clean(int y, int x, const char *s, int width)
{
	int i;

	move(y, x);
	for (i = 0; s[i] && i < width; i++)
		addch((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? (chtype)(unsigned char)s[i] : '?');
}

static int draw_header(struct liveview *lv, const struct tracker *tr, const struct report_session *rs,
		       size_t nmaps)
{
	char line[4608], el[32];
	size_t i, live = 0;
	int y = 0;

	for (i = 0; i < rs->target_cnt; i++)
		live += !rs->targets[i]->exited;
	snprintf(line, sizeof(line),
		 " gomaptrace  %s  targets %zu (%zu live)  events %.0f/s  lost %" PRIu64
		 "  mode %s  windows %.0fs (%" PRIu64 " closed)  maps %zu",
		 elapsed_str(rs->duration_s, el, sizeof(el)), rs->target_cnt, live, lv->events_per_s,
		 rs->events_lost, rs->mode, tracker__window_ns(tr) / 1e9, tracker__windows_closed(tr), nmaps);
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	put_clean(y++, 0, line, COLS);
	attroff(A_REVERSE);
	for (i = 0; i < rs->target_cnt && i < TARGET_LINES; i++) {
		const struct target *t = rs->targets[i];
		char st[32] = "";

		if (t->exited && t->exit_status >= 0)
			snprintf(st, sizeof(st), "  exited %d", t->exit_status);
		else if (t->exited)
			snprintf(st, sizeof(st), "  exited");
		snprintf(line, sizeof(line), " pid %d %s  %s, %s maps  %s%s", (int)t->pid, t->comm,
			 t->bin->bi.version, gomap__impl_name(t->bin->plan->impl),
			 t->exe, st);
		put_clean(y++, 0, line, COLS);
	}
	if (rs->target_cnt > TARGET_LINES) {
		snprintf(line, sizeof(line), " +%zu more targets", rs->target_cnt - TARGET_LINES);
		put_clean(y++, 0, line, COLS);
	}
	return y + 1;
}

static void draw_row(int y, const struct row *r, const char *type, int typew, int min_windows)
{
	const struct tmap *m = r->m;
	const char *file = m->insert_at.file ? strrchr(m->insert_at.file, '/') : NULL;
	char site[512], bytes[16], cols[160], rising[16];
	int attr = 0, x;

	if (m->s.verdict == VERDICT_LEAK)
		attr = A_BOLD | (has_colors() ? COLOR_PAIR(PAIR_LEAK) : 0);
	else if (m->s.verdict == VERDICT_GROWING && has_colors())
		attr = COLOR_PAIR(PAIR_GROWING);
	/* the provisional state: rising windows so far of those a leak needs */
	snprintf(rising, sizeof(rising), "%d/%d", m->s.ev.rising_windows, min_windows);
	snprintf(cols, sizeof(cols), " %-9s %9" PRIu64 " %+10.0f %10s %5u %7d %6s ", verdict__str(m->s.verdict),
		 m->s.last, r->rate, naming__bytes(m->bucket_bytes, bytes, sizeof(bytes)), m->grows,
		 (int)m->tgt->pid, rising);
	if (m->insert_at.function)
		snprintf(site, sizeof(site), "%s %s:%d", m->insert_at.function,
			 file ? file + 1 : m->insert_at.file ? m->insert_at.file : "?", m->insert_at.line);
	else
		snprintf(site, sizeof(site), "?");
	/* what holds it, once a leak/growing map was searched (holder.h) */
	{
		const struct holder_info *h = holder__get(m);
		size_t o = strlen(site);

		if (h && h->kind != HOLDER_UNKNOWN && o + 16 < sizeof(site))
			snprintf(site + o, sizeof(site) - o, "  held by %s",
				 h->kind == HOLDER_STACK ? h->function : h->path[0] ? h->path : h->name);
	}
	attron(attr);
	put_clean(y, 0, cols, COLS);
	x = (int)strlen(cols);
	if (COLS > x)
		put_clean(y, x, type, typew < COLS - x ? typew : COLS - x);
	x += typew + 1;
	if (COLS > x)
		put_clean(y, x, site, COLS - x);
	attroff(attr);
}

void liveview__draw(struct liveview *lv, const struct tracker *tr, const struct report_session *rs)
{
	static const char colhead[] = " VERDICT     ENTRIES GROWTH/MIN    BUCKETS GROWS     PID RISING ";
	struct tmap **maps;
	struct row *rows = NULL;
	char (*types)[128] = NULL;
	size_t nm = tracker__maps(tr, &maps), shown = 0, i;
	uint64_t now_ns = gm_now_ns();
	int y, typew = 4, maxw, fixed = (int)strlen(colhead);
	char foot[160];

	holder__resolve(tr, false, NULL);
	/* events/s over the time since the last draw, not since the start */
	if (lv->last_ns && now_ns > lv->last_ns)
		lv->events_per_s = (double)(rs->events_received - lv->last_events) * 1e9 /
				   (double)(now_ns - lv->last_ns);
	lv->last_events = rs->events_received;
	lv->last_ns = now_ns;
	if (maps)
		rows = calloc(nm + 1, sizeof(*rows));
	if (!rows)
		nm = 0;
	for (i = 0; i < nm; i++) {
		rows[i].m = maps[i];
		rows[i].rate = judged_per_minute(maps[i]);
	}
	qsort_r(rows, nm, sizeof(*rows), cmp_rows, &lv->sort);
	erase();
	y = draw_header(lv, tr, rs, nm);
	if (LINES - y - 2 > 0)
		shown = nm < (size_t)(LINES - y - 2) ? nm : (size_t)(LINES - y - 2);
	types = calloc(shown + 1, sizeof(*types));
	if (!types)
		shown = 0;
	/* the type column is as wide as its longest name, up to 3/5 of the room left */
	maxw = (COLS - fixed) * 3 / 5;
	maxw = maxw < 12 ? 12 : maxw;
	for (i = 0; i < shown; i++) {
		int w = (int)strlen(naming__type(rows[i].m->tgt, rows[i].m->type, types[i],
						      sizeof(types[i])));

		typew = w > typew ? w : typew;
	}
	typew = typew > maxw ? maxw : typew;
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	put_clean(y, 0, colhead, COLS);
	if (COLS > fixed)
		put_clean(y, fixed, "TYPE", COLS - fixed);
	if (COLS > fixed + typew + 1)
		put_clean(y, fixed + typew + 1, "INSERT SITE  (HELD BY)", COLS - fixed - typew - 1);
	attroff(A_REVERSE);
	y++;
	for (i = 0; i < shown; i++)
		draw_row(y + (int)i, &rows[i], types[i], typew, rs->min_windows > 0 ? rs->min_windows : 1);
	if (!nm && LINES - y - 1 > 0)
		put_clean(y, 1, "no map has grown yet", COLS - 1);
	snprintf(foot, sizeof(foot), " q quit and report   s sort: %s", sort_names[lv->sort]);
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	put_clean(LINES - 1, 0, foot, COLS);
	attroff(A_REVERSE);
	if (lv->opts.full_repaint)
		clearok(curscr, TRUE);
	refresh();
	free(types);
	free(rows);
	free(maps);
}
