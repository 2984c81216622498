// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gomaptrace trace: attach to Go processes (or start one), follow their
 * maps for a while, and report the ones whose growth never levels off.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include "attach.h"
#include "session.h"
#include "cliutil.h"
#include "commands.h"
#include "folded.h"
#include "holder.h"
#include "liveview.h"
#include "outfile.h"
#include "pprof_maps.h"
#include "naming.h"
#include "report.h"
#include "tracker.h"

#define MAX_TARGETS 64
/*
 * Probe budget when none is given: the daemon's, GM_MAX_OVERHEAD.  The
 * burst of map creations at a CMD's start is paid from the governor's
 * one-time start allowance (TRACE_START_ALLOWANCE_S) instead of raising an
 * alarm at once.
 */
/*
 * The start allowance (seconds of budget, user/governor.h): a program's
 * start-up burst of map creations is traced whole, once, before the budget
 * applies: 50 s of 0.01 of a CPU, 0.5 CPU-seconds, covers Prometheus's
 * start (about 35,000 hits, 0.35-0.55 CPU-s here).  Only CMD's processes
 * (and a program a traced process exec's) get it: a process traced with
 * -p started before, and spending the allowance at once on its steady
 * load would slow it for nothing.
 */
#define TRACE_START_ALLOWANCE_S 50.0
#define POLL_MS 100
#define LIVE_NS 1000000000ULL	/* live view redraw period */
/* How long CMD has to end after SIGTERM before it gets SIGKILL. */
#define CHILD_TERM_WAIT_MS 3000
/*
 * A process whose leader reported its exit may be exec'ing from another
 * thread: the kernel ends the old leader first (its exit record, a
 * moment as a zombie), then the exec'ing thread takes its pid and the
 * exec record comes.  So after an exit record the pid counts as gone
 * when /proc has no entry for it, when it has stayed dead (a zombie) for
 * EXIT_SETTLE_NS, or after EXEC_GRACE_NS in any state.
 */
#define EXIT_SETTLE_NS (500ULL * 1000000ULL)
#define EXEC_GRACE_NS (3ULL * 1000000000ULL)

struct trace_opts {
	pid_t pids[MAX_TARGETS];
	int pid_cnt;
	char **cmd;			/* argv after "--", or NULL */
	uint64_t duration_ns;		/* 0: until Ctrl-C or exit */
	struct cli_judging judging;	/* --window, --min-windows, --min-growth */
	uint64_t interval_ns;
	const char *json_path;
	const char *output_path;
	bool fail_on_leak;
	bool exact;
	double max_overhead;		/* probe budget; < 0 until given */
	bool budget_given;		/* --max-overhead on the command line */
	bool verbose;
	/* outputs of issue 6 */
	const char *pprof_path;
	const char *folded_path;
	bool no_live;
};

/* The reports, each to its own file and written independently. */
enum { OUT_TEXT, OUT_JSON, OUT_PPROF, OUT_FOLDED, OUT_CNT };

/* Signals that end a session like Ctrl-C (SIGHUP: the terminal went away). */
static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define STOP_SIG_CNT (sizeof(stop_signals) / sizeof(stop_signals[0]))

struct trace_session {
	struct trace_opts o;
	struct outfile out[OUT_CNT];
	/* dispositions we were started with, given back to CMD before its exec */
	struct sigaction sig_saved[STOP_SIG_CNT], pipe_saved;
	struct gobin *bins[MAX_TARGETS];
	struct fileid ids[MAX_TARGETS];	/* what each bins[i] was parsed from */
	struct target *targets[MAX_TARGETS];
	bool probes_off[MAX_TARGETS];	/* gone, and its breakpoints taken off */
	bool exec_pending[MAX_TARGETS];	/* exec'd: follow (or stop) at the next turn */
	uint64_t exit_seen_ns[MAX_TARGETS];	/* exit record of the leader (0: none) */
	/* images left by an exec: their parse stays until the end (names point into it) */
	struct gobin **retired;
	size_t retired_cnt;
	uint64_t retired_hits;		/* probe hits of slots left by an exec */
	bool launch_exec_seen;		/* CMD's own first exec (the launch) is not followed */
	bool child_reaped;
	int target_cnt;
	struct session *s;		/* attacher, events, tracker, sampling */
	/* the session's parts, for the reports */
	struct attacher *att;
	struct tracker *tr;
	pid_t child;			/* started with --: still to be released */
	int release_fd;
	bool seized;			/* child ptrace-seized: checked at its exec */
	uint64_t start_ns;
	struct liveview *lv;		/* NULL: plain mode */
	double probe_cost_s;		/* calibrated; 0 when calibration failed */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: gomaptrace trace [OPTIONS] -p PID [-p PID...]\n"
"       gomaptrace trace [OPTIONS] -- CMD [ARGS...]\n"
"\n"
"Follow the maps of running Go processes (or of CMD, started and held until\n"
"every probe is attached) and report the maps whose growth never levels off.\n"
"\n"
"  -p, --pid PID        trace this process (repeatable)\n"
"  -d, --duration DUR   stop after DUR (default: Ctrl-C, SIGTERM, SIGHUP or\n"
"                       target exit; CMD still running then gets SIGTERM, and\n"
"                       SIGKILL 3 s later)\n"
"      --window DUR     fixed growth-judging windows of DUR (default: windows of\n"
"                       " GM_STR(GM_TRACE_WINDOW_S) "s widening with the session, a quarter of its length,\n"
"                       up to " GM_STR(GM_TRACE_WINDOW_MAX_S) "s; a leak's rising windows must span " GM_STR(GM_TRACE_MIN_SPAN_S) "s,\n"
"                       so a first verdict comes after about " GM_STR(GM_TRACE_MIN_SPAN_S) " s)\n"
"      --min-windows N  consecutive rising windows for a leak (default " GM_STR(GM_MIN_WINDOWS) ")\n"
"      --min-growth N   entries gained over those windows for a leak (default " GM_STR(GM_MIN_GROWTH) ")\n"
"      --interval DUR   print an interim report every DUR\n"
"      --json FILE|-    write the JSON report (docs/report.md) to FILE\n"
"  -o, --output FILE    write the text report to FILE (default: stdout; stderr\n"
"                       when CMD is given, so CMD's stdout stays its own)\n"
"      --pprof FILE     write a gzipped pprof profile (bucket_bytes, grows,\n"
"                       entries per stack and map type) for go tool pprof\n"
"      --folded FILE    write folded stacks of bucket bytes (flamegraph.pl,\n"
"                       speedscope): root frame \"comm (Go version, map\n"
"                       implementation)\", leaf frame \"[map type]\"\n"
"      --keys N         N sample keys of each leak/growing map in the reports,\n"
"                       decoded by the key type (default 0: off; keys may hold\n"
"                       secrets; the daemon never reads them)\n"
"      --no-live        no live view even when stdout is a terminal (the view:\n"
"                       top-like, redrawn every second; q quits, s sorts)\n"
"      --fail-on-leak   exit 3 when any map or site is judged a leak\n"
"      --max-overhead FRACTION  probe budget per process, a fraction of one CPU\n"
"                       (default " GM_STR(GM_MAX_OVERHEAD) ", as the daemon): over it the hottest\n"
"                       probes are shed and duty-cycled, and the report says\n"
"                       for how long; CMD's first 10 s may spend 50 s of\n"
"                       budget more, once (its start is seen whole; not -p's);\n"
"                       0: no budget (a map-heavy process can run many times\n"
"                       slower)\n"
"      --exact          also probe every insert (mapassign*, growWork*) and\n"
"                       bucket allocation (mallocgc): exact, and costly; no\n"
"                       budget unless --max-overhead is given\n"
"  -v, --verbose        libbpf and progress messages on stderr\n"
"\n"
"Report files are opened at start (a bad path fails at once), created with\n"
"mode 0644 less the umask, never through a symbolic link to a file; each is\n"
"written on its own, and any write error is named and makes the exit 1.\n"
"DUR: a number with unit ns, us, ms, s, m or h (plain number: seconds).\n"
"Exit: 0 done, 1 runtime failure, 2 bad usage or unusable target, 3 leak\n"
"found with --fail-on-leak.\n");
}

