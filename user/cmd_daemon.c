// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gomaptrace daemon: watch every Go process on the node, always, and export
 * per-site map growth to Prometheus.  Processes are found by one /proc scan
 * at start and then by the exec tracepoint; each distinct executable is
 * attached once, whatever the number of processes (or containers) running it.
 * At most --max-binaries executables are attached at once (the BPF tables
 * hold GM_MAX_BINARIES); a process whose executable finds no free slot
 * waits, and is looked at again as soon as a slot frees up.  SIGHUP asks
 * for a /proc scan now; it never stops the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include "attach.h"
#include "cliutil.h"
#include "commands.h"
#include "governor.h"
#include "httpd.h"
#include "k8s.h"
#include "metrics.h"
#include "session.h"
#include "tracker.h"
#include "version.h"

#define RESCAN_NS	(60ULL * 1000000000ULL)	/* safety net for missed exec events */
#define PARSE_CACHE_NS	(10ULL * 1000000000ULL)	/* keep a detached binary's parse across restarts */
#define POLL_MS		100
/*
 * /healthz answers 503 once the event loop has not turned for this long:
 * a turn is at most one poll (POLL_MS), one sample and one look at a new
 * process (the parse of its executable: well under a second even for a
 * 100 MB binary), so 20 s is a loop that is stuck, not a busy one.
 */
#define HEALTH_STALE_NS	(20ULL * 1000000000ULL)
#define MAX_PROCS	4096

enum fail_reason {
	FAIL_NOT_GO,
	FAIL_UNSUPPORTED_GO,
	FAIL_UNSUPPORTED_ARCH,
	FAIL_PARSE,
	FAIL_ATTACH,
	FAIL_LIMIT,
	FAIL_BINARY_LIMIT,
	FAIL_MAX,
};

static const char *const fail_names[FAIL_MAX] = {
	"not_go", "unsupported_go_version", "unsupported_arch", "parse_error", "attach_error",
	"process_limit", "binary_limit",
};

struct daemon_opts {
	const char *listen;
	struct cli_judging judging;
	regex_t include, exclude;
	bool has_include, has_exclude;
	size_t max_sites;
	size_t max_maps;
	int max_binaries;
	double max_overhead;
	struct k8s_opts k8s;
	bool verbose;
};

/*
 * One executable, shared by its processes: keyed by device and inode, and
 * good only for the content it was parsed from (id).  Its probes are on
 * while it has processes (slot >= 0), and off the moment the last one is
 * gone: the parse alone is kept a while for the next restart.
 */
struct dbin {
	struct gobin *bin;
	struct fileid id;
	char *exe;		/* the path it was found at, for the log */
	int slot;		/* -1: detached */
	int procs;
	uint64_t idle_since_ns;	/* 0 while in use */
};

/* A file that is not traced, and why; retried when its content changes. */
struct dskip {
	enum fail_reason why;
	struct fileid id;
};

struct dproc {
	struct target t;
	struct dbin *db;
	struct k8s_ident id;
};

struct daemon {
	struct daemon_opts o;
	struct session *s;	/* attacher, events, tracker, governor */
	/* the session's parts, for the reads of publish() */
	struct attacher *att;
	struct tracker *tr;
	struct governor *gov;
	struct httpd *http;
	struct k8s_resolver *k8s;
	double probe_cost_s;
	struct u64map bins;	/* dev/ino key -> struct dbin */
	struct u64map skipped;	/* dev/ino key -> struct dskip, retried only if the file changes */
	struct u64map procs;	/* pid -> struct dproc */
	/*
	 * pid -> (void *)1: Go processes refused for want of a binary slot,
	 * looked at again when one frees up (slot_freed) or on a scan
	 */
	struct u64map waiting;
	bool slot_freed;
	uint64_t failures[FAIL_MAX];
	/* probe hits of binaries detached since start, by kind: the counter never goes back */
	uint64_t retired_hits[GM_PROBE_KIND_MAX];
	/*
	 * The latest attach of an executable failed for the kernel's reasons
	 * (attach_error): with no executable attached at all, the daemon traces
	 * nothing while it should, and /healthz says so.
	 */
	bool attach_failing;
	struct strbuf exposition;
};

static volatile sig_atomic_t stop_requested, rescan_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rescan_requested = 1;
	else
		stop_requested = 1;
}

