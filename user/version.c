// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The build's version string: see version.h.  gm_version.h is generated. */
#include "version.h"
#include "gm_version.h"

const char gm_version[] = GM_VERSION;
