#!/usr/bin/env bash
# gm-test: serial
#
# End-to-end tests of maps on goroutine stacks (issue 17), with real BPF,
# as root, on the core pairs of the Go matrix (matrix.sh), against the
# stackmaps fixture (tests/fixtures/stackmaps).  Checks, named
# stackmaps/TOOLCHAIN/VARIANT/CHECK:
#
#   gfields (plain, every toolchain)   the g.goid offset gomaptrace uses
#                  (`inspect --json` .layout.g_goid_off) is the one in the
#                  binary's DWARF (tests/e2e/gfields), and g.atomicstatus
#                  sits 8 bytes before it, stack.lo/hi at 0/8
#   session "pos"  trace -- stackmaps worker,forget,mainslow,many
#     worker         the worker goroutine's local set (never forgets) is
#                    "leak", insert_at main.worker.func1 on gm:insert-worker,
#                    created_unseen "stack_map", stack_map.frame main.worker
#     worker-moves   it is one map (no second map of that line, none gone)
#                    although its stack moved at least twice (deep
#                    recursion, then the collector shrinking it back)
#     mainslow       main's own map, 40 keys/s, is "leak" in the frame of
#                    main.runMainSlow
#     forget         the map that forgets old keys is tracked and not "leak"
#     many           at least 900 of the 1,000 goroutines' small maps are
#                    tracked as stack maps, none and their site not "leak"
#     goleak         20 goroutines a second that never end, each with a
#                    constant 40-key stack map: no map is "leak", their
#                    insert site (gm:insert-goleak) is a leaking site
#     gochurn        the same, but each goroutine ends after a second: no
#                    map nor the site is "leak"
#     no-false-leak  the only leaks are the worker's and main's maps (and
#                    the goleak site)
#   trie-layout (plain, Go >= 1.24)  the offsets of sync.Map's trie
#                  (internal/sync.HashTrieMap, indirect and entry nodes)
#                  gomaptrace walks (user/synctrie.h, compiled into a probe
#                  program) are the binary's DWARF ones (gfields -trie)
#   (every toolchain, in the "pos" session)
#     syncmap-leak   the sync.Map that only gains keys is "leak", typed
#                    "sync.Map (map[interface {}]*sync.entry)" (Go <= 1.23:
#                    runtime maps) or "sync.Map (internal/sync.HashTrieMap[
#                    interface {},interface {}])" (Go >= 1.24: a trie whose
#                    entries are counted by walking it, exactly at this size:
#                    entries_estimated false, over 500 entries), created and
#                    inserted at the user's Store line (gm:store-syncleak),
#                    not inside package sync; its site is a leak too
#     syncmap-delete the sync.Map that deletes old keys is tracked at its
#                    Store line and neither its maps nor its site are "leak"
#   recursion      `trace -- stackmaps recursion` (stack maps at 300 levels
#                    of recursion, the stack copied under them): the
#                    target's stdout and exit status equal an untraced run's
#
# Logs and JSON reports stay in $GM_BUILD/e2e/stackmaps/.  Cost: about
# 10 s per pair, SM_JOBS pairs at a time (default 3).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

: "${SM_JOBS:=3}"
LOGDIR=$GM_BUILD/e2e/stackmaps
WIN=(--window 1s --min-windows 4)
SESSION=8s
TARGET_CAP=20s
TL_SRC=tests/fixtures/stackmaps/main.go
GFIELDS=$GM_BUILD/e2e/gfields
TRIELAYOUT=$GM_BUILD/e2e/trielayout

if [ ! -x "$GM" ]; then
	fail "stackmaps/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "stackmaps/setup" "needs root (BPF uprobes)"
	exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
if ! (cd tests/e2e/gfields && GOTOOLCHAIN=local GOFLAGS= go build -o "$GFIELDS" .) 2>"$LOGDIR/gfields.log"; then
	fail "stackmaps/setup" "cannot build tests/e2e/gfields: $(tail -2 "$LOGDIR/gfields.log" | tr '\n' ' ')"
	exit 1
fi

