#!/usr/bin/env bash
# The test runner behind `make test`.  Runs whatever has been built: the
# cmocka unit binaries (plain and ASan+UBSan), a short seeded run of every
# libFuzzer target, and every tests/e2e/test_*.sh.  Every component's full
# output goes to build/test-logs/; failures are summarised at the end, and
# the last line is always "N passed, N failed".
#
# Usage: tests/run.sh [PATTERN...]
#   PATTERN: only run components whose name contains it (e.g. "goelf",
#   "fuzz_", "e2e/").  Component names: unit/test_x, unit-san/test_x,
#   fuzz/fuzz_x, e2e/test_x.
# Environment:
#   GM_BUILD            build directory (default ./build)
#   FUZZ_SMOKE_SECONDS  seconds per fuzz target (default 15; 0 skips fuzzing)
#   GM_TEST_JOBS        components run at once (default: number of CPUs)
#   GM_UNIT_TIMEOUT, GM_E2E_TIMEOUT  per-component limits in seconds
#
# An e2e script whose first lines contain "# gm-test: serial" runs alone
# after everything else: it may need the whole machine (BPF probes attached
# system-wide, timing-sensitive measurements).
set -uo pipefail
cd "$(dirname "$0")/.."

export GM_BUILD=${GM_BUILD:-$PWD/build}
FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-15}
JOBS=${GM_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
UNIT_TIMEOUT=${GM_UNIT_TIMEOUT:-300}
E2E_TIMEOUT=${GM_E2E_TIMEOUT:-900}
# One directory per run, build/test-logs/latest pointing at the newest:
# several people may run the suite on one tree, and wiping a shared log
# directory under a running suite loses its results.
TOP=$GM_BUILD/test-logs
mkdir -p "$TOP"
LOGS=$(mktemp -d "$TOP/run-$(date +%Y%m%d-%H%M%S)-XXXX")
RES=$LOGS/.results
mkdir -p "$RES"
ln -sfn "$(basename "$LOGS")" "$TOP/latest"
# keep the ten newest runs
ls -1dt "$TOP"/run-* 2>/dev/null | tail -n +11 | xargs -r rm -rf

# A stray CMOCKA_MESSAGE_OUTPUT=xml in the caller's environment would hide
# the summary lines this script counts.
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_XML_FILE
# Sanitizer failures must end the process with a recognisable report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
logname() { echo "$LOGS/${1//\//-}.log"; }

# record NAME PASSED FAILED SECONDS NOTE: the result of one component, kept
# in a file because components run in background subshells.
record() {
	local name=$1 p=$2 f=$3 secs=$4 note=$5
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$p" "$f" "$secs" "$note" >"$RES/${name//\//-}"
	printf '  %-34s %4s passed %3s failed %7ss%s\n' "$name" "$p" "$f" "$secs" \
		"${note:+  ($note)}"
}

sanitizer_report() {
	grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"
}

# A cmocka binary: count individual tests from its summary lines.  A
# binary may run several groups, so every summary line is added up.
run_unit() {
	local name=$1 bin=$2 log t0 rc p f note=
	log=$(logname "$name")
	t0=$(now)
	# cmocka writes results to stdout and failure details to stderr.  Kept
	# apart, neither stream can split a line of the other (a block-buffered
	# stdout flushes mid-line); they are joined into the log afterwards.
	timeout -k 10 "$UNIT_TIMEOUT" "$bin" >"$log.out" 2>"$log.err"
	rc=$?
	{ cat "$log.out"; echo "--- stderr:"; cat "$log.err"; } >"$log"
	rm -f "$log.out" "$log.err"
	p=$(sed -nE 's/.*\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
	f=$(sed -nE 's/.*\[  FAILED  \] ([0-9]+) test\(s\), listed below.*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
	if ! grep -qE '\[  (PASSED|FAILED)  \] [0-9]+ test' "$log"; then
		f=$((f + 1))
		note="no cmocka summary, exit $rc"
	elif ((rc == 124)); then
		f=$((f + 1))
		note="timed out after ${UNIT_TIMEOUT}s"
	elif ((rc >= 128)); then
		f=$((f + 1))
		note="killed by signal $((rc - 128))"
	elif sanitizer_report "$log"; then
		f=$((f + 1))
		note="sanitizer report"
	elif ((rc != 0 && f == 0)); then
		# e.g. LeakSanitizer at exit, after every test passed
		f=1
		note="exit $rc"
	fi
	if grep -qE '\[  SKIPPED \] [0-9]+ test' "$log"; then
		note="${note:+$note, }$(sed -nE 's/.*\[  SKIPPED \] ([0-9]+) test.*/\1/p' "$log" | awk '{ n += $1 } END { print n }') skipped"
	fi
	record "$name" "$p" "$f" "$(elapsed "$t0" "$(now)")" "$note"
}

# One fuzz target for FUZZ_SMOKE_SECONDS over its persistent, seeded corpus:
# one test, failed by any crash, leak, timeout or sanitizer report.
run_fuzz() {
	local name=$1 bin=$2 log t0 rc note=
	log=$(logname "$name")
	t0=$(now)
	FUZZ_SECONDS=$FUZZ_SMOKE_SECONDS tests/fuzz/run.sh "$bin" >"$log" 2>&1
	rc=$?
	if ((rc == 0)); then
		note=$(grep -oE '\([0-9?]+ exec/s\)' "$log" | tail -1 | tr -d '()')
		record "$name" 1 0 "$(elapsed "$t0" "$(now)")" "$note"
	else
		note=$(grep -m1 -oE 'crash reproducer: .*' "$log")
		record "$name" 0 1 "$(elapsed "$t0" "$(now)")" "${note:-exit $rc}"
	fi
}

# An e2e script prints PASS:/FAIL: lines; anything else about its outcome
# (silence, a non-zero exit without a FAIL line, a hang) is one failure.
run_e2e() {
	local name=$1 script=$2 log t0 rc p f note=
	log=$(logname "$name")
	t0=$(now)
	timeout -k 10 "$E2E_TIMEOUT" bash "$script" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	if ((rc == 124)); then
		f=$((f + 1))
		note="timed out after ${E2E_TIMEOUT}s"
	elif ((p + f == 0)); then
		f=1
		note="no PASS/FAIL lines, exit $rc"
	elif ((rc != 0 && f == 0)); then
		f=1
		note="exit $rc without a FAIL line"
	elif ((rc >= 128)); then
		note="exit $rc"
	fi
	record "$name" "$p" "$f" "$(elapsed "$t0" "$(now)")" "$note"
}

# Components as "kind name path" lines, longest first so that the pool
# does not end on one long job: e2e, then fuzz, then unit.
selected() {
	local n=$1 pat
	((${#PATTERNS[@]} == 0)) && return 0
	for pat in "${PATTERNS[@]}"; do
		[[ $n == *"$pat"* ]] && return 0
	done
	return 1
}
is_serial() { head -n 20 "$1" | grep -qE '^#[[:space:]]*gm-test:.*\bserial\b'; }

PATTERNS=("$@")
parallel=()
serial=()
for s in tests/e2e/test_*.sh; do
	[ -f "$s" ] || continue
	n=e2e/$(basename "$s" .sh)
	selected "$n" || continue
	if is_serial "$s"; then serial+=("e2e $n $s"); else parallel+=("e2e $n $s"); fi
done
if [ "$FUZZ_SMOKE_SECONDS" != 0 ]; then
	for b in "$GM_BUILD"/fuzz/fuzz_*; do
		[ -f "$b" ] && [ -x "$b" ] || continue
		n=fuzz/$(basename "$b")
		selected "$n" && parallel+=("fuzz $n $b")
	done
fi
for dir in unit unit-san; do
	for b in "$GM_BUILD/$dir"/test_*; do
		[ -f "$b" ] && [ -x "$b" ] || continue
		n=$dir/$(basename "$b")
		selected "$n" && parallel+=("unit $n $b")
	done
done

start() {
	local kind=$1 name=$2 path=$3
	case $kind in
	unit) run_unit "$name" "$path" ;;
	fuzz) run_fuzz "$name" "$path" ;;
	e2e) run_e2e "$name" "$path" ;;
	esac
}

T0=$(now)
echo "run: ${#parallel[@]} components in parallel ($JOBS at a time), ${#serial[@]} serial; logs in $LOGS"
for c in "${parallel[@]}"; do
	while (($(jobs -rp | wc -l) >= JOBS)); do
		wait -n
	done
	# shellcheck disable=SC2086
	start $c &
done
wait
for c in "${serial[@]}"; do
	# shellcheck disable=SC2086
	start $c
done

# Summary: per-kind times, then the relevant lines of every failure.
passed=0
failed=0
ran=0
declare -A ksecs=()
failures=()
for r in "$RES"/*; do
	[ -f "$r" ] || continue
	IFS=$'\t' read -r name p f secs note <"$r"
	ran=$((ran + 1))
	passed=$((passed + p))
	failed=$((failed + f))
	kind=${name%%/*}
	ksecs[$kind]=$(awk -v a="${ksecs[$kind]:-0}" -v b="$secs" 'BEGIN { printf "%.1f", a + b }')
	((f > 0)) && failures+=("$name")
done
# Components that were selected but left no result (the runner itself broke).
for c in "${parallel[@]}" "${serial[@]}"; do
	read -r _ name _ <<<"$c"
	if [ ! -f "$RES/${name//\//-}" ]; then
		failed=$((failed + 1))
		failures+=("$name")
		echo "run: $name left no result" >"$(logname "$name").noresult"
	fi
done

echo
echo "time per kind (sum of component times):"
for k in unit unit-san fuzz e2e; do
	[ -n "${ksecs[$k]:-}" ] && printf '  %-10s %ss\n' "$k" "${ksecs[$k]}"
done
echo "wall time: $(elapsed "$T0" "$(now)")s"

if ((${#failures[@]})); then
	echo
	echo "failures:"
	for name in "${failures[@]}"; do
		log=$(logname "$name")
		echo "--- $name (full log: $log)"
		[ -f "$log" ] || { echo "    (no log)"; continue; }
		case $name in
		unit*) grep -E '^\[  (FAILED|ERROR)|^\[   LINE|Sanitizer|runtime error:|SUMMARY:|^    #[0-9]' "$log" | head -40 ;;
		fuzz*) grep -E '==ERROR|ERROR:|SUMMARY:|runtime error:|crash reproducer|Test unit written|^    #[0-9]|^fuzz:' "$log" | head -40 ;;
		e2e*) grep -E '^FAIL: ' "$log" | head -40 ;;
		esac
		echo "    ... last lines:"
		tail -n 8 "$log" | sed 's/^/    /'
	done
fi

if ((ran == 0)); then
	echo
	echo "run: no tests ran: nothing built under $GM_BUILD/{unit,unit-san,fuzz} and no tests/e2e/test_*.sh"
	echo "0 passed, 0 failed"
	exit 1
fi
if ((passed + failed == 0)); then
	echo
	echo "run: components ran but reported no tests"
fi
echo
echo "$passed passed, $failed failed"
((failed == 0 && passed > 0))
