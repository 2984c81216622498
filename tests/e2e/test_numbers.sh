#!/usr/bin/env bash
#
# End-to-end tests of the numbers in `gomaptrace trace` reports (issue 18),
# with real BPF, as root, on the plain variant of every toolchain of the Go
# matrix, against tests/fixtures/numbers.  One session per toolchain
# (--window 1s --min-windows 4 -d 10s) runs the modes bloat, fillonce, churn,
# clearrefill and leak at once; checks, named numbers/TOOLCHAIN/CHECK:
#   bloated        the map left with 100 of 300,000 keys is bloated, its
#                  capacity at least 300,000 slots and a power of two
#                  (classic) / a sum of whole tables (swiss), plateau
#   fillonce       the map filled at start is plateau, its judged rate 0
#                  while its session rate is positive
#   churn          the constant-size rotated map is plateau, not shrinking
#   clearrefill    the cleared-and-refilled map is sawtooth, never leak
#   leak           the steady leak is leak, judged rate > 0, capacity >=
#                  entries
#   counts         map_counts: tracked = alive + gone + evicted
#   pprof-insert   `go tool pprof -top` of the profile names main.leakInsert
#                  (the inserting function, from the growth stack) and
#                  `-traces` carries its created_at label
# About 60 s: the sessions run NUM_JOBS (3) at a time.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/matrix.sh

LOGDIR=$GM_BUILD/e2e/numbers
SRC=tests/fixtures/numbers/main.go
if [ ! -x "$GM" ] || [ "$(id -u)" -ne 0 ]; then
	fail "numbers/setup" "needs $GM built and root"
	exit 1
fi
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
line() { grep -n "// gm:$1\$" "$SRC" | cut -d: -f1; }

session() {
	local tc=$1 fx
	fx=$(gm_fixture "$tc" plain numbers)
	timeout -k 5 60 "$GM" trace --window 1s --min-windows 4 -d 10s --json "$LOGDIR/$tc.json" \
		--pprof "$LOGDIR/$tc.pb.gz" -o "$LOGDIR/$tc.txt" -- \
		"$fx" bloat,fillonce,churn,clearrefill,leak -duration 20s \
		>"$LOGDIR/$tc.out" 2>"$LOGDIR/$tc.err" </dev/null
	echo $? >"$LOGDIR/$tc.rc"
}

# check NAME JSON LINE FILTER: the map created on LINE satisfies FILTER.
check() {
	local name=$1 json=$2 l=$3 filter=$4
	if jq -e --argjson L "$l" "[.maps[] | select(.created_at.line == \$L)] | length == 1 and (.[0] | $filter)" \
		"$json" >/dev/null 2>&1; then
		pass "$name"
	else
		fail "$name" "$(jq -c --argjson L "$l" '[.maps[] | select(.created_at.line == $L) | del(.stack)]' "$json" 2>&1 | cut -c1-600)"
	fi
}

# NUM_JOBS sessions at a time: each fills 300,000 keys and deletes them
# again, and with the whole release line at once on 2 cores the fill was
# still running in the judged windows (bloated read sawtooth/shrinking)
: "${NUM_JOBS:=3}"
running=0
for tc in "${GM_TOOLCHAINS[@]}"; do
	session "$tc" &
	running=$((running + 1))
	if [ "$running" -ge "$NUM_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for tc in "${GM_TOOLCHAINS[@]}"; do
	j=$LOGDIR/$tc.json n=numbers/$tc
	if [ "$(cat "$LOGDIR/$tc.rc")" != 0 ] || [ ! -s "$j" ]; then
		fail "$n/run" "exit $(cat "$LOGDIR/$tc.rc"); $(tail -3 "$LOGDIR/$tc.err" | tr '\n' ' ')"
		continue
	fi
	check "$n/bloated" "$j" "$(line create-bloat)" \
		'.bloated and .verdict == "plateau" and .capacity >= 300000 and .entries_last == 100 and .structure_read
		 and (.capacity as $c | .tables > 0 or ([range(0; 40)] | any(pow(2; .) == $c)))'
	check "$n/fillonce" "$j" "$(line create-fillonce)" \
		'.verdict == "plateau" and .growth_per_minute == 0 and .session_growth_per_minute > 0 and .capacity >= 20000'
	check "$n/churn" "$j" "$(line create-churn)" '.verdict == "plateau" and .entries_last >= 1990'
	check "$n/clearrefill" "$j" "$(line create-clearrefill)" '.verdict == "sawtooth"'
	check "$n/leak" "$j" "$(line create-leak)" \
		'.verdict == "leak" and .growth_per_minute > 0 and .capacity >= .entries_last and (.bloated | not)'
	if jq -e '.map_counts | .tracked == .alive + .gone + .evicted' "$j" >/dev/null; then
		pass "$n/counts"
	else
		fail "$n/counts" "$(jq -c .map_counts "$j")"
	fi
	top=$(gm_go "$tc" tool pprof -top -sample_index=alloc_space "$LOGDIR/$tc.pb.gz" 2>&1)
	traces=$(gm_go "$tc" tool pprof -traces "$LOGDIR/$tc.pb.gz" 2>&1)
	if grep -qE ' main\.leakInsert$' <<<"$top" && grep -q 'created_at:.*main.newLeak' <<<"$traces"; then
		pass "$n/pprof-insert"
	else
		fail "$n/pprof-insert" "$(head -12 <<<"$top" | tr '\n' '|' | cut -c1-500)"
	fi
done