# The trie layout gomaptrace is compiled with, printed as gfields -trie prints DWARF's.
if ! printf '%s\n' '#include <stdio.h>' '#include "synctrie.h"' 'int main(void) {' \
	'printf("ht.inited %d ht.root %d ht.keyHash %d ht.seed %d ht.size %d ", SYNCTRIE_HT_INITED, SYNCTRIE_HT_ROOT, SYNCTRIE_HT_KEYHASH, SYNCTRIE_HT_SEED, SYNCTRIE_HT_SIZE);' \
	'printf("ind.isEntry %d ind.dead %d ind.parent %d ind.children %d ind.size %d ", SYNCTRIE_NODE_ISENTRY, SYNCTRIE_IND_DEAD, SYNCTRIE_IND_PARENT, SYNCTRIE_IND_CHILDREN, SYNCTRIE_IND_SIZE);' \
	'printf("entry.isEntry %d entry.overflow %d entry.key %d entry.size %d\n", SYNCTRIE_NODE_ISENTRY, SYNCTRIE_ENTRY_OVERFLOW, SYNCTRIE_ENTRY_KEY, SYNCTRIE_ENTRY_SIZE);' \
	'return 0; }' | "${CC:-cc}" -std=c11 -D_GNU_SOURCE -Iinclude -Iuser -x c - -o "$TRIELAYOUT" 2>"$LOGDIR/trielayout.log"; then
	fail "stackmaps/setup" "cannot build the trie layout printer: $(tail -2 "$LOGDIR/trielayout.log" | tr '\n' ' ')"
	exit 1
fi

L_WORKER=$(tl_line insert-worker) || exit 1
L_MAINSLOW=$(tl_line insert-mainslow) || exit 1
L_FORGET=$(tl_line insert-forget) || exit 1
L_MANY=$(tl_line insert-many) || exit 1
L_SYNCLEAK=$(tl_line store-syncleak) || exit 1
L_SYNCDEL=$(tl_line store-syncdel) || exit 1
L_GOLEAK=$(tl_line insert-goleak) || exit 1
L_GOCHURN=$(tl_line insert-gochurn) || exit 1

