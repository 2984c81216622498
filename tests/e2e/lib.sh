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
# Every (toolchain, variant) pair of the matrix, as "tc variant" lines.
matrix_pairs() {
	local tc v
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for v in "${GM_VARIANTS[@]}"; do
			echo "$tc $v"
		done
	done
}
