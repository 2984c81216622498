#!/usr/bin/env bash
# gm-test: serial
# exec in a traced process (issue 11 item 9).  `trace -p PID` of a process
# that execs another program must notice the exec, say so (a stderr line at
# once, a line under the target in the text report, targets[].exec in JSON)
# and follow the new image when it is Go: same pid, new executable, its own
# probes, its leak found.  An exec into something that is not Go ends the
# tracing of that pid with a clear line, and the session when it was the
# last target.  The exec'ing program (tests/e2e/progs/execer) calls
# syscall.Exec from whatever thread runs main, so the kernel's exit record
# of the old leader can come first: the session must not end on it.
#   follow-go        -p execer that execs a go1.22 leaky: the leak is found
#                    in the new image, exec.followed, from/to named
#   cmd-follow-go    the same under `trace -- execer ...`
#   not-go           -p execer that execs /bin/sleep: "no longer traced",
#                    the session ends within seconds, exec.followed false
. tests/e2e/lib.sh

ROOT=$PWD
gm_workdir gm-exec

if [ ! -x "$GM" ] || [ "$(id -u)" -ne 0 ]; then
	fail "exec/setup" "need root and $GM"
	exit 1
fi
LEAKY=$(gm_fixture go1.22 plain leaky)
[[ $LEAKY == /* ]] || LEAKY=$ROOT/$LEAKY
if [ ! -x "$LEAKY" ]; then
	fail "exec/setup" "fixture $LEAKY missing (make fixtures)"
	exit 1
fi
if ! EXECER=$(gm_build_prog execer "$WORK/build.log"); then
	fail "exec/setup" "cannot build execer: $(tail -3 "$WORK/build.log" | tr '\n' ' ')"
	exit 1
fi
# copies with names of their own: the report must name the new image
cp "$EXECER" "$WORK/gmx-launcher"
cp "$LEAKY" "$WORK/gmx-leaky"
tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# leak_in_new JSON PID: the new image's leak, under the same pid
leak_in_new() {
	jq -e --argjson p "$2" --arg exe "$WORK/gmx-leaky" '
		(.targets[0].pid == $p) and (.targets[0].exe == $exe) and
		(.targets[0].go_version | startswith("go1.22")) and
		([.maps[] | select(.pid == $p and .verdict == "leak" and .type == "map[string]*main.Session")] | length >= 1)' \
		"$1" >/dev/null 2>&1
}
exec_followed() {
	jq -e --arg from "$WORK/gmx-launcher" --arg to "$WORK/gmx-leaky" '
		.targets[0].exec.followed == true and .targets[0].exec.from == $from and
		.targets[0].exec.to == $to and .targets[0].exec.count == 1 and .targets[0].exec.reason == null and
		.targets[0].exec.at_seconds >= 2 and .targets[0].exited == false' "$1" >/dev/null 2>&1
}

# follow-go: -p the launcher, which execs the leaky program after 6 s (the trace attached by then)
"$WORK/gmx-launcher" -after 6s "$WORK/gmx-leaky" -rate 400 >/dev/null 2>&1 &
L=$!
PIDS+=("$L")
sleep 0.5
timeout -k 5 60 "$GM" trace -p "$L" --no-live --window 1s --min-windows 4 -d 20s \
	--json "$WORK/f.json" -o "$WORK/f.txt" 2>"$WORK/f.err"
rc=$?
if [ "$rc" = 0 ] && leak_in_new "$WORK/f.json" "$L" && exec_followed "$WORK/f.json" &&
   grep -q "^  exec'd $WORK/gmx-leaky at [0-9.]*s (was $WORK/gmx-launcher): followed" "$WORK/f.txt" &&
   grep -q "pid $L exec'd $WORK/gmx-leaky (go1.22[^)]*): following it" "$WORK/f.err"; then
	pass exec/follow-go
else
	fail exec/follow-go "rc $rc; target $(jq -c '.targets[0] | {pid, exe, go_version, exited, exec}' "$WORK/f.json" 2>&1 | cut -c1-400); leaks $(jq -c '[.maps[] | select(.verdict == "leak") | .type]' "$WORK/f.json" 2>&1 | cut -c1-150); report: $(grep -i "exec\|^target" "$WORK/f.txt" | head -3 | tr '\n' '|'); stderr: $(tail_of "$WORK/f.err")"
fi
kill "$L" 2>/dev/null

# cmd-follow-go: the same program started by trace itself
timeout -k 5 60 "$GM" trace --no-live --window 1s --min-windows 4 -d 16s --json "$WORK/c.json" -o "$WORK/c.txt" \
	-- "$WORK/gmx-launcher" -after 3s "$WORK/gmx-leaky" -rate 400 >/dev/null 2>"$WORK/c.err"
rc=$?
cpid=$(jq -r '.targets[0].pid' "$WORK/c.json" 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$cpid" ] && leak_in_new "$WORK/c.json" "$cpid" && exec_followed "$WORK/c.json"; then
	pass exec/cmd-follow-go
else
	fail exec/cmd-follow-go "rc $rc; target $(jq -c '.targets[0] | {pid, exe, go_version, exited, exec}' "$WORK/c.json" 2>&1 | cut -c1-400); stderr: $(tail_of "$WORK/c.err")"
fi
# no CMD left behind
if [ -n "$cpid" ] && [ "$cpid" != null ] && kill -0 "$cpid" 2>/dev/null; then
	fail exec/cmd-stopped "pid $cpid ($(readlink /proc/"$cpid"/exe)) still runs after the session"
	kill -9 "$cpid" 2>/dev/null
else
	pass exec/cmd-stopped
fi

# not-go: the launcher execs sleep: the tracing of that pid ends with a line
SLEEP=$(command -v sleep)
SLEEP=$(readlink -f "$SLEEP")
"$WORK/gmx-launcher" -after 6s "$SLEEP" 60 >/dev/null 2>&1 &
L=$!
PIDS+=("$L")
sleep 0.5
start=$SECONDS
timeout -k 5 60 "$GM" trace -p "$L" --no-live -d 40s --json "$WORK/n.json" -o "$WORK/n.txt" 2>"$WORK/n.err"
rc=$?
took=$((SECONDS - start))
if [ "$rc" = 0 ] && [ "$took" -le 20 ] &&
   jq -e --arg from "$WORK/gmx-launcher" --arg to "$SLEEP" '
	.targets[0].exec.followed == false and .targets[0].exec.from == $from and .targets[0].exec.to == $to and
	(.targets[0].exec.reason | length > 0) and .targets[0].exe == $from and .targets[0].exited == false' \
	"$WORK/n.json" >/dev/null 2>&1 &&
   grep -q "^  exec'd $SLEEP at [0-9.]*s: not traced from then" "$WORK/n.txt" &&
   grep -q "pid $L exec'd $SLEEP: .*: no longer traced" "$WORK/n.err"; then
	pass exec/not-go
else
	fail exec/not-go "rc $rc after ${took}s (want 0 within 20 s of a 40 s session); target $(jq -c '.targets[0] | {exe, exited, exec}' "$WORK/n.json" 2>&1 | cut -c1-300); report: $(grep -i "exec" "$WORK/n.txt" | head -2 | tr '\n' '|'); stderr: $(tail_of "$WORK/n.err")"
fi
kill "$L" 2>/dev/null
exit 0
