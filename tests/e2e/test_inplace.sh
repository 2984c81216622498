#!/usr/bin/env bash
# gm-test: serial
# A program copied in place over a probed binary (issue 11 item 1).  Uprobes
# are registered on the inode, and `cp new-build app` keeps the inode: a
# tracer that kept its probes after app's last process exited would put
# INT3s at the old build's offsets into the next app (the daemon attaches
# with pid -1: it segfaulted, 3 of 3), and a cache keyed by inode alone
# would trace the new build with the old parse.  Here a Go 1.26 build runs
# and exits while `trace -p` (beside a process that keeps it running) or the
# daemon is attached, a Go 1.22 build is copied over the same path (the
# inode checked unchanged), and the copy is run: it must exit as it does
# untraced, with the same output; the daemon must trace it as go1.22; and
# the tracer may hold no uprobe on the file once its process has exited
# (the kernel's own view: the uprobe_multi links in the tracer's fdinfo name
# the file they are on; on the perf path, kernels < 6.6, the perf events).
# With gdb installed, `trace -- CMD` with the copy landing between its
# attach and CMD's exec too.
. tests/e2e/lib.sh

gm_workdir gm-inplace

OLD=$(gm_fixture go1.26 plain leaky)
NEW=$(gm_fixture go1.22 plain leaky)
APP=$WORK/gmi-app
RUN_ARGS=(-n 200 -rate 400)