static int parse_args(int argc, char **argv, struct trace_opts *o)
{
	enum { OPT_INTERVAL = 256, OPT_JSON, OPT_FAIL, OPT_EXACT, OPT_OVERHEAD,
	       OPT_PPROF, OPT_FOLDED, OPT_NOLIVE, OPT_KEYS };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		CLI_JUDGING_LONGOPTS,
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on-leak", no_argument, NULL, OPT_FAIL },
		{ "exact", no_argument, NULL, OPT_EXACT },
		{ "max-overhead", required_argument, NULL, OPT_OVERHEAD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "pprof", required_argument, NULL, OPT_PPROF },
		{ "folded", required_argument, NULL, OPT_FOLDED },
		{ "no-live", no_argument, NULL, OPT_NOLIVE },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{}
	};
	struct gm_err err;
	int c, ret;

	cli_judging__init_widening(&o->judging);
	o->max_overhead = -1;
	optind = 1;
	/* '+': stop at the first non-option, so CMD's own flags are left alone */
	while ((c = getopt_long(argc, argv, "+p:d:o:vh", longopts, NULL)) != -1) {
		ret = cli_judging_opt(&o->judging, c, optarg, TRACK_WINDOWS, &err);
		if (ret < 0)
			goto bad;
		if (ret)
			continue;
		switch (c) {
		case 'p':
			if (o->pid_cnt == MAX_TARGETS) {
				fprintf(stderr, "gomaptrace trace: too many -p (max %d)\n", MAX_TARGETS);
				return -1;
			}
			if (cli_parse_pid(optarg, &o->pids[o->pid_cnt], &err))
				goto bad;
			o->pid_cnt++;
			break;
		case 'd':
			if (cli_parse_duration(optarg, &o->duration_ns, &err))
				goto bad;
			break;
		case OPT_INTERVAL:
			if (cli_parse_duration(optarg, &o->interval_ns, &err))
				goto bad;
			break;
		case OPT_JSON:
			o->json_path = optarg;
			break;
		case 'o':
			o->output_path = optarg;
			break;
		case OPT_FAIL:
			o->fail_on_leak = true;
			break;
		case OPT_EXACT:
			o->exact = true;
			break;
		case OPT_OVERHEAD: {
			char *end;

			errno = 0;
			o->max_overhead = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->max_overhead >= 0 && o->max_overhead <= 1)) {
				fprintf(stderr, "gomaptrace trace: --max-overhead '%s': want a fraction in [0, 1]\n",
					optarg);
				return -1;
			}
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(GM_EXIT_OK);
		case OPT_PPROF:
			o->pprof_path = optarg;
			break;
		case OPT_FOLDED:
			o->folded_path = optarg;
			break;
		case OPT_NOLIVE:
			o->no_live = true;
			break;
		case OPT_KEYS: {
			uint64_t n;

			if (cli_parse_uint(optarg, 0, HOLDER_MAX_KEYS, &n, &err))
				goto bad;
			holder__set_keys((int)n);
			break;
		}
		default:
			return cli_see_help("trace");
		}
	}
	if (optind < argc)
		o->cmd = &argv[optind];
	o->budget_given = o->max_overhead >= 0;
	if (o->max_overhead < 0)
		o->max_overhead = o->exact ? 0 : GM_MAX_OVERHEAD;
	if (!o->cmd && !o->pid_cnt) {
		fprintf(stderr, "gomaptrace trace: nothing to trace: give -p PID or -- CMD\n");
		return -1;
	}
	if (o->cmd && o->pid_cnt) {
		fprintf(stderr, "gomaptrace trace: give either -p PID or -- CMD, not both\n");
		return -1;
	}
	return 0;
