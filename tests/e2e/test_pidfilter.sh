#!/usr/bin/env bash
# gm-test: serial
# Processes that are not traced pay nothing (issue 16 item 3): `trace -p A`
# and `trace -- CMD` attach with the kernel's pid filter, so a process B
# running the same file copy (one inode) gets no breakpoint at all.  Checked
# on both attach paths (uprobe_multi, and perf uprobes as on kernels < 6.6,
# GOMAPTRACE_NO_UPROBE_MULTI=1), with three oracles:
# - the kernel's own: B's text as the kernel maps it (/proc/B/mem) is the
#   file's bytes, while A's has INT3s at the probe points (uprobes write
#   0xCC into the traced process's copy of the page);
# - B's throughput (maps/s, the churn fixture's -report) while A is traced
#   stays near its own before (pid -1 here took it to ~2.5 %);
# - the BPF counter of hits from untraced processes, in the JSON report, is 0.
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

gm_workdir gm-pidf

# the system's python: a pyenv shim takes seconds per start under load
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# int3s PID FILE: file offsets, one a line, of the bytes of PID's executable
# mappings of FILE that are 0xCC in memory and not in the file: the uprobe
# breakpoints in that process (any tracer's: see mine()).
int3s() {
	"$PY" - "$1" "$2" <<'EOF'
import os, sys
pid, path = sys.argv[1], os.path.realpath(sys.argv[2])
n = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb") as mem, open(path, "rb") as f:
    for line in maps:
        parts = line.split()
        if len(parts) < 6 or "x" not in parts[1] or os.path.realpath(parts[5]) != path:
            continue
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        f.seek(int(parts[2], 16)); want = f.read(hi - lo)
        mem.seek(lo); got = mem.read(len(want))
        base = int(parts[2], 16)
        for i, (a, b) in enumerate(zip(got, want)):
            if a == 0xCC and b != 0xCC:
                print(base + i)
EOF
}

# median of the numbers in lines FROM..TO of FILE (1-based; empty: 0)
median_lines() {
	sed -n "$2,$3p" "$1" | grep -E '^[0-9]+$' | sort -n | awk '{v[NR]=$1} END {print NR ? v[int((NR+1)/2)] : 0}'
}

# Another tracer on the machine (a daemon attaching every Go file) puts its
# own breakpoints in both processes at once: the trace's are the offsets that
# are new in A (not there before the trace), and none of them may be in B.
# new_in FILE_NOW FILE_BEFORE: offsets in the first, not in the second
new_in() { comm -23 <(sort -u "$1") <(sort -u "$2"); }

# wait_mine PID FILE TRACER BEFORE OUT: until PID has breakpoints not in
# BEFORE, while the tracer runs (at most 20 s); writes them to OUT
wait_mine() {
	local end=$((SECONDS + 20))
	: >"$5"
	while [ -n "$1" ] && [ $SECONDS -lt $end ] && kill -0 "$3" 2>/dev/null; do
		int3s "$1" "$2" >"$WORK/now.off" 2>/dev/null
		new_in "$WORK/now.off" "$4" >"$5"
		[ -s "$5" ] && break
		sleep 0.1
	done
}

