// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * k8s_lookup: print what user/k8s.c says about each pid, for
 * tests/e2e/test_k8s.sh.  All pids go through one resolver, so the last
 * line ("scans=N") shows how many times the log directories were read.
 *
 * Usage: k8s_lookup [--proc-root D] [--pods-log-dir D] [--containers-log-dir D] PID...
 * Output, per pid: "PID rc=0|ENOENT|ESRCH|<errno>" then "PID key=value" for
 * container_id, pod_uid, namespace, pod, container and runtime.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"

static const char *rc_name(int rc)
{
	static char buf[16];

	switch (rc) {
	case 0:
		return "0";
	case -ENOENT:
		return "ENOENT";
	case -ESRCH:
		return "ESRCH";
	default:
		snprintf(buf, sizeof(buf), "%d", rc);
		return buf;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "proc-root", required_argument, NULL, 'p' },
		{ "pods-log-dir", required_argument, NULL, 'l' },
		{ "containers-log-dir", required_argument, NULL, 'c' },
		{ 0 }
	};
	struct k8s_opts o = { .sz = sizeof(o) };
	struct k8s_resolver *r = NULL;
	struct k8s_ident id;
	int c, i, rc, ret = 2;
	long pid;
	char *end;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.proc_root = optarg;
			break;
		case 'l':
			o.pods_log_dir = optarg;
			break;
		case 'c':
			o.containers_log_dir = optarg;
			break;
		default:
			goto cleanup;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: k8s_lookup [--proc-root D] [--pods-log-dir D] "
			"[--containers-log-dir D] PID...\n");
		goto cleanup;
	}
	r = k8s_resolver__new(&o);
	if (!r) {
		perror("k8s_resolver__new");
		goto cleanup;
	}
	for (i = optind; i < argc; i++) {
		errno = 0;
		pid = strtol(argv[i], &end, 10);
		if (errno || *end || pid <= 0) {
			fprintf(stderr, "k8s_lookup: bad pid '%s'\n", argv[i]);
			goto cleanup;
		}
		rc = k8s_resolver__lookup(r, (pid_t)pid, &id);
		printf("%ld rc=%s\n", pid, rc_name(rc));
		printf("%ld container_id=%s\n", pid, id.container_id);
		printf("%ld pod_uid=%s\n", pid, id.pod_uid);
		printf("%ld namespace=%s\n", pid, id.namespace);
		printf("%ld pod=%s\n", pid, id.pod);
		printf("%ld container=%s\n", pid, id.container);
		printf("%ld runtime=%s\n", pid, id.runtime);
	}
	printf("scans=%llu\n", (unsigned long long)k8s_resolver__stats(r)->scans);
	ret = 0;
cleanup:
	k8s_resolver__free(r);
	return ret;
}
