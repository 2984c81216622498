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

#define ID  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID3 "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
#define UID  "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"
#define UID_ "1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d"
#define UID2  "99999999-8888-7777-6666-555555555555"
#define UID2_ "99999999_8888_7777_6666_555555555555"
#define SUID "0f1e2d3c4b5a69788796a5b4c3d2e1f0"	/* static pod: md5 hex */

/* ---- parser ---------------------------------------------------------- */

static int parse(const char *s, struct k8s_ident *id)
{
	return k8s__parse_cgroup(s, strlen(s), id);
}

static void expect(const char *s, const char *uid, const char *cid, const char *rt)
{
	struct k8s_ident id;

	memset(&id, 0x5a, sizeof(id));
	assert_int_equal(parse(s, &id), 0);
	assert_string_equal(id.pod_uid, uid);
	assert_string_equal(id.container_id, cid);
	assert_string_equal(id.runtime, rt);
	assert_string_equal(id.namespace, "");
	assert_string_equal(id.pod, "");
	assert_string_equal(id.container, "");
}

static void expect_none(const char *s)
{
	struct k8s_ident id, zero;

	memset(&id, 0x5a, sizeof(id));
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(parse(s, &id), -ENOENT);
	assert_memory_equal(&id, &zero, sizeof(id));
}

static void test_v1_cgroupfs(void **state)
{
	expect("12:pids:/kubepods/burstable/pod" UID "/" ID "\n"
	       "11:hugetlb:/kubepods/burstable/pod" UID "/" ID "\n"
	       "4:memory:/kubepods/burstable/pod" UID "/" ID "\n"
	       "3:cpu,cpuacct:/kubepods/burstable/pod" UID "/" ID "\n"
	       "1:name=systemd:/kubepods/burstable/pod" UID "/" ID "\n",
	       UID, ID, "");
	expect("9:memory:/kubepods/besteffort/pod" UID "/" ID "\n", UID, ID, "");
}

static void test_v1_guaranteed(void **state)
{
	expect("4:memory:/kubepods/pod" UID "/" ID "\n", UID, ID, "");
}

static void test_v1_systemd_docker(void **state)
{
	expect("4:memory:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/docker-" ID ".scope\n"
	       "1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/docker-" ID ".scope\n",
	       UID, ID, "docker");
}

static void test_v2_systemd_containerd(void **state)
{
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd");
	expect("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd");
	/* guaranteed pods sit right under kubepods.slice */
	expect("0::/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope\n",
	       UID, ID, "containerd");
}

static void test_v2_systemd_crio_docker(void **state)
{
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-" ID ".scope\n", UID, ID, "crio");
	expect("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/docker-" ID ".scope\n", UID, ID, "docker");
}

static void test_crio_conmon_is_not_container(void **state)
{
	expect_none("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		    ".slice/crio-conmon-" ID ".scope\n");
}

static void test_v2_cgroupfs(void **state)
{
	expect("0::/kubepods/burstable/pod" UID "/" ID "\n", UID, ID, "");
	expect("0::/kubepods/pod" UID "/" ID "\n", UID, ID, "");
	expect("0::/kubepods/besteffort/pod" UID "/crio-" ID "\n", UID, ID, "crio");
}

static void test_static_pod_uid(void **state)
{
	expect("0::/kubepods/burstable/pod" SUID "/" ID "\n", SUID, ID, "");
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" SUID
	       ".slice/cri-containerd-" ID ".scope\n", SUID, ID, "containerd");
}

static void test_cgroupns_relative(void **state)
{
	/* the reader's own cgroup is a container in another pod */
	expect("0::/../../../kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd");
	expect("0::/../../pod" UID "/" ID "\n", UID, ID, "");
	/* a sibling container of the reader's pod: the pod is above the root */
	expect("0::/../cri-containerd-" ID ".scope\n", "", ID, "containerd");
	expect("0::/../" ID "\n", "", ID, "");
	/* the reader's own container, or nothing recognisable */
	expect_none("0::/\n");
	expect_none("0::/../..\n");
	expect_none("0::/../../system.slice/foo.service\n");
}

