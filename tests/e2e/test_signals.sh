#!/usr/bin/env bash
# gomaptrace trace and its signals and child (issue 11 items 3 and 4), with
# real BPF, as root, on go1.26 binaries.  One PASS/FAIL line per check,
# named signals/CHECK:
#
#   stubborn-child   `trace -d 2s -- stubborn` (a Go program that ignores
#                    SIGTERM and SIGHUP) ends a few seconds after its report
#                    (well before the 60 s time limit), says on stderr that
#                    it sent SIGKILL, exit 0, and the child is gone
#   stopped-child    `trace -d 3s -- leaky` whose child is stopped (SIGSTOP),
#                    where a SIGTERM alone would stay pending: the session
#                    still ends in bounded time, exit 0, the child is gone
#   hup-reports      SIGHUP to `trace -- leaky` ends the session like
#                    SIGTERM: exit 0, text report (-o) and JSON written
#   hup-stdout-gone  `trace -p PID --json F | true`: the reader of stdout is
#                    gone before the report, then SIGHUP: the tracer does not
#                    die of SIGPIPE, the JSON report is whole, exit 1 with
#                    one line naming the text report and stdout
#   hup-terminal     a live-view session in a tmux pane whose window is
#                    killed (the terminal closes, the kernel sends SIGHUP):
#                    the JSON report is whole
#   truncated-exe    (issue 11 item 2) `trace -p A -p B` where A's
#                    executable (a private copy) is truncated to nothing
#                    after A exits, before the report: no SIGBUS, exit 0,
#                    and A's growing map is still named with its Go type
#   child-signals    under nohup, the child of `trace -- CMD` still has
#                    SIGHUP ignored (the tracer's own handlers and SIGPIPE
#                    setting are not what CMD gets)
#
# Sessions run in parallel, each a few seconds; files stay in
# $GM_BUILD/e2e/signals/.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh

DIR=$GM_BUILD/e2e/signals
WIN=(--window 1s --min-windows 4)
ROOT=$PWD
T0=$SECONDS

if [ ! -x "$GM" ]; then
	fail "signals/setup" "$GM is not built"
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	fail "signals/setup" "tracing needs root"
	exit 1
