#!/usr/bin/env bash
# gm-test: serial
# The daemon's overhead governor, as root with real BPF: a process that
# churns maps (the worst case for creation and growth probes) is brought
# under the --max-overhead budget by shedding its hottest points, while a
# leak in another process is still found, and so is a leak inside churning
# processes whose growth probes are shed (classic: the allocLarge point,
# stripped PIE of go1.19 and go1.24-noswiss, both frame setups; swiss:
# table splits).  A site label is the insert site whether or not the
# daemon saw the map's creation (deploy/README.md, "Metrics"): the checks
# assert the exact function and line.
. tests/e2e/lib.sh

# line ending in "// gm:MARKER" of a fixture's main.go
marker_line() { grep -n "// gm:$2\$" "tests/fixtures/$1/main.go" | cut -d: -f1; }
LEAK_LINE=$(marker_line scenarios insert-leak)
HOARD_LINE=$(grep -n 'hoard\[k\] = k' tests/fixtures/churn/main.go | cut -d: -f1)
CHURN_MAKE_LINE=$(grep -n 'm := make(map\[int\]int)' tests/fixtures/churn/main.go | cut -d: -f1)
HOARD_MAKE_LINE=$(grep -n '^var hoard = ' tests/fixtures/churn/main.go | cut -d: -f1)
LEAK_MAKE_LINE=$(marker_line scenarios create-leak)

gm_workdir gm-gov
# what a failing case leaves for a post-mortem: the daemon's -v log and the
# metrics when a check failed
LOGDIR=$GM_BUILD/e2e/governor
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

