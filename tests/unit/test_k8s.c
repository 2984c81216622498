// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/k8s.c: /proc/PID/cgroup lines as every driver and
 * runtime writes them, hostile and broken ones, and lookups against a fake
 * node (proc root, /var/log/pods, /var/log/containers) in a temp dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "k8s.h"
#include "cases.h"

#define ID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID3 "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
#define UID  "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
#define UID_ "1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d"
#define UID2  "99999999-8888-7777-6666-555555555555"
#define UID2_ "99999999_8888_7777_6666_555555555555"
#define SUID "0f1e2d3c4b5a69788796a5b4c3d2e1f0"	/* static pod: md5 hex */

/* ---- parser ---------------------------------------------------------- */

/*
 * One /proc/PID/cgroup text and what it names: the pod uid, the container
 * id and the runtime, or nothing (cid NULL: -ENOENT and an all-zero ident).
 * Namespace, pod and container names never come from the path.
 */
struct cg_case {
	const char *name;
	const char *in;
	const char *uid, *cid, *rt;
};

#define OK(name, in, uid, cid, rt) { name, in, uid, cid, rt }
#define NO(name, in) { name, in, NULL, NULL, NULL }

/* ID cut short, one char too many, an upper-case digit, a non-hex one */
#define ID63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define ID_UPPER "0123456789Abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_G "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/*
 * What a real node wrote (kubelet cgroupfs driver, containerd 1.6, runc, on
 * this machine kind's v1/v2 hybrid hierarchy): every v1 controller line and
 * the unified "0::" line carry the same path, with the runtime's bare
 * 64-hex id as the container cgroup and no runtime prefix.
 */
#define REAL_NODE(path) \
	"9:name=systemd:" path "\n8:pids:" path "\n7:blkio:" path "\n6:freezer:" path "\n" \
	"5:devices:" path "\n4:memory:" path "\n3:cpuset:" path "\n2:cpuacct:" path "\n" \
	"1:cpu:" path "\n0::" path "\n"

static const struct cg_case cg_cases[] = {
	OK("v1 cgroupfs: burstable, every controller",
	   "12:pids:/kubepods/burstable/pod" UID "/" ID "\n"
	   "11:hugetlb:/kubepods/burstable/pod" UID "/" ID "\n"
	   "4:memory:/kubepods/burstable/pod" UID "/" ID "\n"
	   "3:cpu,cpuacct:/kubepods/burstable/pod" UID "/" ID "\n"
	   "1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n",
	   UID, ID, ""),
	OK("v1 cgroupfs: besteffort", "9:memory:/kubepods/besteffort/pod" UID "/" ID "\n", UID, ID, ""),
	OK("v1 cgroupfs: guaranteed", "4:memory:/kubepods/pod" UID "/" ID "\n", UID, ID, ""),
	OK("v1 systemd: docker",
	   "4:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/docker-" ID ".scope\n"
	   "1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/docker-" ID ".scope\n",
	   UID, ID, "docker"),
	OK("v2 systemd: containerd, burstable",
	   "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd"),
	OK("v2 systemd: containerd, besteffort",
	   "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	   ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd"),
	/* guaranteed pods sit right under kubepods.slice */
	OK("v2 systemd: containerd, guaranteed",
	   "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope\n",
	   UID, ID, "containerd"),
	OK("v2 systemd: cri-o",
	   "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/crio-" ID ".scope\n", UID, ID, "crio"),
	OK("v2 systemd: docker",
	   "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	   ".slice/docker-" ID ".scope\n", UID, ID, "docker"),
	NO("cri-o's conmon is no container",
	   "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/crio-conmon-" ID ".scope\n"),
	OK("v2 cgroupfs: burstable", "0::/kubepods/burstable/pod" UID "/" ID "\n", UID, ID, ""),
	OK("v2 cgroupfs: guaranteed", "0::/kubepods/pod" UID "/" ID "\n", UID, ID, ""),
	OK("v2 cgroupfs: cri-o prefix", "0::/kubepods/besteffort/pod" UID "/crio-" ID "\n", UID, ID,
	   "crio"),
	OK("static pod uid: cgroupfs", "0::/kubepods/burstable/pod" SUID "/" ID "\n", SUID, ID, ""),
	OK("static pod uid: systemd",
	   "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID
	   ".slice/cri-containerd-" ID ".scope\n", SUID, ID, "containerd"),
	/* the reader's own cgroup is a container in another pod */
	OK("cgroupns relative: a pod in another slice",
	   "0::/../../../kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	   ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd"),
	OK("cgroupns relative: cgroupfs", "0::/../../pod" UID "/" ID "\n", UID, ID, ""),
	/* a sibling container of the reader's pod: the pod is above the root */
	OK("cgroupns relative: a sibling container, systemd", "0::/../cri-containerd-" ID ".scope\n",
	   "", ID, "containerd"),
	OK("cgroupns relative: a sibling container, cgroupfs", "0::/../" ID "\n", "", ID, ""),
	/* the reader's own container, or nothing recognisable */
	NO("cgroupns relative: the reader's own", "0::/\n"),
	NO("cgroupns relative: only ..", "0::/../..\n"),
	NO("cgroupns relative: a service", "0::/../../system.slice/foo.service\n"),
	/* crun's "container" subgroup, or a container making its own cgroups */
	OK("nested inside a container: crun's subgroup",
	   "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	   ".slice/crio-" ID ".scope/container\n", UID, ID, "crio"),
	/* a process cannot claim another pod by nesting a look-alike below its own */
	OK("nested inside a container: a look-alike pod below (systemd)",
	   "0::/kubepods/burstable/pod" UID "/" ID "/kubepods-pod" UID2_
	   ".slice/docker-" ID2 ".scope\n", UID, ID, ""),
	OK("nested inside a container: a look-alike pod below (cgroupfs)",
	   "0::/kubepods/burstable/pod" UID "/" ID "/pod" UID2 "/" ID2 "\n", UID, ID, ""),
	/* Kubernetes in docker: the node itself is a docker container */
	OK("kind node",
	   "0::/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	   "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	   ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd"),
	OK("real node: burstable Deployment pod", REAL_NODE("/kubepods/burstable/pod" UID "/" ID),
	   UID, ID, ""),
	/* the pod cgroup sits right under /kubepods */
	OK("real node: guaranteed", REAL_NODE("/kubepods/pod" UID2 "/" ID2), UID2, ID2, ""),
	/* its uid is the 32-hex hash of its manifest */
	OK("real node: besteffort static pod", REAL_NODE("/kubepods/besteffort/pod" SUID "/" ID3),
	   SUID, ID3, ""),
	/* the pause container of the same pod is a container too */
	OK("real node: the pause container", REAL_NODE("/kubepods/besteffort/pod" SUID "/" ID),
	   SUID, ID, ""),
	/* the kubelet and containerd themselves are in no pod */
	NO("real node: the root", REAL_NODE("/")),
	NO("real node: /kubepods", REAL_NODE("/kubepods")),
	NO("real node: a QoS class", REAL_NODE("/kubepods/burstable")),
	NO("real node: a pod, no container", REAL_NODE("/kubepods/burstable/pod" UID)),
	NO("outside Kubernetes: a login session", "0::/user.slice/user-1000.slice/session-2.scope\n"),
	NO("outside Kubernetes: a docker container", "0::/system.slice/docker-" ID ".scope\n"),
	NO("outside Kubernetes: v1 docker", "4:memory:/docker/" ID "\n0::/\n"),
	NO("outside Kubernetes: a service", "0::/system.slice/containerd.service\n"),
	/* a slice shaped like a pod's but not the kubelet's */
	NO("outside Kubernetes: a pod-like slice",
	   "0::/foo.slice/foo-pod" UID_ ".slice/cri-containerd-" ID ".scope\n"),
	NO("outside Kubernetes: empty", ""),
	/* this machine's shape: v1 controllers plus the unified "0::/" line */
	OK("hybrid lines: v1 controllers and 0::/",
	   "9:name=systemd:/\n"
	   "4:memory:/kubepods/burstable/pod" UID "/" ID "\n"
	   "0::/\n", UID, ID, ""),
	/* a line naming a pod beats an earlier one naming only a container */
	OK("hybrid lines: a pod beats a container alone",
	   "0::/../" ID2 "\n4:memory:/kubepods/pod" UID "/" ID "\n", UID, ID, ""),
	/* otherwise the first line wins */
	OK("hybrid lines: the first wins",
	   "4:memory:/kubepods/pod" UID "/" ID "\n3:cpu:/kubepods/pod" UID2 "/" ID2 "\n", UID, ID, ""),
	OK("colons: in the controller list", "3:cpu,cpuacct:/kubepods/pod" UID "/" ID "\n", UID, ID, ""),
	OK("colons: in the path", "0::/kube:x/kubepods/pod" UID "/" ID "\n", UID, ID, ""),
	NO("bad id: 63 hex", "0::/kubepods/pod" UID "/" ID63 "\n"),
	NO("bad id: 65 hex", "0::/kubepods/pod" UID "/" ID "0\n"),
	NO("bad id: upper case", "0::/kubepods/pod" UID "/" ID_UPPER "\n"),
	NO("bad id: not hex", "0::/kubepods/pod" UID "/" ID_G "\n"),
	NO("bad id: 63 hex, systemd",
	   "0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID63 ".scope\n"),
	NO("bad id: no .scope", "0::/kubepods/pod" UID "/cri-containerd-" ID "\n"),
	NO("bad id: .scope and more", "0::/kubepods/pod" UID "/docker-" ID ".scopeX\n"),
	NO("bad id: a space before", "0::/kubepods/pod" UID "/ " ID "\n"),
	NO("bad uid: not hex", "0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6g/" ID "\n"),
	NO("bad uid: short", "0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6/" ID "\n"),
	NO("bad uid: long", "0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d0/" ID "\n"),
	NO("bad uid: a dash misplaced", "0::/kubepods/pod1a2b3c4d5-e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID "\n"),
	NO("bad uid: upper case", "0::/kubepods/pod1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D/" ID "\n"),
	/* each driver has its own separator */
	NO("bad uid: systemd's underscores under cgroupfs", "0::/kubepods/pod" UID_ "/" ID "\n"),
	NO("bad uid: cgroupfs's dashes under systemd",
	   "0::/kubepods.slice/kubepods-pod" UID ".slice/cri-containerd-" ID ".scope\n"),
	NO("bad uid: ..", "0::/kubepods/pod../" ID "\n"),
	NO("bad uid: empty", "0::/kubepods/pod/" ID "\n"),
	NO("bad uid: 33 hex", "0::/kubepods/pod" SUID "0/" ID "\n"),
	NO("bad uid: empty, systemd", "0::/kubepods.slice/kubepods-pod.slice/cri-containerd-" ID ".scope\n"),
	NO("bad uid: a pod slice not under kubepods",
	   "0::/kubepods.slice/pod" UID_ ".slice/cri-containerd-" ID ".scope\n"),
	/* the process sits in the pod cgroup itself */
	NO("bad line: in the pod cgroup", "0::/kubepods/burstable/pod" UID "\n"),
	NO("bad line: in the pod cgroup, trailing /", "0::/kubepods/burstable/pod" UID "/\n"),
	/* truncated anywhere */
	NO("bad line: cut in the id", "0::/kubepods/burstable/pod" UID "/0123456789abcdef0123456789\n"),
	NO("bad line: cut in the uid", "0::/kubepods/burstable/pod1a2b3c4d-5e6f"),
	NO("bad line: 0::", "0::"),
	NO("bad line: 0:", "0:"),
	NO("bad line: :", ":"),
	NO("bad line: newlines only", "\n\n\n"),
	/* malformed prefixes */
	NO("bad line: no hierarchy id", "::/kubepods/pod" UID "/" ID "\n"),
	NO("bad line: a hierarchy id not a number", "x::/kubepods/pod" UID "/" ID "\n"),
	NO("bad line: one colon", "0:/kubepods/pod" UID "/" ID "\n"),
	NO("bad line: a relative path", "0::kubepods/pod" UID "/" ID "\n"),
	NO("bad line: no prefix", "/kubepods/pod" UID "/" ID "\n"),
	/* the pod's cgroup must be the container's parent */
	NO("bad line: a cgroup between pod and container", "0::/kubepods/pod" UID "/extra/" ID "\n"),
	OK("no final newline", "0::/kubepods/pod" UID "/" ID, UID, ID, ""),
	OK("no final newline, after a line", "1:cpu:/\n0::/kubepods/pod" UID "/" ID, UID, ID, ""),
	OK("CRLF: the second line, without its newline",
	   "0::/kubepods/pod" UID "/" ID "\r\n" "0::/kubepods/pod" UID2 "/" ID2, UID2, ID2, ""),
};

static int parse(const char *s, struct k8s_ident *id)
{
	return k8s__parse_cgroup(s, strlen(s), id);
}

static void test_cgroup(void **state)
{
	const struct cg_case *c = CASE(struct cg_case, state);
	struct k8s_ident id, zero;

	memset(&id, 0x5a, sizeof(id));
	if (!c->cid) {
		memset(&zero, 0, sizeof(zero));
		assert_int_equal(parse(c->in, &id), -ENOENT);
		assert_memory_equal(&id, &zero, sizeof(id));
		return;
	}
	assert_int_equal(parse(c->in, &id), 0);
	assert_string_equal(id.pod_uid, c->uid);
	assert_string_equal(id.container_id, c->cid);
	assert_string_equal(id.runtime, c->rt);
	assert_string_equal(id.namespace, "");
	assert_string_equal(id.pod, "");
	assert_string_equal(id.container, "");
}

static void test_nul_bytes(void **state)
{
	static const char withnul[] = "0::/kubepods/pod" UID "/" ID "\0\n";
	static const char midnul[] = "0::/kubepods/pod" UID "/0123\0" "56789abcdef0123456789abcdef"
				     "0123456789abcdef0123456789abcdef\n";
	static const char before[] = "0::/\0garbage\n0::/kubepods/pod" UID "/" ID "\n";
	struct k8s_ident id;

	assert_int_equal(k8s__parse_cgroup(withnul, sizeof(withnul) - 1, &id), -ENOENT);
	assert_int_equal(k8s__parse_cgroup(midnul, sizeof(midnul) - 1, &id), -ENOENT);
	assert_int_equal(k8s__parse_cgroup(before, sizeof(before) - 1, &id), 0);
	assert_string_equal(id.container_id, ID);
	/* the terminator counted in len is part of the last line */
	assert_int_equal(k8s__parse_cgroup(withnul, sizeof(withnul) - 2, &id), -ENOENT);
	assert_int_equal(k8s__parse_cgroup("0::/kubepods/pod" UID "/" ID, sizeof("0::/kubepods/pod" UID "/" ID), &id), -ENOENT);
}

static void test_len_bounds(void **state)
{
	static const char s[] = "0::/kubepods/pod" UID "/" ID "\n";
	struct k8s_ident id;
	char *heap;
	size_t n = strlen(s), cut;

	/* every prefix, on the heap so ASan sees a read past len */
	for (cut = 0; cut < n; cut++) {
		heap = malloc(cut ? cut : 1);
		assert_non_null(heap);
		memcpy(heap, s, cut);
		assert_int_equal(k8s__parse_cgroup(heap, cut, &id), cut >= n - 1 ? 0 : -ENOENT);
		free(heap);
	}
}

static void test_huge_lines(void **state)
{
	size_t big = 1 << 20, n;
	struct k8s_ident id;
	char *buf = malloc(big + 512);

	assert_non_null(buf);
	/* one enormous component, then an enormous run of them */
	memcpy(buf, "0::/", 4);
	memset(buf + 4, 'a', big);
	n = 4 + big;
	assert_int_equal(k8s__parse_cgroup(buf, n, &id), -ENOENT);
	for (n = 4; n < big; n += 2)
		memcpy(buf + n, "a/", 2);
	assert_int_equal(k8s__parse_cgroup(buf, n, &id), -ENOENT);
	/* an oversized would-be id directly under a pod */
	n = (size_t)sprintf(buf, "0::/kubepods/pod" UID "/");
	memset(buf + n, 'a', big);
	assert_int_equal(k8s__parse_cgroup(buf, n + big, &id), -ENOENT);
	/* a valid line after a huge one */
	buf[n + big - 1] = '\n';
	n += big;
	n += (size_t)sprintf(buf + n, "0::/kubepods/pod" UID "/" ID "\n");
	assert_int_equal(k8s__parse_cgroup(buf, n, &id), 0);
	assert_string_equal(id.container_id, ID);
	/* a huge '..' run hiding a container */
	n = 3;
	memcpy(buf, "0::", 3);
	while (n < big)
		n += (size_t)sprintf(buf + n, "/..");
	n += (size_t)sprintf(buf + n, "/" ID);
	assert_int_equal(k8s__parse_cgroup(buf, n, &id), 0);
	assert_string_equal(id.pod_uid, "");
	free(buf);
}

static void test_null_args(void **state)
{
	struct k8s_ident id;

	assert_int_equal(k8s__parse_cgroup(NULL, 0, &id), -EINVAL);
	assert_int_equal(k8s__parse_cgroup("0::/", 4, NULL), -EINVAL);
	assert_int_equal(k8s__parse_cgroup("0::/", 0, &id), -ENOENT);
}

/* ---- resolver against a fake node ------------------------------------ */

/* short, so paths built from them never come near PATH_MAX */
struct node {
	char root[128];
	char proc[256], pods[256], ctrs[256];
	const void *row;	/* the table case, for table tests */
};

static void xmkdir(const char *fmt, ...)
{
	char path[PATH_MAX], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void set_cgroup(struct node *n, int pid, const char *text)
{
	char path[PATH_MAX];

	xmkdir("%s/%d", n->proc, pid);
	snprintf(path, sizeof(path), "%s/%d/cgroup", n->proc, pid);
	write_file(path, text, strlen(text));
}

/* What the kubelet leaves: the pod's log dir, and the container's link when id != NULL. */
static void add_container(struct node *n, const char *ns, const char *pod, const char *uid,
			  const char *ctr, const char *id)
{
	char log[PATH_MAX], link[PATH_MAX];

	xmkdir("%s/%s_%s_%s/%s", n->pods, ns, pod, uid, ctr);
	snprintf(log, sizeof(log), "%s/%s_%s_%s/%s/0.log", n->pods, ns, pod, uid, ctr);
	write_file(log, "", 0);
	if (!id)
		return;
	xmkdir("%s", n->ctrs);
	snprintf(link, sizeof(link), "%s/%s_%s_%s-%s.log", n->ctrs, pod, ns, ctr, id);
	assert_int_equal(symlink(log, link), 0);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int node_setup(void **state)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return -1;
	snprintf(n->root, sizeof(n->root), "%s/gm-k8s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(n->root))
		return -1;
	snprintf(n->proc, sizeof(n->proc), "%s/proc", n->root);
	snprintf(n->pods, sizeof(n->pods), "%s/var/log/pods", n->root);
	snprintf(n->ctrs, sizeof(n->ctrs), "%s/var/log/containers", n->root);
	mkdir(n->proc, 0755);
	*state = n;
	return 0;
}

static int node_teardown(void **state)
{
	struct node *n = *state;

	nftw(n->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(n);
	return 0;
}

static struct k8s_resolver *resolver(struct node *n, unsigned int rescan_ms)
{
	struct k8s_opts o = {
		.sz = sizeof(o),
		.proc_root = n->proc,
		.pods_log_dir = n->pods,
		.containers_log_dir = n->ctrs,
		.min_rescan_ms = rescan_ms,
	};
	struct k8s_resolver *r = k8s_resolver__new(&o);

	assert_non_null(r);
	return r;
}

static void assert_ident(const struct k8s_ident *id, const char *ns, const char *pod,
			 const char *ctr, const char *uid, const char *cid)
{
	assert_string_equal(id->namespace, ns);
	assert_string_equal(id->pod, pod);
	assert_string_equal(id->container, ctr);
	assert_string_equal(id->pod_uid, uid);
	assert_string_equal(id->container_id, cid);
}

#define V2_CONTAINERD(uid_, id) \
	"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" uid_ \
	".slice/cri-containerd-" id ".scope\n"

/*
 * A fake node (proc root, /var/log/pods, /var/log/containers) and lookups
 * against it.  Node items, in order: a container the kubelet logs (its
 * pod's log dir and, with an id, its /var/log/containers link), a link in
 * /var/log/containers, a directory or file in /var/log/pods, a process's
 * cgroup file.
 */
enum nk { N_END = 0, N_CTR, N_LINK, N_PODDIR, N_PODFILE, N_CGROUP };

struct nitem {
	enum nk k;
	const char *a, *b, *c, *d, *e;
	int pid;
};

#define CTR(ns, pod, uid, ctr, id) { N_CTR, ns, pod, uid, ctr, id }
#define LINK(name, target) { N_LINK, name, target }
#define PODDIR(name) { N_PODDIR, name }
#define PODFILE(name) { N_PODFILE, name }
#define CGROUP(p, text) { N_CGROUP, text, .pid = (p) }

/*
 * rc 0: the ident is ns, pod, ctr, uid, cid (and runtime rt unless NULL);
 * else the error, and an all-zero ident (zero) or an empty container id.
 */
struct lookup {
	int pid, rc;
	const char *ns, *pod, *ctr, *uid, *cid, *rt;
	bool zero;
};

struct node_case {
	const char *name;
	struct nitem items[16];
	struct lookup lookups[3];
	int scans, attributed;	/* the resolver's counters after; -1: not checked */
};

static const struct node_case node_cases[] = {
	{
		"lookup: pod, namespace and container from the logs",
		{
			CTR("shop", "cart-7d9f8b6c5-x2x4z", UID, "istio-init", ID3),
			CTR("shop", "cart-7d9f8b6c5-x2x4z", UID, "cart", ID),
			CTR("shop", "cart-7d9f8b6c5-x2x4z", UID, "istio-proxy", ID2),
			CGROUP(100, V2_CONTAINERD(UID_, ID)),
			CGROUP(101, "0::/kubepods/burstable/pod" UID "/" ID2 "\n"),
		},
		{
			{ 100, 0, "shop", "cart-7d9f8b6c5-x2x4z", "cart", UID, ID, "containerd" },
			{ 101, 0, "shop", "cart-7d9f8b6c5-x2x4z", "istio-proxy", UID, ID2, "" },
		},
		.scans = 1, .attributed = 2,
	},
	{
		/* no /var/log/containers link: the pod's only container names it */
		"lookup: the pod's sole container names it",
		{
			CTR("kube-system", "coredns-5d78c9869d-abcde", UID, "coredns", NULL),
			CGROUP(7, "0::/kubepods/burstable/pod" UID "/" ID "\n"),
		},
		{ { 7, 0, "kube-system", "coredns-5d78c9869d-abcde", "coredns", UID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		/* two containers, neither linked: pod known, container not guessed */
		"lookup: two containers unlinked: the container is not guessed",
		{
			CTR("default", "web-0", UID, "web", NULL),
			CTR("default", "web-0", UID, "sidecar", NULL),
			CGROUP(8, V2_CONTAINERD(UID_, ID)),
		},
		{ { 8, 0, "default", "web-0", "", UID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		"lookup: no log directories: ids only",
		{ CGROUP(9, V2_CONTAINERD(UID_, ID)) },
		{ { 9, 0, "", "", "", UID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		"lookup: a static pod",
		{
			CTR("kube-system", "kube-apiserver-node1.example.com", SUID, "kube-apiserver", ID),
			CGROUP(10, "0::/kubepods/burstable/pod" SUID "/" ID "\n"),
		},
		{ { 10, 0, "kube-system", "kube-apiserver-node1.example.com", "kube-apiserver", SUID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		"lookup: processes outside Kubernetes: nothing named, nothing scanned",
		{
			CTR("shop", "cart", UID, "cart", ID),
			CGROUP(11, "0::/user.slice/user-1000.slice/session-2.scope\n"),
			CGROUP(12, "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			       UID_ ".slice/crio-conmon-" ID ".scope\n"),
		},
		{ { 11, -ENOENT, .zero = true }, { 12, -ENOENT, .zero = true } },
		.scans = 0, .attributed = -1,
	},
	{
		"lookup: a process that is gone",
		{ { N_END } },
		{ { 4242, -ESRCH } },
		.scans = -1, .attributed = -1,
	},
	{
		/* the link's target gives the pod uid the path hid */
		"lookup: the pod above the cgroup namespace, from the link",
		{
			CTR("mon", "gomaptrace-abcde", UID, "sidecar", ID),
			CGROUP(30, "0::/../cri-containerd-" ID ".scope\n"),
			CGROUP(31, "0::/../cri-containerd-" ID2 ".scope\n"),
		},
		{ { 30, 0, "mon", "gomaptrace-abcde", "sidecar", UID, ID }, { 31, -ENOENT } },
		.scans = -1, .attributed = -1,
	},
	{
		"lookup: a relative link",
		{
			CTR("a", "p", UID, "c", NULL),
			LINK("p_a_c-" ID ".log", "../pods/a_p_" UID "/c/0.log"),
			/* so the sole-dir fallback cannot help */
			CTR("a", "p", UID, "d", NULL),
			CGROUP(32, "0::/../" ID "\n"),
		},
		{ { 32, 0, "a", "p", "c", UID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		/* the link claims ID belongs to another pod: the cgroup path wins */
		"lookup: a forged link loses to the cgroup path",
		{
			CTR("victim", "bank", UID2, "vault", ID2),
			CTR("shop", "cart", UID, "cart", NULL),
			LINK("bank_victim_vault-" ID ".log", "/var/log/pods/victim_bank_" UID2 "/vault/0.log"),
			CGROUP(40, "0::/kubepods/pod" UID "/" ID "\n"),
		},
		{ { 40, 0, "shop", "cart", "cart", UID, ID } },
		.scans = -1, .attributed = -1,
	},
	{
		"lookup: junk in the log directories",
		{
			CTR("ns", "pod", UID, "main", NULL),
			PODDIR("Upper_pod_" UID2),
			PODDIR("ns_po_d_" UID2),
			PODDIR("ns_" UID2),
			PODDIR("ns_pod_" UID2_),
			PODDIR("_pod_" UID2),
			PODDIR("ns__" UID2),
			PODFILE("ns_file_" UID2),
			/* in the pod dir: a file and a dot dir do not count as containers */
			PODFILE("ns_pod_" UID "/stray.txt"),
			PODDIR("ns_pod_" UID "/.hidden"),
			LINK("pod_ns_main-" ID63 ".log", "/nowhere"),
			LINK("pod_ns_main_x-" ID ".log", "/nowhere"),
			LINK("pod_ns_WRONG-" ID ".log", "/nowhere"),
			LINK("pod_ns_main-" ID ".txt", "/nowhere"),
			CGROUP(50, "0::/kubepods/pod" UID "/" ID "\n"),
		},
		{ { 50, 0, "ns", "pod", "main", UID, ID } },
		.scans = -1, .attributed = -1,
	},
};

static int node_row_setup(void **state)
{
	const struct node_case *c = *state;
	int ret = node_setup(state);

	if (!ret)
		((struct node *)*state)->row = c;
	return ret;
}

static void test_lookup(void **state)
{
	struct node *n = *state;
	const struct node_case *c = n->row;
	const struct nitem *it;
	struct k8s_resolver *r;
	struct k8s_ident id, zero;
	char path[PATH_MAX];
	int i;

	for (it = c->items; it->k != N_END; it++) {
		switch (it->k) {
		case N_CTR:
			add_container(n, it->a, it->b, it->c, it->d, it->e);
			break;
		case N_LINK:
			xmkdir("%s", n->ctrs);
			snprintf(path, sizeof(path), "%s/%s", n->ctrs, it->a);
			assert_int_equal(symlink(it->b, path), 0);
			break;
		case N_PODDIR:
			xmkdir("%s/%s", n->pods, it->a);
			break;
		case N_PODFILE:
			snprintf(path, sizeof(path), "%s/%s", n->pods, it->a);
			write_file(path, "x", 1);
			break;
		case N_CGROUP:
			set_cgroup(n, it->pid, it->a);
			break;
		case N_END:
			break;
		}
	}
	memset(&zero, 0, sizeof(zero));
	r = resolver(n, 0);
	for (i = 0; i < 3 && c->lookups[i].pid; i++) {
		const struct lookup *l = &c->lookups[i];

		assert_int_equal(k8s_resolver__lookup(r, l->pid, &id), l->rc);
		if (!l->rc) {
			assert_ident(&id, l->ns, l->pod, l->ctr, l->uid, l->cid);
			if (l->rt)
				assert_string_equal(id.runtime, l->rt);
		} else if (l->zero) {
			assert_memory_equal(&id, &zero, sizeof(id));
		} else {
			assert_string_equal(id.container_id, "");
		}
	}
	if (c->scans >= 0)
		assert_int_equal(k8s_resolver__stats(r)->scans, c->scans);
	if (c->attributed >= 0)
		assert_int_equal(k8s_resolver__stats(r)->attributed, c->attributed);
	k8s_resolver__free(r);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * Misses rescan at most once per window.  On a loaded machine (two cores
 * shared with the rest of the suite, ASan) a burst can outlast a 50 ms
 * window, so the bound is taken from the time the burst really took: one
 * scan when it fit in the window, else at most one more per window elapsed.
 */
static void assert_scans_at_most(const struct k8s_resolver *r, uint64_t base, double t0,
				 double window_ms)
{
	double took = now_ms() - t0;
	uint64_t max = base + (took < window_ms ? 0 : (uint64_t)(took / window_ms) + 1);

	if (k8s_resolver__stats(r)->scans > max)
		fail_msg("%" PRIu64 " scans after a %.0f ms burst, at most %" PRIu64 " with a %.0f ms window",
			 k8s_resolver__stats(r)->scans, took, max, window_ms);
	assert_true(k8s_resolver__stats(r)->scans >= base);
}

static void test_lookup_rescan_rate(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r, *slow;
	struct k8s_ident id;
	double t0, t_slow;
	int i;

	set_cgroup(n, 20, V2_CONTAINERD(UID_, ID));
	r = resolver(n, 50);
	slow = resolver(n, 0);	/* default: once a second */
	t0 = now_ms();
	assert_int_equal(k8s_resolver__lookup(r, 20, &id), 0);
	assert_ident(&id, "", "", "", UID, ID);
	t_slow = now_ms();
	assert_int_equal(k8s_resolver__lookup(slow, 20, &id), 0);
	/* the pod's logs appear; a burst of lookups right after costs nothing */
	add_container(n, "shop", "cart", UID, "cart", ID);
	for (i = 0; i < 300; i++) {
		assert_int_equal(k8s_resolver__lookup(r, 20, &id), 0);
		assert_int_equal(k8s_resolver__lookup(slow, 20, &id), 0);
	}
	assert_scans_at_most(r, 1, t0, 50);
	assert_scans_at_most(slow, 1, t_slow, 1000);
	if (k8s_resolver__stats(r)->scans == 1)
		assert_string_equal(id.pod, "");
	usleep(70 * 1000);
	assert_int_equal(k8s_resolver__lookup(r, 20, &id), 0);
	assert_ident(&id, "shop", "cart", "cart", UID, ID);
	assert_true(k8s_resolver__stats(r)->scans >= 2);
	/* hits never rescan */
	uint64_t scans = k8s_resolver__stats(r)->scans;
	usleep(70 * 1000);
	for (i = 0; i < 300; i++)
		assert_int_equal(k8s_resolver__lookup(r, 20, &id), 0);
	assert_int_equal(k8s_resolver__stats(r)->scans, scans);
	assert_int_equal(k8s_resolver__lookup(slow, 20, &id), 0);
	assert_scans_at_most(slow, 1, t_slow, 1000);
	if (now_ms() - t_slow < 1000)
		assert_string_equal(id.pod, "");
	k8s_resolver__free(slow);
	k8s_resolver__free(r);
}

static void test_lookup_caps(void **state)
{
	struct node *n = *state;
	struct k8s_opts o = { .sz = sizeof(o), .max_pods = 2, .max_containers = 1 };
	struct k8s_resolver *r;
	struct k8s_ident id;
	char uid[K8S_UID_LEN + 1], cid[K8S_ID_LEN + 1];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(uid, sizeof(uid), "0000000%c-0000-0000-0000-000000000000", '0' + i);
		snprintf(cid, sizeof(cid), "%063d%c", 0, '0' + i);
		add_container(n, "ns", "pod", uid, "c", cid);
	}
	set_cgroup(n, 60, "0::/kubepods/pod00000003-0000-0000-0000-000000000000/"
		   "0000000000000000000000000000000000000000000000000000000000000003\n");
	o.proc_root = n->proc;
	o.pods_log_dir = n->pods;
	o.containers_log_dir = n->ctrs;
	r = k8s_resolver__new(&o);
	assert_non_null(r);
	assert_int_equal(k8s_resolver__lookup(r, 60, &id), 0);
	assert_string_equal(id.pod_uid, "00000003-0000-0000-0000-000000000000");
	assert_int_equal(k8s_resolver__stats(r)->dropped, 3 + 4);
	k8s_resolver__free(r);
}

static void test_lookup_huge_cgroup_file(void **state)
{
	struct node *n = *state;
	static const char line[] = "0::/kubepods/pod" UID "/" ID;
	size_t cap = 64 * 1024, pad;
	struct k8s_resolver *r;
	struct k8s_ident id;
	char path[PATH_MAX], *buf;

	buf = malloc(4 * cap);
	assert_non_null(buf);
	xmkdir("%s/70", n->proc);
	xmkdir("%s/71", n->proc);
	xmkdir("%s/72", n->proc);
	/* a line that the read cap cuts exactly after a valid-looking id */
	pad = cap - (sizeof(line) - 1) - 1;
	memset(buf, 'x', pad);
	buf[0] = '1';
	buf[1] = ':';
	buf[2] = ':';
	buf[3] = '/';
	buf[pad] = '\n';
	memcpy(buf + pad + 1, line, sizeof(line) - 1);
	memcpy(buf + cap, "ffff\n", 5);
	snprintf(path, sizeof(path), "%s/70/cgroup", n->proc);
	write_file(path, buf, cap + 5);
	/* a file filling the cap without a final newline may have been cut */
	snprintf(path, sizeof(path), "%s/71/cgroup", n->proc);
	write_file(path, buf, cap);
	/* beyond the cap entirely */
	memset(buf, 'y', 3 * cap);
	memcpy(buf, "1::/", 4);
	buf[3 * cap] = '\n';
	memcpy(buf + 3 * cap + 1, line, sizeof(line) - 1);
	snprintf(path, sizeof(path), "%s/72/cgroup", n->proc);
	write_file(path, buf, 3 * cap + sizeof(line));
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 70, &id), -ENOENT);
	assert_int_equal(k8s_resolver__lookup(r, 71, &id), -ENOENT);
	assert_int_equal(k8s_resolver__lookup(r, 72, &id), -ENOENT);
	k8s_resolver__free(r);
	free(buf);
}

static void test_lookup_fits_exactly(void **state)
{
	struct node *n = *state;
	static const char line[] = "0::/kubepods/pod" UID "/" ID "\n";
	size_t cap = 64 * 1024, pad;
	struct k8s_resolver *r;
	struct k8s_ident id;
	char path[PATH_MAX], *buf;

	/* a file of exactly the cap whose last line ends in a newline is whole */
	buf = malloc(cap);
	assert_non_null(buf);
	pad = cap - (sizeof(line) - 1);
	memset(buf, 'x', pad);
	memcpy(buf, "1::/", 4);
	buf[pad - 1] = '\n';
	memcpy(buf + pad, line, sizeof(line) - 1);
	xmkdir("%s/73", n->proc);
	snprintf(path, sizeof(path), "%s/73/cgroup", n->proc);
	write_file(path, buf, cap);
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 73, &id), 0);
	assert_string_equal(id.container_id, ID);
	k8s_resolver__free(r);
	free(buf);
}

static void test_new_defaults(void **state)
{
	struct k8s_opts old = { .sz = offsetof(struct k8s_opts, containers_log_dir),
				.proc_root = "/nonexistent" };
	struct k8s_resolver *r;
	struct k8s_ident id;

	r = k8s_resolver__new(NULL);
	assert_non_null(r);
	assert_int_equal(k8s_resolver__stats(r)->lookups, 0);
	k8s_resolver__free(r);
	k8s_resolver__free(NULL);
	/* a caller built against a shorter struct */
	r = k8s_resolver__new(&old);
	assert_non_null(r);
	assert_int_equal(k8s_resolver__lookup(r, 1, &id), -ESRCH);
	k8s_resolver__free(r);
}

int main(void)
{
	struct suite s = {};

	suite_rows(&s, test_cgroup, cg_cases);
	suite_test(&s, test_nul_bytes);
	suite_test(&s, test_len_bounds);
	suite_test(&s, test_huge_lines);
	suite_test(&s, test_null_args);
	suite_rows_setup_teardown(&s, test_lookup, node_cases, node_row_setup, node_teardown);
	suite_test_setup_teardown(&s, test_lookup_rescan_rate, node_setup, node_teardown);
	suite_test_setup_teardown(&s, test_lookup_caps, node_setup, node_teardown);
	suite_test_setup_teardown(&s, test_lookup_huge_cgroup_file, node_setup, node_teardown);
	suite_test_setup_teardown(&s, test_lookup_fits_exactly, node_setup, node_teardown);
	suite_test(&s, test_new_defaults);
	return suite_run(&s, "k8s");
}