fi
rm -rf "$DIR"
mkdir -p "$DIR"
LEAKY=$(gm_fixture go1.26 plain leaky)
[[ $LEAKY == /* ]] || LEAKY=$ROOT/$LEAKY
if [ ! -x "$LEAKY" ]; then
	fail "signals/setup" "fixture $LEAKY missing (make fixtures)"
	exit 1
fi
# the stubborn program, built once per source
if ! STUBBORN=$(gm_build_prog stubborn "$DIR/stubborn-build.log"); then
	fail "signals/setup" "cannot build stubborn: $(tail -3 "$DIR/stubborn-build.log" | tr '\n' ' ')"
	exit 1
fi

tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }
json_whole() { jq -e '.targets | length >= 1' "$1" >/dev/null 2>&1; }
# ran_a_while JSON: the report covers a session that was tracing
ran_a_while() { jq -e '.duration_seconds >= 1' "$1" >/dev/null 2>&1; }
# wait_attached FILE: until a -v session says it attached (10 s at most),
# then a second of tracing
wait_attached() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'gomaptrace trace: attached to pid' "$1" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1
}
# pids_of EXE: pids of running processes whose executable is EXE
pids_of() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		[ "$exe" = "$1" ] && echo "${p#/proc/}"
	done
}
# reap EXE: kill what is left of our own targets (by pid, only instances of EXE)
reap() {
	local p
	for p in $(pids_of "$1"); do kill -KILL "$p" 2>/dev/null; done
}

# ---- stubborn-child: the tracer must not wait forever -------------------
stubborn_child() {
	local t0=$SECONDS rc
	timeout -k 5 60 "$GM" trace "${WIN[@]}" -d 2s --json "$DIR/stubborn.json" -- "$STUBBORN" \
		>"$DIR/stubborn.out" 2>"$DIR/stubborn.err" </dev/null
	rc=$?
	echo "$rc $((SECONDS - t0))" >"$DIR/stubborn.rc"
}

# ---- stopped-child: SIGSTOPped after start, SIGTERM can only wait --------
stopped_child() {
	local t0=$SECONDS rc tpid cpid i
	timeout -k 5 60 "$GM" trace "${WIN[@]}" -d 3s --json "$DIR/stopped.json" -- "$LEAKY" \
		>"$DIR/stopped.out" 2>"$DIR/stopped.err" </dev/null &
	tpid=$!
	for ((i = 0; i < 50; i++)); do
		cpid=$(pgrep -P "$(pgrep -P "$tpid" | head -1)" 2>/dev/null | head -1)
		[ -n "$cpid" ] && [ "$(readlink "/proc/$cpid/exe" 2>/dev/null)" = "$LEAKY" ] && break
		cpid=
		sleep 0.1
	done
	[ -n "$cpid" ] && kill -STOP "$cpid"
	echo "${cpid:-none}" >"$DIR/stopped.child"
	wait "$tpid"
	rc=$?
	echo "$rc $((SECONDS - t0))" >"$DIR/stopped.rc"
}

# ---- hup-reports: SIGHUP is SIGTERM for trace ---------------------------
hup_reports() {
	local rc tpid
	timeout -k 5 60 "$GM" trace -v "${WIN[@]}" -o "$DIR/hup.txt" --json "$DIR/hup.json" -- "$LEAKY" \
		>"$DIR/hup.out" 2>"$DIR/hup.err" </dev/null &
	tpid=$!
	wait_attached "$DIR/hup.err"
	kill -HUP "$(pgrep -P "$tpid" | head -1)" 2>/dev/null
	wait "$tpid"
	echo $? >"$DIR/hup.rc"
}

# ---- hup-stdout-gone: nobody reads stdout any more -----------------------
hup_stdout_gone() {
	local tpid lpid
	"$LEAKY" >/dev/null 2>&1 &
	lpid=$!
	sleep 0.5
	# `true` exits at once: the pipe has no reader when the report comes
	(
		"$GM" trace -v "${WIN[@]}" -p "$lpid" --json "$DIR/gone.json" 2>"$DIR/gone.err" </dev/null &
		echo $! >"$DIR/gone.pid"
		wait $!
		echo $? >"$DIR/gone.rc"
	) | true
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}
hup_stdout_gone_start() {
	hup_stdout_gone &
	local i
	for ((i = 0; i < 50; i++)); do
		[ -s "$DIR/gone.pid" ] && break
		sleep 0.1
	done
	wait_attached "$DIR/gone.err"
	kill -HUP "$(cat "$DIR/gone.pid" 2>/dev/null)" 2>/dev/null
	wait
}

# ---- hup-terminal: a real terminal goes away -----------------------------
TMUX_SOCK=gm-signals-$$
tm() { tmux -L "$TMUX_SOCK" "$@"; }
hup_terminal() {
	local i
	if ! command -v tmux >/dev/null; then
		echo "tmux is not installed" >"$DIR/term.skip"
		return
	fi
	tm new-session -d -s sig -x 120 -y 30 -c "$ROOT" \
		"$GM trace ${WIN[*]} --json $DIR/term.json -- $LEAKY 2>$DIR/term.err"
	for ((i = 0; i < 50; i++)); do
		tm capture-pane -p -t sig 2>/dev/null | grep -q 'targets 1' && break
		sleep 0.2
	done
	sleep 2
	tm kill-server 2>/dev/null
	# the tracer writes its report after the hangup: give it time
	for ((i = 0; i < 100; i++)); do
		json_whole "$DIR/term.json" && break
		sleep 0.1
	done
}

# ---- child-signals: what the child inherits -------------------------------
child_signals() {
	# SigIgn of /proc/PID/status is a hex mask: bit (N-1) is signal N
	nohup "$GM" trace "${WIN[@]}" -d 2s --json "$DIR/child.json" -- "$LEAKY" \
		>"$DIR/child.out" 2>"$DIR/child.err" </dev/null &
	local tpid=$! i cpid=
	for ((i = 0; i < 50; i++)); do
		for c in $(pgrep -P "$tpid"); do
			[ "$(readlink "/proc/$c/exe" 2>/dev/null)" = "$LEAKY" ] && cpid=$c
		done
		[ -n "$cpid" ] && break
		sleep 0.1
	done
	grep '^SigIgn:' "/proc/$cpid/status" 2>/dev/null >"$DIR/child.sigign"
	grep '^SigIgn:' "/proc/$tpid/status" 2>/dev/null >"$DIR/child.tracer-sigign"
	wait "$tpid"
}

# ---- truncated-exe: a file that changes under the tracer ----------------
truncated_exe() {
	local copy=$DIR/trunc/leaky a b tpid i
	mkdir -p "$DIR/trunc"
	cp "$LEAKY" "$copy"
	# A: 1400 logins at 200/s (7 s: attaching takes seconds under load),
	# then it exits; B runs past the session
	"$copy" -rate 200 -n 1400 >/dev/null 2>&1 &
	a=$!
	"$LEAKY" -rate 200 >/dev/null 2>&1 &
	b=$!
	timeout -k 5 60 "$GM" trace -v "${WIN[@]}" -d 12s --json "$DIR/trunc.json" -o "$DIR/trunc.txt" \
		-p "$a" -p "$b" >"$DIR/trunc.out" 2>"$DIR/trunc.err" </dev/null &
	tpid=$!
	wait "$a"
	# the tracer has A's file open and parsed: cut it while the session goes on
	truncate -s 0 "$copy"
	echo "$a $(stat -c %s "$copy")" >"$DIR/trunc.a"
	wait "$tpid"
	echo $? >"$DIR/trunc.rc"
	kill "$b" 2>/dev/null
	wait "$b" 2>/dev/null
}

stubborn_child &
stopped_child &
truncated_exe &
hup_reports &
hup_stdout_gone_start &
hup_terminal &
wait
# after the others: it reads which of its child's signals are ignored
child_signals

# ---- the checks -----------------------------------------------------------
read -r rc secs <"$DIR/stubborn.rc"
# 60 s is the time limit: a tracer that waits for its child forever gets there
if [ "$rc" = 0 ] && ((secs <= 40)) && grep -qE 'stubborn.*SIGKILL' "$DIR/stubborn.err" &&
	[ -z "$(pids_of "$STUBBORN")" ] && json_whole "$DIR/stubborn.json"; then
	pass "signals/stubborn-child"
else
	fail "signals/stubborn-child" "exit $rc after ${secs}s; left running: $(pids_of "$STUBBORN" | tr '\n' ' '); stderr: $(tail_of "$DIR/stubborn.err")"
fi
reap "$STUBBORN"

read -r rc secs <"$DIR/stopped.rc"
cpid=$(cat "$DIR/stopped.child")
if [ "$cpid" != none ] && [ "$rc" = 0 ] && ((secs <= 40)) && ! kill -0 "$cpid" 2>/dev/null; then
	pass "signals/stopped-child"
else
	fail "signals/stopped-child" "child $cpid; exit $rc after ${secs}s; stderr: $(tail_of "$DIR/stopped.err")"
fi
[ "$cpid" != none ] && [ "$(readlink "/proc/$cpid/exe" 2>/dev/null)" = "$LEAKY" ] && kill -KILL "$cpid" 2>/dev/null
# (other tests run the same leaky fixture at the same time: only pids this
# test started are ever killed)

rc=$(cat "$DIR/hup.rc")
if [ "$rc" = 0 ] && grep -q '^gomaptrace report after' "$DIR/hup.txt" 2>/dev/null && json_whole "$DIR/hup.json" &&
	ran_a_while "$DIR/hup.json"; then
	pass "signals/hup-reports"
else
	fail "signals/hup-reports" "exit $rc; text $(wc -c <"$DIR/hup.txt" 2>/dev/null || echo none) bytes; json $(wc -c <"$DIR/hup.json" 2>/dev/null || echo none) bytes; stderr: $(tail_of "$DIR/hup.err")"
fi

rc=$(cat "$DIR/gone.rc" 2>/dev/null || echo missing)
if [ "$rc" = 1 ] && json_whole "$DIR/gone.json" && ran_a_while "$DIR/gone.json" &&
	[ "$(grep '^gomaptrace trace:' "$DIR/gone.err" | grep -vcE ': attached to pid|: tracing (pid|[0-9]+ processes)')" = 1 ] &&
	grep -qiE 'text report.*stdout.*(broken pipe|EPIPE)' "$DIR/gone.err"; then
	pass "signals/hup-stdout-gone"
else
	fail "signals/hup-stdout-gone" "exit $rc (141: SIGPIPE, 129: SIGHUP); json $(wc -c <"$DIR/gone.json" 2>/dev/null || echo none) bytes; stderr: $(tail_of "$DIR/gone.err")"
fi

rc=$(cat "$DIR/trunc.rc" 2>/dev/null || echo missing)
read -r apid asize <"$DIR/trunc.a"
if [ "$rc" = 0 ] && [ "$asize" = 0 ] && json_whole "$DIR/trunc.json" &&
	jq -e --argjson a "$apid" 'any(.maps[]; .pid == $a and .type == "map[string]*main.Session" and .entries_last > 100)' \
		"$DIR/trunc.json" >/dev/null 2>&1 &&
	grep -q '^gomaptrace report after' "$DIR/trunc.txt"; then
	pass "signals/truncated-exe"
else
	fail "signals/truncated-exe" "exit $rc (135: SIGBUS); A's file $asize bytes; A's maps: $(jq -c --argjson a "$apid" '[.maps[] | select(.pid == $a) | {type, verdict}]' "$DIR/trunc.json" 2>&1 | cut -c1-200); stderr: $(tail_of "$DIR/trunc.err")"
fi

if [ -f "$DIR/term.skip" ]; then
	fail "signals/hup-terminal" "$(cat "$DIR/term.skip")"
elif json_whole "$DIR/term.json"; then
	pass "signals/hup-terminal"
else
	fail "signals/hup-terminal" "no whole JSON report after the terminal closed ($(wc -c <"$DIR/term.json" 2>/dev/null || echo no) bytes); stderr: $(tail_of "$DIR/term.err")"
fi

# signal N is bit N-1: SIGHUP 1 -> 0x1.  (Go installs its own SIGPIPE
# handler whatever it inherits, so SIGPIPE cannot be seen this way.)
mask=$(awk '{ print $2 }' "$DIR/child.sigign" 2>/dev/null)
if [ -n "$mask" ] && (((16#$mask & 0x1) != 0)); then
	pass "signals/child-signals"
else
	fail "signals/child-signals" "child SigIgn '${mask:-unread}' (want SIGHUP ignored, as nohup left it); tracer $(cat "$DIR/child.tracer-sigign" 2>/dev/null)"
fi
echo "signals: $((SECONDS - T0))s"
