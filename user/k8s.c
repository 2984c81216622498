// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "k8s.h"

/*
 * The kernel prints at most one PATH_MAX path per hierarchy, and v1 nodes
 * mount about a dozen; a file larger than this is cut at its last newline.
 */
#define CGROUP_FILE_MAX (64 * 1024)

enum match {
	MATCH_NONE = 0,
	MATCH_CONTAINER,	/* container id, pod above the namespace root */
	MATCH_POD,		/* pod uid and container id */
};

struct pod_ent {
	char uid[K8S_UID_LEN + 1];
	char ns[64];
	char pod[254];
	char sole[64];		/* the pod's only container log dir; "" if not one */
	bool sole_done;		/* sole is read lazily: most lookups never need it */
};

struct ctr_ent {
	char id[K8S_ID_LEN + 1];
	char uid[K8S_UID_LEN + 1];	/* from the symlink target; "" if unreadable */
	char ns[64];
	char pod[254];
	char name[64];
};

struct k8s_resolver {
	char *proc_root, *pods_dir, *ctrs_dir;
	size_t max_pods, max_ctrs;
	uint64_t rescan_ns;
	bool scanned;
	uint64_t last_scan_ns;
	struct pod_ent *pods;	/* sorted by uid */
	size_t pod_cnt;
	struct ctr_ent *ctrs;	/* sorted by id */
	size_t ctr_cnt;
	struct k8s_stats stats;
	char buf[CGROUP_FILE_MAX];
};

/* Only what the runtimes and kubelet print: lower-case hex. */
static bool is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool starts(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);

	return n >= pn && memcmp(s, p, pn) == 0;
}

static bool ends(const char *s, size_t n, const char *p)
{
	size_t pn = strlen(p);

	return n >= pn && memcmp(s + n - pn, p, pn) == 0;
}

/*
 * A pod uid written with sep where the API has dashes (the systemd driver
 * uses '_' because '-' means nesting in a slice name), or a static pod's 32
 * hex digits.  Writes the API form.
 */
static bool parse_uid(const char *s, size_t n, char sep, char *uid)
{
	size_t i;

	if (n == 32) {
		if (!is_hex(s, n))
			return false;
		memcpy(uid, s, n);
		uid[n] = '\0';
		return true;
	}
	if (n != K8S_UID_LEN)
		return false;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != sep)
				return false;
			uid[i] = '-';
		} else {
			if (!is_hex(s + i, 1))
				return false;
			uid[i] = s[i];
		}
	}
	uid[n] = '\0';
	return true;
}

static bool pod_component(const char *s, size_t n, char *uid)
{
	static const size_t lens[] = { K8S_UID_LEN, 32 };
	size_t i, l;

	/* cgroupfs driver: pod<uid> */
	if (starts(s, n, "pod") && parse_uid(s + 3, n - 3, '-', uid))
		return true;
	/*
	 * systemd driver: a slice's name spells out its parents, so the pod's
	 * is <...kubepods...>-pod<uid>.slice wherever the kubelet's root is
	 * (kind nodes use kubelet-kubepods-...).
	 */
	if (!ends(s, n, ".slice"))
		return false;
	n -= strlen(".slice");
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		l = lens[i];
		if (n < l + 4 || memcmp(s + n - l - 4, "-pod", 4) != 0)
			continue;
		if (!memmem(s, n - l - 4, "kubepods", 8))
			continue;
		if (parse_uid(s + n - l, l, '_', uid))
			return true;
	}
	return false;
}

static bool container_component(const char *s, size_t n, char *id, char *runtime)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} forms[] = {
		{ "", "", "" },		/* cgroupfs driver: containerd or docker */
		{ "cri-containerd-", ".scope", "containerd" },
		{ "crio-", ".scope", "crio" },
		{ "crio-", "", "crio" },	/* cri-o with the cgroupfs driver */
		{ "docker-", ".scope", "docker" },
	};
	size_t i, pn;

	/* crio-conmon-<id>.scope is cri-o's monitor, not the container: no form fits it. */
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		pn = strlen(forms[i].prefix);
		if (n != pn + K8S_ID_LEN + strlen(forms[i].suffix))
			continue;
		if (!starts(s, n, forms[i].prefix) || !ends(s, n, forms[i].suffix))
			continue;
		if (!is_hex(s + pn, K8S_ID_LEN))
			continue;
		memcpy(id, s + pn, K8S_ID_LEN);
		id[K8S_ID_LEN] = '\0';
		strcpy(runtime, forms[i].runtime);
		return true;
	}
	return false;
}

