# shellcheck shell=bash
# Shared by the end-to-end tests.  Each test script prints one line per
# check, "PASS: name" or "FAIL: name: reason", which tests/run.sh counts.
# Scripts run from the repository root with GM_BUILD set.
set -uo pipefail
: "${GM_BUILD:=$PWD/build}"
GM=$GM_BUILD/gomaptrace
. tests/matrix.sh

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
# check NAME COMMAND...: pass if the command succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
# matrix_pairs [all|core]: "tc variant" lines of a scenario set (matrix.sh):
# all = every toolchain on every variant (the oracle checks); core = the core
# toolchains on GM_CORE_VARIANTS, the full ones on every variant.
matrix_pairs() { gm_pairs "${1:-all}"; }
# expected_impl TOOLCHAIN: classic | swiss, the map implementation of its binaries.
expected_impl() { gm_impl "$1"; }

# gm_workdir PREFIX: a fresh $WORK (/tmp/PREFIX.XXXXXX) and $PIDS, and an
# EXIT trap that kills every pid in $PIDS, waits and removes $WORK.
gm_workdir() {
	WORK=$(mktemp -d "/tmp/$1.XXXXXX")
	PIDS=()
	cleanup() {
		local p
		for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
		wait 2>/dev/null
		rm -rf "$WORK"
	}
	trap cleanup EXIT
}
