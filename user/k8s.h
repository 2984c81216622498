/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * k8s: which Kubernetes namespace, pod and container a process belongs to,
 * worked out from the node alone (no API server, no credentials).
 *
 * Contract:
 * - k8s__parse_cgroup() reads the text of a /proc/PID/cgroup file: cgroup
 *   v1 ("N:ctrl:/path") and v2 ("0::/path") lines, the cgroupfs and systemd
 *   drivers, containerd, cri-o and docker, and paths made relative by a
 *   cgroup namespace ("/../..").  The file is kernel-made but its path
 *   components are chosen by whoever runs the container, so nothing is
 *   trusted: ids must be exactly 64 lower-case hex digits, pod uids 36
 *   characters in the 8-4-4-4-12 shape or 32 hex digits (static pods use an
 *   md5 of their manifest), and the container's cgroup must be the direct
 *   child of the leftmost pod cgroup.  Cgroups a container creates below its
 *   own are ignored, so a process cannot claim another pod by nesting.
 * - k8s_resolver__lookup() parses /proc/PID/cgroup and then names the pod
 *   and container from the kubelet's log directories:
 *     <pods_log_dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log
 *     <containers_log_dir>/<pod>_<namespace>_<container>-<id>.log
 *   (the second are symlinks into the first, and the only place on a node
 *   that ties a container id to a container name).  When a container id is
 *   not listed, the container is named after the pod's log subdirectory if
 *   there is exactly one.  Both directories are indexed in memory, bounded
 *   by opts.max_pods/max_containers, and re-read on a miss at most once per
 *   opts.min_rescan_ms, so a burst of lookups costs one scan.
 * - Results: 0 when the process is in a Kubernetes container (container_id
 *   and pod_uid set; namespace, pod and container set when the log
 *   directories tell, else empty).  -ENOENT when it is not (outside
 *   Kubernetes, a runtime helper such as crio-conmon, a cgroup namespace
 *   that hides the container, or one that hides the pod when the log
 *   directories do not name it either), with every field empty.  When
 *   several lines of the file name a container (v1 hierarchies, hybrid
 *   nodes), the first naming a pod too wins.  -ESRCH when the
 *   process is gone; another -errno when its cgroup file cannot be read.
 *   `out` is always written.
 * - A resolver is not thread-safe; use one per thread.
 */
#ifndef K8S_H
#define K8S_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define K8S_ID_LEN 64		/* container ids: sha256 in hex */
#define K8S_UID_LEN 36		/* pod uids: 8-4-4-4-12 (static pods: 32) */

struct k8s_ident {
	char container_id[K8S_ID_LEN + 1];
	char pod_uid[K8S_UID_LEN + 1];	/* with dashes, as the API shows it */
	char namespace[64];		/* DNS-1123 label */
	char pod[254];			/* DNS-1123 subdomain */
	char container[64];		/* DNS-1123 label */
	char runtime[16];		/* "containerd", "crio", "docker"; "" unknown */
};

struct k8s_opts {
	size_t sz;			/* sizeof(struct k8s_opts), libbpf-style */
	const char *proc_root;		/* NULL: "/proc" */
	const char *pods_log_dir;	/* NULL: "/var/log/pods" */
	const char *containers_log_dir;	/* NULL: "/var/log/containers" */
	size_t max_pods;		/* 0: 4096 */
	size_t max_containers;		/* 0: 16384 */
	unsigned int min_rescan_ms;	/* 0: 1000 */
};

struct k8s_stats {
	uint64_t lookups;
	uint64_t attributed;		/* lookups that returned 0 */
	uint64_t scans;			/* re-reads of the log directories */
	uint64_t dropped;		/* log entries over the caps, last scan */
};

struct k8s_resolver;

/* opts may be NULL; strings are copied.  NULL with errno set on failure. */
struct k8s_resolver *k8s_resolver__new(const struct k8s_opts *opts);
void k8s_resolver__free(struct k8s_resolver *r);
int k8s_resolver__lookup(struct k8s_resolver *r, pid_t pid, struct k8s_ident *out);
const struct k8s_stats *k8s_resolver__stats(const struct k8s_resolver *r);

/*
 * Parse the text of a /proc/PID/cgroup file (len bytes, need not be
 * NUL-terminated; a line holding a NUL byte is ignored).  0 when a
 * container was found: container_id and runtime set, pod_uid set unless
 * the pod's cgroup lies above the reader's cgroup namespace root.  -ENOENT
 * otherwise, with every field empty.  Only container_id, pod_uid and
 * runtime are ever written.
 */
int k8s__parse_cgroup(const char *buf, size_t len, struct k8s_ident *out);

#endif /* K8S_H */
