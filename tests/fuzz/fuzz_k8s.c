// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: k8s__parse_cgroup() on arbitrary /proc/PID/cgroup text
 * (the file is the traced container's, so untrusted).  Checked promises:
 * every field stays NUL-terminated within its array; on success the
 * container id is non-empty hex (the runtime may be unknown: ""); on -ENOENT every
 * field is empty; namespace, pod and container names are always empty.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"

#define FUZZ_TAG "fuzz_k8s"
#include "fuzzcommon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k8s_ident id;
	char *buf;
	int ret;

	/* exactly size bytes on the heap: ASan sees any read past them */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&id, 'X', sizeof(id));
	id.namespace[0] = id.pod[0] = id.container[0] = 'Q';
	ret = k8s__parse_cgroup(buf, size, &id);
	CHECK(ret == 0 || ret == -ENOENT);
	CHECK(memchr(id.container_id, '\0', sizeof(id.container_id)));
	CHECK(memchr(id.pod_uid, '\0', sizeof(id.pod_uid)));
	CHECK(memchr(id.runtime, '\0', sizeof(id.runtime)));
	/* the cgroup line names no pod or container name: those stay empty */
	CHECK(!id.namespace[0] && !id.pod[0] && !id.container[0]);
	if (ret == 0) {
		CHECK(id.container_id[0]);
		CHECK(strspn(id.container_id, "0123456789abcdef") == strlen(id.container_id));

		if (verbose)
			fprintf(stderr, "fuzz_k8s: parsed: %s %s pod %s\n", id.runtime, id.container_id,
			       id.pod_uid[0] ? id.pod_uid : "-");
	} else {
		CHECK(!id.container_id[0] && !id.pod_uid[0] && !id.runtime[0]);
		if (verbose)
			fprintf(stderr, "fuzz_k8s: refused: no container\n");
	}
	free(buf);
	return 0;
}
