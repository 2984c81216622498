/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * liveview: the top-like terminal view of `gomaptrace trace`, drawn with
 * ncurses.
 *
 * Contract: liveview__new() takes over the terminal on stdout (alternate
 * screen, no echo, keys read without waiting for Enter; Ctrl-C still raises
 * SIGINT) or returns NULL, having emitted nothing, when stdout is not a
 * terminal ncurses can drive; the caller then stays in plain mode.
 * liveview__free() gives the terminal back as it was, so what is printed
 * after it (the final report) lands on the normal screen.  The view only
 * reads the tracker and the session facts, like the reports do.
 *
 * Keys: q quits, s cycles the sort order (entries, growth per minute,
 * bucket bytes).  liveview__poll() never blocks.
 */
#ifndef LIVEVIEW_H
#define LIVEVIEW_H

#include <stdbool.h>
#include "report.h"
#include "tracker.h"

struct liveview_opts {
	size_t sz;
	/*
	 * Another process writes to the same terminal (a CMD started by us):
	 * repaint the whole screen on every draw, so its output never stays.
	 */
	bool full_repaint;
};

enum liveview_action {
	LIVEVIEW_NONE = 0,
	LIVEVIEW_REDRAW,	/* the sort order or the window size changed */
	LIVEVIEW_QUIT,
};

struct liveview;

struct liveview *liveview__new(const struct liveview_opts *opts);
void liveview__free(struct liveview *lv);

enum liveview_action liveview__poll(struct liveview *lv);
void liveview__draw(struct liveview *lv, const struct tracker *tr, const struct report_session *rs);

#endif /* LIVEVIEW_H */