bad:
	gm_err_print("trace", &err);
	return -1;
}

/* execvp's search, done before fork so a bad CMD fails here with a reason. */
static int resolve_cmd(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *colon;
	struct stat st;

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return access(buf, X_OK) ? -errno : 0;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		snprintf(buf, len, "%.*s/%s", (int)(colon - p), colon == p ? "." : p, cmd);
		if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
			return 0;
		if (!*colon)
			break;
	}
	return -ENOENT;
}

/*
 * CMD runs the file its probes were made for, or not at all.  The uprobes
 * sit on the inode that was parsed; a build copied over CMD's path after
 * the parse (same inode, other offsets) would start with breakpoints in the
 * middle of its instructions.  The attach checks the file against the parse
 * (attach.h); for the moments between the attach and the exec, the held
 * child is seized (ptrace, it does not stop) and stops once, at its exec,
 * before its first instruction: the file it runs is compared with the parse
 * there (a running executable cannot be written, ETXTBSY, so what is
 * compared is what runs).  Without ptrace (a seccomp profile, Yama scope 3)
 * CMD starts with the attach-time check only.
 */
static void seize_child(struct trace_session *ss)
{
	ss->seized = !ptrace(PTRACE_SEIZE, ss->child, NULL, (void *)(long)PTRACE_O_TRACEEXEC);
	if (!ss->seized && ss->o.verbose)
		fprintf(stderr, "gomaptrace trace: CMD's file is not checked at its exec: ptrace: %s\n",
			strerror(errno));
}

/* Released CMD: wait for its exec and let it run if it is the parsed file. */
static int check_exec(struct trace_session *ss)
{
	struct target *t = ss->targets[0];
	struct fileid now;
	char link[TARGET_PATH_MAX];
	int status, sig;
	pid_t r;

	if (!ss->seized)
		return 0;
	for (;;) {
		r = waitpid(ss->child, &status, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;	/* not ours to wait for: nothing to check */
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			/* the exec failed (the child said why) or it was killed first */
			ss->child_reaped = true;
			t->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			tracker__target_exited(ss->tr, ss->child);
			return 0;
		}
		if (WIFSTOPPED(status) && status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8)))
			break;
		/* a signal for CMD on its way (a Ctrl-C on the terminal): deliver it */
		sig = WIFSTOPPED(status) && !(status >> 16) ? WSTOPSIG(status) : 0;
		ptrace(PTRACE_CONT, ss->child, NULL, (void *)(long)sig);
	}
	target__exe_link(ss->child, link, sizeof(link));
	if (!fileid__of_path(link, &now) && fileid__equal(&now, &ss->ids[0])) {
		ptrace(PTRACE_DETACH, ss->child, NULL, NULL);
		return 0;
	}
	fprintf(stderr, "gomaptrace trace: %s: changed on disk between its parse and its exec: killed before it ran\n",
		t->exe);
	kill(ss->child, SIGKILL);
	while (waitpid(ss->child, &status, 0) < 0 && errno == EINTR)
		;
	ss->child_reaped = true;
	t->exit_status = 128 + SIGKILL;
	tracker__target_exited(ss->tr, ss->child);
	return GM_EXIT_FAILURE;
}

