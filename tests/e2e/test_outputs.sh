#!/usr/bin/env bash
# gm-test: serial
#
# End-to-end tests of the outputs of `gomaptrace trace` (issue 6): --pprof,
# --folded, --json and the live terminal view, with real BPF, as root.
# One PASS/FAIL line per check, named outputs/TOOLCHAIN/VARIANT/CHECK.
#
# For every core pair of the Go matrix (matrix.sh), one session traces
# the leaky fixture (-- CMD, stdout and stderr to files) writing all three
# files, and then:
#   run          the session exits 0 and wrote all three files
#   no-escapes   nothing it wrote to a non-terminal holds an ESC byte
#   json-target  the JSON report names the Go version of the toolchain and
#                its map implementation (matrix.sh's IMPL column)
#   pprof-types  `go tool pprof -raw` (of the same toolchain) reads sample
#                types inuse_space/bytes (default), alloc_space/bytes, grows/count,
#                entries/count, retained_space/bytes
#   pprof-top    `go tool pprof -top -sample_index=inuse_space` opens it
#                without a word on stderr and lists main.init (the leaking
#                map's creation site) or main.remember (its insert site),
#                with the target's Go version and map implementation among
#                the comments in the header; on stripped PIE too, since
#                the profile carries the function names
#   pprof-traces `-traces` has a sample of type map[string]*main.Session,
#                verdict leak, pid of the target, through main.init or
#                main.remember
#   folded       every line is `frames value`; a line through main.init or
#                main.remember ends with a positive value, its leaf frame
#                is [map[string]*main.Session], its root frame names the
#                process, Go version and map implementation
# Once (the newest toolchain, plain), in a private tmux server:
#   live-table   `trace -- leaky` in a terminal shows the top-like table
#                with the leaking map, its type and insert site, and the
#                status line
#   live-sort    `s` moves the sort order to growth/min
#   live-quit    `q` ends the session: the final report comes after the
#                view, and the tracer exits 0
#   live-raw     the view drew with escape codes (sanity of the next check)
#   no-live-tty  with --no-live, a terminal gets no escape code at all
#
# Sessions use short windows (--window 1s --min-windows 4 -d 7s) and run
# five at a time.  Files stay in $GM_BUILD/e2e/outputs/.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

: "${OUT_JOBS:=5}"
LOGDIR=$GM_BUILD/e2e/outputs
WIN=(--window 1s --min-windows 4)
SESSION=7s
SESSION_CAP=40		# seconds before a hung session is stopped
ROOT=$PWD
T0=$SECONDS

if [ ! -x "$GM" ]; then
	fail "outputs/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "outputs/setup" "tracing needs root"
	exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

# one_session TC VARIANT: the traced run of one pair, files in $LOGDIR/TC-VARIANT.*
one_session() {
	local tc=$1 v=$2 base=$LOGDIR/$1-$2
	timeout -k 5 "$SESSION_CAP" "$GM" trace "${WIN[@]}" -d "$SESSION" \
		--pprof "$base.pb.gz" --folded "$base.folded" --json "$base.json" \
		-- "$(gm_fixture "$tc" "$v" leaky)" >"$base.out" 2>"$base.err" </dev/null
	echo $? >"$base.rc"
}

tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# check_pair TC VARIANT: every check of one pair's session.
check_pair() {
	local tc=$1 v=$2 base=$LOGDIR/$1-$2 n="outputs/$1/$2" rc ver impl pid
	local top traces raw
	rc=$(cat "$base.rc" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ] || [ ! -s "$base.pb.gz" ] || [ ! -s "$base.folded" ] || [ ! -s "$base.json" ]; then
		fail "$n/run" "exit $rc; files: $(cd "$LOGDIR" && ls "$1-$2".* | tr '\n' ' '); stderr: $(tail_of "$base.err")"
		return
	fi
	pass "$n/run"

	if grep -l $'\033' "$base.out" "$base.err" "$base.folded" "$base.json" >/dev/null 2>&1; then
		fail "$n/no-escapes" "ESC in $(grep -l $'\033' "$base.out" "$base.err" "$base.folded" "$base.json" | tr '\n' ' ')"
	else
		pass "$n/no-escapes"
	fi

	impl=$(expected_impl "$tc")
	ver=$(jq -r '.targets[0].go_version // empty' "$base.json")
	pid=$(jq -r '.targets[0].pid // empty' "$base.json")
	if [[ $ver == "${tc%-noswiss}".* || $ver == "${tc%-noswiss}" ]] &&
		[ "$(jq -r '.targets[0].map_impl' "$base.json")" = "$impl" ]; then
		pass "$n/json-target"
	else
		fail "$n/json-target" "$(jq -c '.targets' "$base.json" | cut -c1-300), want ${tc%-noswiss}.x $impl"
	fi

	raw=$(gm_go "$tc" tool pprof -raw "$base.pb.gz" 2>"$base.pprof-raw.err")
	if grep -q '^inuse_space/bytes\[dflt\] alloc_space/bytes grows/count entries/count retained_space/bytes$' <<<"$raw" &&
		[ ! -s "$base.pprof-raw.err" ]; then
		pass "$n/pprof-types"
	else
		fail "$n/pprof-types" "$(grep -m1 -A1 '^Samples:' <<<"$raw" | tr '\n' ' ') stderr: $(tail_of "$base.pprof-raw.err")"
	fi

	top=$(gm_go "$tc" tool pprof -top -sample_index=inuse_space "$base.pb.gz" 2>"$base.pprof-top.err")
	echo "$top" >"$base.top"
	if [ -s "$base.pprof-top.err" ]; then
		fail "$n/pprof-top" "pprof complained: $(tail_of "$base.pprof-top.err")"
	elif ! grep -qE ' main\.(init|remember)$' <<<"$top"; then
		fail "$n/pprof-top" "no main.init/main.remember node: $(head -20 <<<"$top" | tr '\n' '|' | cut -c1-600)"
	elif ! grep -qF "$ver, $impl maps" <<<"$top"; then
		fail "$n/pprof-top" "header does not name $ver, $impl maps: $(head -4 <<<"$top" | tr '\n' '|')"
	else
		pass "$n/pprof-top"
	fi

	traces=$(gm_go "$tc" tool pprof -traces "$base.pb.gz" 2>"$base.pprof-traces.err")
	echo "$traces" >"$base.traces"
	# one block per sample, split on pprof's separator lines
	if [ ! -s "$base.pprof-traces.err" ] && awk -v pid="$pid" '
		/^-+\+-+$/ { if (blk ~ /type: +map\[string\]\*main\.Session\n/ && blk ~ /verdict: +leak\n/ &&
				 blk ~ ("pid: +" pid "\n") && blk ~ / main\.(init|remember)( \(inline\))?\n/) ok = 1
			     blk = ""; next }
		{ blk = blk $0 "\n" }
		END { if (blk ~ /type: +map\[string\]\*main\.Session\n/ && blk ~ /verdict: +leak\n/ &&
			  blk ~ ("pid: +" pid "\n") && blk ~ / main\.(init|remember)( \(inline\))?\n/) ok = 1
		      exit !ok }' <<<"$traces"; then
		pass "$n/pprof-traces"
	else
		fail "$n/pprof-traces" "no leak sample of map[string]*main.Session through main.init/remember (pid $pid); stderr: $(tail_of "$base.pprof-traces.err"); $(grep -A6 'main.Session' <<<"$traces" | head -8 | tr '\n' '|')"
	fi

	local bad hit
	bad=$(grep -cvE '^[^ ;][^;]*(;[^;]+)* [0-9]+$' "$base.folded")
	hit=$(grep -E ';main\.(init|remember);' "$base.folded" |
		grep -E ';\[map\[string\]\*main\.Session\] [1-9][0-9]*$' |
		grep -cF "leaky ($ver, $impl maps);")
	if [ "$bad" = 0 ] && [ "$hit" -ge 1 ]; then
		pass "$n/folded"
	else
		fail "$n/folded" "$bad malformed lines, $hit leak lines rooted at 'leaky ($ver, $impl maps)': $(head -c 600 "$base.folded" | tr '\n' '|')"
	fi
}

# ---- every pair of the matrix, OUT_JOBS sessions at a time ----
mapfile -t PAIRS < <(matrix_pairs core)
for pair in "${PAIRS[@]}"; do
	while (($(jobs -rp | wc -l) >= OUT_JOBS)); do
		wait -n
	done
	# shellcheck disable=SC2086
	one_session $pair &
done
wait
for pair in "${PAIRS[@]}"; do
	# shellcheck disable=SC2086
	check_pair $pair
done

