// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attach latency per binary, by stage: the same calls gobin__open() and the
 * daemon make, each timed.
 *   parse  = ELF + buildinfo + version check + pclntab + type tables
 *   decode = probe plan (Capstone: prologues, every RET of the creators)
 *   attach = attacher__add_binary(): probe selection, layout/spec tables,
 *            uprobes (uprobe_multi link or one perf link per point)
 *   detach = attacher__put_binary()
 * The BPF object load (attacher__new, once per tracer) and the daemon's hit
 * cost calibration are timed once, apart.  Each binary is measured -n times
 * (page cache warm after the first); the median and the first are printed.
 *
 * usage: attach [-n REPS] [--exact] BINARY...
 * Attach to copies, never to files other processes may run: uprobes go on
 * the inode, and their INT3s would show through to those processes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <elf.h>
#include "attach.h"
#include "gobin.h"
#include "target.h"

#define MAX_REPS 50

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	double tmp[MAX_REPS];

	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_d);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* gobin__open(), stage by stage; returns 0 and fills the stage times. */
static int open_staged(const char *path, double *parse, double *decode)
{
	struct gm_err err = {}, ignored;
	struct goelf *elf;
	struct go_buildinfo bi = {};
	struct pclntab *tab = NULL;
	struct gotypes *types = NULL;
	struct probeplan *plan = NULL;
	double t0, t1, t2;
	int ret = -1;

	t0 = now_ms();
	elf = goelf__open(path, &err);
	if (!elf)
		goto out;
	if (go_buildinfo__parse(elf, &bi, &err) || go_buildinfo__check_supported(&bi, &err))
		goto out;
	tab = pclntab__new(elf, &err);
	if (!tab)
		goto out;
	types = gotypes__new(elf, tab, &bi, &ignored);
	t1 = now_ms();
	plan = probeplan__new(elf, tab, &bi, &err);
	if (!plan)
		goto out;
	t2 = now_ms();
	*parse = t1 - t0;
	*decode = t2 - t1;
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "attach: %s: %s\n", path, err.msg);
	probeplan__free(plan);
	gotypes__free(types);
	pclntab__free(tab);
	go_buildinfo__free(&bi);
	goelf__free(elf);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "exact", no_argument, NULL, 'x' },
		{}
	};
	struct attacher_opts aopts = { .sz = sizeof(aopts), .filter_pids = true };
	struct gm_err err = {};
	struct attacher *att;
	double t, load_ms, cal_ms, cost = 0;
	int reps = 5, c, a, r;

	while ((c = getopt_long(argc, argv, "n:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			reps = atoi(optarg);
			break;
		case 'x':
			aopts.mode = PROBES_EXACT;
			break;
		default:
			fprintf(stderr, "usage: attach [-n REPS] [--exact] BINARY...\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || optind >= argc) {
		fprintf(stderr, "usage: attach [-n REPS] [--exact] BINARY...\n");
		return 2;
	}
	t = now_ms();
	att = attacher__new(&aopts, &err);
	load_ms = now_ms() - t;
	if (!att) {
		fprintf(stderr, "attach: %s\n", err.msg);
		return 1;
	}
	t = now_ms();
	if (attacher__calibrate(att, &cost, &err))
		fprintf(stderr, "attach: calibration: %s\n", err.msg);
	cal_ms = now_ms() - t;
	printf("ONCE bpf_load_ms=%.2f calibrate_ms=%.2f probe_cost_us=%.2f\n", load_ms, cal_ms, cost * 1e6);

	for (a = optind; a < argc; a++) {
		double parse[MAX_REPS], decode[MAX_REPS], open[MAX_REPS], att_ms[MAX_REPS], det_ms[MAX_REPS];
		double total[MAX_REPS];
		int points = 0, first, failed = 0;

		for (r = 0; r < reps; r++) {
			struct gobin *bin = NULL;
			struct fileid id;
			int slot;

			if (open_staged(argv[a], &parse[r], &decode[r])) {
				failed = 1;
				break;
			}
			t = now_ms();
			/* as the commands do: the parse tied to the file identity it came from */
			if (target__open_bin(argv[a], &bin, &id, &err))
				bin = NULL;
			open[r] = now_ms() - t;
			if (!bin) {
				fprintf(stderr, "attach: %s: %s\n", argv[a], err.msg);
				failed = 1;
				break;
			}
			t = now_ms();
			slot = attacher__add_binary(att, argv[a], bin, &id, -1, &err);
			att_ms[r] = now_ms() - t;
			if (slot < 0) {
				fprintf(stderr, "attach: %s: %s\n", argv[a], err.msg);
				gobin__free(bin);
				failed = 1;
				break;
			}
			attacher__points(att, slot, &first, &points);
			t = now_ms();
			attacher__put_binary(att, slot);
			det_ms[r] = now_ms() - t;
			gobin__free(bin);
			total[r] = open[r] + att_ms[r];
		}
		if (failed) {
			printf("BIN path=%s failed=1\n", argv[a]);
			continue;
		}
		printf("BIN path=%s points=%d parse_ms=%.2f decode_ms=%.2f open_ms=%.2f attach_ms=%.2f "
		       "total_ms=%.2f detach_ms=%.2f first_total_ms=%.2f max_total_ms=%.2f\n",
		       argv[a], points, median(parse, reps), median(decode, reps), median(open, reps),
		       median(att_ms, reps), median(total, reps), median(det_ms, reps), total[0],
		       (qsort(total, reps, sizeof(*total), cmp_d), total[reps - 1]));
	}
	attacher__free(att);
	return 0;
}
