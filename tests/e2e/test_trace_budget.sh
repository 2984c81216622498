#!/usr/bin/env bash
# gm-test: serial
# `trace --max-overhead` (issue 16 item 2, not yet the default): on a
# process that makes maps as fast as it can (the churn fixture), the
# daemon's budget (0.01 of a CPU) sheds the hot probes, the process keeps
# most of its throughput, and the report says what was shed and for how
# long.  --max-overhead 0 and --exact say what they cost; with no option
# nothing is said and nothing is shed; a budget outside [0, 1] is bad usage.
. tests/e2e/lib.sh

WORK=$(mktemp -d /tmp/gm-budget.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
FX=$(gm_fixture go1.26 plain churn)

# median of the numeric lines of FILE after the first SKIP
median_after() {
	tail -n +$(($2 + 1)) "$1" | grep -E '^[0-9]+$' | sort -n | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : 0}'
}

# baseline: the same program, untraced, for 5 s
"$FX" -report >"$WORK/base.rate" & PIDS+=($!)
sleep 5
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null
base=$(median_after "$WORK/base.rate" 1)

timeout -k 5 60 "$GM" trace --no-live -d 10s --max-overhead 0.01 --json "$WORK/r.json" -o "$WORK/r.txt" -- "$FX" -report \
	>"$WORK/traced.rate" 2>"$WORK/t.err"
rc=$?
traced=$(median_after "$WORK/traced.rate" 2)
ratio=$(awk -v t="$traced" -v b="$base" 'BEGIN { printf "%.3f", (b > 0 ? t / b : 0) }')
echo "# churn maps/s untraced $base, traced with --max-overhead 0.01 $traced (ratio $ratio); governor $(jq -c .governor "$WORK/r.json" 2>&1 | head -c 200)"
[ "$rc" = 0 ] && pass "budget/0.01/exit-0" || fail "budget/0.01/exit-0" "exit $rc: $(tail -2 "$WORK/t.err")"
check "budget/0.01/json" jq -e '.governor.max_overhead == 0.01 and .governor.alarms >= 1
	and .governor.shed_seconds > 0 and .governor.shed_points_max >= 1' "$WORK/r.json"
check "budget/0.01/text" grep -E '^probe budget 0.01 of a CPU per process: exceeded, [0-9]+ alarms?; probes shed or duty-cycled for [0-9]+ s of [0-9]+ s' "$WORK/r.txt"
# untraced-throughput ratio: ~0.005-0.02 without a budget on these VMs
if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.2) }'; then pass "budget/0.01/throughput"
else fail "budget/0.01/throughput" "maps/s $base untraced, $traced traced (ratio $ratio, want >= 0.2)"; fi
if grep -q 'no probe budget' "$WORK/t.err"; then fail "budget/0.01/quiet" "$(cat "$WORK/t.err")"
else pass "budget/0.01/quiet"; fi

timeout -k 5 30 "$GM" trace --no-live -d 3s --json "$WORK/d.json" -o "$WORK/d.txt" -- "$FX" \
	>/dev/null 2>"$WORK/d.err"
check "budget/none-given/json" jq -e '.governor.max_overhead == 0 and .governor.alarms == 0' "$WORK/d.json"
if grep -qi 'budget' "$WORK/d.err" "$WORK/d.txt"; then fail "budget/none-given/quiet" "$(grep -i budget "$WORK/d.err" "$WORK/d.txt")"
else pass "budget/none-given/quiet"; fi

timeout -k 5 30 "$GM" trace --no-live -d 3s --max-overhead 0 --json "$WORK/z.json" -o "$WORK/z.txt" -- "$FX" \
	>/dev/null 2>"$WORK/z.err"
check "budget/zero/says-cost" grep -q -- '--max-overhead 0: no probe budget' "$WORK/z.err"
check "budget/zero/json" jq -e '.governor.max_overhead == 0 and .governor.alarms == 0 and .governor.shed_seconds == 0' "$WORK/z.json"
check "budget/zero/text" grep -q '^no probe budget' "$WORK/z.txt"

timeout -k 5 30 "$GM" trace --no-live -d 2s --exact -o "$WORK/e.txt" -- "$FX" >/dev/null 2>"$WORK/e.err"
check "budget/exact/says-cost" grep -q -- '--exact: every insert and bucket allocation traps, no probe budget' "$WORK/e.err"

for bad in 2 -0.1 x; do
	"$GM" trace --max-overhead "$bad" -- "$FX" >/dev/null 2>"$WORK/bad.err"
	rc=$?
	[ "$rc" = 2 ] && grep -q -- "--max-overhead '$bad'" "$WORK/bad.err" && pass "budget/bad/$bad" \
		|| fail "budget/bad/$bad" "exit $rc: $(cat "$WORK/bad.err")"
done
