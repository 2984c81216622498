#!/usr/bin/env bash
#
# End-to-end tests of `gomaptrace trace` with its default judging (issue 18,
# item 6: a first verdict in about half a minute; item 7: a report that is
# easy to find when it shares stderr with CMD's logs).  Real BPF, as root, on
# the plain variant of the toolchains that run the full set, against the
# scenarios fixture (tests/fixtures/scenarios).  Two sessions per toolchain,
# run in parallel:
#   A  defaults, -d 40s, -o and --json, on modes leak, warmup (fills for 20 s,
#      then only updates), lru, sawtooth, perrequest (churn), fillupdate:
#        A/leak       the leak is a leak, named on rising windows that span
#                     at least GM_TRACE_MIN_SPAN_S (25 s)
#        A/no-false   no other map or site of the fixture is a leak
#        A/warmup     the warmed-up cache is plateau
#        A/json       the session records widening windows 5 s..60 s, span 25 s
#        A/banner     stderr has the start line, and no -o hint (-o given)
#   B  -d 23s --min-windows 3, text report to stderr (a file here):
#        B/span       neither the leak nor the warm-up is a leak yet: their
#                     rising windows (at most 20 s) are short of the span
#                     rule, although more than 3 of them rose
#        B/hint       stderr says the report lands among the program's
#                     output and that -o FILE puts it in a file
#        B/report     the text report is on stderr, after the hint
# About 45 s.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

LOGDIR=$GM_BUILD/e2e/defaults
if [ ! -x "$GM" ] || [ "$(id -u)" -ne 0 ]; then
	fail "defaults/setup" "needs $GM built and root"
	exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
MODES=leak,warmup,lru,sawtooth,perrequest,fillupdate
L_LEAK=$(tl_line create-leak) L_WARM=$(tl_line create-warmup) || exit 1

session_a() {
	local tc=$1 fx
	fx=$(gm_fixture "$tc" plain scenarios)
	timeout -k 5 70 "$GM" trace -d 40s -o "$LOGDIR/$tc.a.txt" --json "$LOGDIR/$tc.a.json" -- \
		"$fx" "$MODES" >"$LOGDIR/$tc.a.out" 2>"$LOGDIR/$tc.a.err" </dev/null
	echo $? >"$LOGDIR/$tc.a.rc"
}
session_b() {
	local tc=$1 fx
	fx=$(gm_fixture "$tc" plain scenarios)
	timeout -k 5 50 "$GM" trace -d 23s --min-windows 3 --json "$LOGDIR/$tc.b.json" -- \
		"$fx" leak,warmup >"$LOGDIR/$tc.b.out" 2>"$LOGDIR/$tc.b.err" </dev/null
	echo $? >"$LOGDIR/$tc.b.rc"
}

TCS=$(gm_toolchains full)
for tc in $TCS; do
	session_a "$tc" &
	session_b "$tc" &
done
wait

for tc in $TCS; do
	n=defaults/$tc
	a=$LOGDIR/$tc.a.json b=$LOGDIR/$tc.b.json
	if tl_json_ok "$n/A/run" "$a" "$LOGDIR" "$tc.a"; then
		am=$(tl_min "$a")
		tl_assert "$n/A/leak" "$am" \
			"$TL_JQ_DEFS"'[.maps[] | select(.created_at | at($L))] | length == 1 and (.[0] | .verdict == "leak"
			 and .evidence.judged_seconds >= $S)' \
			"$TL_JQ_DEFS"'[.maps[] | select(.created_at | at($L)) | {verdict, evidence}]' \
			--argjson L "$L_LEAK" --argjson S 25
		tl_assert "$n/A/no-false" "$am" \
			"$TL_JQ_DEFS"'[(.maps[], .sites[]) | select(.verdict == "leak")
			  | select(((.created_at // .site) | at($L)) | not)] | length == 0' \
			"$TL_JQ_DEFS"'[.maps[] | select(.verdict == "leak") | brief]' \
			--argjson L "$L_LEAK"
		tl_assert "$n/A/warmup" "$am" \
			"$TL_JQ_DEFS"'[.maps[] | select(.created_at | at($W))] | length == 1 and .[0].verdict == "plateau"' \
			"$TL_JQ_DEFS"'[.maps[] | select(.created_at | at($W)) | {verdict, evidence}]' \
			--argjson W "$L_WARM"
		tl_assert "$n/A/json" "$am" \
			"$TL_JQ_DEFS"'.window_seconds == 5 and .window_max_seconds == 60 and .min_span_seconds == 25' \
			'{window_seconds, window_max_seconds, min_span_seconds}'
		if grep -q '^gomaptrace trace: tracing pid [0-9]* (scenarios); a leak can be named after 25 s' "$LOGDIR/$tc.a.err" &&
			! grep -q -- '-o FILE' "$LOGDIR/$tc.a.err"; then
			pass "$n/A/banner"
		else
			fail "$n/A/banner" "$(head -3 "$LOGDIR/$tc.a.err" | tr '\n' ' ' | cut -c1-300)"
		fi
	fi
	tl_reap "$a" "$(gm_fixture "$tc" plain scenarios)"
	if tl_json_ok "$n/B/run" "$b" "$LOGDIR" "$tc.b"; then
		bm=$(tl_min "$b")
		tl_assert "$n/B/span" "$bm" \
			"$TL_JQ_DEFS"'[.maps[] | select((.created_at | at($L)) or (.created_at | at($W)))]
			 | length == 2 and all(.verdict != "leak" and .evidence.rising_windows > 3)' \
			"$TL_JQ_DEFS"'[.maps[] | select((.created_at | at($L)) or (.created_at | at($W))) | {verdict, evidence}]' \
			--argjson L "$L_LEAK" --argjson W "$L_WARM"
		hint=$(grep -n 'the report goes to stderr among the program.s own output; -o FILE writes it to a file' \
			"$LOGDIR/$tc.b.err" | head -1 | cut -d: -f1)
		rep=$(grep -n '^gomaptrace report after' "$LOGDIR/$tc.b.err" | head -1 | cut -d: -f1)
		if [ -n "$hint" ]; then pass "$n/B/hint"; else
			fail "$n/B/hint" "$(head -3 "$LOGDIR/$tc.b.err" | tr '\n' ' ' | cut -c1-300)"
		fi
		if [ -n "$rep" ] && [ -n "$hint" ] && [ "$rep" -gt "$hint" ]; then pass "$n/B/report"; else
			fail "$n/B/report" "hint at line ${hint:-none}, report at line ${rep:-none} of $LOGDIR/$tc.b.err"
		fi
	fi
	tl_reap "$b" "$(gm_fixture "$tc" plain scenarios)"
done