static void test_nested_inside_container(void **state)
{
	/* crun's "container" subgroup, or a container making its own cgroups */
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/crio-" ID ".scope/container\n", UID, ID, "crio");
	/* a process cannot claim another pod by nesting a look-alike below its own */
	expect("0::/kubepods/burstable/pod" UID "/" ID "/kubepods-pod" UID2_
	       ".slice/docker-" ID2 ".scope\n", UID, ID, "");
	expect("0::/kubepods/burstable/pod" UID "/" ID "/pod" UID2 "/" ID2 "\n", UID, ID, "");
}

static void test_kind_node(void **state)
{
	/* Kubernetes in docker: the node itself is a docker container */
	expect("0::/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID ".scope\n", UID, ID, "containerd");
}

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

static void test_real_node_cgroupfs(void **state)
{
	/* Burstable Deployment pod */
	expect(REAL_NODE("/kubepods/burstable/pod" UID "/" ID), UID, ID, "");
	/* Guaranteed: the pod cgroup sits right under /kubepods */
	expect(REAL_NODE("/kubepods/pod" UID2 "/" ID2), UID2, ID2, "");
	/* BestEffort static pod: its uid is the 32-hex hash of its manifest */
	expect(REAL_NODE("/kubepods/besteffort/pod" SUID "/" ID3), SUID, ID3, "");
	/* the pause container of the same pod is a container too */
	expect(REAL_NODE("/kubepods/besteffort/pod" SUID "/" ID), SUID, ID, "");
	/* the kubelet and containerd themselves are in no pod */
	expect_none(REAL_NODE("/"));
	expect_none(REAL_NODE("/kubepods"));
	expect_none(REAL_NODE("/kubepods/burstable"));
	expect_none(REAL_NODE("/kubepods/burstable/pod" UID));
}

static void test_outside_kubernetes(void **state)
{
	expect_none("0::/user.slice/user-1000.slice/session-2.scope\n");
	expect_none("0::/system.slice/docker-" ID ".scope\n");
	expect_none("4:memory:/docker/" ID "\n0::/\n");
	expect_none("0::/system.slice/containerd.service\n");
	/* a slice shaped like a pod's but not the kubelet's */
	expect_none("0::/foo.slice/foo-pod" UID_ ".slice/cri-containerd-" ID ".scope\n");
	expect_none("");
}

static void test_hybrid_lines(void **state)
{
	/* this machine's shape: v1 controllers plus the unified "0::/" line */
	expect("9:name=systemd:/\n"
	       "4:memory:/kubepods/burstable/pod" UID "/" ID "\n"
	       "0::/\n", UID, ID, "");
	/* a line naming a pod beats an earlier one naming only a container */
	expect("0::/../" ID2 "\n4:memory:/kubepods/pod" UID "/" ID "\n", UID, ID, "");
	/* otherwise the first line wins */
	expect("4:memory:/kubepods/pod" UID "/" ID "\n3:cpu:/kubepods/pod" UID2 "/" ID2 "\n",
	       UID, ID, "");
}

static void test_path_with_colons(void **state)
{
	expect("3:cpu,cpuacct:/kubepods/pod" UID "/" ID "\n", UID, ID, "");
	expect("0::/kube:x/kubepods/pod" UID "/" ID "\n", UID, ID, "");
}

static void test_bad_ids(void **state)
{
	char id63[] = ID, id65[] = ID "0", upper[] = ID, g[] = ID;
	char buf[256];

	id63[63] = '\0';
	upper[10] = 'A';
	g[0] = 'g';
	snprintf(buf, sizeof(buf), "0::/kubepods/pod" UID "/%s\n", id63);
	expect_none(buf);
	snprintf(buf, sizeof(buf), "0::/kubepods/pod" UID "/%s\n", id65);
	expect_none(buf);
	snprintf(buf, sizeof(buf), "0::/kubepods/pod" UID "/%s\n", upper);
	expect_none(buf);
	snprintf(buf, sizeof(buf), "0::/kubepods/pod" UID "/%s\n", g);
	expect_none(buf);
	snprintf(buf, sizeof(buf), "0::/kubepods.slice/kubepods-pod" UID_
		 ".slice/cri-containerd-%s.scope\n", id63);
	expect_none(buf);
	expect_none("0::/kubepods/pod" UID "/cri-containerd-" ID "\n");	/* no .scope */
	expect_none("0::/kubepods/pod" UID "/docker-" ID ".scopeX\n");
	expect_none("0::/kubepods/pod" UID "/ " ID "\n");
}

static void test_bad_uids(void **state)
{
	expect_none("0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6g/" ID "\n");
	expect_none("0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6/" ID "\n");
	expect_none("0::/kubepods/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d0/" ID "\n");
	expect_none("0::/kubepods/pod1a2b3c4d5-e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID "\n");
	expect_none("0::/kubepods/pod1A2B3C4D-5E6F-7A8B-9C0D-1E2F3A4B5C6D/" ID "\n");
	/* each driver has its own separator */
	expect_none("0::/kubepods/pod" UID_ "/" ID "\n");
	expect_none("0::/kubepods.slice/kubepods-pod" UID ".slice/cri-containerd-" ID ".scope\n");
	expect_none("0::/kubepods/pod../" ID "\n");
	expect_none("0::/kubepods/pod/" ID "\n");
	expect_none("0::/kubepods/pod" SUID "0/" ID "\n");
	expect_none("0::/kubepods.slice/kubepods-pod.slice/cri-containerd-" ID ".scope\n");
	expect_none("0::/kubepods.slice/pod" UID_ ".slice/cri-containerd-" ID ".scope\n");
}

static void test_bad_lines(void **state)
{
	/* the process sits in the pod cgroup itself */
	expect_none("0::/kubepods/burstable/pod" UID "\n");
	expect_none("0::/kubepods/burstable/pod" UID "/\n");
	/* truncated anywhere */
	expect_none("0::/kubepods/burstable/pod" UID "/0123456789abcdef0123456789\n");
	expect_none("0::/kubepods/burstable/pod1a2b3c4d-5e6f");
	expect_none("0::");
	expect_none("0:");
	expect_none(":");
	expect_none("\n\n\n");
	/* malformed prefixes */
	expect_none("::/kubepods/pod" UID "/" ID "\n");
	expect_none("x::/kubepods/pod" UID "/" ID "\n");
	expect_none("0:/kubepods/pod" UID "/" ID "\n");
	expect_none("0::kubepods/pod" UID "/" ID "\n");
	expect_none("/kubepods/pod" UID "/" ID "\n");
	/* the pod's cgroup must be the container's parent */
	expect_none("0::/kubepods/pod" UID "/extra/" ID "\n");
}

static void test_no_newline(void **state)
{
	expect("0::/kubepods/pod" UID "/" ID, UID, ID, "");
	expect("1:cpu:/\n0::/kubepods/pod" UID "/" ID, UID, ID, "");
	expect("0::/kubepods/pod" UID "/" ID "\r\n" "0::/kubepods/pod" UID2 "/" ID2, UID2, ID2, "");
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

static void test_lookup_full(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	add_container(n, "shop", "cart-7d9f8b6c5-x2x4z", UID, "istio-init", ID3);
	add_container(n, "shop", "cart-7d9f8b6c5-x2x4z", UID, "cart", ID);
	add_container(n, "shop", "cart-7d9f8b6c5-x2x4z", UID, "istio-proxy", ID2);
	set_cgroup(n, 100, V2_CONTAINERD(UID_, ID));
	set_cgroup(n, 101, "0::/kubepods/burstable/pod" UID "/" ID2 "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 100, &id), 0);
	assert_ident(&id, "shop", "cart-7d9f8b6c5-x2x4z", "cart", UID, ID);
	assert_string_equal(id.runtime, "containerd");
	assert_int_equal(k8s_resolver__lookup(r, 101, &id), 0);
	assert_ident(&id, "shop", "cart-7d9f8b6c5-x2x4z", "istio-proxy", UID, ID2);
	assert_string_equal(id.runtime, "");
	assert_int_equal(k8s_resolver__stats(r)->scans, 1);
	assert_int_equal(k8s_resolver__stats(r)->attributed, 2);
	k8s_resolver__free(r);
}

static void test_lookup_sole_subdir(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	/* no /var/log/containers link: the pod's only container names it */
	add_container(n, "kube-system", "coredns-5d78c9869d-abcde", UID, "coredns", NULL);
	set_cgroup(n, 7, "0::/kubepods/burstable/pod" UID "/" ID "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 7, &id), 0);
	assert_ident(&id, "kube-system", "coredns-5d78c9869d-abcde", "coredns", UID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_ambiguous_container(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	/* two containers, neither linked: pod known, container not guessed */
	add_container(n, "default", "web-0", UID, "web", NULL);
	add_container(n, "default", "web-0", UID, "sidecar", NULL);
	set_cgroup(n, 8, V2_CONTAINERD(UID_, ID));
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 8, &id), 0);
	assert_ident(&id, "default", "web-0", "", UID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_no_log_dirs(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	set_cgroup(n, 9, V2_CONTAINERD(UID_, ID));
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 9, &id), 0);
	assert_ident(&id, "", "", "", UID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_static_pod(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	add_container(n, "kube-system", "kube-apiserver-node1.example.com", SUID, "kube-apiserver", ID);
	set_cgroup(n, 10, "0::/kubepods/burstable/pod" SUID "/" ID "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 10, &id), 0);
	assert_ident(&id, "kube-system", "kube-apiserver-node1.example.com", "kube-apiserver", SUID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_not_kubernetes(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id, zero;

	memset(&zero, 0, sizeof(zero));
	add_container(n, "shop", "cart", UID, "cart", ID);
	set_cgroup(n, 11, "0::/user.slice/user-1000.slice/session-2.scope\n");
	set_cgroup(n, 12, "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		   UID_ ".slice/crio-conmon-" ID ".scope\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 11, &id), -ENOENT);
	assert_memory_equal(&id, &zero, sizeof(id));
	assert_int_equal(k8s_resolver__lookup(r, 12, &id), -ENOENT);
	assert_memory_equal(&id, &zero, sizeof(id));
	/* nothing to name, so nothing scanned */
	assert_int_equal(k8s_resolver__stats(r)->scans, 0);
	k8s_resolver__free(r);
}

static void test_lookup_gone(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 4242, &id), -ESRCH);
	assert_string_equal(id.container_id, "");
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

static void test_lookup_pod_above_cgroupns(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;

	add_container(n, "mon", "gomaptrace-abcde", UID, "sidecar", ID);
	set_cgroup(n, 30, "0::/../cri-containerd-" ID ".scope\n");
	set_cgroup(n, 31, "0::/../cri-containerd-" ID2 ".scope\n");
	r = resolver(n, 0);
	/* the link's target gives the pod uid the path hid */
	assert_int_equal(k8s_resolver__lookup(r, 30, &id), 0);
	assert_ident(&id, "mon", "gomaptrace-abcde", "sidecar", UID, ID);
	assert_int_equal(k8s_resolver__lookup(r, 31, &id), -ENOENT);
	assert_string_equal(id.container_id, "");
	k8s_resolver__free(r);
}

static void test_lookup_relative_link(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;
	char link[PATH_MAX];

	add_container(n, "a", "p", UID, "c", NULL);
	xmkdir("%s", n->ctrs);
	snprintf(link, sizeof(link), "%s/p_a_c-%s.log", n->ctrs, ID);
	assert_int_equal(symlink("../pods/a_p_" UID "/c/0.log", link), 0);
	add_container(n, "a", "p", UID, "d", NULL);	/* so the sole-dir fallback cannot help */
	set_cgroup(n, 32, "0::/../" ID "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 32, &id), 0);
	assert_ident(&id, "a", "p", "c", UID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_forged_link(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;
	char link[PATH_MAX];

	/* the link claims ID belongs to another pod: the cgroup path wins */
	add_container(n, "victim", "bank", UID2, "vault", ID2);
	add_container(n, "shop", "cart", UID, "cart", NULL);
	snprintf(link, sizeof(link), "%s/bank_victim_vault-%s.log", n->ctrs, ID);
	assert_int_equal(symlink("/var/log/pods/victim_bank_" UID2 "/vault/0.log", link), 0);
	set_cgroup(n, 40, "0::/kubepods/pod" UID "/" ID "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 40, &id), 0);
	assert_ident(&id, "shop", "cart", "cart", UID, ID);
	k8s_resolver__free(r);
}

static void test_lookup_junk_in_log_dirs(void **state)
{
	struct node *n = *state;
	struct k8s_resolver *r;
	struct k8s_ident id;
	char path[PATH_MAX];

	add_container(n, "ns", "pod", UID, "main", NULL);
	xmkdir("%s/%s", n->pods, "Upper_pod_" UID2);
	xmkdir("%s/%s", n->pods, "ns_po_d_" UID2);
	xmkdir("%s/%s", n->pods, "ns_" UID2);
	xmkdir("%s/%s", n->pods, "ns_pod_" UID2_);
	xmkdir("%s/%s", n->pods, "_pod_" UID2);
	xmkdir("%s/%s", n->pods, "ns__" UID2);
	snprintf(path, sizeof(path), "%s/ns_file_%s", n->pods, UID2);
	write_file(path, "x", 1);
	/* in the pod dir: a file and a dot dir do not count as containers */
	snprintf(path, sizeof(path), "%s/ns_pod_%s/stray.txt", n->pods, UID);
	write_file(path, "x", 1);
	xmkdir("%s/ns_pod_%s/.hidden", n->pods, UID);
	xmkdir("%s", n->ctrs);
	snprintf(path, sizeof(path), "%s/pod_ns_main-%.63s.log", n->ctrs, ID);
	assert_int_equal(symlink("/nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/pod_ns_main_x-%s.log", n->ctrs, ID);
	assert_int_equal(symlink("/nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/pod_ns_WRONG-%s.log", n->ctrs, ID);
	assert_int_equal(symlink("/nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/pod_ns_main-%s.txt", n->ctrs, ID);
	assert_int_equal(symlink("/nowhere", path), 0);
	set_cgroup(n, 50, "0::/kubepods/pod" UID "/" ID "\n");
	r = resolver(n, 0);
	assert_int_equal(k8s_resolver__lookup(r, 50, &id), 0);
	assert_ident(&id, "ns", "pod", "main", UID, ID);
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

#define NODE_TEST(f) cmocka_unit_test_setup_teardown(f, node_setup, node_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_cgroupfs),
		cmocka_unit_test(test_v1_guaranteed),
		cmocka_unit_test(test_v1_systemd_docker),
		cmocka_unit_test(test_v2_systemd_containerd),
		cmocka_unit_test(test_v2_systemd_crio_docker),
		cmocka_unit_test(test_crio_conmon_is_not_container),
		cmocka_unit_test(test_v2_cgroupfs),
		cmocka_unit_test(test_static_pod_uid),
		cmocka_unit_test(test_cgroupns_relative),
		cmocka_unit_test(test_nested_inside_container),
		cmocka_unit_test(test_kind_node),
		cmocka_unit_test(test_real_node_cgroupfs),
		cmocka_unit_test(test_outside_kubernetes),
		cmocka_unit_test(test_hybrid_lines),
		cmocka_unit_test(test_path_with_colons),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_bad_uids),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_no_newline),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_len_bounds),
		cmocka_unit_test(test_huge_lines),
		cmocka_unit_test(test_null_args),
		NODE_TEST(test_lookup_full),
		NODE_TEST(test_lookup_sole_subdir),
		NODE_TEST(test_lookup_ambiguous_container),
		NODE_TEST(test_lookup_no_log_dirs),
		NODE_TEST(test_lookup_static_pod),
		NODE_TEST(test_lookup_not_kubernetes),
		NODE_TEST(test_lookup_gone),
		NODE_TEST(test_lookup_rescan_rate),
		NODE_TEST(test_lookup_pod_above_cgroupns),
		NODE_TEST(test_lookup_relative_link),
		NODE_TEST(test_lookup_forged_link),
		NODE_TEST(test_lookup_junk_in_log_dirs),
		NODE_TEST(test_lookup_caps),
		NODE_TEST(test_lookup_huge_cgroup_file),
		NODE_TEST(test_lookup_fits_exactly),
		cmocka_unit_test(test_new_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