/* Fork CMD, held on a pipe until released, so no map is made before the probes are in. */
static int start_child(struct trace_session *ss, const char *path)
{
	int fds[2];
	pid_t pid;
	char go;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(fds[1]);
		/* CMD starts with the dispositions we had, as it would untraced */
		for (size_t i = 0; i < STOP_SIG_CNT; i++)
			sigaction(stop_signals[i], &ss->sig_saved[i], NULL);
		sigaction(SIGPIPE, &ss->pipe_saved, NULL);
		if (read(fds[0], &go, 1) != 1)
			_exit(127);
		execv(path, ss->o.cmd);
		fprintf(stderr, "gomaptrace trace: %s: cannot execute: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	ss->child = pid;
	ss->release_fd = fds[1];
	seize_child(ss);
	return 0;
}

static int open_targets(struct trace_session *ss)
{
	struct gm_err err = {};
	char path[4096];
	int i, ret;

	if (ss->o.cmd) {
		ret = resolve_cmd(ss->o.cmd[0], path, sizeof(path));
		if (ret) {
			fprintf(stderr, "gomaptrace trace: %s: %s\n", ss->o.cmd[0], strerror(-ret));
			return GM_EXIT_BAD_INPUT;
		}
		if (target__open_bin(path, &ss->bins[0], &ss->ids[0], &err)) {
			gm_err_printf("trace", &err, "%s", path);
			return GM_EXIT_BAD_INPUT;
		}
		ret = start_child(ss, path);
		if (ret) {
			fprintf(stderr, "gomaptrace trace: %s: cannot start: %s\n", path, strerror(-ret));
			return GM_EXIT_FAILURE;
		}
		ss->targets[0] = calloc(1, sizeof(struct target));
		if (!ss->targets[0])
			return GM_EXIT_FAILURE;
		/* /proc/CHILD/exe is still gomaptrace until the exec: fill by hand */
		memset(ss->targets[0], 0, sizeof(struct target));
		ss->targets[0]->pid = ss->child;
		ss->targets[0]->bin = ss->bins[0];
		ss->targets[0]->bin_slot = -1;
		ss->targets[0]->exit_status = -1;
		ss->targets[0]->start_ns = gm_now_ns();
		ss->targets[0]->held = true;
		snprintf(ss->targets[0]->exe, sizeof(ss->targets[0]->exe), "%s", path);
		snprintf(ss->targets[0]->comm, sizeof(ss->targets[0]->comm), "%.15s",
			 strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		ss->target_cnt = 1;
		return 0;
	}
	for (i = 0; i < ss->o.pid_cnt; i++) {
		pid_t pid = ss->o.pids[i];

		target__exe_link(pid, path, sizeof(path));
		if (target__untraceable(pid)) {
			fprintf(stderr, "gomaptrace trace: pid %d: %s\n", (int)pid, target__untraceable(pid));
			return GM_EXIT_BAD_INPUT;
		}
		if (target__open_bin(path, &ss->bins[i], &ss->ids[i], &err)) {
			gm_err_printf("trace", &err, "pid %d (%s)", (int)pid, path);
			return GM_EXIT_BAD_INPUT;
		}
		ss->targets[i] = calloc(1, sizeof(struct target));
		if (!ss->targets[i])
			return GM_EXIT_FAILURE;
		if (target__init(ss->targets[i], pid, ss->bins[i], &err)) {
			gm_err_printf("trace", &err, "pid %d", (int)pid);
			return GM_EXIT_BAD_INPUT;
		}
		target__resolve_bias(ss->targets[i]);
		ss->target_cnt++;
	}
	return 0;
}

static void on_type(struct target *tgt, uint64_t type, void *ctx)
{
	struct trace_session *ss = ctx;
	const struct gm_layout *lay = &tgt->bin->plan->layout;
	uint64_t bucket = 0;

	/* the map type names its bucket/group type: that is what mallocgc sees */
	if (!target__read(tgt->pid, type + lay->type_bucket_off, &bucket, 8) && bucket)
		attacher__watch_bucket_type(ss->att, tgt->pid, bucket);
}

/* Index of a traced pid in ss->targets, or -1. */
static int target_idx(const struct trace_session *ss, pid_t pid)
{
	int i;

	for (i = 0; i < ss->target_cnt; i++)
		if (ss->targets[i]->pid == pid)
			return i;
	return -1;
}

/* Stopped following it after an exec into something not traced. */
static bool exec_dropped(const struct target *t)
{
	return t->exec.cnt && !t->exec.followed;
}

/*
 * Exec and exit records (the session routes every other record).  Exec
 * records come for every process of the machine: only ours are kept, and
 * acted on in the main loop (follow_exec).
 */
static void on_lifecycle(const struct gm_event *e, void *ctx)
{
	struct trace_session *ss = ctx;
	struct target *t;
	int i;

	if (e->kind == GM_EVENT_EXEC) {
		i = target_idx(ss, e->tgid);
		if (i < 0 || exec_dropped(ss->targets[i]))
			return;
		if ((pid_t)e->tgid == ss->child && !ss->launch_exec_seen) {
			ss->launch_exec_seen = true;	/* CMD itself starting */
			return;
		}
		ss->exec_pending[i] = true;
		return;
	}
	if (e->kind != GM_EVENT_EXIT)
		return;
	t = tracker__target(ss->tr, e->tgid);
	if (t && !t->exited) {
		if (t->pid != ss->child)
			t->exit_status = WIFEXITED(e->arg) ? WEXITSTATUS(e->arg) : 128 + WTERMSIG(e->arg);
		tracker__target_exited(ss->tr, e->tgid);
		i = target_idx(ss, e->tgid);
		if (i >= 0)
			ss->exit_seen_ns[i] = gm_now_ns();
	}
}

/* Probe hits of a slot no target holds any more (it exec'd): kept for the totals. */
static void retire_slot(struct trace_session *ss, int i)
{
	int j, first, cnt, k, slot = ss->targets[i]->bin_slot;

	if (slot < 0)
		return;
	for (j = 0; j < ss->target_cnt; j++)
		if (j != i && ss->targets[j]->bin_slot == slot)
			return;		/* still counted through that one */
	if (!attacher__points(ss->att, slot, &first, &cnt))
		for (k = 0; k < cnt; k++)
			ss->retired_hits += attacher__probe_hits(ss->att, first + k);
}

static void retire_bin(struct trace_session *ss, struct gobin *bin)
{
	struct gobin **r = realloc(ss->retired, (ss->retired_cnt + 1) * sizeof(*r));

	if (!r) {
		/* kept referenced rather than freed under a name that points into it */
		return;
	}
	ss->retired = r;
	ss->retired[ss->retired_cnt++] = bin;
}

/*
 * Target i exec'd (its exec record, or its /proc/PID/exe changed).  The
 * old image is gone with its address space: its breakpoints come off.  A
 * Go executable is opened and attached for this pid, and the target is
 * that program from now on (its maps before the exec are dropped: they no
 * longer exist).  Anything else ends the tracing of this pid, its report
 * kept as it stood.  Either way the target records the exec for the
 * reports, and one line on stderr says it now.
 */
static void follow_exec(struct trace_session *ss, int i)
{
	struct target *t = ss->targets[i];
	char link[TARGET_PATH_MAX], now_exe[4096], esc[4 * 256 + 1], esc2[4 * 256 + 1];
	struct gobin *bin = NULL;
	struct fileid id;
	struct gm_err err = {};
	uint64_t now = gm_now_ns();
	int slot = -1, ret;
	ssize_t n;

	ss->exec_pending[i] = false;
	if (t->bin_slot >= 0 && !ss->probes_off[i]) {
		session__drop_probes(ss->s, t->bin_slot, t->pid);
		ss->probes_off[i] = true;
	}
	target__exe_link(t->pid, link, sizeof(link));
	n = readlink(link, now_exe, sizeof(now_exe) - 1);
	now_exe[n > 0 ? n : 0] = '\0';
	ret = target__open_bin(link, &bin, &id, &err);
	if (!ret) {
		slot = session__add_binary(ss->s, link, bin, &id, t->pid, &err);
		if (slot < 0) {
			gobin__free(bin);
			bin = NULL;
		}
	}
	if (!bin) {
		/* the reason, or that it is gone already */
		const char *why = !n || n < 0 || !target__alive(t->pid) ? "it exited before it could be read"
								       : err.msg;

		tracker__target_exited(ss->tr, t->pid);
		if (target__exec(t, NULL, now))
			t->exec.cnt++;
		snprintf(t->exec.why, sizeof(t->exec.why), "%s", why);
		t->exec.followed = false;
		t->exited = true;
		t->exit_status = -1;
		fprintf(stderr, "gomaptrace trace: pid %d exec'd %s: %s: no longer traced\n", (int)t->pid,
			naming__printable(n > 0 ? now_exe : "?", esc, sizeof(esc)), why);
		return;
	}
	/* the old image's maps and sites are gone with it; the new one starts clean */
	retire_slot(ss, i);
	session__remove_target(ss->s, t->pid);
	target__exec(t, bin, now);
	retire_bin(ss, ss->bins[i]);
	ss->bins[i] = bin;
	ss->ids[i] = id;
	t->bin_slot = slot;
	ss->probes_off[i] = false;
	ss->exit_seen_ns[i] = 0;
	if (session__add_target(ss->s, t)) {
		snprintf(t->exec.why, sizeof(t->exec.why), "cannot register the process");
		t->exec.followed = false;
		t->exited = true;
		fprintf(stderr, "gomaptrace trace: pid %d exec'd %s: cannot register the process: no longer traced\n",
			(int)t->pid, naming__printable(t->exe, esc, sizeof(esc)));
		return;
	}
	fprintf(stderr, "gomaptrace trace: pid %d exec'd %s (%s, %s maps): following it; the maps of %s before the exec are not reported\n",
		(int)t->pid, naming__printable(t->exe, esc, sizeof(esc)), bin->bi.version,
		gomap__impl_name(bin->plan->impl),
		naming__printable(t->exec.from ? t->exec.from : "?", esc2, sizeof(esc2)));
	if (gobin__newer_note(bin))
		fprintf(stderr, "gomaptrace trace: pid %d: %s\n", (int)t->pid, gobin__newer_note(bin));
}

/*
 * Execs not seen by their record (ring buffer full): a traced process whose
 * /proc/PID/exe is no longer the file it was parsed from.  Once a second.
 */
static void notice_execs(struct trace_session *ss)
{
	char link[TARGET_PATH_MAX];
	struct fileid id;
	int i;

	for (i = 0; i < ss->target_cnt; i++) {
		struct target *t = ss->targets[i];

		if (ss->exec_pending[i] || exec_dropped(t) || (t->exited && !ss->exit_seen_ns[i]))
			continue;
		if (t->pid == ss->child && !ss->launch_exec_seen)
			continue;	/* still gomaptrace's fork, or CMD starting */
		target__exe_link(t->pid, link, sizeof(link));
		if (!fileid__of_path(link, &id) && !fileid__equal(&id, &ss->ids[i]))
			ss->exec_pending[i] = true;
	}
}

/*
 * One line on stderr once every probe is live, as bcc's tools do: what is
 * traced and when a first verdict can come.  With CMD, whose own logs often
 * go to stderr too, it also says where the report will land and how to put
 * it in a file of its own.
 */
static void say_started(const struct trace_session *ss)
{
	const struct cli_judging *j = &ss->o.judging;
	double first_s = j->window_max_ns ? j->min_span_ns / 1e9
					  : j->window_ns / 1e9 * j->min_windows;

	char comm[4 * sizeof(ss->targets[0]->comm) + 1];

	if (ss->target_cnt == 1)
		fprintf(stderr, "gomaptrace trace: tracing pid %d (%s)", (int)ss->targets[0]->pid,
			naming__printable(ss->targets[0]->comm, comm, sizeof(comm)));
	else
		fprintf(stderr, "gomaptrace trace: tracing %d processes", ss->target_cnt);
	fprintf(stderr, "; a leak can be named after %.0f s; the report comes at the end (Ctrl-C%s)\n",
		first_s, ss->o.duration_ns ? " or --duration" : "");
	if (ss->o.cmd && !ss->o.output_path && !isatty(STDERR_FILENO))
		fprintf(stderr, "gomaptrace trace: the report goes to stderr among the program's own "
			"output; -o FILE writes it to a file instead\n");
}

static int attach_all(struct trace_session *ss)
{
	struct session_opts sopts = {
		.sz = sizeof(sopts),
		.attach = {
			.sz = sizeof(sopts.attach),
			.mode = ss->o.exact ? PROBES_EXACT : PROBES_DEFAULT,
			.filter_pids = true,
			.lifecycle = true,	/* exec records: a target that execs is followed */
			.verbose = ss->o.verbose,
			.no_uprobe_multi = cli_env_flag("GOMAPTRACE_NO_UPROBE_MULTI"),
		},
		.track = {
			.sz = sizeof(sopts.track),
			.window_ns = ss->o.judging.window_ns,
			.window_max_ns = ss->o.judging.window_max_ns,
			.on_type = ss->o.exact ? on_type : NULL,
			.ctx = ss,
		},
		.max_overhead = ss->o.max_overhead,
		.start_allowance_s = TRACE_START_ALLOWANCE_S,
		.on_lifecycle = on_lifecycle,
		.ctx = ss,
		.verbose = ss->o.verbose,
	};
	struct tracker_opts *topts = &sopts.track;
	const char *calib_err;
	struct gm_err err = {};
	char path[TARGET_PATH_MAX];
	int i, slot;

	judge_opts__init(&topts->judge);
	topts->judge.min_windows = ss->o.judging.min_windows;
	topts->judge.min_growth = ss->o.judging.min_growth;
	topts->judge.min_span_ns = ss->o.judging.min_span_ns;
	ss->s = session__new(&sopts, &err);
	if (!ss->s) {
		gm_err_print("trace", &err);
		return GM_EXIT_FAILURE;
	}
	ss->att = session__attacher(ss->s);
	ss->tr = session__tracker(ss->s);
	/* the report prices the probes it fired with what one hit costs here */
	ss->probe_cost_s = session__probe_cost(ss->s, &calib_err);
	if (calib_err && ss->o.verbose)
		fprintf(stderr, "gomaptrace trace: no overhead estimate: %s\n", calib_err);
	for (i = 0; i < ss->target_cnt; i++) {
		struct target *t = ss->targets[i];
		const char *attach_path = t->exe;

		if (!ss->o.cmd) {
			target__exe_link(t->pid, path, sizeof(path));
			attach_path = path;
			/* -p: a running process; the allowance is for a program's start */
			session__started_before(ss->s, t->pid);
		}
		slot = session__add_binary(ss->s, attach_path, t->bin, &ss->ids[i], t->pid, &err);
		if (slot < 0) {
			gm_err_printf("trace", &err, "pid %d (%s)", (int)t->pid, t->exe);
			return slot == -ENOENT ? GM_EXIT_BAD_INPUT : GM_EXIT_FAILURE;
		}
		t->bin_slot = slot;
		if (session__add_target(ss->s, t)) {
			fprintf(stderr, "gomaptrace trace: pid %d: cannot register the process\n", (int)t->pid);
			return GM_EXIT_FAILURE;
		}
		if (ss->o.verbose)
			fprintf(stderr, "gomaptrace trace: attached to pid %d (%s, %s, %s maps)\n",
				(int)t->pid, t->exe, t->bin->bi.version,
				gomap__impl_name(t->bin->plan->impl));
		/* newer than tested: said now too, not only in the report */
		if (gobin__newer_note(t->bin))
			fprintf(stderr, "gomaptrace trace: pid %d: %s\n", (int)t->pid, gobin__newer_note(t->bin));
	}
	/* an explicit opt-in out of the budget says what it costs */
	if (ss->o.exact && !ss->o.max_overhead && ss->o.budget_given)
		fprintf(stderr, "gomaptrace trace: --exact --max-overhead 0: every insert and bucket allocation "
			"traps, no probe budget: map-heavy code runs tens to hundreds of times slower\n");
	else if (ss->o.exact && !ss->o.max_overhead)
		fprintf(stderr, "gomaptrace trace: --exact: every insert and bucket allocation traps, no "
			"probe budget: map-heavy code runs tens to hundreds of times slower\n");
	else if (!ss->o.max_overhead && ss->o.budget_given)
		fprintf(stderr, "gomaptrace trace: --max-overhead 0: no probe budget: a process making "
			"maps fast can run several times slower\n");
	else if (!ss->probe_cost_s)
		fprintf(stderr, "gomaptrace trace: probe cost not calibrated: the budget is not enforced\n");
	say_started(ss);
	return 0;
}

static uint64_t total_probe_hits(const struct trace_session *ss)
{
	uint64_t sum = 0;
	int i, j, first, cnt;

	sum += ss->retired_hits;
	for (i = 0; i < ss->target_cnt; i++) {
		bool dup = false;

		for (j = 0; j < i; j++)
			dup |= ss->targets[j]->bin_slot == ss->targets[i]->bin_slot;
		if (dup || attacher__points(ss->att, ss->targets[i]->bin_slot, &first, &cnt))
			continue;
		for (j = 0; j < cnt; j++)
			sum += attacher__probe_hits(ss->att, first + j);
	}
	return sum;
}

static void fill_session(const struct trace_session *ss, struct report_session *rs, bool final)
{
	struct session_records rec;

	session__records(ss->s, &rec);
	memset(rs, 0, sizeof(*rs));
	rs->targets = (struct target **)ss->targets;
	rs->target_cnt = ss->target_cnt;
	rs->mode = ss->o.exact ? "exact" : "default";
	rs->duration_s = (gm_now_ns() - ss->start_ns) / 1e9;
	rs->events_received = rec.received;
	rs->events_lost = rec.lost;
	rs->events_malformed = rec.malformed;
	rs->probe_hits = total_probe_hits(ss);
	rs->probe_hits_untraced = attacher__counter(ss->att, GM_CNT_FILTERED);
	rs->probe_cost_s = ss->probe_cost_s;
	session__cost(ss->s, &rs->cost);
	rs->max_overhead = session__governor(ss->s) ? ss->o.max_overhead : 0;
	/* the budget line only when a budget was asked about (-1: say nothing) */
	if (!rs->max_overhead && !ss->o.budget_given && !ss->o.exact)
		rs->max_overhead = -1;
	{
		struct session_shed sh;

		session__shed_stats(ss->s, &sh);
		rs->gov_alarms = sh.alarms;
		rs->shed_points_max = sh.points_max;
		rs->shed_s = sh.shed_s;
	}
	rs->window_s = ss->o.judging.window_ns / 1e9;
	rs->window_max_s = ss->o.judging.window_max_ns / 1e9;
	rs->min_span_s = ss->o.judging.min_span_ns / 1e9;
	rs->min_windows = ss->o.judging.min_windows;
	rs->final = final;
}

static bool all_exited(struct trace_session *ss)
{
	uint64_t now = gm_now_ns();
	bool all = true;
	int i, status;

	/*
	 * Our child's status comes from waitpid alone.  It may be marked exited
	 * (exit tracepoint, a failed memory read, an exec into a program not
	 * traced) before it is a zombie, or while it execs: never block on it.
	 */
	if (ss->child > 0 && !ss->child_reaped) {
		pid_t r = waitpid(ss->child, &status, WNOHANG);

		if (r == ss->child) {
			ss->child_reaped = true;
			ss->targets[0]->exit_status = WIFEXITED(status) ? WEXITSTATUS(status)
								       : 128 + WTERMSIG(status);
			tracker__target_exited(ss->tr, ss->child);
			ss->targets[0]->exited = true;
		}
	}
	for (i = 0; i < ss->target_cnt; i++) {
		struct target *t = ss->targets[i];
		bool done;

		if (t->pid == ss->child) {
			done = ss->child_reaped;
		} else if (!t->exited) {
			done = !target__alive(t->pid);
			if (done)
				tracker__target_exited(ss->tr, t->pid);
		} else {
			/*
			 * Its leader's exit record came: gone, or dying, or an exec
			 * from another thread whose record is on its way.
			 */
			uint64_t since = now - ss->exit_seen_ns[i];
			char path[TARGET_PATH_MAX];

			target__proc_path(path, sizeof(path), t->pid, NULL);
			done = exec_dropped(t) || !ss->exit_seen_ns[i] || since >= EXEC_GRACE_NS ||
			       (access(path, F_OK) && errno == ENOENT) ||
			       (since >= EXIT_SETTLE_NS && !target__alive(t->pid));
		}
		if (!done) {
			all = false;
			continue;
		}
		/*
		 * Its breakpoints off now, not at the end of the session: a
		 * program copied in place over the file must not start with the
		 * old one's uprobes registered on the inode.
		 */
		if (!ss->probes_off[i] && t->bin_slot >= 0) {
			session__drop_probes(ss->s, t->bin_slot, t->pid);
			ss->probes_off[i] = true;
			if (ss->o.verbose)
				fprintf(stderr, "gomaptrace trace: pid %d gone: its probes are off\n", (int)t->pid);
		}
	}
	return all;
}

static bool any_leak(const struct tracker *tr)
{
	struct tmap **maps;
	struct tsite **sites;
	size_t nm = tracker__maps(tr, &maps), ns = tracker__sites(tr, &sites), i;
	bool leak = false;

	for (i = 0; i < nm; i++)
		leak |= maps[i]->s.verdict == VERDICT_LEAK;
	for (i = 0; i < ns; i++)
		leak |= sites[i]->s.verdict == VERDICT_LEAK;
	free(maps);
	free(sites);
	return leak;
}

/*
 * SIGINT, SIGTERM and SIGHUP end the session with its reports; one that was
 * ignored when we started (nohup, a background job) stays ignored.  SIGPIPE
 * is ignored: a report to a pipe nobody reads fails with EPIPE and is said
 * so, instead of killing the tracer before the other reports are written.
 */
static void signals_setup(struct trace_session *ss)
{
	struct sigaction sa = { .sa_handler = on_signal }, ign = { .sa_handler = SIG_IGN };
	size_t i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < STOP_SIG_CNT; i++) {
		sigaction(stop_signals[i], NULL, &ss->sig_saved[i]);
		if (stop_signals[i] != SIGTERM && ss->sig_saved[i].sa_handler == SIG_IGN)
			continue;
		sigaction(stop_signals[i], &sa, NULL);
	}
	sigaction(SIGPIPE, &ign, &ss->pipe_saved);
}

/*
 * Every output is opened before anything is traced: a bad path ends the
 * run at once instead of after a whole session.
 */
static int open_outputs(struct trace_session *ss)
{
	static const char *const what[OUT_CNT] = {
		[OUT_TEXT] = "text report", [OUT_JSON] = "JSON report",
		[OUT_PPROF] = "pprof profile", [OUT_FOLDED] = "folded stacks",
	};
	const char *paths[OUT_CNT] = {
		[OUT_TEXT] = ss->o.output_path, [OUT_JSON] = ss->o.json_path,
		[OUT_PPROF] = ss->o.pprof_path, [OUT_FOLDED] = ss->o.folded_path,
	};
	struct gm_err err = {};
	int i;

	for (i = 0; i < OUT_CNT; i++) {
		/* the text report goes to stdout by default, stderr when CMD has stdout */
		FILE *dflt = i == OUT_TEXT ? (ss->o.cmd ? stderr : stdout) : NULL;

		if (outfile__open(&ss->out[i], what[i], paths[i], dflt, &err)) {
			gm_err_print("trace", &err);
			return GM_EXIT_FAILURE;
		}
	}
	return 0;
}

/* One report to its output: 0, or GM_EXIT_FAILURE with a line naming it. */
static int write_output(struct trace_session *ss, int which, const struct report_session *rs)
{
	struct outfile *o = &ss->out[which];
	struct gm_err err = {};
	int ret = 0;
	FILE *f;

	if (!outfile__used(o))
		return 0;
	f = outfile__begin(o, &err);
	if (!f)
		goto fail;
	switch (which) {
	case OUT_TEXT:
		report__text(f, ss->tr, rs);
		break;
	case OUT_JSON:
		ret = report__json(f, ss->tr, rs);
		break;
	case OUT_PPROF:
		ret = pprof__write_maps_to(f, ss->tr, rs);
		break;
	case OUT_FOLDED:
		ret = folded__write(f, ss->tr);
		break;
	}
	/* the close knows best why a write failed: its reason comes first */
	if (outfile__end(o, &err))
		goto fail;
	if (!ret)
		return 0;
	gm_err_set(&err, -ret, "%s %s: cannot write: %s", o->what, outfile__name(o), strerror(-ret));
fail:
	gm_err_print("trace", &err);
	return GM_EXIT_FAILURE;
}

/*
 * The live view takes stdout when it is a terminal nobody else asked for:
 * not with -o (the report would not come after it), --interval (interim
 * text reports asked for) or --json - (stdout carries JSON).
 */
static void live_start(struct trace_session *ss)
{
	struct liveview_opts lo = { .sz = sizeof(lo), .full_repaint = ss->child > 0 };

	if (ss->o.no_live || ss->o.output_path || ss->o.interval_ns || !isatty(STDOUT_FILENO) ||
	    (ss->o.json_path && !strcmp(ss->o.json_path, "-")))
		return;
	ss->lv = liveview__new(&lo);
}

/* Give the terminal back: whatever is printed next lands on the normal screen. */
static void live_stop(struct trace_session *ss)
{
	liveview__free(ss->lv);
	ss->lv = NULL;
}

/* Redraw once a second or on a key; q stops like Ctrl-C. */
static void live_tick(struct trace_session *ss, uint64_t now, uint64_t *next_draw)
{
	enum liveview_action act = liveview__poll(ss->lv);
	struct report_session rs;

	if (act == LIVEVIEW_QUIT) {
		stop_requested = 1;
		return;
	}
	if (act == LIVEVIEW_NONE && now < *next_draw)
		return;
	fill_session(ss, &rs, false);
	liveview__draw(ss->lv, ss->tr, &rs);
	*next_draw = now + LIVE_NS;
}

/* Every report, each on its own: one that fails does not cost the others. */
static int write_reports(struct trace_session *ss)
{
	struct report_session rs;
	int ret = 0, i;

	fill_session(ss, &rs, true);
	for (i = 0; i < OUT_CNT; i++)
		if (write_output(ss, i, &rs))
			ret = GM_EXIT_FAILURE;
	return ret;
}

/*
 * We end before CMD did: stop it rather than leave it orphaned, and never
 * wait for it forever.  SIGCONT lets a stopped CMD see the SIGTERM.
 */
static void stop_child(struct trace_session *ss)
{
	const struct timespec tick = { 0, 20 * 1000000L };
	int waited;
	pid_t r;

	kill(ss->child, SIGTERM);
	kill(ss->child, SIGCONT);
	for (waited = 0; waited < CHILD_TERM_WAIT_MS; waited += 20) {
		r = waitpid(ss->child, NULL, WNOHANG);
		if (r == ss->child || (r < 0 && errno != EINTR))
			return;
		nanosleep(&tick, NULL);
	}
	fprintf(stderr, "gomaptrace trace: pid %d (%s) still running %d s after SIGTERM: sent SIGKILL\n",
		(int)ss->child, ss->targets[0] ? ss->targets[0]->comm : "CMD", CHILD_TERM_WAIT_MS / 1000);
	kill(ss->child, SIGKILL);
	while (waitpid(ss->child, NULL, 0) < 0 && errno == EINTR)
		;
}

static int run(struct trace_session *ss)
{
	uint64_t now, next_interval = 0, deadline = 0, next_draw = 0;
	struct report_session rs;
	int err;

	ss->start_ns = now = gm_now_ns();
	if (ss->o.interval_ns)
		next_interval = now + ss->o.interval_ns;
	if (ss->o.duration_ns)
		deadline = now + ss->o.duration_ns;
	if (ss->child > 0) {
		/* every probe is in: let CMD exec */
		if (write(ss->release_fd, "g", 1) != 1)
			return GM_EXIT_FAILURE;
		close(ss->release_fd);
		ss->release_fd = -1;
		err = check_exec(ss);
		if (err)
			return err;
	}
	live_start(ss);
	while (!stop_requested) {
		err = session__poll(ss->s, POLL_MS);
		if (err < 0 && err != -EINTR) {
			live_stop(ss);
			fprintf(stderr, "gomaptrace trace: ring buffer poll failed: %s\n", strerror(-err));
			return GM_EXIT_FAILURE;
		}
		for (int i = 0; i < ss->target_cnt; i++)
			if (ss->exec_pending[i])
				follow_exec(ss, i);
		now = gm_now_ns();
		if (session__sample_due(ss->s, now)) {
			notice_execs(ss);
			session__sample(ss->s, now);
		}
		if (next_interval && now >= next_interval) {
			fill_session(ss, &rs, false);
			/* best effort: the final report says whether stdout still works */
			report__text(ss->o.cmd ? stderr : stdout, ss->tr, &rs);
			fflush(ss->o.cmd ? stderr : stdout);
			next_interval += ss->o.interval_ns;
		}
		if (deadline && now >= deadline)
			break;
		if (all_exited(ss))
			break;
		if (ss->lv)
			live_tick(ss, now, &next_draw);
	}
	/* what is still in the ring buffer belongs to the report */
	session__poll(ss->s, 0);
	tracker__measure_capacity(ss->tr);
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_session ss = { .release_fd = -1 };
	int ret, i;

	if (parse_args(argc, argv, &ss.o))
		return GM_EXIT_BAD_INPUT;
	signals_setup(&ss);
	ret = open_outputs(&ss);
	if (ret)
		goto cleanup;
	ret = open_targets(&ss);
	if (ret)
		goto cleanup;
	ret = attach_all(&ss);
	if (ret)
		goto cleanup;
	ret = run(&ss);
	live_stop(&ss);
	if (ret)
		goto cleanup;
	ret = write_reports(&ss);
	if (!ret && ss.o.fail_on_leak && any_leak(ss.tr))
		ret = GM_EXIT_LEAK;

cleanup:
	live_stop(&ss);
	if (ss.release_fd >= 0)
		close(ss.release_fd);	/* the held child reads EOF and exits 127 */
	/* CMD still running (or exec'd into something not traced): stopped, never orphaned */
	if (ss.child > 0 && !ss.child_reaped)
		stop_child(&ss);
	for (i = 0; i < OUT_CNT; i++)
		outfile__abandon(&ss.out[i]);
	session__free(ss.s);
	for (i = 0; i < MAX_TARGETS; i++) {
		if (ss.targets[i])
			target__fini(ss.targets[i]);
		free(ss.targets[i]);
		gobin__free(ss.bins[i]);
	}
	for (size_t k = 0; k < ss.retired_cnt; k++)
		gobin__free(ss.retired[k]);
	free(ss.retired);
	return ret;
}