# shellcheck disable=SC2016
SM_JQ_DEFS='
def at($l): . != null and .line == $l and ((.file // "") | endswith("tests/fixtures/stackmaps/main.go"));
def loc: if . == null then "null" else "\(.function // "?"):\(.line // "?")" end;
def brief: {address, type, verdict, entries_first, entries_last, created_unseen,
            inserted: (.insert_at | loc), frame: (.stack_map.frame | loc),
            moves: .stack_map.moves};
'

# check_gfields NAME BIN: gomaptrace's g layout against the binary's DWARF.
check_gfields() {
	local name=$1 bin=$2 want got
	if ! want=$("$GFIELDS" "$bin" 2>&1); then
		fail "$name" "gfields $bin: $want"
		return
	fi
	got=$("$GM" inspect --json "$bin" 2>&1 | jq -r '.layout | "stack.lo \(.g_stack_lo_off) stack.hi \(.g_stack_hi_off) atomicstatus \(.g_goid_off - 8) goid \(.g_goid_off)"' 2>&1)
	if [ "$want" = "$got" ]; then
		pass "$name"
	else
		fail "$name" "DWARF says '$want', gomaptrace uses '$got'"
	fi
}

# check_trie_layout NAME BIN: the trie offsets gomaptrace walks against the binary's DWARF.
check_trie_layout() {
	local name=$1 bin=$2 want got
	if ! want=$("$GFIELDS" -trie "$bin" 2>&1); then
		fail "$name" "gfields -trie $bin: $want"
		return
	fi
	got=$("$TRIELAYOUT" 2>&1)
	if [ "$want" = "$got" ]; then
		pass "$name"
	else
		fail "$name" "DWARF says '$want', gomaptrace uses '$got'"
	fi
}

# check_stack_leak NAME JSON LINE INSERT_FN FRAME_FN: a stack map filled
# on LINE by INSERT_FN, held in FRAME_FN's frame, is a leak.
check_stack_leak() {
	tl_assert "$1" "$2" "$SM_JQ_DEFS"'
		any(.maps[]; (.insert_at | at($L)) and .insert_at.function == $F
			and .verdict == "leak" and .created_unseen == "stack_map"
			and .stack_map != null and .stack_map.frame.function == $H
			and .stack_map.goroutine > 0)
		and any(.leaks[]; (.insert_at | at($L)))' \
		"$SM_JQ_DEFS"'"want a stack map inserted at \($F):\($L) in the frame of \($H), judged leak; got: " + ([.maps[] | select(.insert_at.line == $L) | brief] | tostring)' \
		--argjson L "$3" --arg F "$4" --arg H "$5"
}

run_pair() {
	local tc=$1 v=$2 p="stackmaps/$1/$2" d=$LOGDIR/$1/$2 bin pos ref got
	local modes=worker,forget,mainslow,many,goleak,gochurn,syncleak,syncdel
	local stype="sync.Map (map[interface {}]*sync.entry)" trie=false
	bin=$(gm_fixture "$tc" "$v" stackmaps)
	# sync.Map is runtime maps up to Go 1.23, internal/sync.HashTrieMap since
	if [ "$(gm_minor "$tc")" -ge 24 ]; then
		stype="sync.Map (internal/sync.HashTrieMap[interface {},interface {}])"
		trie=true
	fi
	mkdir -p "$d"
	if [ ! -x "$bin" ]; then
		fail "$p/fixture" "$bin is not built (make fixtures)"
		return
	fi
	"$bin" recursion >"$d/recursion.ref.out" 2>"$d/recursion.ref.err" </dev/null
	echo $? >"$d/recursion.ref.rc"
	tl_trace "$d" pos "${WIN[@]}" -d "$SESSION" --json "$d/pos.json" \
		-- "$bin" -duration "$TARGET_CAP" "$modes"
	tl_reap "$d/pos.json" "$bin"
	tl_trace "$d" recursion --json "$d/recursion.json" -- "$bin" recursion

	if tl_json_ok "$p/pos-report" "$d/pos.json" "$d" pos; then
		pos=$(tl_min "$d/pos.json")
		check_stack_leak "$p/worker" "$pos" "$L_WORKER" main.worker.func1 main.worker
		tl_assert "$p/worker-moves" "$pos" "$SM_JQ_DEFS"'
			[.maps[] | select(.insert_at | at($L))] as $m
			| ($m | length) == 1 and $m[0].verdict != "gone" and $m[0].stack_map.moves >= 2' \
			"$SM_JQ_DEFS"'"want one live map of line \($L) whose stack moved at least twice; got: " + ([.maps[] | select(.insert_at.line == $L) | brief] | tostring)' \
			--argjson L "$L_WORKER"
		check_stack_leak "$p/mainslow" "$pos" "$L_MAINSLOW" main.runMainSlow main.runMainSlow
		tl_assert "$p/forget" "$pos" "$SM_JQ_DEFS"'
			any(.maps[]; (.insert_at | at($L)) and .stack_map.frame.function == "main.forgetter")
			and all(.maps[], .sites[]; (((.insert_at // .site) | at($L)) | not) or .verdict != "leak")' \
			"$SM_JQ_DEFS"'"want the forgetting stack map tracked and not a leak; got: " + ([.maps[] | select(.insert_at.line == $L) | brief] | tostring)' \
			--argjson L "$L_FORGET"
		tl_assert "$p/many" "$pos" "$SM_JQ_DEFS"'
			[.maps[] | select((.insert_at | at($L)) and .stack_map.frame.function == "main.manyOne")] as $m
			| ($m | length) >= 900 and all($m[]; .verdict != "leak")
			and ($m | map(.stack_map.goroutine) | unique | length) == ($m | length)
			and all(.sites[]; ((.site | at($L)) | not) or (.verdict != "leak" and .kind == "inserted"))' \
			"$SM_JQ_DEFS"'"want >= 900 stack maps of line \($L), one per goroutine, no leak; got \([.maps[] | select(.insert_at.line == $L)] | length) maps, verdicts \([.maps[] | select(.insert_at.line == $L) | .verdict] | unique), sites \([.sites[] | select(.site.line == $L) | {verdict, kind, maps}])"' \
			--argjson L "$L_MANY"
		tl_assert "$p/no-false-leak" "$pos" "$SM_JQ_DEFS"'
			all(.leaks[]; (.insert_at | at($W)) or (.insert_at | at($S)) or (.insert_at | at($Y)))
			and all(.leaking_sites[]; (.site | at($W)) or (.site | at($S)) or (.site | at($Y)) or (.site | at($G)))' \
			"$SM_JQ_DEFS"'"want only the worker, mainslow (and sync.Map) leaks; got " + ([.leaks[] | brief] | tostring) + " sites " + ([.leaking_sites[] | .site | loc] | tostring)' \
			--argjson W "$L_WORKER" --argjson S "$L_MAINSLOW" --argjson Y "$L_SYNCLEAK" --argjson G "$L_GOLEAK"
		tl_assert "$p/goleak" "$pos" "$SM_JQ_DEFS"'
			([.maps[] | select(.insert_at | at($L))] | length >= 20 and all(.verdict != "leak"))
			and any(.leaking_sites[]; .site | at($L))' \
			"$SM_JQ_DEFS"'"want the leaked goroutines'"'"' site a leaking site, none of its maps a leak; got \([.maps[] | select(.insert_at.line == $L)] | length) maps, verdicts \([.maps[] | select(.insert_at.line == $L) | .verdict] | unique), sites \([.sites[] | select(.site.line == $L) | {verdict, kind, maps, entries_first, entries_last}])"' \
			--argjson L "$L_GOLEAK"
		tl_assert "$p/gochurn" "$pos" "$SM_JQ_DEFS"'
			([.maps[] | select(.insert_at | at($L))] | length >= 10)
			and all(.maps[], .sites[]; (((.insert_at // .site) | at($L)) | not) or .verdict != "leak")' \
			"$SM_JQ_DEFS"'"want the ending goroutines'"'"' maps tracked, no leak; got \([.maps[] | select(.insert_at.line == $L)] | length) maps, sites \([.sites[] | select(.site.line == $L) | {verdict, kind, maps, entries_first, entries_last}])"' \
			--argjson L "$L_GOCHURN"
		tl_assert "$p/syncmap-leak" "$pos" "$SM_JQ_DEFS"'
			any(.maps[]; (.created_at | at($L)) and (.insert_at | at($L))
				and .type == $T and .verdict == "leak"
				and (($trie | not) or (.entries_estimated == false and .entries_last > 500)))
			and any(.leaking_sites[]; .site | at($L))' \
			"$SM_JQ_DEFS"'"want a \($T) leak created and inserted at main.storeLeak:\($L); got: " + ([.maps[] | select(.type | test("sync")) | brief + {created: (.created_at | loc), entries_estimated}] | tostring)' \
			--argjson L "$L_SYNCLEAK" --arg T "$stype" --argjson trie "$trie"
		tl_assert "$p/syncmap-delete" "$pos" "$SM_JQ_DEFS"'
			any(.maps[]; (.created_at | at($L)) and .type == $T)
			and all(.maps[], .sites[]; (((.created_at // .site) | at($L)) | not) or .verdict != "leak")' \
			"$SM_JQ_DEFS"'"want the deleting \($T) tracked at main.storeDel:\($L), no leak; got: " + ([.maps[] | select(.type | test("sync")) | brief + {created: (.created_at | loc)}] | tostring)' \
			--argjson L "$L_SYNCDEL" --arg T "$stype"
	fi

	ref=$(cat "$d/recursion.ref.out")
	got=$(cat "$d/recursion.out" 2>/dev/null)
	if [ "$(tl_rc "$d" recursion)" = 0 ] && [ "$(cat "$d/recursion.ref.rc")" = 0 ] &&
		[ -n "$ref" ] && [ "$ref" = "$got" ] &&
		[ "$(jq -r '.targets[0].exit_code' "$d/recursion.json" 2>/dev/null)" = 0 ]; then
		pass "$p/recursion"
	else
		fail "$p/recursion" "traced stdout '$got' (trace exit $(tl_rc "$d" recursion), target exit $(jq -r '.targets[0].exit_code' "$d/recursion.json" 2>/dev/null)) vs untraced '$ref' (exit $(cat "$d/recursion.ref.rc")); stderr: $(tl_stderr_tail "$d/recursion.err")"
	fi
}

T0=$SECONDS
# The g layout of every toolchain (plain: it has DWARF), traced or not.
for tc in "${GM_TOOLCHAINS[@]}"; do
	check_gfields "stackmaps/$tc/plain/gfields" "$(gm_fixture "$tc" plain stackmaps)"
	[ "$(gm_minor "$tc")" -ge 24 ] &&
		check_trie_layout "stackmaps/$tc/plain/trie-layout" "$(gm_fixture "$tc" plain stackmaps)"
done
running=0
while read -r tc v; do
	run_pair "$tc" "$v" >"$LOGDIR/$tc-$v.result" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$SM_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done < <(matrix_pairs core)
wait
cat "$LOGDIR"/*.result
echo "stackmaps: $((SECONDS - T0)) s"
