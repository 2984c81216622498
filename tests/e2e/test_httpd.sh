#!/usr/bin/env bash
# The daemon's HTTP endpoint under hostile clients (issue 11 item 6):
# keep-alive works (two requests, one connection, no "Connection: close");
# a connection that never finishes its headers is closed after the short
# idle timeout; and a bounded slowloris (128 connections from 127.0.0.2,
# one byte every 2 s, reopened as soon as they are dropped) does not blind
# /healthz and /metrics for a client on another address: every probe
# answers within PROBE_MAX seconds.  /healthz (issue 10 item 6): 200 from a
# daemon that traces nothing because --include matches nothing (that is no
# fault); 503 naming the stuck loop once its event loop has not turned for
# 20 s while the HTTP thread still runs (the main thread alone is stopped,
# with ptrace: SIGSTOP would stop every thread and no answer would come),
# and 200 again once the loop runs.
. tests/e2e/lib.sh

gm_workdir gm-httpd
PROBE_MAX=${PROBE_MAX:-3}
ATTACK_SECONDS=${ATTACK_SECONDS:-25}

DPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# No process matches --include: only the HTTP side is under test.
"$GM" daemon --listen 127.0.0.1:"$DPORT" --window 1s --include '^gm-httpd-none$' 2>"$WORK/daemon.err" &
PIDS+=($!)
for _ in $(seq 150); do
	curl -sf -m 2 "http://127.0.0.1:$DPORT/metrics" 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break
	sleep 0.2
done
if ! curl -sf -m 2 "http://127.0.0.1:$DPORT/metrics" | grep '^gomaptrace_build_info' >/dev/null; then
	fail httpd/start "no /metrics on port $DPORT: $(tail -3 "$WORK/daemon.err")"
	exit 0
fi
pass httpd/start

# Keep-alive: curl reuses the connection for the second URL only if the
# first response left it open.
curl -sv -m 5 -o /dev/null -o /dev/null "http://127.0.0.1:$DPORT/healthz" \
	"http://127.0.0.1:$DPORT/metrics" 2>"$WORK/ka.txt"
if grep -qi 'Re-using existing connection' "$WORK/ka.txt" && ! grep -qi '^< Connection: close' "$WORK/ka.txt"; then
	pass httpd/keepalive
else
	fail httpd/keepalive "$(grep -iE 'connection' "$WORK/ka.txt" | tr '\n' ' ')"
fi

# A method with a body is refused (405) without reading the body.
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -d 'x=1' "http://127.0.0.1:$DPORT/metrics")
[ "$code" = 405 ] && pass httpd/405-body || fail httpd/405-body "POST with a body got $code"

# A request stuck in its headers is closed by the server's idle timeout.
idle=$(python3 - "$DPORT" <<'PY'
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.3", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
t = time.monotonic(); s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print(f"{time.monotonic() - t:.1f}")
PY
)
if awk -v t="$idle" 'BEGIN { exit !(t < 7) }'; then
	pass "httpd/header-timeout (closed after ${idle}s)"
else
	fail httpd/header-timeout "a half-sent request stayed open ${idle}s (want < 7 s)"
fi

# The slowloris, and probes from 127.0.0.1 while it runs.
python3 tests/e2e/slowloris.py 127.0.0.2 "$DPORT" 128 2 "$ATTACK_SECONDS" >"$WORK/loris.out" &
LORIS=$!
PIDS+=($LORIS)
sleep 4	# let it fill whatever it can
probes=0 bad=0 worst=0 end=$((SECONDS + ATTACK_SECONDS - 6))
while [ $SECONDS -lt $end ]; do
	for path in healthz metrics; do
		probes=$((probes + 1))
		if t=$(curl -sf -m "$PROBE_MAX" -o /dev/null -w '%{time_total}' "http://127.0.0.1:$DPORT/$path"); then
			worst=$(awk -v a="$worst" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
		else
			bad=$((bad + 1))
		fi
	done
	sleep 0.5
done
wait "$LORIS"
loris=$(cat "$WORK/loris.out")
max_open=$(sed -n 's/.*max_open=\([0-9]*\).*/\1/p' "$WORK/loris.out")
if [ "${max_open:-0}" -lt 8 ]; then
	fail httpd/slowloris "the attack held only ${max_open:-0} connections ($loris): it tested nothing"
elif [ "$bad" -eq 0 ] && [ "$probes" -ge 10 ]; then
	pass "httpd/slowloris ($probes probes, 0 failed, slowest ${worst}s; attacker: $loris)"
else
	fail httpd/slowloris "$bad of $probes probes got no answer within ${PROBE_MAX}s (attacker: $loris)"
fi
kill -0 "${PIDS[0]}" 2>/dev/null && pass httpd/alive || fail httpd/alive "the daemon died: $(tail -3 "$WORK/daemon.err")"

# /healthz with nothing to trace: healthy.
body=$(curl -s -m 5 -w ' %{http_code}' "http://127.0.0.1:$DPORT/healthz")
[ "$body" = "$(printf 'ok\n 200')" ] && pass "httpd/healthz-idle" ||
	fail httpd/healthz-idle "a daemon with nothing to trace answered '$body', want ok 200"

# /healthz with the event loop stuck: only the daemon's main thread (tid =
# pid) stops, under ptrace, for HOLD seconds; the HTTP thread answers on.
HOLD=${HOLD:-30}
python3 - "${PIDS[0]}" "$HOLD" >"$WORK/freeze.out" 2>&1 <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000
tid, hold = int(sys.argv[1]), float(sys.argv[2])
if libc.ptrace(PTRACE_SEIZE, tid, None, None) or libc.ptrace(PTRACE_INTERRUPT, tid, None, None):
    print("ptrace:", os.strerror(ctypes.get_errno()), flush=True)
    sys.exit(1)
os.waitpid(tid, WALL)
print("stopped", flush=True)
time.sleep(hold)
libc.ptrace(PTRACE_DETACH, tid, None, None)
print("resumed", flush=True)
PY
FREEZE=$!
PIDS+=($FREEZE)
for _ in $(seq 50); do grep -q . "$WORK/freeze.out" && break; sleep 0.1; done
if ! grep -q stopped "$WORK/freeze.out"; then
	fail httpd/healthz-stuck "could not stop the daemon's main thread: $(cat "$WORK/freeze.out")"
else
	early=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DPORT/healthz")
	sleep 24	# past the 20 s staleness rule
	body=$(curl -s -m 5 -w ' %{http_code}' "http://127.0.0.1:$DPORT/healthz")
	if [ "$early" = 200 ] && [[ $body == "unhealthy: the event loop has not turned for "*" s"*" 503" ]]; then
		pass "httpd/healthz-stuck (200 at once, then '${body%%$'\n'*}')"
	else
		fail httpd/healthz-stuck "loop stopped: $early at once, then '$body'; want 200, then 503 naming the loop"
	fi
	wait "$FREEZE"
	code=
	for _ in $(seq 20); do
		code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DPORT/healthz")
		[ "$code" = 200 ] && break
		sleep 0.25
	done
	[ "$code" = 200 ] && pass httpd/healthz-resumed ||
		fail httpd/healthz-resumed "the loop runs again ($(cat "$WORK/freeze.out" | tr '\n' ' ')), /healthz still $code"
fi
kill -0 "${PIDS[0]}" 2>/dev/null && pass httpd/alive-after-stop ||
	fail httpd/alive-after-stop "the daemon died: $(tail -3 "$WORK/daemon.err")"