# ---- the live view, in a private tmux server ----
TMUX_SOCK=gm-outputs-$$
tm() { tmux -L "$TMUX_SOCK" "$@"; }
pane() { tm capture-pane -p -t live -S - 2>/dev/null; }
# wait_pane PATTERN SECONDS: until the pane shows PATTERN (extended regexp)
wait_pane() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		pane | grep -qE "$1" && return 0
		sleep 0.2
	done
	return 1
}
live_test() {
	local fx raw=$LOGDIR/live.raw noraw=$LOGDIR/nolive.raw screen
	fx=$(gm_fixture "$(gm_newest)" plain leaky)
	[[ $fx == /* ]] || fx=$ROOT/$fx
	if ! command -v tmux >/dev/null; then
		fail "outputs/live-table" "tmux is not installed"
		return
	fi
	# "sleep 1" first: pipe-pane must be in place before the tracer writes
	tm new-session -d -s live -x 160 -y 40 -c "$ROOT" \
		"sleep 1; $GM trace ${WIN[*]} -d 60s -- $fx; echo GM-EXIT=\$?; sleep 60"
	tm pipe-pane -t live -o "cat >$raw"
	# the provisional state from the start: the first screen with the map
	# shows it short of a verdict (RISING k/4, k < 4), a later one 4/4 or more
	local first=
	if wait_pane 'map\[string\]\*main\.Session' 15; then
		first=$(pane)
	fi
	if wait_pane 'map\[string\]\*main\.Session' 1 && sleep 5 && screen=$(pane) &&
		grep -qE '^ leak +[0-9]+ +\+[0-9]+ .*map\[string\]\*main\.Session +main\.remember main\.go:[0-9]+' <<<"$screen" &&
		grep -qE 'targets 1 \(1 live\) +events [0-9]+/s +lost 0 +mode default' <<<"$screen" &&
		grep -qF "$(gm_newest)" <<<"$screen"; then
		pass "outputs/live-table"
	else
		fail "outputs/live-table" "$(pane | grep -v '^$' | head -12 | tr '\n' '|' | cut -c1-900)"
	fi
	if grep -qE ' RISING ' <<<"$first" &&
		grep -qE '^ [a-z]+ +[0-9]+ +[-+][0-9]+ .* [0-3]/4 +map\[string\]\*main\.Session' <<<"$first" &&
		grep -qE '^ leak +[0-9]+ .* ([4-9]|1[0-9])/4 +map\[string\]\*main\.Session' <<<"$screen"; then
		pass "outputs/live-rising"
	else
		fail "outputs/live-rising" "first: $(grep -E 'RISING|Session' <<<"$first" | tr '\n' '|' | cut -c1-400) later: $(grep -E 'Session' <<<"$screen" | tr '\n' '|' | cut -c1-300)"
	fi
	tm send-keys -t live s
	if wait_pane 'sort: growth/min' 5; then
		pass "outputs/live-sort"
	else
		fail "outputs/live-sort" "$(pane | grep -v '^$' | tail -2 | tr '\n' '|')"
	fi
	tm send-keys -t live q
	if wait_pane 'GM-EXIT=' 15; then
		screen=$(pane)
		# the report follows the view: its first line comes after the last table line
		if grep -q 'GM-EXIT=0' <<<"$screen" &&
			grep -qE '^LEAKS: 1 map' <<<"$screen" &&
			awk '/^gomaptrace report after/ { r = NR } / q quit and report/ { v = NR }
			     END { exit !(r && r > v) }' <<<"$screen"; then
			pass "outputs/live-quit"
		else
			fail "outputs/live-quit" "$(grep -v '^$' <<<"$screen" | tail -12 | tr '\n' '|' | cut -c1-900)"
		fi
	else
		fail "outputs/live-quit" "q did not end the session: $(pane | grep -v '^$' | tail -3 | tr '\n' '|')"
	fi
	tm kill-session -t live 2>/dev/null
	if grep -q $'\033' "$raw" 2>/dev/null; then
		pass "outputs/live-raw"
	else
		fail "outputs/live-raw" "no escape code captured from the live view ($raw)"
	fi

	tm new-session -d -s live -x 160 -y 40 -c "$ROOT" \
		"sleep 1; $GM trace ${WIN[*]} --no-live -d 3s -- $fx; echo GM-EXIT=\$?; sleep 60"
	tm pipe-pane -t live -o "cat >$noraw"
	if wait_pane 'GM-EXIT=' 20 && sleep 0.5 && grep -q 'gomaptrace report after' "$noraw" &&
		! grep -q $'\033' "$noraw"; then
		pass "outputs/no-live-tty"
	else
		fail "outputs/no-live-tty" "$(grep -c $'\033' "$noraw" 2>/dev/null) lines with ESC; $(head -c 300 "$noraw" 2>/dev/null | cat -v | tr '\n' '|')"
	fi
	tm kill-server 2>/dev/null
}
live_test
echo "outputs: $((SECONDS - T0))s"