static uint64_t inode_key(dev_t dev, ino_t ino)
{
	return ((uint64_t)dev << 40) ^ (uint64_t)ino;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: gomaptrace daemon [OPTIONS]\n"
"\n"
"Watch every Go process on this node and export per-site map growth as\n"
"Prometheus metrics.  Runs until SIGTERM or SIGINT.  SIGHUP does not stop\n"
"it: it scans the procfs for Go processes at once (as it does every 60 s)\n"
"and retries the ones waiting for a binary slot; tracing and /metrics go on.\n"
"\n"
"      --listen ADDR:PORT     HTTP endpoint (default 0.0.0.0:9435): /metrics, /healthz, /\n"
"      --window DUR           growth-judging window (default " GM_STR(GM_DAEMON_WINDOW_S) "s)\n"
"      --min-windows N        consecutive rising windows for a leak (default " GM_STR(GM_MIN_WINDOWS) ")\n"
"      --min-growth N         entries gained over those windows for a leak (default " GM_STR(GM_MIN_GROWTH) ")\n"
"      --include REGEX        trace only processes whose comm or executable path matches\n"
"      --exclude REGEX        never trace processes whose comm or executable path matches\n"
"      --max-sites N          sites per process with their own series (default " GM_STR(GM_DAEMON_MAX_SITES) ");\n"
"                             the rest are summed into site=\"other\"\n"
"      --max-maps N           tracked maps over all processes (default " GM_STR(GM_MAX_MAPS) ")\n"
"      --max-binaries N       distinct executables attached at once, 1 to " GM_STR(GM_MAX_BINARIES) "\n"
"                             (default " GM_STR(GM_MAX_BINARIES) ", the BPF tables' size; they also hold\n"
"                             " GM_STR(GM_MAX_PROBES) " probe points in all, 12-20 per executable): a\n"
"                             process of one more waits, counted once in\n"
"                             gomaptrace_attach_failures_total{reason=\"binary_limit\"},\n"
"                             and is traced as soon as a slot frees up\n"
"      --max-overhead RATIO   probe budget per process, fraction of one CPU (default " GM_STR(GM_MAX_OVERHEAD) ")\n"
"      --pods-log-dir DIR     kubelet pod log directory (default /var/log/pods)\n"
"      --containers-log-dir DIR  CRI container log links (default /var/log/containers)\n"
"      --proc-root DIR        procfs mount to read processes from (default /proc):\n"
"                             discovery, /proc/PID/{exe,comm,stat,maps,cgroup};\n"
"                             a procfs of the daemon's own pid namespace\n"
"  -v, --verbose              log attach/detach decisions on stderr\n"
"\n"
"Exit: 0 on SIGTERM/SIGINT, 1 runtime failure, 2 bad usage.\n");
}

