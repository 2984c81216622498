#!/usr/bin/env bash
# gm-test: serial
# The daemon under a supervisor's signals and at its binary limit (issue 11
# items 4 and 7).
#   sighup/*     SIGHUP does not stop the daemon (it was exit 129): it logs a
#                /proc scan, /metrics keeps answering, and a Go process
#                started after three SIGHUPs is still found and its leak
#                raised.
#   limit/*      with --max-binaries 2, a third distinct executable is
#                refused under reason="binary_limit" (counted once, not as
#                attach_error) and traced as soon as one of the first two
#                exits; --max-binaries outside 1..64 is bad usage.
. tests/e2e/lib.sh

gm_workdir gm-dlim

if [ ! -x "$GM" ] || [ "$(id -u)" -ne 0 ]; then
	fail "daemon-limits/setup" "need root and $GM"
	exit 1
fi
FIX=$(gm_fixture go1.26 plain scenarios)
# distinct copies: each its own inode, so its own binary slot
for n in one two three four; do cp "$FIX" "$WORK/gml-$n"; done
PORT=
metrics() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics"; }
ready() { metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null; }
# traced COMM: the daemon has map series for that command
traced() { metrics 2>/dev/null | grep "^gomaptrace_map_entries{.*comm=\"$1\"" >/dev/null; }
leaking() { metrics 2>/dev/null | grep "^gomaptrace_map_leak_suspected{.*comm=\"$1\"" | grep ' 1$' >/dev/null; }
metric() { metrics 2>/dev/null | awk -v m="$1" '$1 == m {print $2}'; }
fails() { metric "gomaptrace_attach_failures_total{reason=\"$1\"}"; }
tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# ---- SIGHUP ----
PORT=$(free_port)
"$GM" daemon -v --listen 127.0.0.1:"$PORT" --window 1s --min-windows 4 --include '^gml-one$' 2>"$WORK/hup.err" &
D=$!
PIDS+=("$D")
if ! wait_for 30 ready; then
	fail daemon-limits/sighup "no /metrics: $(tail_of "$WORK/hup.err")"
else
	kill -HUP "$D"; sleep 0.3; kill -HUP "$D"; sleep 0.3; kill -HUP "$D"
	sleep 1
	"$WORK/gml-one" leak >/dev/null 2>&1 &
	P1=$!
	PIDS+=("$P1")
	if kill -0 "$D" 2>/dev/null && ready && grep -q 'SIGHUP: scanning /proc for Go processes now' "$WORK/hup.err" &&
	   wait_for 40 leaking gml-one; then
		pass daemon-limits/sighup-keeps-serving
	else
		wait "$D" 2>/dev/null
		fail daemon-limits/sighup-keeps-serving "daemon alive: $(kill -0 "$D" 2>/dev/null && echo yes || echo "no, exit $?"); leak series: $(metrics 2>/dev/null | grep -c 'comm="gml-one"'); stderr: $(tail_of "$WORK/hup.err")"
	fi
	kill "$P1" 2>/dev/null
	kill -TERM "$D" 2>/dev/null
	wait "$D" 2>/dev/null
	rc=$?
	[ "$rc" = 0 ] && pass daemon-limits/sigterm-after-sighup || fail daemon-limits/sigterm-after-sighup "exit $rc"
fi
if "$GM" daemon --help | grep -q 'SIGHUP does not stop' && "$GM" daemon --help | grep -q -- '--max-binaries N'; then
	pass daemon-limits/help
else
	fail daemon-limits/help "daemon --help names neither SIGHUP nor --max-binaries"
fi

# ---- --max-binaries ----
bad=0
for v in 0 65 x; do
	"$GM" daemon --max-binaries "$v" --listen 127.0.0.1:0 >/dev/null 2>"$WORK/bad.err"
	rc=$?
	[ "$rc" = 2 ] || { bad=1; echo "# --max-binaries $v: exit $rc: $(tail_of "$WORK/bad.err")"; }
done
[ "$bad" = 0 ] && pass daemon-limits/max-binaries-range || fail daemon-limits/max-binaries-range "want exit 2 for 0, 65, x"

PORT=$(free_port)
"$GM" daemon -v --listen 127.0.0.1:"$PORT" --window 1s --min-windows 4 --max-binaries 2 \
	--include '^gml-(two|three|four)$' 2>"$WORK/lim.err" &
D=$!
PIDS+=("$D")
if ! wait_for 30 ready; then
	fail daemon-limits/limit-start "no /metrics: $(tail_of "$WORK/lim.err")"
	exit 0
fi
"$WORK/gml-two" leak >/dev/null 2>&1 &
P2=$!
"$WORK/gml-three" leak >/dev/null 2>&1 &
P3=$!
PIDS+=("$P2" "$P3")
if wait_for 30 traced gml-two && wait_for 30 traced gml-three; then
	pass daemon-limits/limit-first-two
else
	fail daemon-limits/limit-first-two "two: $(traced gml-two && echo yes), three: $(traced gml-three && echo yes); stderr $(tail_of "$WORK/lim.err")"
fi
"$WORK/gml-four" leak >/dev/null 2>&1 &
P4=$!
PIDS+=("$P4")
want_refused() { [ "$(fails binary_limit)" = 1 ] && [ "$(metric gomaptrace_binaries_attached)" = 2 ]; }
if wait_for 20 want_refused && sleep 3 && ! traced gml-four && [ "$(fails binary_limit)" = 1 ] &&
   [ "$(fails attach_error)" = 0 ]; then
	pass daemon-limits/limit-refused
else
	fail daemon-limits/limit-refused "binary_limit=$(fails binary_limit) attach_error=$(fails attach_error) attached=$(metric gomaptrace_binaries_attached) four traced: $(traced gml-four && echo yes || echo no); stderr $(tail_of "$WORK/lim.err")"
fi
# a slot frees up: the waiting process is traced (no restart, no exec of its own)
kill "$P2"
if wait_for 30 traced gml-four && wait_for 40 leaking gml-four && [ "$(fails binary_limit)" = 1 ]; then
	pass daemon-limits/limit-retried
else
	fail daemon-limits/limit-retried "four traced: $(traced gml-four && echo yes || echo no), leaking: $(leaking gml-four && echo yes || echo no); binary_limit=$(fails binary_limit) attached=$(metric gomaptrace_binaries_attached); stderr $(tail_of "$WORK/lim.err")"
fi
kill -TERM "$D"
wait "$D" 2>/dev/null
exit 0
