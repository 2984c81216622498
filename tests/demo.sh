#!/usr/bin/env bash
# make demo: trace the bundled leaky Go service for a few seconds and print
# the verdict.  Short windows so the demo ends quickly; a real session would
# keep the default 60 s windows.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/matrix.sh
GM=${GM_BUILD:-build}/gomaptrace
DEMO=$(gm_fixture go1.26 plain leaky)
if [ "$(id -u)" != 0 ]; then
	echo "make demo: tracing needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE)" >&2
	exit 1
fi
echo "\$ gomaptrace inspect $DEMO   (what the probes will attach to)"
"$GM" inspect "$DEMO" | head -12
echo
echo "\$ gomaptrace trace --window 2s --min-windows 4 --duration 14s -- $DEMO -rate 200"
# with -- CMD the report goes to stderr (CMD's stdout stays its own): shown
# here on stdout, in order, wherever the demo's output goes
exec "$GM" trace --window 2s --min-windows 4 --duration 14s -- "$DEMO" -rate 200 2>&1