static int parse_args(int argc, char **argv, struct daemon_opts *o)
{
	enum { OPT_LISTEN = 256, OPT_INCLUDE, OPT_EXCLUDE, OPT_MAXSITES, OPT_MAXMAPS,
	       OPT_OVERHEAD, OPT_PODS, OPT_CONTAINERS, OPT_PROC, OPT_MAXBINS };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		CLI_JUDGING_LONGOPTS,
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "max-sites", required_argument, NULL, OPT_MAXSITES },
		{ "max-maps", required_argument, NULL, OPT_MAXMAPS },
		{ "max-binaries", required_argument, NULL, OPT_MAXBINS },
		{ "max-overhead", required_argument, NULL, OPT_OVERHEAD },
		{ "pods-log-dir", required_argument, NULL, OPT_PODS },
		{ "containers-log-dir", required_argument, NULL, OPT_CONTAINERS },
		{ "proc-root", required_argument, NULL, OPT_PROC },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct gm_err err;
	uint64_t v;
	char *end;
	int c, ret;

	o->listen = "0.0.0.0:9435";
	cli_judging__init(&o->judging);
	o->max_sites = GM_DAEMON_MAX_SITES;
	o->max_maps = GM_MAX_MAPS;
	o->max_binaries = GM_MAX_BINARIES;
	o->max_overhead = GM_MAX_OVERHEAD;
	o->k8s.sz = sizeof(o->k8s);
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		ret = cli_judging_opt(&o->judging, c, optarg, TRACK_WINDOWS, &err);
		if (ret < 0)
			goto bad;
		if (ret)
			continue;
		switch (c) {
		case OPT_LISTEN:
			o->listen = optarg;
			break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE: {
			regex_t *re = c == OPT_INCLUDE ? &o->include : &o->exclude;

			if (regcomp(re, optarg, REG_EXTENDED | REG_NOSUB)) {
				fprintf(stderr, "gomaptrace daemon: invalid regular expression '%s'\n", optarg);
				return -1;
			}
			if (c == OPT_INCLUDE)
				o->has_include = true;
			else
				o->has_exclude = true;
			break;
		}
		case OPT_MAXSITES:
			if (cli_parse_uint(optarg, 1, 100000, &v, &err))
				goto bad;
			o->max_sites = v;
			break;
		case OPT_MAXMAPS:
			if (cli_parse_uint(optarg, 16, 10000000, &v, &err))
				goto bad;
			o->max_maps = v;
			break;
		case OPT_MAXBINS:
			if (cli_parse_uint(optarg, 1, GM_MAX_BINARIES, &v, &err))
				goto bad;
			o->max_binaries = (int)v;
			break;
		case OPT_OVERHEAD:
			errno = 0;
			o->max_overhead = strtod(optarg, &end);
			if (errno || *end || !(o->max_overhead > 0 && o->max_overhead <= 1)) {
				fprintf(stderr, "gomaptrace daemon: --max-overhead '%s': want a ratio in (0, 1]\n", optarg);
				return -1;
			}
			break;
		case OPT_PODS:
			o->k8s.pods_log_dir = optarg;
			break;
		case OPT_CONTAINERS:
			o->k8s.containers_log_dir = optarg;
			break;
		case OPT_PROC:
			/* discovery and the k8s lookups read the same procfs */
			if (target__set_proc_root(optarg, &err))
				goto bad;
			o->k8s.proc_root = target__proc_root();
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(GM_EXIT_OK);
		default:
			return cli_see_help("daemon");
		}
	}
	if (optind < argc) {
		fprintf(stderr, "gomaptrace daemon: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
bad:
	gm_err_print("daemon", &err);
	return -1;
}

/* The readers' reasons are sentences; the metric wants a small fixed set. */
/* Why an executable could not be read, by its code (gm_err.h) */
static enum fail_reason classify(int code)
{
	switch (code) {
	case GM_ENOTGO:
		return FAIL_NOT_GO;
	case GM_EGOVERSION:
		return FAIL_UNSUPPORTED_GO;
	case GM_EARCH:
		return FAIL_UNSUPPORTED_ARCH;
	default:
		return FAIL_PARSE;
	}
}

static bool wanted(const struct daemon_opts *o, const char *comm, const char *exe)
{
	if (o->has_exclude && (!regexec(&o->exclude, comm, 0, NULL, 0) ||
			       !regexec(&o->exclude, exe, 0, NULL, 0)))
		return false;
	if (o->has_include)
		return !regexec(&o->include, comm, 0, NULL, 0) || !regexec(&o->include, exe, 0, NULL, 0);
	return true;
}

/*
 * Probes off now, parse kept: the kernel keeps a uprobe on the inode for as
 * long as it is attached, and with pid -1 every new process of the file
 * gets its breakpoints, even one of a new build copied in place over it
 * (same inode, other offsets: it dies of a misplaced INT3).
 */
static void detach_bin(struct daemon *d, struct dbin *db)
{
	enum gm_probe_kind kind;
	const char *fn;
	int first, cnt, k;

	if (db->slot < 0)
		return;
	if (!attacher__points(d->att, db->slot, &first, &cnt))
		for (k = 0; k < cnt; k++)
			if (!attacher__spec_info(d->att, first + k, &kind, &fn) && kind < GM_PROBE_KIND_MAX)
				d->retired_hits[kind] += attacher__probe_hits(d->att, first + k);
	session__put_binary(d->s, db->slot);
	db->slot = -1;
	d->slot_freed = true;
	if (d->o.verbose)
		fprintf(stderr, "gomaptrace daemon: detached %s (no process left)\n", db->exe);
}

static void free_bin(struct daemon *d, struct dbin *db)
{
	detach_bin(d, db);
	gobin__free(db->bin);
	free(db->exe);
	free(db);
}

static void drop_proc(struct daemon *d, pid_t pid, uint64_t now)
{
	struct dproc *p = u64map__del(&d->procs, (uint64_t)pid);

	if (!p)
		return;
	session__remove_target(d->s, pid);
	if (d->o.verbose)
		fprintf(stderr, "gomaptrace daemon: pid %d (%s) gone\n", (int)pid, p->t.comm);
	if (--p->db->procs == 0) {
		p->db->idle_since_ns = now;
		detach_bin(d, p->db);
	}
	target__fini(&p->t);
	free(p);
}

/* Parses with no process for a while are forgotten (all: every idle one). */
static void reap_idle_bins(struct daemon *d, uint64_t now, bool all)
{
	uint64_t keys[64], key;
	size_t it, n, i;
	struct dbin *db;

	do {
		n = 0;
		it = 0;
		while (n < 64 && u64map__next(&d->bins, &it, &key, (void **)&db))
			if (!db->procs && (all || now - db->idle_since_ns >= PARSE_CACHE_NS))
				keys[n++] = key;
		for (i = 0; i < n; i++)
			free_bin(d, u64map__del(&d->bins, keys[i]));
	} while (n == 64);
}

/* Whether the file is known not to be traceable, as it is now. */
static bool skipped(struct daemon *d, const struct fileid *id)
{
	uint64_t key = inode_key(id->dev, id->ino);
	struct dskip *sk = u64map__get(&d->skipped, key);

	if (!sk)
		return false;
	if (fileid__equal(&sk->id, id))
		return true;
	/* rewritten since (a Go build copied over a script, say): look again */
	free(u64map__del(&d->skipped, key));
	return false;
}

/*
 * Probes on for a parsed binary: 0, or -errno with the reason in err;
 * -ENOSPC: no binary slot (--max-binaries) or no room for its probe points.
 */
static int attach_bin(struct daemon *d, struct dbin *db, const char *link, struct gm_err *err)
{
	int slot;

	if (attacher__binary_cnt(d->att) >= d->o.max_binaries)
		return gm_err_set(err, ENOSPC, "%d executables attached already (--max-binaries %d)",
				  attacher__binary_cnt(d->att), d->o.max_binaries);
	slot = session__add_binary(d->s, link, db->bin, &db->id, -1, err);
	if (slot < 0)
		return slot;
	db->slot = slot;
	return 0;
}

/*
 * The attached binary for a process, or NULL: not traced (its file is
 * skipped), or *limited: no slot now, its parse kept for the retry.
 */
static struct dbin *get_bin(struct daemon *d, pid_t pid, const char *link, const char *exe,
			    const struct fileid *id, bool *limited)
{
	uint64_t key = inode_key(id->dev, id->ino);
	struct dbin *db = u64map__get(&d->bins, key);
	struct gm_err err = {};
	enum fail_reason why;
	struct dskip *sk;
	int ret;

	if (db && !fileid__equal(&db->id, id)) {
		if (db->procs) {
			/*
			 * A process of the old content is still counted (its exit
			 * not seen yet): its probes cannot serve this one.
			 */
			if (d->o.verbose)
				fprintf(stderr, "gomaptrace daemon: pid %d (%s): not traced: the file changed on disk while a process of its old content is traced\n",
					(int)pid, exe);
			return NULL;
		}
		if (d->o.verbose)
			fprintf(stderr, "gomaptrace daemon: %s changed on disk: parsing it again\n", exe);
		free_bin(d, u64map__del(&d->bins, key));
		db = NULL;
	}
	if (db) {
		if (db->slot >= 0)
			return db;
		ret = attach_bin(d, db, link, &err);
		if (!ret) {
			d->attach_failing = false;
			if (d->o.verbose)
				fprintf(stderr, "gomaptrace daemon: attached to %s again (pid %d: %s, cached parse)\n",
					exe, (int)pid, db->bin->bi.version);
			return db;
		}
		if (ret == -ENOSPC) {
			*limited = true;
			if (!db->procs && !db->idle_since_ns)
				db->idle_since_ns = gm_now_ns();
			return NULL;
		}
		/* rewritten between the stat and the open, or the attach failed: start over */
		free_bin(d, u64map__del(&d->bins, key));
		if (ret != -ESTALE) {
			why = ret == -ENOENT ? FAIL_UNSUPPORTED_GO : FAIL_ATTACH;
			db = NULL;
			goto skip;
		}
	}
	if (skipped(d, id))
		return NULL;
	db = calloc(1, sizeof(*db));
	if (!db || !(db->exe = strdup(exe))) {
		free(db);
		return NULL;
	}
	db->slot = -1;
	ret = target__open_bin(link, &db->bin, &db->id, &err);
	if (ret && !target__alive(pid)) {
		/* it exited under us: say nothing about its executable */
		free_bin(d, db);
		return NULL;
	}
	if (ret == -ESTALE || (!ret && !fileid__equal(&db->id, id))) {
		/* not what the process runs any more: it is gone, or the next look will do */
		if (d->o.verbose)
			fprintf(stderr, "gomaptrace daemon: pid %d (%s): not traced now: its executable changed on disk while being read\n",
				(int)pid, exe);
		free_bin(d, db);
		return NULL;
	}
	if (ret) {
		why = classify(err.code);
		goto skip;
	}
	ret = attach_bin(d, db, link, &err);
	if (ret == -ENOSPC) {
		/* a Go binary with no slot now: keep its parse for the retry */
		*limited = true;
		db->idle_since_ns = gm_now_ns();
		if (u64map__set(&d->bins, key, db))
			free_bin(d, db);
		else if (d->o.verbose)
			gm_err_printf("daemon", &err, "pid %d (%s): waiting for a binary slot", (int)pid, exe);
		return NULL;
	}
	if (ret == -ESTALE) {
		if (d->o.verbose)
			gm_err_printf("daemon", &err, "pid %d (%s): not traced now", (int)pid, exe);
		free_bin(d, db);
		return NULL;
	}
	if (ret) {
		why = ret == -ENOENT ? FAIL_UNSUPPORTED_GO : FAIL_ATTACH;
		goto skip;
	}
	if (u64map__set(&d->bins, key, db)) {
		free_bin(d, db);
		return NULL;
	}
	d->attach_failing = false;
	/* a release newer than tested: said once per binary, verbose or not */
	if (gobin__newer_note(db->bin))
		fprintf(stderr, "gomaptrace daemon: %s: %s\n", exe, gobin__newer_note(db->bin));
	if (d->o.verbose)
		fprintf(stderr, "gomaptrace daemon: attached to %s (pid %d: %s, %s maps)\n", exe, (int)pid,
			db->bin->bi.version, gomap__impl_name(db->bin->plan->impl));
	return db;
skip:
	d->failures[why]++;
	if (why == FAIL_ATTACH)
		d->attach_failing = true;
	if (d->o.verbose && why != FAIL_NOT_GO)
		gm_err_printf("daemon", &err, "pid %d (%s): not traced", (int)pid, exe);
	sk = calloc(1, sizeof(*sk));
	if (sk) {
		sk->why = why;
		sk->id = *id;
		if (u64map__set(&d->skipped, key, sk))
			free(sk);
	}
	if (db)
		free_bin(d, db);
	return NULL;
}

static void consider_pid(struct daemon *d, pid_t pid)
{
	httpd__beat(d->http);	/* a long scan is a loop that still turns */
	char link[TARGET_PATH_MAX], exe[4096];
	struct dproc *p;
	struct dbin *db;
	struct fileid id;
	struct gm_err err;
	char comm[32] = "";
	struct target probe = { .pid = pid };
	bool limited = false, was_waiting;
	ssize_t n;

	if (pid == getpid())
		return;
	/* whatever comes of this look, it is the latest: waiting only if refused again */
	was_waiting = u64map__del(&d->waiting, (uint64_t)pid) != NULL;
	p = u64map__get(&d->procs, (uint64_t)pid);
	target__exe_link(pid, link, sizeof(link));
	if (fileid__of_path(link, &id))
		return;		/* gone already, or a kernel thread */
	if (p) {
		/* exec of something else by a traced process: start over */
		if (fileid__equal(&p->db->id, &id))
			return;
		drop_proc(d, pid, gm_now_ns());
	}
	if (skipped(d, &id))
		return;
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return;
	exe[n] = '\0';
	target__refresh_comm(&probe);
	snprintf(comm, sizeof(comm), "%s", probe.comm);
	if (!wanted(&d->o, comm, exe))
		return;
	if (d->procs.cnt >= MAX_PROCS) {
		d->failures[FAIL_LIMIT]++;
		return;
	}
	db = get_bin(d, pid, link, exe, &id, &limited);
	if (!db && limited) {
		/* counted once per process; retried when a slot frees up */
		if (!was_waiting)
			d->failures[FAIL_BINARY_LIMIT]++;
		u64map__set(&d->waiting, (uint64_t)pid, (void *)1);
		return;
	}
	if (!db)
		return;
	p = calloc(1, sizeof(*p));
	if (!p || target__init(&p->t, pid, db->bin, &err))
		goto drop;
	p->db = db;
	p->t.bin_slot = db->slot;
	target__resolve_bias(&p->t);
	if (d->k8s)
		k8s_resolver__lookup(d->k8s, pid, &p->id);
	if (u64map__set(&d->procs, (uint64_t)pid, p) || session__add_target(d->s, &p->t)) {
		u64map__del(&d->procs, (uint64_t)pid);
		target__fini(&p->t);
		goto drop;
	}
	db->procs++;
	db->idle_since_ns = 0;
	return;
drop:
	free(p);
	/* attached for this process alone: no breakpoint may outlive it */
	if (!db->procs) {
		db->idle_since_ns = gm_now_ns();
		detach_bin(d, db);
	}
}

static void scan_proc(struct daemon *d)
{
	DIR *dir = opendir(target__proc_root());
	struct dirent *de;
	pid_t pid;

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (cli_parse_pid(de->d_name, &pid, NULL))
			continue;
		consider_pid(d, pid);
	}
	closedir(dir);
}