/*
 * Everything left of the leftmost pod cgroup is the kubelet's, and the
 * container's cgroup is that pod's direct child; anything deeper is the
 * container's own business and may be crafted, so it is never looked at.
 * When a cgroup namespace hides the pod (a sibling container of the
 * reader's own pod shows as /../<container>), the container alone is kept.
 */
static enum match parse_line(const char *l, size_t n, struct k8s_ident *id)
{
	const char *p, *end = l + n, *c, *ce;
	bool leading = true, after_dots = false, in_pod = false;
	char uid[K8S_UID_LEN + 1];

	if (memchr(l, '\0', n))
		return MATCH_NONE;
	/* hierarchy-id:controllers:path; the path may itself hold ':' */
	p = memchr(l, ':', n);
	if (!p || p == l)
		return MATCH_NONE;
	for (c = l; c < p; c++)
		if (*c < '0' || *c > '9')
			return MATCH_NONE;
	p = memchr(p + 1, ':', end - p - 1);
	if (!p || p + 1 >= end || p[1] != '/')
		return MATCH_NONE;
	for (c = p + 1; c < end; c = ce) {
		while (c < end && *c == '/')
			c++;
		if (c >= end)
			break;
		ce = memchr(c, '/', end - c);
		if (!ce)
			ce = end;
		if (in_pod) {
			if (!container_component(c, ce - c, id->container_id, id->runtime))
				return MATCH_NONE;
			strcpy(id->pod_uid, uid);
			return MATCH_POD;
		}
		if (leading && ce - c == 2 && c[0] == '.' && c[1] == '.') {
			after_dots = true;
			continue;
		}
		if (leading && after_dots &&
		    container_component(c, ce - c, id->container_id, id->runtime))
			return MATCH_CONTAINER;
		leading = false;
		in_pod = pod_component(c, ce - c, uid);
	}
	return MATCH_NONE;
}

int k8s__parse_cgroup(const char *buf, size_t len, struct k8s_ident *out)
{
	struct k8s_ident line, partial;
	bool have_partial = false;
	const char *p, *end, *nl;
	enum match m;
	int err = -ENOENT;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!buf)
		return -EINVAL;
	p = buf;
	end = buf + len;
	memset(&partial, 0, sizeof(partial));
	while (p < end) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		memset(&line, 0, sizeof(line));
		m = parse_line(p, nl - p, &line);
		if (m == MATCH_POD) {
			*out = line;
			err = 0;
			goto cleanup;
		}
		if (m == MATCH_CONTAINER && !have_partial) {
			partial = line;
			have_partial = true;
		}
		p = nl + 1;
	}
	if (have_partial) {
		*out = partial;
		err = 0;
	}
cleanup:
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct k8s_resolver *k8s_resolver__new(const struct k8s_opts *opts)
{
	struct k8s_opts o = { 0 };
	struct k8s_resolver *r;

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	r = calloc(1, sizeof(*r));
	if (!r)
		goto err_out;
	r->proc_root = strdup(o.proc_root ? o.proc_root : "/proc");
	r->pods_dir = strdup(o.pods_log_dir ? o.pods_log_dir : "/var/log/pods");
	r->ctrs_dir = strdup(o.containers_log_dir ? o.containers_log_dir : "/var/log/containers");
	if (!r->proc_root || !r->pods_dir || !r->ctrs_dir)
		goto err_out;
	r->max_pods = o.max_pods ? o.max_pods : 4096;
	r->max_ctrs = o.max_containers ? o.max_containers : 16384;
	r->rescan_ns = (uint64_t)(o.min_rescan_ms ? o.min_rescan_ms : 1000) * 1000000ULL;
	return r;
err_out:
	k8s_resolver__free(r);
	errno = ENOMEM;
	return NULL;
}

void k8s_resolver__free(struct k8s_resolver *r)
{
	if (!r)
		return;
	free(r->proc_root);
	free(r->pods_dir);
	free(r->ctrs_dir);
	free(r->pods);
	free(r->ctrs);
	free(r);
}

const struct k8s_stats *k8s_resolver__stats(const struct k8s_resolver *r)
{
	return &r->stats;
}

/*
 * Names as the API server admits them (DNS-1123), so a label value can
 * never carry anything a metrics consumer must escape.
 */
static bool dns_name(const char *s, size_t n, size_t max, bool dots)
{
	size_t i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-')
			continue;
		if (dots && s[i] == '.')
			continue;
		return false;
	}
	return true;
}

