#!/usr/bin/env bash
# Command-line refusals (issue 11 item 11): a bad option prints getopt's one
# line plus one line pointing at --help (not the whole usage) and exits 2;
# --window below 100 ms is refused by trace and daemon before any work.
. tests/e2e/lib.sh
W=$(mktemp -d /tmp/gm-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT

for cmd in trace daemon inspect symbolize; do
	timeout 10 "$GM" "$cmd" --no-such-option >"$W/out" 2>"$W/err"
	rc=$?
	lines=$(awk 'END { print NR }' "$W/err")
	name="cli/$cmd-bad-option"
	if ((rc != 2)); then
		fail "$name" "exit $rc, want 2"
	elif [ -s "$W/out" ]; then
		fail "$name" "wrote to stdout: $(head -c 200 "$W/out")"
	elif ((lines != 2)); then
		fail "$name" "$lines lines on stderr, want 2: $(head -3 "$W/err" | tr '\n' ' ')"
	elif ! head -1 "$W/err" | grep -q "^gomaptrace $cmd: unrecognized option '--no-such-option'"; then
		fail "$name" "first line: $(head -1 "$W/err")"
	elif ! tail -1 "$W/err" | grep -q -- "gomaptrace $cmd --help"; then
		fail "$name" "second line: $(tail -1 "$W/err")"
	else
		pass "$name"
	fi
done

# timeout: before the floor, daemon --window 1ns just ran
for args in "trace --window 1ns -p $$" "trace --window 99ms -p $$" "daemon --window 1ns --listen 127.0.0.1:0"; do
	# shellcheck disable=SC2086
	timeout 10 "$GM" $args >"$W/out" 2>"$W/err"
	rc=$?
	name="cli/${args%% -p*}"
	name=${name%% --listen*}
	name=${name// /-}
	if ((rc == 2)) && grep -q 'too short' "$W/err"; then
		pass "$name refused"
	else
		fail "$name refused" "exit $rc: $(head -2 "$W/err" | tr '\n' ' ')"
	fi
done

# A program whose name carries an escape sequence: the text report shows it
# escaped (\x1b), never the raw byte.
FX=$(gm_fixture go1.26 plain leaky)
if [ -x "$FX" ]; then
	BAD="$W/gm"$'\x1b'"[31mred"
	cp "$FX" "$BAD"
	timeout -k 5 60 "$GM" trace --no-live -d 3s -o "$W/report" -- "$BAD" >"$W/out" 2>"$W/err" </dev/null
	rc=$?
	if grep -q $'\x1b' "$W/report"; then
		fail cli/report-escapes-names "a raw ESC byte in the report (exit $rc)"
	elif grep -qF 'gm\x1b[31mred' "$W/report"; then
		pass cli/report-escapes-names
	else
		fail cli/report-escapes-names "exit $rc, no escaped name: $(head -3 "$W/report" "$W/err" | tr '\n' ' ')"
	fi
else
	fail cli/report-escapes-names "fixture $FX missing"
fi

# "not traced" reasons that say what the pid is: a kernel thread (kthreadd,
# pid 2) and a zombie (a child its parent never reaps).
timeout 10 "$GM" trace -p 2 >"$W/out" 2>"$W/err"
rc=$?
if ((rc == 2)) && grep -q 'kernel thread' "$W/err"; then pass cli/kernel-thread-reason
else fail cli/kernel-thread-reason "exit $rc: $(head -2 "$W/err" | tr '\n' ' ')"; fi
zout=$(python3 - "$GM" <<'PY'
import os, subprocess, sys, time
c = os.fork()
if c == 0:
    os._exit(0)
time.sleep(0.3)
r = subprocess.run(["timeout", "10", sys.argv[1], "trace", "-p", str(c)], capture_output=True, text=True)
os.waitpid(c, 0)
print(r.returncode, r.stderr.strip())
PY
)
if [[ $zout == "2 "*zombie* ]]; then pass cli/zombie-reason
else fail cli/zombie-reason "$zout"; fi