/* Exit events can be lost with a full ring buffer: check the rest by hand. */
static void sweep_dead(struct daemon *d, uint64_t now)
{
	uint64_t dead[64], pid;
	size_t it, n, i;
	void *v;

	do {
		n = 0;
		it = 0;
		while (n < 64 && u64map__next(&d->procs, &it, &pid, &v))
			if (!target__alive((pid_t)pid))
				dead[n++] = pid;
		for (i = 0; i < n; i++)
			drop_proc(d, (pid_t)dead[i], now);
	} while (n == 64);
}

/* Exec and exit records; the session routes everything else. */
static void on_lifecycle(const struct gm_event *e, void *ctx)
{
	struct daemon *d = ctx;

	if (e->kind == GM_EVENT_EXEC)
		consider_pid(d, e->tgid);
	else if (e->kind == GM_EVENT_EXIT)
		drop_proc(d, e->tgid, gm_now_ns());
}

static void proc_labels(const struct target *t, struct metrics_labels *out, void *ctx)
{
	const struct dproc *p = (const struct dproc *)t;	/* t is the first member */

	(void)ctx;
	out->namespace = p->id.namespace;
	out->pod = p->id.pod;
	out->container = p->id.container;
}

static void publish(struct daemon *d)
{
	struct metrics_count fails[FAIL_MAX], evict[3], hits[GM_PROBE_KIND_MAX];
	/* the BPF counters of hits that made no event (the ring's own: events_lost) */
	static const int dropped_cnt[] = {
		GM_CNT_FILTERED, GM_CNT_RATE_LIMITED, GM_CNT_LARGE_NOT_MAP, GM_CNT_NO_SPEC,
	};
	struct metrics_count dropped[] = {
		{ "untraced_process", 0 }, { "rate_limited", 0 }, { "large_alloc_not_map", 0 },
		{ "no_spec", 0 },
	};
	struct metrics_count *over = calloc(d->procs.cnt + 1, sizeof(*over));
	struct dproc *p;
	size_t it = 0, no = 0, j;
	const struct tracker_stats *st = tracker__stats(d->tr);
	struct session_records rec;
	struct metrics_input in;

	session__records(d->s, &rec);
	in = (struct metrics_input){
		.tr = d->tr,
		.labels = proc_labels,
		.max_sites = d->o.max_sites,
		.version = gm_version,
		.targets = d->procs.cnt,
		.binaries_attached = attacher__binary_cnt(d->att),
		.events = rec.received,
		.events_lost = rec.lost,
	};
	uint64_t by_kind[GM_PROBE_KIND_MAX] = {};
	int i, k, first, cnt, nh = 0;

	for (i = 0; i < FAIL_MAX; i++)
		fails[i] = (struct metrics_count){ fail_names[i], d->failures[i] };
	in.attach_failures = fails;
	in.attach_failure_cnt = FAIL_MAX;
	evict[0] = (struct metrics_count){ "maps", st->evicted_maps };
	evict[1] = (struct metrics_count){ "pending_creations", st->evicted_pending };
	evict[2] = (struct metrics_count){ "processes", d->failures[FAIL_LIMIT] };
	in.evictions = evict;
	in.eviction_cnt = 3;
	for (i = 0; i < GM_MAX_BINARIES; i++) {
		if (attacher__points(d->att, i, &first, &cnt))
			continue;
		for (k = 0; k < cnt; k++) {
			enum gm_probe_kind kind;
			const char *fn;

			if (!attacher__spec_info(d->att, first + k, &kind, &fn) && kind < GM_PROBE_KIND_MAX)
				by_kind[kind] += attacher__probe_hits(d->att, first + k);
		}
	}
	for (k = 1; k < GM_PROBE_KIND_MAX; k++)
		hits[nh++] = (struct metrics_count){ probe_kind__str(k), by_kind[k] + d->retired_hits[k] };
	in.probe_hits = hits;
	in.probe_hit_cnt = nh;
	for (i = 0; i < (int)(sizeof(dropped) / sizeof(dropped[0])); i++)
		dropped[i].value = attacher__counter(d->att, dropped_cnt[i]);
	in.hits_dropped = dropped;
	in.hits_dropped_cnt = sizeof(dropped) / sizeof(dropped[0]);
	in.stack_goroutine_unread = attacher__counter(d->att, GM_CNT_STACK_NO_G);
	in.probe_cost_seconds = d->probe_cost_s;
	{
		struct probecost_snap c;

		session__cost(d->s, &c);
		in.probe_hit_cost_seconds = c.hit_s;
		in.probe_bpf_run_seconds = c.run_ns / 1e9;
		in.probe_bpf_runs = c.run_cnt;
	}
	in.probes_shed = governor__shed_points(d->gov);
	in.governor_alarms = governor__alarms(d->gov);
	/* one series per command: the worst of its processes */
	while (over && u64map__next(&d->procs, &it, NULL, (void **)&p)) {
		uint64_t ppm = (uint64_t)(governor__overhead(d->gov, p->t.pid) * 1e6);

		for (j = 0; j < no && strcmp(over[j].label, p->t.comm); j++)
			;
		if (j == no)
			over[no++] = (struct metrics_count){ p->t.comm, ppm };
		else if (ppm > over[j].value)
			over[j].value = ppm;
	}
	in.overhead_ppm = over;
	in.overhead_cnt = no;
	strbuf__reset(&d->exposition);
	if (!metrics__render(&in, &d->exposition))
		httpd__publish(d->http, d->exposition.buf, d->exposition.len);
	free(over);
}