static void copy_n(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* <namespace>_<pod>_<uid>: neither name may hold '_', so the split is unique. */
static bool parse_pod_dir(const char *s, size_t n, struct pod_ent *e)
{
	const char *u1 = memchr(s, '_', n), *u2 = memrchr(s, '_', n);

	if (!u1 || u1 == u2)
		return false;
	if (!dns_name(s, u1 - s, 63, false) || !dns_name(u1 + 1, u2 - u1 - 1, 253, true))
		return false;
	if (!parse_uid(u2 + 1, s + n - u2 - 1, '-', e->uid))
		return false;
	copy_n(e->ns, s, u1 - s);
	copy_n(e->pod, u1 + 1, u2 - u1 - 1);
	return true;
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pod_ent *)a)->uid, ((const struct pod_ent *)b)->uid);
}

static int cmp_ctr(const void *a, const void *b)
{
	return strcmp(((const struct ctr_ent *)a)->id, ((const struct ctr_ent *)b)->id);
}

/* Append to a growing array, up to max entries; NULL when full or out of memory. */
static void *grow(void **arr, size_t *cnt, size_t *cap, size_t max, size_t elem)
{
	size_t ncap;
	void *n;

	if (*cnt >= max)
		return NULL;
	if (*cnt == *cap) {
		ncap = *cap ? *cap * 2 : 64;
		if (ncap > max)
			ncap = max;
		n = realloc(*arr, ncap * elem);
		if (!n)
			return NULL;
		*arr = n;
		*cap = ncap;
	}
	return (char *)*arr + (*cnt)++ * elem;
}

static void scan_pods(struct k8s_resolver *r)
{
	struct pod_ent *arr = NULL, *e, tmp;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(r->pods_dir);
	if (!d)
		goto cleanup;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		memset(&tmp, 0, sizeof(tmp));
		if (!parse_pod_dir(de->d_name, strlen(de->d_name), &tmp))
			continue;
		e = grow((void **)&arr, &cnt, &cap, r->max_pods, sizeof(*arr));
		if (!e) {
			r->stats.dropped++;
			continue;
		}
		*e = tmp;
	}
	closedir(d);
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_pod);
cleanup:
	free(r->pods);
	r->pods = arr;
	r->pod_cnt = cnt;
}

/*
 * The symlink points at <pods_log_dir>/<ns>_<pod>_<uid>/<container>/N.log;
 * only its last three components are read, so where the directories are
 * mounted in this container does not matter.
 */
static void uid_from_target(const char *t, size_t n, struct ctr_ent *e)
{
	size_t slash[3], start, i = n, found = 0;
	struct pod_ent pe = { 0 };
	size_t clen = strlen(e->name);

	while (i > 0 && found < 3) {
		i--;
		if (t[i] == '/')
			slash[found++] = i;
	}
	/* a relative target may begin with the pod directory itself */
	if (found == 2)
		start = 0;
	else if (found == 3)
		start = slash[2] + 1;
	else
		return;
	/* <start>dir / container / N.log, slash[1] and slash[0] between them */
	if (!parse_pod_dir(t + start, slash[1] - start, &pe))
		return;
	if (strcmp(pe.ns, e->ns) || strcmp(pe.pod, e->pod))
		return;
	if (slash[0] - slash[1] - 1 != clen || memcmp(t + slash[1] + 1, e->name, clen))
		return;
	strcpy(e->uid, pe.uid);
}

/* <pod>_<namespace>_<container>-<id>.log */
static bool parse_ctr_link(const char *s, size_t n, struct ctr_ent *e)
{
	const char *u1, *u2, *id;

	if (!ends(s, n, ".log") || n < 4 + K8S_ID_LEN + 1 + 5)
		return false;
	n -= 4;
	id = s + n - K8S_ID_LEN;
	if (id[-1] != '-' || !is_hex(id, K8S_ID_LEN))
		return false;
	n -= K8S_ID_LEN + 1;
	u1 = memchr(s, '_', n);
	u2 = memrchr(s, '_', n);
	if (!u1 || u1 == u2)
		return false;
	if (!dns_name(s, u1 - s, 253, true) || !dns_name(u1 + 1, u2 - u1 - 1, 63, false) ||
	    !dns_name(u2 + 1, s + n - u2 - 1, 63, false))
		return false;
	copy_n(e->pod, s, u1 - s);
	copy_n(e->ns, u1 + 1, u2 - u1 - 1);
	copy_n(e->name, u2 + 1, s + n - u2 - 1);
	copy_n(e->id, id, K8S_ID_LEN);
	return true;
}

