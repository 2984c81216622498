#!/usr/bin/env bash
# gm-test: serial
# The daemon's overhead governor, as root with real BPF: a process that
# churns maps (the worst case for creation and growth probes) is brought
# under the --max-overhead budget by shedding its hottest points, while a
# leak in another process is still found.
. tests/e2e/lib.sh

WORK=$(mktemp -d /tmp/gm-gov.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cp "$(gm_fixture go1.22 plain churn)" "$WORK/churner"
cp "$(gm_fixture go1.26 plain scenarios)" "$WORK/govleak"
"$GM" daemon --listen 127.0.0.1:"$PORT" --window 1s --min-windows 4 --max-overhead 0.01 \
	--include '^(churner|govleak)$' 2>"$WORK/daemon.err" &
DAEMON=$!
PIDS+=("$DAEMON")
metrics() { curl -sf "http://127.0.0.1:$PORT/metrics"; }
for _ in $(seq 100); do metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break; sleep 0.1; done
"$WORK/churner" >/dev/null & PIDS+=($!)
"$WORK/govleak" leak >/dev/null & PIDS+=($!)

shed=0
for _ in $(seq 30); do
	sleep 0.5
	shed=$(metrics | awk '/^gomaptrace_probes_shed /{print $2}')
	[ "${shed:-0}" -gt 0 ] && break
done
[ "${shed:-0}" -gt 0 ] && pass governor/sheds-hot-points || fail governor/sheds-hot-points "probes_shed=$shed"
cost=$(metrics | awk '/^gomaptrace_probe_cost_seconds /{print $2}')
if awk -v c="$cost" 'BEGIN { exit !(c > 0.0000001 && c < 0.001) }'; then
	pass governor/calibrated-cost
else
	fail governor/calibrated-cost "probe_cost_seconds=$cost"
fi
sleep 2
ratio=$(metrics | awk -F' ' '/^gomaptrace_overhead_ratio\{comm="churner"\}/{print $2}')
if awk -v r="$ratio" 'BEGIN { exit !(r != "" && r <= 0.01) }'; then
	pass governor/within-budget
else
	fail governor/within-budget "overhead_ratio{churner}=$ratio after shedding (budget 0.01)"
fi
found=""
for _ in $(seq 30); do
	found=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="govleak"' | grep ' 1$' || true)
	[ -n "$found" ] && break
	sleep 0.5
done
if echo "$found" | grep -q 'site="main.remember '; then
	pass governor/leak-still-found
else
	fail governor/leak-still-found "$(metrics | grep 'comm="govleak"' | grep leak_suspected | head -3)"
fi
if metrics | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="churner"' | grep ' 1$' >/dev/null; then
	fail governor/churn-not-a-leak "$(metrics | grep 'comm="churner"' | grep leak_suspected | head -3)"
else
	pass governor/churn-not-a-leak
fi
