#!/usr/bin/env bash
# gm-test: serial
#
# End-to-end tests of issue 13 (who holds a leaking map, and what it holds),
# with real BPF, as root, against tests/fixtures/holders, on the core pairs
# of the Go matrix (matrix.sh: stripped PIE on every release, every variant
# on the full ones) plus the plain build of every release (it has .symtab:
# the oracle for names is `go tool nm` of that binary).  One session per
# pair: trace --keys 3 -- holders.  Checks, named holders/TOOLCHAIN/VARIANT/CHECK:
#
#   global     the sessions map (gm:insert-global) is a leak held_by kind
#              "global": plain, name "main.sessions" and `go tool nm` lists
#              main.sessions as a data symbol; stripped, "package-level
#              variable (.bss+0x...)" (or .data)
#   field      reg.byID (gm:insert-field) is held_by kind "heap", path
#              "<root> -> (*main.registry).byID"; plain, root "main.reg"
#              (in nm)
#   tenant     tenants["t-07"] (gm:insert-tenant) is held_by kind "heap",
#              path ending ["t-07"]; plain, exactly main.tenants["t-07"]
#   stack      the worker's local map (gm:insert-local) is held_by kind
#              "stack", function main.worker, its goroutine stack_map's
#   deep       client 7's subs (gm:insert-sub), four heap objects from its
#              root, through another map's value: path exactly "<root> ->
#              (*main.hub).srv -> (*main.server).clients[7] ->
#              (*main.client).subs"; plain, root main.theHub (in nm)
#   chain      link3's entries (gm:insert-chain), three objects down a
#              pointer chain: "<root> -> (*main.link1).next ->
#              (*main.link2).next -> (*main.link3).entries"; plain, root
#              main.chain (in nm)
#   frame      the owner's items (gm:insert-owner), held by a heap object
#              only ownerLoop's frame points to: kind "heap", function
#              main.ownerLoop, its goroutine, path exactly
#              "main.ownerLoop (goroutine N) -> (*main.ownerState).items"
#   keys       sample_keys: 3 per map, decoded by key type: "s-N" strings,
#              integers, {User:"u-N", N:N} structs
#   retained   the sessions map's retained_bytes counts its *Session values
#              (88 bytes each) and key strings: between bucket_bytes + 80
#              and bucket_bytes + 200 bytes per entry, said estimated
#   cost       overhead.holder_bytes_read > 0, the longest search < 2 s
#   output     the target's stdout (its own check of its maps, seven "ok"
#              lines) equals an untraced run's
# And once, on go1.26/plain (alone, so the measure is not shared):
#   throughput the fixture's spinner (sha256 per 50 ms bucket, -tplog)
#              while the holder search ran (overhead.holder_last_search_*)
#              keeps at least half its median of the 2 s before
#   nokeys     that session has no --keys: map hops say […], not the
#              key (main.tenants[…], clients[…]), sample_keys null
# And the daemon (go1.27 plain, its own copy named holders-daemon, run
# alongside the pairs): /metrics has gomaptrace_map_holder_info with the
# right holder label for the maps whose holder needs no map made before
# the daemon attached (main.sessions, main.reg, main.chain, main.ownerLoop,
# main.worker), and holder_search_read_bytes_total > 0.
#
# Logs and JSON reports stay in $GM_BUILD/e2e/holders/.  Cost: about 10 s
# per pair, HL_JOBS pairs at a time (default 3).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

: "${HL_JOBS:=3}"
LOGDIR=$GM_BUILD/e2e/holders
WIN=(--window 1s --min-windows 4)
SESSION=8s
TL_SRC=tests/fixtures/holders/main.go

if [ ! -x "$GM" ]; then
	fail "holders/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "holders/setup" "needs root (BPF uprobes)"
	exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

L_GLOBAL=$(tl_line insert-global) || exit 1
L_FIELD=$(tl_line insert-field) || exit 1
L_TENANT=$(tl_line insert-tenant) || exit 1
L_LOCAL=$(tl_line insert-local) || exit 1
L_SUB=$(tl_line insert-sub) || exit 1
L_CHAIN=$(tl_line insert-chain) || exit 1
L_OWNER=$(tl_line insert-owner) || exit 1
NOK=7	# the fixture's "ok" lines