# uprobe_multi links of process PID on FILE (its fdinfo names the path)
links_on() {
	local f n=0
	for f in /proc/"$1"/fdinfo/*; do
		grep -qx "path:	$2" "$f" 2>/dev/null && grep -q '^link_type:	uprobe_multi' "$f" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
# perf event fds of process PID (one per uprobe on the perf path)
perf_fds() { find /proc/"$1"/fd -lname 'anon_inode:\[perf_event\]' 2>/dev/null | wc -l; }
no_links() { [ "$(links_on "$1" "$2")" = 0 ]; }
has_links() { [ "$(links_on "$1" "$2")" -ge 1 ]; }
# Another tracer on the machine (a daemon attaching every Go file) may hold
# uprobes on the file too: its breakpoints are not this test's to judge.
# foreign_links FILE PID: processes other than PID with a link on FILE
foreign_links() {
	grep -lx "path:	$1" /proc/[0-9]*/fdinfo/* 2>/dev/null | cut -d/ -f3 | sort -u | grep -vx "$2"
}
no_foreign() { [ -z "$(foreign_links "$1" "$2")" ]; }
perf_at_most() { [ "$(perf_fds "$1")" -le "$2" ]; }
WAIT_FOR_STEP=0.1	# wait_for (lib.sh) polls this often

# What the new build does untraced: the oracle for its traced run.
"$NEW" "${RUN_ARGS[@]}" >"$WORK/ref.out" 2>&1
REF_RC=$?
echo "# untraced $NEW: exit $REF_RC, output '$(head -c 100 "$WORK/ref.out")'"

# run_new SFX TRACER: copy the new build over APP (same inode) and run it.
run_new() {
	local sfx=$1 ino0 ino1 rc
	if ! wait_for 20 no_foreign "$APP" "$2"; then
		echo "# another tracer still holds uprobes on $APP: pids $(foreign_links "$APP" "$2" | tr '\n' ' ')"
	fi
	ino0=$(stat -c %i "$APP")
	cp "$NEW" "$APP"
	ino1=$(stat -c %i "$APP")
	[ "$ino0" = "$ino1" ] && pass "cp keeps the inode$sfx" || fail "cp keeps the inode$sfx" "inode $ino0 became $ino1"
	timeout 30 "$APP" "${RUN_ARGS[@]}" >"$WORK/new.out" 2>&1
	rc=$?
	if [ "$rc" = "$REF_RC" ] && cmp -s "$WORK/ref.out" "$WORK/new.out"; then
		pass "the copied-in build runs as untraced$sfx"
	else
		fail "the copied-in build runs as untraced$sfx" "exit $rc (untraced $REF_RC), output '$(head -c 200 "$WORK/new.out" | tr '\n' ' ')'"
	fi
}

# trace_case SFX: trace -p APP -p KEEPER; APP exits while the trace goes on.
trace_case() {
	local sfx=$1 A K T during after keep
	PIDS=()
	rm -f "$APP" "$WORK/keeper"
	cp "$OLD" "$APP"
	cp "$OLD" "$WORK/keeper"	# its own inode: keeps the session alive
	"$WORK/keeper" -rate 50 >/dev/null & K=$!
	"$APP" -n 100000 -rate 100 >/dev/null & A=$!
	PIDS+=("$K" "$A")
	sleep 0.3
	"$GM" trace --no-live -v -d 40s -p "$A" -p "$K" >"$WORK/t.out" 2>"$WORK/t.err" & T=$!
	PIDS+=("$T")
	wait_for 20 grep -q 'gomaptrace trace: tracing 2 processes' "$WORK/t.err"
	if [ -z "$sfx" ]; then during=$(links_on "$T" "$APP"); else during=$(perf_fds "$T"); fi
	kill "$A"
	wait "$A" 2>/dev/null
	# the trace notices the exit within its poll period; give it 3 s
	if [ -z "$sfx" ]; then
		wait_for 3 no_links "$T" "$APP"
		after=$(links_on "$T" "$APP")
		keep=$(links_on "$T" "$WORK/keeper")
		echo "# trace$sfx: uprobe_multi links on the file while traced $during, after its exit $after (keeper's $keep)"
		if [ "$during" -ge 1 ] && [ "$after" = 0 ] && [ "$keep" -ge 1 ]; then
			pass "no uprobe left on the file once its process is gone$sfx"
		else
			fail "no uprobe left on the file once its process is gone$sfx" \
				"links on it while traced $during, after exit $after, keeper's $keep (stderr: $(tail -2 "$WORK/t.err" | tr '\n' ' '))"
		fi
	else
		wait_for 3 perf_at_most "$T" $((during / 2))
		after=$(perf_fds "$T")
		echo "# trace$sfx: perf uprobe events while both traced $during, after one exited $after"
		# the two copies have one probe plan: half the events were the exited one's
		if [ "$during" -ge 2 ] && [ "$after" -le $((during / 2)) ]; then
			pass "no uprobe left on the file once its process is gone$sfx"
		else
			fail "no uprobe left on the file once its process is gone$sfx" \
				"perf uprobe events $during while both were traced, $after after one exited"
		fi
	fi
	kill -0 "$T" 2>/dev/null && pass "trace goes on with the other process$sfx" \
		|| fail "trace goes on with the other process$sfx" "it ended: $(tail -2 "$WORK/t.err" | tr '\n' ' ')"
	run_new "$sfx" "$T"
	kill "$K" 2>/dev/null
	wait "$T"
	rc=$?
	[ "$rc" = 0 ] && pass "trace exits 0$sfx" || fail "trace exits 0$sfx" "exit $rc: $(tail -2 "$WORK/t.err" | tr '\n' ' ')"
	wait 2>/dev/null
}

trace_case ""
GOMAPTRACE_NO_UPROBE_MULTI=1 trace_case " (perf uprobes)"

# trace -- CMD: the copy lands between the attach and CMD's exec.  gdb stops
# the tracer at the one-byte write that releases the held child (nothing
# else of it writes one byte), the new build is copied over CMD there, and
# the tracer goes on: CMD must not run with the old build's breakpoints (it
# did: exit 139); it is killed at its exec, before its first instruction,
# and trace says why and exits 1.
if command -v gdb >/dev/null; then
	rm -f "$APP"
	cp "$OLD" "$APP"
	timeout 60 gdb -q -batch -ex 'break write if $rdx == 1' -ex run \
		-ex "shell cp '$NEW' '$APP'" -ex delete -ex continue \
		--args "$GM" trace --no-live -d 10s -o "$WORK/cmd.txt" -- "$APP" "${RUN_ARGS[@]}" \
		>"$WORK/gdb.out" 2>&1
	if grep -q "$APP: changed on disk between its parse and its exec: killed before it ran" "$WORK/gdb.out" &&
		grep -q 'exited with code 01\]' "$WORK/gdb.out"; then
		pass "trace -- CMD: a copy between attach and exec is stopped before it runs"
	else
		fail "trace -- CMD: a copy between attach and exec is stopped before it runs" \
			"$(grep -v '^libbpf' "$WORK/gdb.out" | tail -3 | tr '\n' ' ') report: $(grep '^target' "$WORK/cmd.txt" 2>/dev/null)"
	fi
else
	echo "# gdb not installed: the copy between attach and exec is not checked"
fi

# The daemon: attaches per file with pid -1, every new process of it traps.
PIDS=()
rm -f "$APP"
cp "$OLD" "$APP"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$GM" daemon -v --listen 127.0.0.1:"$PORT" --window 1s --include '^gmi-app$' 2>"$WORK/d.err" &
D=$!
PIDS+=("$D")
metrics() { curl -sf "http://127.0.0.1:$PORT/metrics"; }
ready() { metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null; }
if ! wait_for 30 ready; then
	fail daemon/start "no /metrics on port $PORT: $(tail -2 "$WORK/d.err" | tr '\n' ' ')"
	exit 0
fi
"$APP" -n 1200 -rate 400 >/dev/null 2>&1 & A=$!
PIDS+=("$A")
wait_for 10 has_links "$D" "$APP"
during=$(links_on "$D" "$APP")
wait "$A"
rc=$?
[ "$rc" = 0 ] && pass "daemon: the first build runs traced" || fail "daemon: the first build runs traced" "exit $rc"
# the daemon notices the exit within its poll period; give it 3 s
wait_for 3 no_links "$D" "$APP"
after=$(links_on "$D" "$APP")
# the exposition is rendered once a second
attached_metric() { metrics | awk '$1 == "gomaptrace_binaries_attached" { print $2 }'; }
none_attached() { [ "$(attached_metric)" = 0 ]; }
wait_for 3 none_attached
attached=$(attached_metric)
echo "# daemon: uprobe_multi links on the file while it ran $during, after its exit $after; binaries_attached $attached"
if [ "$during" -ge 1 ] && [ "$after" = 0 ] && [ "$attached" = 0 ]; then
	pass "daemon: no uprobe left on the file once its process is gone"
else
	fail "daemon: no uprobe left on the file once its process is gone" \
		"links on it while it ran $during, after exit $after, binaries_attached '$attached'"
fi
run_new " (daemon)" "$D"
if grep -q "attached to $APP (pid [0-9]*: go1.22" "$WORK/d.err"; then
	pass "daemon: the copied-in build is traced as go1.22"
else
	fail "daemon: the copied-in build is traced as go1.22" "$(grep -v '^libbpf' "$WORK/d.err" | tail -4 | tr '\n' ' ')"
fi
# the same file again: the cached parse, attached again, and off again after
"$APP" "${RUN_ARGS[@]}" >"$WORK/again.out" 2>&1
rc=$?
detached_thrice() { [ "$(grep -c "detached $APP" "$WORK/d.err")" -ge 3 ]; }
wait_for 5 detached_thrice
if [ "$rc" = "$REF_RC" ] && cmp -s "$WORK/ref.out" "$WORK/again.out" &&
	grep -q "attached to $APP again (pid [0-9]*: go1.22" "$WORK/d.err" && [ "$(links_on "$D" "$APP")" = 0 ]; then
	pass "daemon: a rerun of the same build is traced from the cached parse"
else
	fail "daemon: a rerun of the same build is traced from the cached parse" \
		"exit $rc, links $(links_on "$D" "$APP"), log: $(grep -v '^libbpf' "$WORK/d.err" | tail -3 | tr '\n' ' ')"
fi
kill "$D"
wait "$D"
rc=$?
[ "$rc" = 0 ] && pass "daemon exits 0 on SIGTERM" || fail "daemon exits 0 on SIGTERM" "exit $rc"