static void scan_ctrs(struct k8s_resolver *r)
{
	struct ctr_ent *arr = NULL, *e, tmp;
	size_t cnt = 0, cap = 0;
	char target[4096];
	struct dirent *de;
	ssize_t tn;
	DIR *d;

	d = opendir(r->ctrs_dir);
	if (!d)
		goto cleanup;
	while ((de = readdir(d))) {
		memset(&tmp, 0, sizeof(tmp));
		if (!parse_ctr_link(de->d_name, strlen(de->d_name), &tmp))
			continue;
		tn = readlinkat(dirfd(d), de->d_name, target, sizeof(target));
		if (tn > 0 && (size_t)tn < sizeof(target))
			uid_from_target(target, tn, &tmp);
		e = grow((void **)&arr, &cnt, &cap, r->max_ctrs, sizeof(*arr));
		if (!e) {
			r->stats.dropped++;
			continue;
		}
		*e = tmp;
	}
	closedir(d);
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_ctr);
cleanup:
	free(r->ctrs);
	r->ctrs = arr;
	r->ctr_cnt = cnt;
}

static void rescan(struct k8s_resolver *r)
{
	r->stats.scans++;
	r->stats.dropped = 0;
	scan_pods(r);
	scan_ctrs(r);
	r->scanned = true;
	r->last_scan_ns = now_ns();
}

static void pod_sole_container(struct k8s_resolver *r, struct pod_ent *p)
{
	char path[4096], only[64] = "";
	struct dirent *de;
	struct stat st;
	int n, found = 0;
	size_t l;
	DIR *d;

	p->sole_done = true;
	n = snprintf(path, sizeof(path), "%s/%s_%s_%s", r->pods_dir, p->ns, p->pod, p->uid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && found < 2) {
		l = strlen(de->d_name);
		if (!dns_name(de->d_name, l, 63, false))
			continue;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
				continue;
		} else if (de->d_type != DT_DIR) {
			continue;
		}
		if (!found++)
			copy_n(only, de->d_name, l);
	}
	closedir(d);
	if (found == 1)
		strcpy(p->sole, only);
}

/* Fill names from the indexes; true when nothing is missing. */
static bool resolve(struct k8s_resolver *r, struct k8s_ident *id)
{
	struct ctr_ent ckey, *c = NULL;
	struct pod_ent pkey, *p = NULL;

	id->namespace[0] = id->pod[0] = id->container[0] = '\0';
	strcpy(ckey.id, id->container_id);
	if (r->ctr_cnt)
		c = bsearch(&ckey, r->ctrs, r->ctr_cnt, sizeof(*c), cmp_ctr);
	/* ids are random, so a disagreement means a stale or forged link: the kernel wins */
	if (c && id->pod_uid[0] && c->uid[0] && strcmp(c->uid, id->pod_uid))
		c = NULL;
	if (c && !id->pod_uid[0])
		strcpy(id->pod_uid, c->uid);
	if (id->pod_uid[0] && r->pod_cnt) {
		strcpy(pkey.uid, id->pod_uid);
		p = bsearch(&pkey, r->pods, r->pod_cnt, sizeof(*p), cmp_pod);
	}
	if (p) {
		strcpy(id->namespace, p->ns);
		strcpy(id->pod, p->pod);
	} else if (c) {
		strcpy(id->namespace, c->ns);
		strcpy(id->pod, c->pod);
	}
	if (c) {
		strcpy(id->container, c->name);
	} else if (p) {
		if (!p->sole_done)
			pod_sole_container(r, p);
		strcpy(id->container, p->sole);
	}
	return id->pod_uid[0] && id->namespace[0] && id->pod[0] && id->container[0];
}

static int read_cgroup(struct k8s_resolver *r, pid_t pid, size_t *len)
{
	char path[4096];
	size_t got = 0;
	ssize_t n;
	int fd = -1, err = 0;

	n = snprintf(path, sizeof(path), "%s/%d/cgroup", r->proc_root, (int)pid);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		err = -ENAMETOOLONG;
		goto cleanup;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	while (got < sizeof(r->buf)) {
		n = read(fd, r->buf + got, sizeof(r->buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		got += n;
	}
	/* A cut line could end exactly where a real id would be valid. */
	if (got == sizeof(r->buf)) {
		while (got && r->buf[got - 1] != '\n')
			got--;
	}
	*len = got;
cleanup:
	if (fd >= 0)
		close(fd);
	return err;
}

int k8s_resolver__lookup(struct k8s_resolver *r, pid_t pid, struct k8s_ident *out)
{
	struct k8s_ident id;
	size_t len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	r->stats.lookups++;
	err = read_cgroup(r, pid, &len);
	if (err)
		goto cleanup;
	err = k8s__parse_cgroup(r->buf, len, &id);
	if (err)
		goto cleanup;
	/* A pod started since the last scan; a burst of them costs one scan. */
	if (!resolve(r, &id) && (!r->scanned || now_ns() - r->last_scan_ns >= r->rescan_ns)) {
		rescan(r);
		resolve(r, &id);
	}
	if (!id.pod_uid[0]) {
		err = -ENOENT;
		goto cleanup;
	}
	*out = id;
	r->stats.attributed++;
cleanup:
	return err;
}
