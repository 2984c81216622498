// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "target.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static char proc_root[TARGET_PROC_ROOT_MAX + 1] = "/proc";

const char *target__proc_root(void)
{
	return proc_root;
}

int target__set_proc_root(const char *dir, struct gm_err *err)
{
	char buf[TARGET_PROC_ROOT_MAX + 1], self[TARGET_PATH_MAX], pid[32];
	struct statfs sfs;
	size_t len = strlen(dir);
	ssize_t n;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!len || len > TARGET_PROC_ROOT_MAX)
		return gm_err_set(err, ENAMETOOLONG, "--proc-root '%s': want a path of 1 to %d bytes",
				  dir, TARGET_PROC_ROOT_MAX);
	memcpy(buf, dir, len);
	buf[len] = '\0';
	if (statfs(buf, &sfs))
		return gm_err_set(err, errno, "--proc-root %s: %s", buf, strerror(errno));
	if (sfs.f_type != PROC_SUPER_MAGIC)
		return gm_err_set(err, EINVAL, "--proc-root %s: not a procfs mount (mount -t proc, or a bind mount of one)",
				  buf);
	/* "self" names us only in a procfs of our own pid namespace */
	snprintf(self, sizeof(self), "%s/self", buf);
	n = readlink(self, pid, sizeof(pid) - 1);
	if (n > 0)
		pid[n] = '\0';
	if (n <= 0 || strtol(pid, NULL, 10) != (long)getpid())
		return gm_err_set(err, EINVAL, "--proc-root %s: a procfs of another pid namespace (its pids are not the ones the kernel reports to us)",
				  buf);
	memcpy(proc_root, buf, len + 1);
	return 0;
}

void target__proc_path(char *buf, size_t len, pid_t pid, const char *name)
{
	char who[16];

	if (pid > 0)
		snprintf(who, sizeof(who), "%d", (int)pid);
	else
		snprintf(who, sizeof(who), "self");
	if (name)
		snprintf(buf, len, "%s/%s/%s", proc_root, who, name);
	else
		snprintf(buf, len, "%s/%s", proc_root, who);
}

uint64_t gm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void target__exe_link(pid_t pid, char *buf, size_t len)
{
	target__proc_path(buf, len, pid, "exe");
}

int target__open_bin(const char *path, struct gobin **bin, struct fileid *id, struct gm_err *err)
{
	struct fileid before, after;
	int ret;

	*bin = NULL;
	ret = fileid__of_path(path, &before);
	if (ret)
		return gm_err_set(err, -ret, "cannot stat: %s", strerror(-ret));
	*bin = gobin__open(path, err);
	if (!*bin)
		return -(errno ? errno : EINVAL);
	ret = fileid__of_path(path, &after);
	if (ret || !fileid__equal(&before, &after) || (*bin)->dev != before.dev ||
	    (*bin)->ino != before.ino) {
		gobin__free(*bin);
		*bin = NULL;
		/* a /proc/PID/exe whose process is gone is not a changed file */
		if (ret)
			return gm_err_set(err, -ret, "cannot stat after reading it: %s", strerror(-ret));
		return gm_err_set(err, ESTALE, "changed on disk while being read");
	}
	*id = before;
	return 0;
}

/* Read a small /proc file into buf, NUL-terminated; returns length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

void target__refresh_comm(struct target *t)
{
	char path[TARGET_PATH_MAX], buf[64];
	ssize_t n;
	size_t i;

	target__proc_path(path, sizeof(path), t->pid, "comm");
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return;
	/* comm is chosen by the process: keep it printable for reports and labels */
	for (i = 0; i < (size_t)n && buf[i] && buf[i] != '\n' && i + 1 < sizeof(t->comm); i++)
		t->comm[i] = isprint((unsigned char)buf[i]) ? buf[i] : '?';
	t->comm[i] = '\0';
}