# run_case SFX MODE: MODE pid (trace -p A) or cmd (trace -- A).
run_case() {
	local sfx=$1 mode=$2 A B TRACE b0 b1 b2 base during a_bp b_bp ratio
	PIDS=()
	rm -f "$WORK/twin"
	cp "$(gm_fixture go1.26 plain churn)" "$WORK/twin"	# one inode for both
	"$WORK/twin" -report >"$WORK/b.rate" & B=$!
	PIDS+=("$B")
	if [ "$mode" = pid ]; then
		"$WORK/twin" -report >"$WORK/a.rate" & A=$!
		PIDS+=("$A")
	fi
	sleep 4
	b0=$(wc -l <"$WORK/b.rate")
	int3s "$B" "$WORK/twin" >"$WORK/before.off" 2>/dev/null	# another tracer's, if any
	if [ "$mode" = pid ]; then
		"$GM" trace --no-live -d 12s --json "$WORK/r.json" -p "$A" >"$WORK/t.out" 2>"$WORK/t.err" &
		TRACE=$!
	else
		"$GM" trace --no-live -d 12s --json "$WORK/r.json" -o "$WORK/t.out" -- "$WORK/twin" -report \
			>"$WORK/a.rate" 2>"$WORK/t.err" &
		TRACE=$!
		for _ in $(seq 150); do
			A=$(pgrep -P "$TRACE" -x twin | head -1)
			[ -n "$A" ] && [ "$(readlink -f "/proc/$A/exe" 2>/dev/null)" = "$(readlink -f "$WORK/twin")" ] && break
			sleep 0.1
		done
	fi
	PIDS+=("$TRACE")
	wait_mine "${A:-}" "$WORK/twin" "$TRACE" "$WORK/before.off" "$WORK/mine.off"
	a_bp=$(wc -l <"$WORK/mine.off")
	int3s "$B" "$WORK/twin" >"$WORK/b1.off" 2>/dev/null
	b1=$(wc -l <"$WORK/b.rate")
	sleep 5
	b2=$(wc -l <"$WORK/b.rate")
	# B is checked again at the end of the window: no breakpoint came later
	int3s "$B" "$WORK/twin" >"$WORK/b2.off" 2>/dev/null
	b_bp=$(sort -u "$WORK/b1.off" "$WORK/b2.off" | comm -12 - <(sort -u "$WORK/mine.off") | wc -l)
	wait "$TRACE"
	echo "$?" >"$WORK/t.rc"
	kill "$B" 2>/dev/null
	[ -n "${A:-}" ] && kill "$A" 2>/dev/null
	wait 2>/dev/null
	base=$(median_lines "$WORK/b.rate" 2 "$b0")
	during=$(median_lines "$WORK/b.rate" $((b1 + 2)) "$b2")
	ratio=$(awk -v d="$during" -v b="$base" 'BEGIN { printf "%.3f", (b > 0 ? d / b : 0) }')
	echo "# $sfx: A breakpoints $a_bp, B breakpoints $b_bp (another tracer's before: $(wc -l <"$WORK/before.off")), B maps/s before $base, while A traced $during (ratio $ratio)"

	if [ "$a_bp" -gt 0 ]; then pass "traced process has the breakpoints$sfx"
	else fail "traced process has the breakpoints$sfx" "no INT3 in A's text (trace stderr: $(tl_stderr_tail "$WORK/t.err"))"; fi
	if [ "$b_bp" -eq 0 ]; then pass "untraced process of the same file has no breakpoint$sfx"
	else fail "untraced process of the same file has no breakpoint$sfx" "$b_bp INT3 bytes in B's text"; fi
	if awk -v r="$ratio" 'BEGIN { exit !(r >= 0.25) }'; then pass "untraced process keeps its throughput$sfx"
	else fail "untraced process keeps its throughput$sfx" "maps/s $base before, $during while A traced (ratio $ratio, want >= 0.25)"; fi
	if jq -e '.events.probe_hits_untraced == 0 and .events.probe_hits > 0 and (.targets | length) == 1' \
		"$WORK/r.json" >/dev/null 2>&1; then pass "report charges no hit to untraced processes$sfx"
	else fail "report charges no hit to untraced processes$sfx" \
		"events $(jq -c '.events' "$WORK/r.json" 2>&1 | head -c 300), targets $(jq '.targets | length' "$WORK/r.json" 2>&1 | head -c 100)"; fi
	[ "$(cat "$WORK/t.rc")" = 0 ] && pass "trace exits 0$sfx" || fail "trace exits 0$sfx" "exit $(cat "$WORK/t.rc"): $(tl_stderr_tail "$WORK/t.err")"
}

run_case "" pid
GOMAPTRACE_NO_UPROBE_MULTI=1 run_case " (perf uprobes)" pid
run_case " (-- CMD)" cmd
GOMAPTRACE_NO_UPROBE_MULTI=1 run_case " (-- CMD, perf uprobes)" cmd
