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

# free_port: a TCP port free on 127.0.0.1 now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: until the command (or function) succeeds,
# polling every $WAIT_FOR_STEP seconds (default 0.25); 1 on time out.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep "${WAIT_FOR_STEP:-0.25}"
	done
}

# gm_build_prog NAME LOG: build the helper program tests/e2e/progs/NAME with
# go1.26 once per source (a stamp of its sources' hash), print its path;
# the build's output goes to LOG, and a failed build returns 1.
gm_build_prog() {
	local src=tests/e2e/progs/$1 out=$GM_BUILD/e2e/progs/$1 key
	key=$(cat "$src"/*.go "$src/go.mod" | sha256sum | cut -c1-16)
	if [ ! -x "$out" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$key" ]; then
		mkdir -p "$(dirname "$out")"
		(cd "$src" && CGO_ENABLED=0 gm_go go1.26 build -o "$out" .) >"$2" 2>&1 || return 1
		echo "$key" >"$out.stamp"
	fi
	echo "$out"
}