bool target__alive(pid_t pid)
{
	char path[TARGET_PATH_MAX], buf[512], *p;

	target__proc_path(path, sizeof(path), pid, "stat");
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	/* state follows the last ')' (comm may contain parentheses) */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

const char *target__untraceable(pid_t pid)
{
	char path[TARGET_PATH_MAX], buf[1024], *p, state;
	unsigned long flags = 0;
	int i;

	target__proc_path(path, sizeof(path), pid, "stat");
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return "no such process";
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return "no such process";
	state = p[2];
	if (state == 'Z')
		return "a zombie (it has exited and its parent has not reaped it): nothing left to trace";
	if (state == 'X')
		return "no such process";
	/* after ") ": state ppid pgrp session tty_nr tpgid flags */
	p += 2;
	for (i = 0; i < 6 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p)
		flags = strtoul(p, NULL, 10);
	if (flags & 0x00200000UL)	/* PF_KTHREAD */
		return "a kernel thread: it runs no program, there is nothing to trace";
	return NULL;
}

int target__init(struct target *t, pid_t pid, struct gobin *bin, struct gm_err *err)
{
	char link[TARGET_PATH_MAX];
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->bin = bin;
	t->bin_slot = -1;
	t->exit_status = -1;
	t->start_ns = gm_now_ns();
	target__exe_link(pid, link, sizeof(link));
	n = readlink(link, t->exe, sizeof(t->exe) - 1);
	if (n < 0)
		return gm_err_set(err, errno, "cannot read %s: %s", link, strerror(errno));
	t->exe[n] = '\0';
	target__refresh_comm(t);
	return 0;
}

int target__each_mapping(pid_t pid, int (*fn)(const struct target_mapping *m, void *ctx), void *ctx)
{
	char path[TARGET_PATH_MAX], line[4352];	/* a PATH_MAX path and the fields */
	bool partial = false;
	int ret = 0;
	FILE *f;

	target__proc_path(path, sizeof(path), pid, "maps");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		struct target_mapping m;
		bool cut = !strchr(line, '\n');
		char *name, *nl;
		int pos = 0;

		if (partial || cut) {
			/* the tail of a line too long, or one cut short: not a mapping */
			partial = cut;
			continue;
		}
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, m.perms, &off,
			   &m.dev_major, &m.dev_minor, &ino, &pos) < 7 || !pos)
			continue;
		name = line + pos;
		nl = strchr(name, '\n');
		if (nl)
			*nl = '\0';
		m.start = start;
		m.end = end;
		m.offset = off;
		m.ino = ino;
		m.path = name;
		ret = fn(&m, ctx);
	}
	fclose(f);
	return ret;
}

static int bias_of(const struct target_mapping *m, void *ctx)
{
	struct target *t = ctx;
	struct stat st;

	if (m->offset != 0 || m->ino != (uint64_t)t->bin->ino)
		return 0;
	/* same inode on another device is another file */
	if (stat(t->exe, &st) == 0 && st.st_ino == t->bin->ino && st.st_dev != t->bin->dev)
		return 0;
	t->bias = m->start - t->bin->first_load_base;
	t->bias_known = true;
	return 1;
}

int target__resolve_bias(struct target *t)
{
	int ret;

	if (!goelf__is_pie(t->bin->elf)) {
		t->bias = 0;
		t->bias_known = true;
		return 0;
	}
	ret = target__each_mapping(t->pid, bias_of, t);
	return ret < 0 ? ret : ret ? 0 : -ENOENT;
}

ssize_t target__read_many(pid_t pid, const uint64_t *addrs, size_t cnt, size_t size,
			  void *out, bool *ok)
{
	struct iovec local[256], remote[256];
	size_t i = 0, j, batch, good = 0;

	while (i < cnt) {
		ssize_t n;

		batch = cnt - i > 256 ? 256 : cnt - i;
		for (j = 0; j < batch; j++) {
			local[j].iov_base = (char *)out + (i + j) * size;
			local[j].iov_len = size;
			remote[j].iov_base = (void *)(uintptr_t)addrs[i + j];
			remote[j].iov_len = size;
		}
		n = process_vm_readv(pid, local, batch, remote, batch, 0);
		if (n < 0 && errno == ESRCH)
			return -ESRCH;
		if (n < 0)
			n = 0;
		/* the kernel stops at the first remote range it cannot read */
		for (j = 0; j < (size_t)n / size; j++)
			ok[i + j] = true;
		good += j;
		i += j;
		if (j < batch) {
			ok[i] = false;
			i++;
		}
	}
	return good;
}

int target__read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

#define USER_FRAME_CACHE_MAX 65536

struct user_frame {
	bool found;
	bool in_mapdelete;	/* one of the pc's frames is runtime.mapdelete* */
	struct tloc loc;
};