/* Processes refused for want of a slot, looked at again (a slot is free). */
static void retry_waiting(struct daemon *d)
{
	uint64_t pids[64], pid;
	size_t it, n, i, done = 0, total = d->waiting.cnt;
	void *v;

	d->slot_freed = false;
	/* each pass takes the first 64: a look either traces a pid or puts it back */
	while (done < total && d->waiting.cnt &&
	       attacher__binary_cnt(d->att) < d->o.max_binaries) {
		n = 0;
		it = 0;
		while (n < 64 && u64map__next(&d->waiting, &it, &pid, &v))
			pids[n++] = pid;
		for (i = 0; i < n; i++) {
			if (!target__alive((pid_t)pids[i]))
				u64map__del(&d->waiting, pids[i]);
			else
				consider_pid(d, (pid_t)pids[i]);
		}
		done += n;
	}
}

/* /healthz's state rule (the loop's own rule is its beat, HEALTH_STALE_NS) */
static void judge_health(struct daemon *d)
{
	if (d->attach_failing && !attacher__binary_cnt(d->att))
		httpd__set_healthy(d->http, false, "no executable is attached: the latest attach failed "
				   "(gomaptrace_attach_failures_total{reason=\"attach_error\"})");
	else
		httpd__set_healthy(d->http, true, NULL);
}