# One daemon and its four processes, then everything is stopped.  SFX names
# the attach path in the check names.
run_case() {
	local SFX=$1 DAEMON p
	PIDS=()
	rm -f "$WORK"/churner "$WORK"/govleak "$WORK"/hotleak_*	# fresh inodes

	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cp "$(gm_fixture go1.22 plain churn)" "$WORK/churner"
	cp "$(gm_fixture go1.26 plain scenarios)" "$WORK/govleak"
	cp "$(gm_fixture go1.24-noswiss pie-stripped churn)" "$WORK/hotleak_cl"
	cp "$(gm_fixture go1.19 pie-stripped churn)" "$WORK/hotleak_cl19"
	cp "$(gm_fixture go1.26 plain churn)" "$WORK/hotleak_sw"
	"$GM" daemon -v --listen 127.0.0.1:"$PORT" --window 1s --min-windows 4 --max-overhead 0.01 \
		--include '^(churner|govleak|hotleak_cl|hotleak_cl19|hotleak_sw)$' 2>"$LOGDIR/daemon${SFX//\//-}.err" &
	DAEMON=$!
	PIDS+=("$DAEMON")
	metrics() { curl -sf "http://127.0.0.1:$PORT/metrics"; }
	for _ in $(seq 100); do metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break; sleep 0.1; done
	"$WORK/churner" >/dev/null & PIDS+=($!)
	"$WORK/govleak" leak >/dev/null & PIDS+=($!)
	# the leak starts once the governor has shed the churn's growth probes
	"$WORK/hotleak_cl" -leak 20000 -leak-after 2s >/dev/null & PIDS+=($!)
	"$WORK/hotleak_cl19" -leak 20000 -leak-after 2s >/dev/null & PIDS+=($!)
	"$WORK/hotleak_sw" -leak 20000 -leak-after 2s >/dev/null & PIDS+=($!)

	shed=0
	for _ in $(seq 30); do
		sleep 0.5
		shed=$(metrics | awk '/^gomaptrace_probes_shed /{print $2}')
		[ "${shed:-0}" -gt 0 ] && break
	done
	[ "${shed:-0}" -gt 0 ] && pass "governor$SFX/sheds-hot-points" || fail "governor$SFX/sheds-hot-points" "probes_shed=$shed"
	cost=$(metrics | awk '/^gomaptrace_probe_cost_seconds /{print $2}')
	if awk -v c="$cost" 'BEGIN { exit !(c > 0.0000001 && c < 0.001) }'; then
		pass "governor$SFX/calibrated-cost"
	else
		fail "governor$SFX/calibrated-cost" "probe_cost_seconds=$cost"
	fi
	sleep 2
	ratio=$(metrics | awk -F' ' '/^gomaptrace_overhead_ratio\{comm="churner"\}/{print $2}')
	if awk -v r="$ratio" 'BEGIN { exit !(r != "" && r <= 0.01) }'; then
		pass "governor$SFX/within-budget"
	else
		fail "governor$SFX/within-budget" "overhead_ratio{churner}=$ratio after shedding (budget 0.01)"
	fi
	found=""
	for _ in $(seq 30); do
		found=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="govleak"' | grep ' 1$' || true)
		[ -n "$found" ] && break
		sleep 0.5
	done
	# the creation (package init) may or may not have been seen: the label
	# is the insert site either way
	if echo "$found" | grep -q "site=\"main.remember [^\"]*/scenarios/main.go:$LEAK_LINE\""; then
		pass "governor$SFX/leak-still-found"
	else
		fail "governor$SFX/leak-still-found" "$(metrics | grep 'comm="govleak"' | grep leak_suspected | head -3)"
	fi
	for c in hotleak_cl hotleak_cl19 hotleak_sw; do
		found=""
		for _ in $(seq 30); do
			found=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep "comm=\"$c\"" | grep ' 1$' || true)
			echo "$found" | grep -q "site=\"main.hoardOne [^\"]*/churn/main.go:$HOARD_LINE\"" && break
			sleep 0.5
		done
		if echo "$found" | grep -q "site=\"main.hoardOne [^\"]*/churn/main.go:$HOARD_LINE\""; then
			pass "governor$SFX/leak-found-in-shed-process/$c"
		else
			fail "governor$SFX/leak-found-in-shed-process/$c" "$(metrics | grep "comm=\"$c\"" | grep leak_suspected | head -3)"
			metrics >"$LOGDIR/metrics${SFX//\//-}-$c.txt"
		fi
	done
	M=$(metrics)
	large=$(echo "$M" | awk '/^gomaptrace_probe_hits_total\{probe="large_grow"\}/{print $2}')
	[ "${large:-0}" -gt 0 ] && pass "governor$SFX/large-grow-point-fires" || fail "governor$SFX/large-grow-point-fires" "large_grow hits=${large:-none}"
	alarms=$(echo "$M" | awk '/^gomaptrace_governor_alarms_total /{print $2}')
	[ "${alarms:-0}" -gt 0 ] && pass "governor$SFX/bpf-alarms" || fail "governor$SFX/bpf-alarms" "alarms=${alarms:-none}"
	if echo "$M" | grep '^gomaptrace_map_leak_suspected{' | grep 'site="main.churnOne ' | grep ' 1$' >/dev/null; then
		fail "governor$SFX/churn-not-a-leak" "$(echo "$M" | grep 'site="main.churnOne ' | grep leak_suspected | head -3)"
	else
		pass "governor$SFX/churn-not-a-leak"
	fi
	# No series is labelled with a creation line, though the daemon sees the
	# creations of maps made after it attached (churnOne's, whenever their
	# points are on; package-level maps, when it wins the race with init).
	sites=$(echo "$M" | grep -o 'site="[^"]*"' | sort -u)
	created=$(echo "$sites" | grep -E "/churn/main.go:($CHURN_MAKE_LINE|$HOARD_MAKE_LINE)\"|/scenarios/main.go:$LEAK_MAKE_LINE\"" || true)
	if [ -n "$sites" ] && [ -z "$created" ]; then
		pass "governor$SFX/site-is-insert-site"
	else
		fail "governor$SFX/site-is-insert-site" "creation lines as site labels: ${created:-no site series at all}"
	fi
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

# kernels >= 6.6: one uprobe_multi link per binary
run_case ""
# older kernels: one perf-event uprobe per point (forced here)
GOMAPTRACE_NO_UPROBE_MULTI=1 run_case "/perf-uprobes"