/*
 * Frames that are never a user's site: the runtime's, and package sync's,
 * whose sync.Map (Go <= 1.23) is made of runtime maps created in
 * (*Map).dirtyLocked and filled in (*Map).Store: the site a user wants is
 * the call into sync.Map, and every sync.Map would share one site otherwise.
 * internal/sync holds Go >= 1.24's HashTrieMap.
 */
static bool is_runtime(const char *fn)
{
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/runtime/", 17) ||
	       !strncmp(fn, "runtime/internal/", 17) || !strncmp(fn, "sync.", 5) ||
	       !strncmp(fn, "internal/sync.", 14);
}

static void drop_user_frames(struct target *t)
{
	size_t it = 0;
	void *v;

	while (u64map__next(&t->user_frames, &it, NULL, &v))
		free(v);
	u64map__fini(&t->user_frames);
}

void target__fini(struct target *t)
{
	drop_user_frames(t);
	free(t->exec.from);
	free(t->exec.to);
	t->exec.from = t->exec.to = NULL;
}

int target__exec(struct target *t, struct gobin *bin, uint64_t now_ns)
{
	char link[TARGET_PATH_MAX], exe[sizeof(t->exe)];
	ssize_t n;

	target__exe_link(t->pid, link, sizeof(link));
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	free(t->exec.from);
	free(t->exec.to);
	t->exec.from = strdup(t->exe);
	t->exec.to = strdup(exe);
	t->exec.cnt++;
	t->exec.at_ns = now_ns;
	t->exec.followed = bin != NULL;
	t->exec.why[0] = '\0';
	/* the old image's pcs mean nothing in the new one */
	drop_user_frames(t);
	if (!bin) {
		t->exited = true;
		return 0;
	}
	t->bin = bin;
	snprintf(t->exe, sizeof(t->exe), "%s", exe);
	target__refresh_comm(t);
	t->bias = 0;
	t->bias_known = false;
	t->exited = false;
	t->exit_status = -1;
	target__resolve_bias(t);
	return 0;
}

/* What one stack pc says, symbolized once and cached; NULL when unknown yet. */
static const struct user_frame *user_frame_of(struct target *t, uint64_t pc, bool ret_addr)
{
	uint64_t key = pc ^ ((uint64_t)ret_addr << 63);
	struct user_frame *uf = u64map__get(&t->user_frames, key);
	struct pcln_frame fr[16];
	int n, k;

	if (uf)
		return uf;
	if (!t->bias_known)
		return NULL;	/* not cached: the answer may change */
	uf = calloc(1, sizeof(*uf));
	if (!uf)
		return NULL;
	n = target__symbolize(t, pc, ret_addr, fr, 16);
	for (k = 0; k < n; k++) {
		if (!fr[k].function)
			continue;
		if (!strncmp(fr[k].function, "runtime.mapdelete", 17))
			uf->in_mapdelete = true;
		if (is_runtime(fr[k].function))
			continue;
		uf->found = true;
		uf->loc = (struct tloc){ fr[k].function, fr[k].file, fr[k].line };
		break;
	}
	/* bounded: a process with endless distinct pcs starts over */
	if (t->user_frames.cnt >= USER_FRAME_CACHE_MAX)
		drop_user_frames(t);
	if (u64map__set(&t->user_frames, key, uf)) {
		free(uf);
		return NULL;
	}
	return uf;
}

bool target__user_frame(struct target *t, uint64_t pc, bool ret_addr, struct tloc *loc)
{
	const struct user_frame *uf = user_frame_of(t, pc, ret_addr);

	if (!uf || !uf->found)
		return false;
	*loc = uf->loc;
	return true;
}

bool target__in_mapdelete(struct target *t, uint64_t pc, bool ret_addr)
{
	const struct user_frame *uf = user_frame_of(t, pc, ret_addr);

	return uf && uf->in_mapdelete;
}

int target__symbolize(const struct target *t, uint64_t pc, bool ret_addr,
		      struct pcln_frame *frames, int max)
{
	int n;

	if (!t->bias_known || pc < t->bias)
		return 0;
	pc -= t->bias;
	if (ret_addr && pc)
		pc--;
	n = pclntab__symbolize(t->bin->tab, pc, frames, max);
	return n < 0 ? 0 : n;
}