static int run(struct daemon *d)
{
	uint64_t now = gm_now_ns(), next_scan = now + RESCAN_NS;
	int err;

	httpd__beat(d->http);
	httpd__set_stale_after(d->http, HEALTH_STALE_NS);
	scan_proc(d);
	publish(d);
	judge_health(d);
	while (!stop_requested) {
		httpd__beat(d->http);
		err = session__poll(d->s, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "gomaptrace daemon: ring buffer poll failed: %s\n", strerror(-err));
			return GM_EXIT_FAILURE;
		}
		now = gm_now_ns();
		if (session__sample_due(d->s, now)) {
			sweep_dead(d, now);
			reap_idle_bins(d, now, false);
			session__sample(d->s, now);
			publish(d);
			judge_health(d);
		}
		if (rescan_requested) {
			rescan_requested = 0;
			fprintf(stderr, "gomaptrace daemon: SIGHUP: scanning %s for Go processes now\n",
				target__proc_root());
			next_scan = 0;
		}
		if (now >= next_scan) {
			scan_proc(d);
			next_scan = now + RESCAN_NS;
		}
		if (d->slot_freed && d->waiting.cnt)
			retry_waiting(d);
	}
	return GM_EXIT_OK;
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon d = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct session_opts sopts = {
		.sz = sizeof(sopts),
		.attach = { .sz = sizeof(sopts.attach), .filter_pids = true, .lifecycle = true },
		.track = { .sz = sizeof(sopts.track) },
		.on_lifecycle = on_lifecycle,
		.ctx = &d,
	};
	const char *calib_err = NULL;
	struct gm_err err = {};
	int ret = GM_EXIT_FAILURE;
	uint64_t key;
	size_t it;
	void *v;

	if (parse_args(argc, argv, &d.o))
		return GM_EXIT_BAD_INPUT;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a node agent's supervisor, not a terminal: SIGHUP is "look again now" */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	u64map__init(&d.bins);
	u64map__init(&d.skipped);
	u64map__init(&d.procs);
	u64map__init(&d.waiting);
	strbuf__init(&d.exposition);

	d.http = httpd__new(d.o.listen, &err);
	if (!d.http) {
		gm_err_print("daemon", &err);
		ret = GM_EXIT_BAD_INPUT;
		goto cleanup;
	}
	sopts.attach.verbose = d.o.verbose;
	sopts.attach.no_uprobe_multi = cli_env_flag("GOMAPTRACE_NO_UPROBE_MULTI");
	sopts.track.window_ns = d.o.judging.window_ns;
	sopts.track.max_maps = d.o.max_maps;
	sopts.track.site_by_insert = true;	/* a label that does not depend on timing */
	judge_opts__init(&sopts.track.judge);
	sopts.track.judge.min_windows = d.o.judging.min_windows;
	sopts.track.judge.min_growth = d.o.judging.min_growth;
	sopts.max_overhead = d.o.max_overhead;
	sopts.verbose = d.o.verbose;
	d.s = session__new(&sopts, &err);
	if (!d.s) {
		gm_err_print("daemon", &err);
		goto cleanup;
	}
	d.att = session__attacher(d.s);
	d.tr = session__tracker(d.s);
	d.gov = session__governor(d.s);
	d.probe_cost_s = session__probe_cost(d.s, &calib_err);
	if (calib_err)
		fprintf(stderr, "gomaptrace daemon: calibration failed, overhead governor off: %s\n", calib_err);
	d.k8s = k8s_resolver__new(&d.o.k8s);
	if (d.o.verbose)
		fprintf(stderr, "gomaptrace daemon: listening on %s (port %d), probe hit costs %.2f us\n",
			d.o.listen, httpd__port(d.http), d.probe_cost_s * 1e6);
	ret = run(&d);

cleanup:
	it = 0;
	while (u64map__next(&d.procs, &it, &key, &v)) {
		struct dproc *p = v;

		if (d.s)
			session__remove_target(d.s, (pid_t)key);
		p->db->procs--;
		target__fini(&p->t);
		free(p);
	}
	u64map__fini(&d.procs);
	u64map__fini(&d.waiting);
	if (d.s)
		reap_idle_bins(&d, 0, true);
	u64map__fini(&d.bins);
	it = 0;
	while (u64map__next(&d.skipped, &it, NULL, &v))
		free(v);
	u64map__fini(&d.skipped);
	session__free(d.s);
	httpd__free(d.http);
	k8s_resolver__free(d.k8s);
	strbuf__fini(&d.exposition);
	if (d.o.has_include)
		regfree(&d.o.include);
	if (d.o.has_exclude)
		regfree(&d.o.exclude);
	return ret;
}
