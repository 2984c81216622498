#!/usr/bin/env bash
# gm-test: serial
# `trace`'s probe budget (issue 16 item 2): by default 0.01 of a CPU per
# process, as the daemon.  On a process that makes maps as fast as it can
# (the churn fixture) the budget sheds the hot probes, the process keeps
# most of its throughput, and the report says what was shed and for how
# long.  With DEFAULT options, a leak in the same process as the churn is
# still found on a classic and a Swiss toolchain, and the churn keeps its
# rate next to an untraced copy run at the same time.  --max-overhead 0 and
# --exact say what they cost; a budget outside [0, 1] is bad usage.
. tests/e2e/lib.sh

gm_workdir gm-budget
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

# no option: the default budget, 0.01, said in the report, not on stderr
timeout -k 5 30 "$GM" trace --no-live -d 3s --json "$WORK/d.json" -o "$WORK/d.txt" -- "$FX" \
	>/dev/null 2>"$WORK/d.err"
check "budget/default/json" jq -e '.governor.max_overhead == 0.01' "$WORK/d.json"
check "budget/default/text" grep -qE '^probe budget 0.01 of a CPU per process' "$WORK/d.txt"
if grep -qi 'budget' "$WORK/d.err"; then fail "budget/default/quiet" "$(grep -i budget "$WORK/d.err")"
else pass "budget/default/quiet"; fi
# the overhead line prices hits with the measured cost (trap + BPF run time)
check "budget/default/cost-line" grep -qE '^overhead: [0-9]+ probe hits/s x [0-9.]+ us \(trap [0-9.]+ us calibrated \+ BPF [0-9.]+ us measured\) = [0-9.]+ CPU-s, [0-9.]+% of one CPU' "$WORK/d.txt"
check "budget/default/cost-json" jq -e '.overhead.bpf_run_time_measured and .overhead.bpf_run_count > 0
	and .overhead.hit_cost_seconds > .overhead.probe_cost_seconds
	and (.overhead.probe_cpu_seconds - .events.probe_hits * .overhead.hit_cost_seconds | fabs) < 1e-3 * (1e-3 + .overhead.probe_cpu_seconds)' "$WORK/d.json"

# The start allowance (0.5 CPU-s of probes in a program's first 10 s) is
# for a program trace starts: `-- CMD` above spends it on the churn's
# first second; a process traced with -p was running before, gets none,
# and pays the budget from its first hit.
"$FX" >/dev/null 2>&1 & PIDS+=($!)
cpid=${PIDS[-1]}
sleep 1
timeout -k 5 30 "$GM" trace --no-live -d 3s -p "$cpid" --json "$WORK/p.json" -o "$WORK/p.txt" >/dev/null 2>"$WORK/p.err"
kill "$cpid"; wait "$cpid" 2>/dev/null
echo "# start allowance: -- CMD probe CPU $(jq .overhead.probe_cpu_seconds "$WORK/d.json") s in 3 s, -p $(jq .overhead.probe_cpu_seconds "$WORK/p.json") s"
check "budget/allowance/cmd-gets-it" jq -e '.overhead.probe_cpu_seconds > 0.2' "$WORK/d.json"
check "budget/allowance/pid-gets-none" jq -e '.overhead.probe_cpu_seconds < 0.15 and .governor.alarms >= 1' "$WORK/p.json"

# DEFAULT options on a churn that also leaks (20,000 keys/s into one map
# from 2 s on), beside an untraced copy of the same program started at the
# same moment (another file: nothing is attached to it), classic and Swiss
# at once.  The leak must be found (main.hoardOne, the insert line) and the
# traced copy must keep most of the untraced copy's rate.
HOARD_LINE=$(grep -n 'hoard\[k\] = k' tests/fixtures/churn/main.go | cut -d: -f1)
leak_case() { # NAME TOOLCHAIN VARIANT
	local n=$1 d=$WORK/leak-$1
	mkdir -p "$d"
	cp "$(gm_fixture "$2" "$3" churn)" "$d/traced"
	cp "$(gm_fixture "$2" "$3" churn)" "$d/control"
	"$d/control" -report -leak 20000 -leak-after 2s >"$d/control.rate" &
	local cpid=$!
	timeout -k 5 90 "$GM" trace --no-live -d 40s --json "$d/r.json" -o "$d/r.txt" -- \
		"$d/traced" -report -leak 20000 -leak-after 2s >"$d/traced.rate" 2>"$d/t.err"
	echo $? >"$d/rc"
	kill "$cpid"; wait "$cpid" 2>/dev/null
}
leak_case swiss go1.26 plain & LP1=$!
leak_case classic go1.24-noswiss plain & LP2=$!
wait $LP1 $LP2
for n in swiss classic; do
	d=$WORK/leak-$n
	traced=$(median_after "$d/traced.rate" 3)
	control=$(median_after "$d/control.rate" 3)
	ratio=$(awk -v t="$traced" -v b="$control" 'BEGIN { printf "%.3f", (b > 0 ? t / b : 0) }')
	echo "# default/$n: churn maps/s traced $traced, untraced copy $control (ratio $ratio); governor $(jq -c .governor "$d/r.json" 2>&1 | head -c 200); $(grep '^overhead' "$d/r.txt")"
	[ "$(cat "$d/rc")" = 0 ] && pass "budget/default-leak/$n/exit-0" || fail "budget/default-leak/$n/exit-0" "exit $(cat "$d/rc"): $(tail -2 "$d/t.err")"
	check "budget/default-leak/$n/governed" jq -e '.governor.max_overhead == 0.01 and .governor.alarms >= 1' "$d/r.json"
	if jq -e --argjson line "$HOARD_LINE" '[(.leaking_sites[] | .site), (.leaks[] | .insert_at) | select(. != null)
		| select(.function == "main.hoardOne" and .line == $line and (.file | endswith("/churn/main.go")))] | length >= 1' "$d/r.json" >/dev/null; then
		pass "budget/default-leak/$n/leak-found"
	else
		fail "budget/default-leak/$n/leak-found" "$(head -30 "$d/r.txt")"
	fi
	if jq -e '[(.leaking_sites[] | .site), (.leaks[] | .insert_at, .created_at) | select(. != null)
		| select(.function == "main.churnOne")] | length == 0' "$d/r.json" >/dev/null; then
		pass "budget/default-leak/$n/churn-not-a-leak"
	else
		fail "budget/default-leak/$n/churn-not-a-leak" "$(jq -c '.leaking_sites' "$d/r.json" | head -c 400)"
	fi
	# A/A on these VMs spreads about +-4 %; under the budget the cost is ~1 %
	if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.85) }'; then pass "budget/default-leak/$n/throughput"
	else fail "budget/default-leak/$n/throughput" "maps/s $traced traced, $control untraced copy (ratio $ratio, want >= 0.85)"; fi
done

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