# shellcheck disable=SC2016
HL_JQ_DEFS='
def at($l): . != null and .line == $l and ((.file // "") | endswith("tests/fixtures/holders/main.go"));
def m($l): [.leaks[] | select(.insert_at | at($l))] | .[0];
def brief: {type, verdict, held_by, sample_keys, retained_bytes, bucket_bytes, entries_last};
'

# nm_has BIN SYM: the unstripped binary defines SYM as a data symbol.
nm_has() {
	local tc=$1 bin=$2 sym=$3
	gm_go "$tc" tool nm "$bin" 2>/dev/null | awk -v s="$sym" '$3 == s && ($2 == "D" || $2 == "B" || $2 == "d" || $2 == "b") { f = 1 } END { exit !f }'
}

run_pair() {
	local tc=$1 v=$2 p="holders/$1/$2" d=$LOGDIR/$1/$2 bin j plain=false
	bin=$(gm_fixture "$tc" "$v" holders)
	# plain and cgo builds keep .symtab: names; stripped PIE: section + offset
	[ "$v" != pie-stripped ] && plain=true
	mkdir -p "$d"
	if [ ! -x "$bin" ]; then
		fail "$p/fixture" "$bin is not built (make fixtures)"
		return
	fi
	"$bin" -duration 2s >"$d/ref.out" 2>"$d/ref.err" </dev/null
	tl_trace "$d" pos "${WIN[@]}" -d "$SESSION" --keys 3 --json "$d/pos.json" \
		-- "$bin" -rate 200 -duration 40s
	tl_reap "$d/pos.json" "$bin"
	tl_json_ok "$p/report" "$d/pos.json" "$d" pos || return
	j=$(tl_min "$d/pos.json")

	if $plain; then
		tl_assert "$p/global" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "global" and .name == "main.sessions"' \
			"$HL_JQ_DEFS"'"want main.sessions; got " + (m($L) | brief | tostring)' --argjson L "$L_GLOBAL"
		nm_has "$tc" "$bin" main.sessions || fail "$p/global-nm" "go tool nm does not list main.sessions as data"
		tl_assert "$p/field" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and .name == "main.reg" and .path == "main.reg -> (*main.registry).byID"' \
			"$HL_JQ_DEFS"'"want main.reg -> (*main.registry).byID; got " + (m($L) | brief | tostring)' --argjson L "$L_FIELD"
		nm_has "$tc" "$bin" main.reg || fail "$p/field-nm" "go tool nm does not list main.reg as data"
		tl_assert "$p/tenant" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and .path == "main.tenants[\"t-07\"]"' \
			"$HL_JQ_DEFS"'"want main.tenants[\"t-07\"]; got " + (m($L) | brief | tostring)' --argjson L "$L_TENANT"
		tl_assert "$p/deep" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and .name == "main.theHub" and .path == "main.theHub -> (*main.hub).srv -> (*main.server).clients[7] -> (*main.client).subs"' \
			"$HL_JQ_DEFS"'"want main.theHub -> (*main.hub).srv -> (*main.server).clients[7] -> (*main.client).subs; got " + (m($L) | brief | tostring)' --argjson L "$L_SUB"
		nm_has "$tc" "$bin" main.theHub || fail "$p/deep-nm" "go tool nm does not list main.theHub as data"
		tl_assert "$p/chain" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and .name == "main.chain" and .path == "main.chain -> (*main.link1).next -> (*main.link2).next -> (*main.link3).entries"' \
			"$HL_JQ_DEFS"'"want main.chain -> (*main.link1).next -> (*main.link2).next -> (*main.link3).entries; got " + (m($L) | brief | tostring)' --argjson L "$L_CHAIN"
		nm_has "$tc" "$bin" main.chain || fail "$p/chain-nm" "go tool nm does not list main.chain as data"
	else
		tl_assert "$p/deep" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and (.path | test("^package-level variable \\(\\.(bss|data)\\+0x[0-9a-f]+\\) -> \\(\\*main\\.hub\\)\\.srv -> \\(\\*main\\.server\\)\\.clients\\[7\\] -> \\(\\*main\\.client\\)\\.subs$"))' \
			"$HL_JQ_DEFS"'"want <variable> -> (*main.hub).srv -> (*main.server).clients[7] -> (*main.client).subs; got " + (m($L) | brief | tostring)' --argjson L "$L_SUB"
		tl_assert "$p/chain" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and (.path | test("^package-level variable \\(\\.(bss|data)\\+0x[0-9a-f]+\\) -> \\(\\*main\\.link1\\)\\.next -> \\(\\*main\\.link2\\)\\.next -> \\(\\*main\\.link3\\)\\.entries$"))' \
			"$HL_JQ_DEFS"'"want <variable> -> (*main.link1).next -> (*main.link2).next -> (*main.link3).entries; got " + (m($L) | brief | tostring)' --argjson L "$L_CHAIN"
		tl_assert "$p/global" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "global" and (.name | test("^package-level variable \\(\\.(bss|data)\\+0x[0-9a-f]+\\)$"))' \
			"$HL_JQ_DEFS"'"want a package-level variable in .bss/.data; got " + (m($L) | brief | tostring)' --argjson L "$L_GLOBAL"
		tl_assert "$p/field" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and (.path | test("^package-level variable \\(\\.(bss|data)\\+0x[0-9a-f]+\\) -> \\(\\*main\\.registry\\)\\.byID$"))' \
			"$HL_JQ_DEFS"'"want <variable> -> (*main.registry).byID; got " + (m($L) | brief | tostring)' --argjson L "$L_FIELD"
		tl_assert "$p/tenant" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and (.path | test("^package-level variable .*\\[\"t-07\"\\]$"))' \
			"$HL_JQ_DEFS"'"want <variable>[\"t-07\"]; got " + (m($L) | brief | tostring)' --argjson L "$L_TENANT"
	fi
	tl_assert "$p/stack" "$j" "$HL_JQ_DEFS"'m($L) | .held_by.kind == "stack" and .held_by.function == "main.worker" and .held_by.goroutine == .stack_map.goroutine and .held_by.goroutine > 0' \
		"$HL_JQ_DEFS"'"want the frame of main.worker; got " + (m($L) | brief | tostring)' --argjson L "$L_LOCAL"
	tl_assert "$p/frame" "$j" "$HL_JQ_DEFS"'m($L).held_by | .kind == "heap" and .function == "main.ownerLoop" and .name == "main.ownerLoop" and .goroutine > 0
		and .path == "main.ownerLoop (goroutine \(.goroutine)) -> (*main.ownerState).items"' \
		"$HL_JQ_DEFS"'"want main.ownerLoop (goroutine N) -> (*main.ownerState).items; got " + (m($L) | brief | tostring)' --argjson L "$L_OWNER"
	tl_assert "$p/keys" "$j" "$HL_JQ_DEFS"'
		(m($G).sample_keys | length == 3 and all(test("^\"s-[0-9]+\"$")))
		and (m($F).sample_keys | length == 3 and all(test("^[0-9]+$")))
		and (m($T).sample_keys | length == 3 and all(test("^\\{User:\"(u-[0-9]+|seed)\", N:[0-9]+\\}$")))
		and (m($S).sample_keys | length == 3 and all(test("^[0-9]+$")))' \
		"$HL_JQ_DEFS"'"keys: " + ([m($G), m($F), m($T), m($S)] | map(.sample_keys) | tostring)' \
		--argjson G "$L_GLOBAL" --argjson F "$L_FIELD" --argjson T "$L_TENANT" --argjson S "$L_LOCAL"
	tl_assert "$p/retained" "$j" "$HL_JQ_DEFS"'m($L) | .retained_estimated and
		.retained_bytes >= .bucket_bytes + 80 * .entries_last and .retained_bytes <= .bucket_bytes + 200 * .entries_last' \
		"$HL_JQ_DEFS"'"want bucket_bytes + 80..200 B per entry; got " + (m($L) | brief | del(.held_by, .sample_keys) | tostring)' --argjson L "$L_GLOBAL"
	tl_assert "$p/cost" "$j" '.overhead | .holder_bytes_read > 0 and .holder_max_search_seconds < 2 and .holder_maps >= 7' \
		'"overhead: " + (.overhead | tostring)'
	if [ -s "$d/ref.out" ] && [ "$(grep -c ' ok$' "$d/ref.out")" = "$NOK" ] && cmp -s "$d/ref.out" "$d/pos.out"; then
		pass "$p/output"
	else
		fail "$p/output" "traced stdout '$(tr '\n' ' ' <"$d/pos.out")' vs untraced '$(tr '\n' ' ' <"$d/ref.out")'; trace exit $(tl_rc "$d" pos)"
	fi
}

# throughput: the fixture's own measure while the holder search ran
run_throughput() {
	local p=holders/go1.26/plain/throughput d=$LOGDIR/throughput bin j s e res
	bin=$(gm_fixture go1.26 plain holders)
	mkdir -p "$d"
	tl_trace "$d" tp "${WIN[@]}" -d "$SESSION" --json "$d/tp.json" \
		-- "$bin" -rate 200 -duration 40s -tplog "$d/tp.log"
	tl_reap "$d/tp.json" "$bin"
	tl_json_ok "$p" "$d/tp.json" "$d" tp || return
	j=$(tl_min "$d/tp.json")
	tl_assert holders/go1.26/plain/nokeys "$j" "$HL_JQ_DEFS"'(m($T).held_by.path == "main.tenants[…]") and
		(m($S).held_by.path == "main.theHub -> (*main.hub).srv -> (*main.server).clients[…] -> (*main.client).subs")
		and m($T).sample_keys == null and m($S).sample_keys == null' \
		"$HL_JQ_DEFS"'"without --keys want […] hops and no keys; got " + ([m($T), m($S)] | map(brief) | tostring)' \
		--argjson T "$L_TENANT" --argjson S "$L_SUB"
	s=$(jq -r '.overhead.holder_last_search_start_unix_ms' "$d/tp.json")
	e=$(jq -r '.overhead.holder_last_search_end_unix_ms' "$d/tp.json")
	# buckets are stamped at their end: those ending in [s, e + 50] overlap the search
	local med dmin n
	n=$(awk -v s="$s" '$1 >= s - 2000 && $1 < s - 50' "$d/tp.log" | wc -l)
	med=$(awk -v s="$s" '$1 >= s - 2000 && $1 < s - 50 { print $2 }' "$d/tp.log" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
	dmin=$(awk -v s="$s" -v e="$e" '$1 >= s && $1 <= e + 50 { print $2 }' "$d/tp.log" | sort -n | head -1)
	if [ "$n" -lt 10 ] || [ -z "$dmin" ] || [ -z "$med" ]; then
		res="none $n ${dmin:-0}"
	elif [ $((dmin * 2)) -ge "$med" ]; then
		res="ok $med $dmin $(awk -v a="$dmin" -v b="$med" 'BEGIN { printf "%.2f", a / b }')"
	else
		res="low $med $dmin $(awk -v a="$dmin" -v b="$med" 'BEGIN { printf "%.2f", a / b }')"
	fi
	case $res in
	ok*) pass "$p ($(jq -r '.overhead.holder_seconds * 1000 | floor' "$d/tp.json") ms search; sha256/50ms: median before $(echo "$res" | cut -d' ' -f2), during $(echo "$res" | cut -d' ' -f3), ratio $(echo "$res" | cut -d' ' -f4))" ;;
	*) fail "$p" "search [$s, $e] ms: $res (buckets before: median, during: min, ratio) [$d/tp.log]" ;;
	esac
}

# The daemon: holder_info series of a holders copy started after it.
run_daemon() {
	local p=holders/daemon d=$LOGDIR/daemon port dpid fpid i m="" n t h line
	mkdir -p "$d"
	cp "$(gm_fixture go1.27 plain holders)" "$d/holders-daemon"
	port=$(free_port)
	"$GM" daemon --listen 127.0.0.1:"$port" "${WIN[@]}" --include '^holders-daemon$' \
		>"$d/daemon.out" 2>"$d/daemon.err" &
	dpid=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break
		sleep 0.1
	done
	"$d/holders-daemon" -rate 200 -duration 40s >"$d/target.out" 2>&1 &
	fpid=$!
	for ((i = 0; i < 60; i++)); do
		sleep 0.5
		m=$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null)
		n=$(echo "$m" | grep '^gomaptrace_map_holder_info{' | grep -c 'comm="holders-daemon"')
		[ "$n" -ge 5 ] && break
	done
	echo "$m" >"$d/metrics.txt"
	kill "$fpid" "$dpid" 2>/dev/null
	wait "$fpid" "$dpid" 2>/dev/null
	for t in 'map[string]*main.Session|main.sessions' 'map[int]string|main.reg' 'map[uint32]string|main.chain' \
		'map[int32]bool|main.ownerLoop' 'map[int64]int64|main.worker'; do
		h=${t#*|}
		line=$(grep '^gomaptrace_map_holder_info{' "$d/metrics.txt" | grep 'comm="holders-daemon"' |
			grep -F "type=\"${t%%|*}\"" | grep -F "holder=\"$h\"" | grep ' 1$' | head -1)
		if [ -n "$line" ]; then
			pass "$p/$h"
		else
			fail "$p/$h" "no holder_info series of type ${t%%|*} with holder $h after $((i / 2)) s: $(grep '^gomaptrace_map_holder_info{' "$d/metrics.txt" | grep -o 'type=.*' | tr '\n' ' ' | cut -c1-600); daemon: $(tail -2 "$d/daemon.err" | tr '\n' ' ')"
		fi
	done
	n=$(awk '/^gomaptrace_holder_search_read_bytes_total /{ print $2 }' "$d/metrics.txt")
	if [ "${n:-0}" -gt 0 ] 2>/dev/null; then
		pass "$p/cost ($n bytes read, $(awk '/^gomaptrace_holder_search_seconds_total /{ print $2 }' "$d/metrics.txt") s)"
	else
		fail "$p/cost" "gomaptrace_holder_search_read_bytes_total '${n:-}'"
	fi
}

T0=$SECONDS
run_daemon >"$LOGDIR/daemon.result" 2>&1 &
running=1	# the daemon check counts as one of the HL_JOBS
while read -r tc v; do
	run_pair "$tc" "$v" >"$LOGDIR/$tc-$v.result" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$HL_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done < <({ matrix_pairs core; for tc in "${GM_TOOLCHAINS[@]}"; do echo "$tc plain"; done; } | sort -u)
wait
cat "$LOGDIR"/*.result
run_throughput
echo "holders: $((SECONDS - T0)) s"
