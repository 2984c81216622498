/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * version: what `gomaptrace --version` and gomaptrace_build_info{version}
 * say.
 *
 * Contract: gm_version is `git describe --tags --always --dirty` of the
 * tree the binary was built from, taken by the Makefile at build time
 * (build/gm_version.h), or what `make GM_VERSION=...` was given; "unknown"
 * when neither was there (a tree without .git).  Never a constant in the
 * sources: a constant is only ever true for one commit.
 */
#ifndef VERSION_H
#define VERSION_H

extern const char gm_version[];

#endif /* VERSION_H */
