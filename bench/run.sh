#!/usr/bin/env bash
# gomaptrace benchmarks (issue 5): overhead on Go workloads, the userspace
# pipeline, the daemon's footprint and attach latency.  Run from anywhere
# after `make all fixtures`, as root.  Prints tables; a full run (no --quick)
# also rewrites the generated part of docs/performance.md.
#
#   bench/run.sh [--quick] [--only LIST] [--workloads LIST] [--toolchains LIST]
#                [--reps N] [--write-doc | --no-doc] [--doc-label LABEL]
#
#   --quick          shorter runs, 3 repetitions: for development
#   --only LIST      comma-separated sections: overhead,governor,
#                    governor-ab,trace-ab,pipeline,footprint,attach
#                    (default: all)
#   --workloads L    overhead and trace-ab workloads (default
#                    service,churn,bigmap; trace-ab's leak runs with churn)
#   --toolchains L   Go toolchains of tests/matrix.sh for the overhead
#                    workloads (default go1.26), e.g. go1.26,go1.19
#   --reps N         repetitions of each overhead measurement
#   --write-doc      update docs/performance.md even with --quick or --only
#   --no-doc         never touch docs/performance.md
#   --doc-label L    which generated section of the doc to replace (main)
#
# Method: every traced run is paired with an untraced run just before it
# (untraced, trace, untraced, trace --exact, untraced, daemon, ... per
# repetition), the ratio is traced/untraced of each pair, and the tables show
# the median over repetitions.  Raw logs stay under build/bench/runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=../tests/matrix.sh
. tests/matrix.sh

QUICK=0 ONLY=all TOOLCHAINS=go1.26 WORKLOADS=service,churn,bigmap REPS= DOC=auto LABEL=main
while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--only) ONLY=$2; shift ;;
	--toolchains) TOOLCHAINS=$2; shift ;;
	--workloads) WORKLOADS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--write-doc) DOC=yes ;;
	--no-doc) DOC=no ;;
	--doc-label) LABEL=$2; shift ;;
	-h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

if ((QUICK)); then
	: "${REPS:=3}"
	WARM=3 DUR=5 GOV_DUR=30 GOV_PAIRS=1 LEAK_DUR=45 FOOT_SECS=20 PIPE_EVENTS=1000000 PIPE_RATE=10000 PIPE_RUNS=1
	ATT_REPS=3
else
	: "${REPS:=5}"
	WARM=5 DUR=10 GOV_DUR=75 GOV_PAIRS=3 LEAK_DUR=60 FOOT_SECS=60 PIPE_EVENTS=4000000 PIPE_RATE=20000 PIPE_RUNS=3
	ATT_REPS=5
fi
FOOT_PROCS=${GMB_FOOT_PROCS:-200}
FOOT_MAPS=${GMB_FOOT_MAPS:-50}
WRK_CONNS=${GMB_WRK_CONNS:-16}
CACHE=10000 IDS=20000

GM=$ROOT/build/gomaptrace
BB=$ROOT/build/bench
LIB=$ROOT/build/libgomaptrace.a
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RUN=$BB/runs/$STAMP$( ((QUICK)) && echo -quick || true)
REC=$RUN/records.txt
INCLUDE='^gmb-(service|churn|bigmap|fleet)$'

die() { echo "bench: $*" >&2; exit 1; }
want() { [ "$ONLY" = all ] || [[ ,$ONLY, == *,$1,* ]]; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (BPF, uprobes, process_vm_readv)"
[ -x "$GM" ] && [ -f "$LIB" ] || die "build/gomaptrace missing: run 'make all fixtures' first"
command -v wrk >/dev/null || die "wrk not found: apt-get install wrk"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found"
command -v jq >/dev/null || die "jq not found"
mkdir -p "$RUN"
: >"$REC"

# ---------------------------------------------------------------- building

build_workloads() {
	local tc w src out key
	for tc in ${TOOLCHAINS//,/ }; do
		for w in service churn bigmap fleet; do
			src=bench/workloads/$w
			out=$BB/$tc/gmb-$w
			key=$(cat "$src"/*.go "$src"/go.mod bench/workloads/meter/* | sha256sum | cut -c1-16)-$tc
			if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$key" ]; then
				continue
			fi
			mkdir -p "$BB/$tc"
			log "building $w with $tc"
			(cd "$src" && CGO_ENABLED=0 gm_go "$tc" build -o "$out" .) >"$out.log" 2>&1 ||
				{ cat "$out.log" >&2; die "cannot build $w with $tc"; }
			echo "$key" >"$out.stamp"
		done
	done
}

build_c() {
	local name=$1 out=$BB/$1
	if [ -x "$out" ] && [ "$out" -nt "bench/$name.c" ] && [ "$out" -nt "$LIB" ]; then
		return 0
	fi
	mkdir -p "$BB"
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
		-O2 -g -Iinclude -Iuser -Ibuild "bench/$name.c" "$LIB" \
		-lpthread -lbpf -lelf -lz -lcapstone -lmicrohttpd -lncursesw -lm -o "$out"
}

# ---------------------------------------------------------------- helpers

load1() { cut -d' ' -f1 /proc/loadavg; }
# "steal total" jiffies over all CPUs: the hypervisor giving our vCPUs to
# other guests is the main noise on these VMs, so every run records it
cpu_snap() { awk '/^cpu /{print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
steal_pct() { # "STEAL0 TOTAL0"
	local a b s1 t1
	read -r a b <<<"$1"
	read -r s1 t1 <<<"$(cpu_snap)"
	awk -v s="$((s1 - a))" -v t="$((t1 - b))" 'BEGIN{printf "%.1f", (t > 0 ? 100 * s / t : 0)}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

wait_for_file() { # FILE TIMEOUT_S
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

DPID= DPORT=
start_daemon() { # LOG [extra args]
	local logf=$1 i
	shift
	"$GM" daemon -v --listen 127.0.0.1:0 --include "$INCLUDE" "$@" 2>"$logf" &
	DPID=$!
	DPORT=
	for ((i = 0; i < 200; i++)); do
		DPORT=$(sed -n '/listening on/{s/.*(port \([0-9]*\)).*/\1/p;q}' "$logf")
		if [ -n "$DPORT" ] && curl -sf "http://127.0.0.1:$DPORT/healthz" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	tail -5 "$logf" >&2
	die "daemon did not come up"
}

stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# One line per metrics scrape: what the governor is doing.
metrics_line() { # COMM
	curl -sf --max-time 2 "http://127.0.0.1:$DPORT/metrics" | awk -v comm="$1" '
		/^gomaptrace_targets /{t=$2}
		/^gomaptrace_probes_shed /{s=$2}
		/^gomaptrace_probe_cost_seconds /{c=$2}
		/^gomaptrace_events_total /{e=$2}
		/^gomaptrace_events_lost_total /{l=$2}
		/^gomaptrace_probe_hits_total/{h+=$NF}
		index($0, "gomaptrace_overhead_ratio{comm=\"" comm "\"") == 1 {o=$NF}
		END {printf "targets=%s shed=%s cost=%s events=%s lost=%s hits=%s ov=%s\n", t, s, c, e, l, h+0, (o == "" ? "na" : o)}'
}

poll_metrics() { # COMM OUTFILE — until killed
	while :; do
		metrics_line "$1" >>"$2" 2>/dev/null || true
		sleep 1
	done
}

# Scrape the daemon once a second into DIR/scrapes, in the background.
poll_start() { # COMM DIR
	poll_metrics "$1" "$2/scrapes" &
	POLLER=$!
}

# Stop the scrapes and the daemon; DAEMON_FIELDS gets the record fields:
# what the scrapes and its log say, and its CPU between ticks T0 and T1.
daemon_done() { # DIR T0 T1
	kill "$POLLER" 2>/dev/null; wait "$POLLER" 2>/dev/null || true
	POLLER=
	stop_daemon
	DAEMON_FIELDS="$(daemon_summary "$1/scrapes" "$1/daemon.log") tracer_cpu_s=$(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.3f", (b - a) / 100}')"
}

# Fold the daemon's metric scrapes of a run into key=value fields.
daemon_summary() { # SCRAPES DAEMON_LOG
	python3 - "$1" "$2" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(f.split('=', 1) for f in line.split() if '=' in f)
    if kv.get('targets') not in (None, '', '0'):
        rows.append(kv)
def num(v):
    try: return float(v)
    except Exception: return None
log = open(sys.argv[2], errors='replace').read()
attached = 'attached to' in log
sheds = sum(1 for l in log.splitlines() if 'governor:' in l and ('over budget' in l or 'still hot' in l))
if not rows:
    print(f"d_attached={int(attached)} d_scrapes=0 d_shed_decisions={sheds}")
    sys.exit()
last = rows[-1]
ovs = [num(r.get('ov')) for r in rows if num(r.get('ov')) is not None]
shed = [num(r.get('shed')) or 0 for r in rows]
on_secs = sum(1 for s in shed if s == 0)  # every point attached: startup, on-windows
print(f"d_attached={int(attached)} d_scrapes={len(rows)} d_cost_us={num(last.get('cost')) * 1e6:.2f} "
      f"d_hits={last.get('hits')} d_events={last.get('events')} d_lost={last.get('lost')} "
      f"d_ov_max={max(ovs) if ovs else 'na'} d_ov_last={ovs[-1] if ovs else 'na'} "
      f"d_shed_max={int(max(shed))} d_shed_secs={sum(1 for s in shed if s > 0)} d_on_secs={on_secs} d_shed_decisions={sheds}")
EOF
}

# "events: N received, L lost; ...; H probe hits" from a trace report
# and "overhead: H probe hits/s x C us = P% of one CPU, ..." (trace's estimate)
trace_summary() { # TRACE_LOG
	awk '
		/^events: [0-9]+ received, [0-9]+ lost.* probe hits$/ {ev = $2; lost = $4; hits = $(NF - 2)}
		/^overhead: / {for (i = 1; i <= NF; i++) if ($i ~ /%$/) {est = $i; sub(/%/, "", est)}}
		END {printf "t_events=%s t_lost=%s t_hits=%s t_est_pct=%s", ev, lost, hits, (est == "" ? "na" : est)}' "$1"
}

kv() { # FILE KEY: value of KEY=... in the RESULT line
	sed -n "s/^RESULT .*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" | tail -1
}

# CPU time of a tracer process, polled until it ends (a zombie still shows
# its own final counts).  Not from wait4(): `trace -- CMD` may leave CMD for
# init to reap, so its CPU would or would not be counted in trace's.
watch_cpu() { # PID FILE
	local v
	while [ -e "/proc/$1/stat" ]; do
		v=$(cpu_ticks "$1")
		[ "${v:-0}" -gt 0 ] && echo "$v" >"$2"
		sleep 0.1
	done
}

ticks_s() { awk '{printf "%.3f", $1 / 100}' "$1" 2>/dev/null || echo na; }

record() { echo "$*" >>"$REC"; }

# ---------------------------------------------------------------- overhead

# A loop workload (churn, bigmap) under MODE; appends a record.
run_loop() { # TC WORKLOAD MODE REP [WARM DUR SECTION]
	local tc=$1 w=$2 mode=$3 rep=$4 warm=${5:-$WARM} dur=${6:-$DUR} section=${7:-overhead}
	local bin=$BB/$tc/gmb-$w d=$RUN/$section/$tc-$w-$mode-$rep l0 extra="" t0 t1
	mkdir -p "$d"
	local cmd=("$bin" -warmup "${warm}s" -d "${dur}s") snap
	l0=$(load1)
	snap=$(cpu_snap)
	case $mode in
	untraced)
		"${cmd[@]}" >"$d/out" 2>"$d/err"
		;;
	trace | exact)
		local flags=()
		[ "$mode" = exact ] && flags=(--exact)
		"$GM" trace "${flags[@]}" -- "${cmd[@]}" >"$d/out" 2>"$d/trace.log" &
		local tpid=$!
		watch_cpu "$tpid" "$d/tracer_ticks" &
		local watcher=$!
		wait "$tpid" || echo "trace exit $?" >>"$d/err"
		wait "$watcher" || true
		extra="$(trace_summary "$d/trace.log") tracer_cpu_s=$(ticks_s "$d/tracer_ticks")"
		;;
	daemon)
		start_daemon "$d/daemon.log"
		t0=$(cpu_ticks "$DPID")
		poll_start "gmb-$w" "$d"
		"${cmd[@]}" >"$d/out" 2>"$d/err"
		t1=$(cpu_ticks "$DPID")
		daemon_done "$d" "$t0" "$t1"
		extra=$DAEMON_FIELDS
		;;
	esac
	grep -q '^RESULT' "$d/out" || { cat "$d"/err "$d"/trace.log 2>/dev/null | tail -5 >&2; die "$w/$mode: no result"; }
	record "section=$section tc=$tc workload=$w mode=$mode rep=$rep load1=$l0 steal_pct=$(steal_pct "$snap") rate=$(kv "$d/out" rate)" \
		"count=$(kv "$d/out" count) mcpu_s=$(kv "$d/out" mcpu_s) total=$(kv "$d/out" total)" \
		"elapsed=$(kv "$d/out" elapsed) cpu_s=$(kv "$d/out" cpu_s) $extra" \
		"series=$(sed -n 's/^SERIES //p' "$d/out" | tr ' ' ,)"
}

# wrk output -> rps= p50_ms= p99_ms= errors=
wrk_summary() {
	awk '
		function ms(v) { if (v ~ /us$/) return v * 0.001; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^Requests\/sec:/ {rps = $2}
		$1 == "50%" {p50 = ms($2)}
		$1 == "99%" {p99 = ms($2)}
		/Socket errors/ {err += $4 + $6 + $8 + $10}
		/Non-2xx/ {err += $NF}
		END {printf "rps=%s p50_ms=%.3f p99_ms=%.3f errors=%d", rps, p50, p99, err}' "$1"
}

run_service() { # TC MODE REP [WARM DUR SECTION]
	local tc=$1 mode=$2 rep=$3 warm=${4:-$WARM} dur=${5:-$DUR} section=${6:-overhead}
	local bin=$BB/$1/gmb-service d=$RUN/$section/$1-service-$2-$3
	local addr hostport spid wpid l0 extra="" t0 t1
	mkdir -p "$d"
	addr=$d/addr
	rm -f "$addr"
	local cmd=("$bin" -addrfile "$addr" -cache "$CACHE")
	l0=$(load1)
	case $mode in
	untraced)
		"${cmd[@]}" >"$d/out" 2>"$d/err" &
		wpid=$!
		;;
	trace | exact)
		local flags=()
		[ "$mode" = exact ] && flags=(--exact)
		"$GM" trace "${flags[@]}" -- "${cmd[@]}" >"$d/out" 2>"$d/trace.log" &
		wpid=$!
		watch_cpu "$wpid" "$d/tracer_ticks" &
		;;
	daemon)
		start_daemon "$d/daemon.log"
		"${cmd[@]}" >"$d/out" 2>"$d/err" &
		wpid=$!
		poll_start gmb-service "$d"
		;;
	esac
	wait_for_file "$addr" 30 || die "service/$mode did not start"
	read -r hostport spid <"$addr"
	# the run-in: connections, cache fill, the daemon's discovery and governor
	if ((warm > 0)); then
		GMB_IDS=$IDS wrk -t1 -c"$WRK_CONNS" -d"${warm}s" -s bench/workloads/service/wrk.lua \
			"http://$hostport/" >"$d/wrk-warm" 2>&1
	fi
	[ "$mode" = daemon ] && t0=$(cpu_ticks "$DPID")
	local snap
	snap=$(cpu_snap)
	GMB_IDS=$IDS wrk -t1 -c"$WRK_CONNS" -d"${dur}s" --latency -s bench/workloads/service/wrk.lua \
		"http://$hostport/" >"$d/wrk" 2>&1
	local steal
	steal=$(steal_pct "$snap")
	[ "$mode" = daemon ] && t1=$(cpu_ticks "$DPID")
	kill -TERM "$spid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	case $mode in
	trace | exact)
		wait  # the CPU watcher
		extra="$(trace_summary "$d/trace.log") tracer_cpu_s=$(ticks_s "$d/tracer_ticks")"
		;;
	daemon)
		daemon_done "$d" "$t0" "$t1"
		extra=$DAEMON_FIELDS
		;;
	esac
	record "section=$section tc=$tc workload=service mode=$mode rep=$rep load1=$l0 steal_pct=$steal secs=$dur $(wrk_summary "$d/wrk")" \
		"requests=$(kv "$d/out" requests) misses=$(kv "$d/out" misses) cache_entries=$(kv "$d/out" cache_entries) cpu_s=$(kv "$d/out" cpu_s) $extra" \
		"series=$(sed -n 's/^SERIES //p' "$d/out" | tr ' ' ,)"
}

overhead() {
	local tc w rep mode
	for tc in ${TOOLCHAINS//,/ }; do
		for w in ${WORKLOADS//,/ }; do
			for ((rep = 1; rep <= REPS; rep++)); do
				for mode in trace exact daemon; do
					log "overhead $tc/$w rep $rep/$REPS: untraced, then $mode"
					if [ "$w" = service ]; then
						run_service "$tc" untraced "$rep-$mode"
						run_service "$tc" "$mode" "$rep"
					else
						run_loop "$tc" "$w" untraced "$rep-$mode"
						run_loop "$tc" "$w" "$mode" "$rep"
					fi
				done
			done
		done
	done
}

# (a) and (b) under the daemon for long enough to cover the governor's
# reaction at startup and a whole duty cycle (the shed points come back on
# for about a second per cycle of up to 60 s): whole runs, no run-in.
governor() {
	local tc=${TOOLCHAINS%%,*} p
	for ((p = 1; p <= GOV_PAIRS; p++)); do
		log "governor: churn for ${GOV_DUR}s untraced, then under the daemon (pair $p/$GOV_PAIRS)"
		run_loop "$tc" churn untraced "$p" 0 "$GOV_DUR" governor
		run_loop "$tc" churn daemon "$p" 0 "$GOV_DUR" governor
		log "governor: service for ${GOV_DUR}s untraced, then under the daemon (pair $p/$GOV_PAIRS)"
		run_service "$tc" untraced "$p" 0 "$GOV_DUR" governor
		run_service "$tc" daemon "$p" 0 "$GOV_DUR" governor
	done
}

# Concurrent A/B: on a machine whose steal and neighbours swing by tens of
# percent from one minute to the next, a traced and an untraced copy of the
# same workload run side by side, under one daemon that only includes the
# traced copy's name, so both see the same noise and the ratio keeps
# mostly what the daemon costs.
ab_churn() { # TC REP [aa]: "aa" runs both copies untraced, no daemon: the noise floor
	local tc=$1 rep=$2 aa=${3:-} d=$RUN/governor-ab/$1-churn${3:+-aa}-$2 t0 t1 tp cpid snap l0 extra="" m
	mkdir -p "$d/traced" "$d/control"
	cp "$BB/$tc/gmb-churn" "$d/traced/gmb-churn"
	cp "$BB/$tc/gmb-churn" "$d/control/gmb-churn-ctl"
	l0=$(load1)
	snap=$(cpu_snap)
	if [ -z "$aa" ]; then
		start_daemon "$d/daemon.log"
		t0=$(cpu_ticks "$DPID")
		poll_start gmb-churn "$d"
	fi
	# the copy started first may land differently: alternate by pair
	for m in $( ((rep % 2)) && echo traced control || echo control traced); do
		if [ "$m" = traced ]; then
			"$d/traced/gmb-churn" -warmup 0s -d "${GOV_DUR}s" >"$d/out.traced" 2>"$d/err.traced" &
			tp=$!
		else
			"$d/control/gmb-churn-ctl" -warmup 0s -d "${GOV_DUR}s" >"$d/out.control" 2>"$d/err.control" &
			cpid=$!
		fi
	done
	wait "$tp" "$cpid" || true
	if [ -z "$aa" ]; then
		t1=$(cpu_ticks "$DPID")
		daemon_done "$d" "$t0" "$t1"
		extra=$DAEMON_FIELDS
	fi
	for m in traced control; do
		grep -q '^RESULT' "$d/out.$m" || die "governor-ab churn/$m: no result"
		record "section=governor_ab tc=$tc workload=churn${aa:+_aa} mode=$m rep=$rep load1=$l0 steal_pct=$(steal_pct "$snap")" \
			"rate=$(kv "$d/out.$m" rate) elapsed=$(kv "$d/out.$m" elapsed) cpu_s=$(kv "$d/out.$m" cpu_s)" \
			"$([ "$m" = traced ] && echo "$extra")" "series=$(sed -n 's/^SERIES //p' "$d/out.$m" | tr ' ' ,)"
	done
}

ab_service() { # TC REP
	local tc=$1 rep=$2 d=$RUN/governor-ab/$1-service-$2 t0 t1 snap l0 extra m
	local -A wpid spid hostport wrkpid
	mkdir -p "$d/traced" "$d/control"
	cp "$BB/$tc/gmb-service" "$d/traced/gmb-service"
	cp "$BB/$tc/gmb-service" "$d/control/gmb-service-ctl"
	l0=$(load1)
	start_daemon "$d/daemon.log"
	poll_start gmb-service "$d"
	"$d/traced/gmb-service" -addrfile "$d/addr.traced" -cache "$CACHE" >"$d/out.traced" 2>"$d/err.traced" &
	wpid[traced]=$!
	"$d/control/gmb-service-ctl" -addrfile "$d/addr.control" -cache "$CACHE" >"$d/out.control" 2>"$d/err.control" &
	wpid[control]=$!
	for m in traced control; do
		wait_for_file "$d/addr.$m" 30 || die "governor-ab service/$m did not start"
		read -r "hostport[$m]" "spid[$m]" <"$d/addr.$m"
	done
	t0=$(cpu_ticks "$DPID")
	snap=$(cpu_snap)
	for m in traced control; do
		GMB_IDS=$IDS wrk -t1 -c"$WRK_CONNS" -d"${GOV_DUR}s" --latency -s bench/workloads/service/wrk.lua \
			"http://${hostport[$m]}/" >"$d/wrk.$m" 2>&1 &
		wrkpid[$m]=$!
	done
	wait "${wrkpid[traced]}" "${wrkpid[control]}" || true
	t1=$(cpu_ticks "$DPID")
	for m in traced control; do
		kill -TERM "${spid[$m]}" 2>/dev/null || true
		wait "${wpid[$m]}" 2>/dev/null || true
	done
	daemon_done "$d" "$t0" "$t1"
	extra=$DAEMON_FIELDS
	for m in traced control; do
		record "section=governor_ab tc=$tc workload=service mode=$m rep=$rep load1=$l0 steal_pct=$(steal_pct "$snap") secs=$GOV_DUR" \
			"$(wrk_summary "$d/wrk.$m") cpu_s=$(kv "$d/out.$m" cpu_s) $([ "$m" = traced ] && echo "$extra")" \
			"series=$(sed -n 's/^SERIES //p' "$d/out.$m" | tr ' ' ,)"
	done
}

governor_ab() {
	local tc=${TOOLCHAINS%%,*} p
	for ((p = 1; p <= GOV_PAIRS; p++)); do
		log "governor-ab: churn, traced and untraced copies side by side for ${GOV_DUR}s (pair $p/$GOV_PAIRS)"
		ab_churn "$tc" "$p"
		log "governor-ab: churn, both copies untraced, no daemon (noise floor, pair $p/$GOV_PAIRS)"
		ab_churn "$tc" "$p" aa
		log "governor-ab: service, traced and untraced copies side by side for ${GOV_DUR}s (pair $p/$GOV_PAIRS)"
		ab_service "$tc" "$p"
	done
}

# `trace` with DEFAULT options (issue 16 item 5), by the same concurrent
# method: the traced copy under `trace -- CMD`, an untraced copy of another
# file (the control: traced / control is trace's cost), and for the loop
# workloads an untraced sibling started from the very file being traced
# (sibling / control: what processes that are not traced pay).  The traced
# copy's extra CPU (its CPU minus its work at the control's CPU per unit of
# work) is compared with the probe CPU that trace's overhead line reports.
tab_loop() { # TC WORKLOAD REP [aa]
	local tc=$1 w=$2 rep=$3 aa=${4:-} d=$RUN/trace-ab/$1-$2${4:+-aa}-$3 snap l0 m extra=""
	mkdir -p "$d"
	cp "$BB/$tc/gmb-$w" "$d/gmb-$w"
	cp "$BB/$tc/gmb-$w" "$d/gmb-$w-ctl"
	l0=$(load1)
	snap=$(cpu_snap)
	local cmd=(-warmup 0s -d "${GOV_DUR}s")
	"$d/gmb-$w-ctl" "${cmd[@]}" >"$d/out.control" 2>"$d/err.control" &
	local cpid=$!
	"$d/gmb-$w" "${cmd[@]}" >"$d/out.sibling" 2>"$d/err.sibling" &
	local spid=$!
	if [ -z "$aa" ]; then
		"$GM" trace --no-live --json "$d/trace.json" -o "$d/trace.log" -- "$d/gmb-$w" "${cmd[@]}" \
			>"$d/out.traced" 2>"$d/trace.err" || echo "trace exit $?" >>"$d/err.traced"
		extra="$(trace_summary "$d/trace.log") $(trace_cost "$d/trace.json")"
	else
		"$d/gmb-$w" "${cmd[@]}" >"$d/out.traced" 2>"$d/err.traced"
	fi
	wait "$cpid" "$spid" || true
	for m in traced sibling control; do
		grep -q '^RESULT' "$d/out.$m" || die "trace-ab $w/$m: no result"
		record "section=trace_ab tc=$tc workload=$w${aa:+_aa} mode=$m rep=$rep load1=$l0 steal_pct=$(steal_pct "$snap")" \
			"rate=$(kv "$d/out.$m" rate) total=$(kv "$d/out.$m" total) elapsed=$(kv "$d/out.$m" elapsed) cpu_s=$(kv "$d/out.$m" cpu_s)" \
			"$([ "$m" = traced ] && echo "$extra")" "series=$(sed -n 's/^SERIES //p' "$d/out.$m" | tr ' ' ,)"
	done
}

# trace's measured cost from its JSON report: hit cost, BPF share, probe CPU
trace_cost() { # JSON
	jq -r '"t_hit_us=\(.overhead.hit_cost_seconds * 1e6) t_trap_us=\(.overhead.probe_cost_seconds * 1e6) t_bpf_runs=\(.overhead.bpf_run_count) t_bpf_s=\(.overhead.bpf_run_seconds) t_probe_cpu_s=\(.overhead.probe_cpu_seconds) t_alarms=\(.governor.alarms) t_shed_s=\(.governor.shed_seconds) t_leaks=\([.leaking_sites[] | .site.function] | join(","))"' "$1" 2>/dev/null || echo "t_hit_us=na"
}

tab_service() { # TC REP [aa: nothing traced, the noise floor]
	local tc=$1 rep=$2 aa=${3:-} d=$RUN/trace-ab/$1-service${3:+-aa}-$2 snap l0 m extra="" tpid
	local -A wpid spid hostport wrkpid
	mkdir -p "$d"
	cp "$BB/$tc/gmb-service" "$d/gmb-service"
	cp "$BB/$tc/gmb-service" "$d/gmb-service-ctl"
	l0=$(load1)
	# a service is traced where it runs: trace -p once it is up, then the load
	"$d/gmb-service" -addrfile "$d/addr.traced" -cache "$CACHE" >"$d/out.traced" 2>"$d/err.traced" &
	wpid[traced]=$!
	"$d/gmb-service-ctl" -addrfile "$d/addr.control" -cache "$CACHE" >"$d/out.control" 2>"$d/err.control" &
	wpid[control]=$!
	for m in traced control; do
		wait_for_file "$d/addr.$m" 30 || die "trace-ab service/$m did not start"
		read -r "hostport[$m]" "spid[$m]" <"$d/addr.$m"
	done
	if [ -z "$aa" ]; then
		"$GM" trace --no-live --json "$d/trace.json" -o "$d/trace.log" -p "${spid[traced]}" 2>"$d/trace.err" &
		tpid=$!
		for _ in $(seq 300); do
			grep -q 'tracing pid' "$d/trace.err" 2>/dev/null && break
			sleep 0.1
		done
		grep -q 'tracing pid' "$d/trace.err" || die "trace-ab service: trace -p did not attach: $(tail -2 "$d/trace.err")"
	fi
	snap=$(cpu_snap)
	for m in traced control; do
		GMB_IDS=$IDS wrk -t1 -c"$WRK_CONNS" -d"${GOV_DUR}s" --latency -s bench/workloads/service/wrk.lua \
			"http://${hostport[$m]}/" >"$d/wrk.$m" 2>&1 &
		wrkpid[$m]=$!
	done
	wait "${wrkpid[traced]}" "${wrkpid[control]}" || true
	# the report first (SIGTERM: a background job of a script has SIGINT
	# ignored, and trace keeps an inherited SIG_IGN), then the services
	if [ -z "$aa" ]; then
		kill -TERM "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
	fi
	for m in traced control; do
		kill -TERM "${spid[$m]}" 2>/dev/null || true
		wait "${wpid[$m]}" 2>/dev/null || true
	done
	[ -n "$aa" ] || extra="$(trace_summary "$d/trace.log") $(trace_cost "$d/trace.json")"
	for m in traced control; do
		record "section=trace_ab tc=$tc workload=service${aa:+_aa} mode=$m rep=$rep load1=$l0 steal_pct=$(steal_pct "$snap") secs=$GOV_DUR" \
			"$(wrk_summary "$d/wrk.$m") requests=$(kv "$d/out.$m" requests) cpu_s=$(kv "$d/out.$m" cpu_s) $([ "$m" = traced ] && echo "$extra")" \
			"series=$(sed -n 's/^SERIES //p' "$d/out.$m" | tr ' ' ,)"
	done
}

# A leak in the churning process (the churn fixture, -leak: 20,000 keys/s
# into one map from 2 s on, so its large-map points fire within 0.1 s of
# the leak's start): when does trace, default options, first name it?
# Interim reports every second; the first one whose LEAKS list has the
# leak's insert function (seconds after attach; the leak starts at 2 s).
tab_leak() { # TC VARIANT REP MODE (defaults | unbudgeted: --max-overhead 0)
	local tc=$1 v=$2 rep=$3 mode=${4:-defaults} d=$RUN/trace-ab/$1-$2-leak-${4:-defaults}-$3 fx found
	local -a extra=()
	fx=$(gm_fixture "$tc" "$v" churn)
	[ -x "$fx" ] || { log "trace-ab leak: $fx missing, skipped"; return 0; }
	[ "$mode" = unbudgeted ] && extra=(--max-overhead 0)
	mkdir -p "$d"
	cp "$fx" "$d/churn"
	"$GM" trace --no-live -d "${LEAK_DUR}s" --interval 1s "${extra[@]}" -o "$d/trace.log" --json "$d/trace.json" -- \
		"$d/churn" -leak 20000 -leak-after 2s >/dev/null 2>"$d/trace.err" || true
	# interim reports go to stderr under -- CMD; the first whose LEAKS list names hoardOne
	found=$(awk '/^gomaptrace interim report after/ {t = $5; sub(/s$/, "", t); inleak = 0}
		/^LEAKS:/ {inleak = 1} /^$/ {if (inleak) inleak = 0}
		/main\.hoardOne/ && inleak {print t; exit}' "$d/trace.err")
	record "section=trace_leak tc=$tc variant=$v mode=$mode rep=$rep load1=$(load1) found_after_s=${found:-none}" \
		"window_s=$(jq -r .window_seconds "$d/trace.json") min_span_s=$(jq -r '.min_span_seconds // empty' "$d/trace.json") $(trace_cost "$d/trace.json")"
}

trace_ab() { # the workloads of --workloads (service, churn, bigmap); the leak with churn
	local tc=${TOOLCHAINS%%,*} p w
	for ((p = 1; p <= GOV_PAIRS; p++)); do
		for w in churn bigmap; do
			[[ ,$WORKLOADS, == *,$w,* ]] || continue
			log "trace-ab: $w, trace -- CMD (defaults), an untraced sibling of the same file and an untraced copy, ${GOV_DUR}s (pair $p/$GOV_PAIRS)"
			tab_loop "$tc" "$w" "$p"
		done
		if [[ ,$WORKLOADS, == *,churn,* ]]; then
			log "trace-ab: churn, A/A: the same three, none traced (noise floor, pair $p/$GOV_PAIRS)"
			tab_loop "$tc" churn "$p" aa
		fi
		if [[ ,$WORKLOADS, == *,service,* ]]; then
			log "trace-ab: service, trace -p (defaults) and an untraced copy, ${GOV_DUR}s (pair $p/$GOV_PAIRS)"
			tab_service "$tc" "$p"
			log "trace-ab: service, A/A: the same two, none traced (noise floor, pair $p/$GOV_PAIRS)"
			tab_service "$tc" "$p" aa
		fi
	done
	[[ ,$WORKLOADS, == *,churn,* ]] || return 0
	# the same leak with no budget: what the governor itself costs in time
	# to a verdict, apart from the judging rule's own floor (the span)
	log "trace-ab: a leak beside the churn, go1.26 (Swiss) and go1.24-noswiss (classic), defaults and --max-overhead 0"
	# one after the other: an unbudgeted tracer beside would take the CPU
	tab_leak go1.26 plain 1 defaults
	tab_leak go1.26 plain 1 unbudgeted
	tab_leak go1.24-noswiss plain 1 defaults
	tab_leak go1.24-noswiss plain 1 unbudgeted
}

# ---------------------------------------------------------------- pipeline

pipeline() {
	local fx i d=$RUN/pipeline
	fx=$(gm_fixture go1.26 plain leaky)
	[ -x "$fx" ] || die "$fx missing: run 'make fixtures'"
	mkdir -p "$d"
	for ((i = 1; i <= PIPE_RUNS; i++)); do
		log "pipeline run $i/$PIPE_RUNS: $PIPE_EVENTS events"
		local snap
		snap=$(cpu_snap)
		"$BB/pipeline" -e "$PIPE_EVENTS" -r "$PIPE_RATE" "$fx" >"$d/out.$i"
		record "section=pipeline rep=$i load1=$(load1) steal_pct=$(steal_pct "$snap") $(sed -n 's/^RESULT //p' "$d/out.$i")" \
			"$(sed -n 's/^STATS //p;s/^STATE //p' "$d/out.$i" | tr '\n' ' ')"
	done
	# where the time goes: perf with a software clock (no PMU in these VMs)
	if perf record -q -e cpu-clock -F 999 -o "$d/perf.data" true >/dev/null 2>&1; then
		log "pipeline profile (perf, cpu-clock)"
		perf record -q -e cpu-clock -F 999 -o "$d/perf.data" \
			"$BB/pipeline" -e $((PIPE_EVENTS / 2)) -r "$PIPE_RATE" "$fx" >/dev/null 2>&1
		perf report -i "$d/perf.data" --no-children --stdio --sort symbol >"$d/perf.txt" 2>/dev/null || true
		awk '/^ +[0-9.]+%/ && n++ < 12 {print $1, $3}' "$d/perf.txt" >"$d/profile"
	elif command -v valgrind >/dev/null; then
		log "pipeline profile (callgrind, small run)"
		valgrind --tool=callgrind --callgrind-out-file="$d/callgrind.out" \
			"$BB/pipeline" -e 100000 -r 2000 "$fx" >/dev/null 2>&1
		callgrind_annotate "$d/callgrind.out" >"$d/callgrind.txt" 2>/dev/null || true
		awk '/^ *[0-9,]+ +\([ 0-9.]+%\)/ && n++ < 12 {gsub(/[()]/, "", $2); print $2, $NF}' "$d/callgrind.txt" >"$d/profile"
	fi
	if [ -s "$d/profile" ]; then
		while read -r pct sym; do
			record "section=profile pct=${pct%\%} symbol=$sym"
		done <"$d/profile"
	fi
}

# ---------------------------------------------------------------- footprint

footprint() {
	local tc=${TOOLCHAINS%%,*} d=$RUN/footprint i pids=() rss0 t0 t1 s0 line
	local bin=$BB/$tc/gmb-fleet
	mkdir -p "$d"
	log "footprint: daemon with $FOOT_PROCS processes x $FOOT_MAPS maps"
	start_daemon "$d/daemon.log"
	sleep 2
	rss0=$(awk '/^VmRSS/{print $2}' "/proc/$DPID/status")
	for ((i = 0; i < FOOT_PROCS; i++)); do
		"$bin" -maps "$FOOT_MAPS" -every 2s >/dev/null 2>&1 &
		pids+=($!)
	done
	# wait for every process and most maps to be tracked
	local targets=0 maps=0
	for ((i = 0; i < 120; i++)); do
		line=$(curl -sf --max-time 5 "http://127.0.0.1:$DPORT/metrics" | awk '
			/^gomaptrace_targets /{t=$2} index($0, "gomaptrace_maps_tracked{") == 1 {m+=$NF}
			END {print t+0, m+0}') || line="0 0"
		read -r targets maps <<<"$line"
		((targets >= FOOT_PROCS && maps >= FOOT_PROCS * FOOT_MAPS * 9 / 10)) && break
		sleep 1
	done
	log "footprint: $targets targets, $maps maps tracked after ${i}s; sampling ${FOOT_SECS}s"
	t0=$(cpu_ticks "$DPID")
	s0=$(date +%s.%N)
	local snap
	snap=$(cpu_snap)
	for ((i = 0; i < FOOT_SECS; i++)); do
		local st sz
		st=$(curl -s -o "$d/metrics.last" -w '%{time_total}' --max-time 5 "http://127.0.0.1:$DPORT/metrics" || echo -1)
		sz=$(stat -c %s "$d/metrics.last" 2>/dev/null || echo 0)
		echo "t=$i rss_kb=$(awk '/^VmRSS/{print $2}' "/proc/$DPID/status") hwm_kb=$(awk '/^VmHWM/{print $2}' "/proc/$DPID/status") ticks=$(cpu_ticks "$DPID") scrape_s=$st scrape_bytes=$sz $(metrics_line gmb-fleet)" >>"$d/samples"
		sleep 1
	done
	t1=$(cpu_ticks "$DPID")
	local secs steal
	steal=$(steal_pct "$snap")
	secs=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}')
	maps=$(awk 'index($0, "gomaptrace_maps_tracked{") == 1 {m+=$NF} END{print m+0}' "$d/metrics.last")
	targets=$(awk '/^gomaptrace_targets /{print $2}' "$d/metrics.last")
	local fleet_rss
	fleet_rss=$(for p in "${pids[@]}"; do awk '/^VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null || true; done | awk '{s+=$1} END{print s+0}')
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait "${pids[@]}" 2>/dev/null || true
	stop_daemon
	python3 - "$d/samples" "$rss0" "$secs" "$t0" "$t1" "$targets" "$maps" "$fleet_rss" "$steal" >>"$REC" <<'EOF'
import sys
rows = [dict(f.split('=', 1) for f in l.split() if '=' in f) for l in open(sys.argv[1])]
rss = [int(r['rss_kb']) for r in rows if r.get('rss_kb')]
scr = sorted(float(r['scrape_s']) for r in rows if float(r.get('scrape_s', -1)) >= 0)
rss0, secs, t0, t1 = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
half = len(rss) // 2
growth = (sum(rss[half:]) / len(rss[half:]) - sum(rss[:half]) / half) / (secs / 2) * 60 if half else 0
ev = [int(r['events']) for r in rows if r.get('events', '').isdigit()]
print(f"section=footprint procs={sys.argv[6]} maps={sys.argv[7]} secs={secs} rss_idle_kb={rss0} "
      f"rss_first_kb={rss[0]} rss_last_kb={rss[-1]} rss_max_kb={max(rss)} hwm_kb={rows[-1].get('hwm_kb')} "
      f"rss_growth_kb_per_min={growth:.0f} cpu_pct={(t1 - t0) / secs:.2f} "
      f"events_per_s={(ev[-1] - ev[0]) / secs if len(ev) > 1 else 0:.0f} "
      f"scrape_ms_median={scr[len(scr) // 2] * 1000 if scr else -1:.1f} scrape_ms_max={scr[-1] * 1000 if scr else -1:.1f} "
      f"scrape_bytes={rows[-1].get('scrape_bytes')} lost={rows[-1].get('lost')} fleet_rss_kb={sys.argv[8]} "
      f"steal_pct={sys.argv[9]}")
EOF
}

# ---------------------------------------------------------------- attach

attach() {
	local d=$RUN/attach f copies=() name tc v i t0 t1 walls
	mkdir -p "$d/bin"
	# copies: uprobes go on the inode, and other engineers' tests run the fixtures
	for f in build/fixtures/*/*/leaky; do
		[ -x "$f" ] || continue
		tc=$(basename "$(dirname "$(dirname "$f")")")
		v=$(basename "$(dirname "$f")")
		cp "$f" "$d/bin/$tc:$v"
		copies+=("$d/bin/$tc:$v")
	done
	((${#copies[@]})) || die "no fixtures: run 'make fixtures'"
	log "attach latency: ${#copies[@]} binaries, default and --exact"
	"$BB/attach" -n "$ATT_REPS" "${copies[@]}" >"$d/default"
	"$BB/attach" -n "$ATT_REPS" --exact "${copies[@]}" >"$d/exact"
	record "section=attach_once $(sed -n 's/^ONCE //p' "$d/default")"
	sed -n 's/^BIN //p' "$d/default" | while read -r line; do record "section=attach mode=default $line"; done
	sed -n 's/^BIN //p' "$d/exact" | while read -r line; do record "section=attach mode=exact $line"; done
	# end to end: trace -- BIN -n 1 (BPF load, parse, decode, attach, run, report, detach)
	for f in "${copies[@]}"; do
		walls=()
		for ((i = 0; i < ATT_REPS; i++)); do
			t0=$(date +%s%N)
			"$GM" trace -- "$f" -n 1 >/dev/null 2>&1 || true
			t1=$(date +%s%N)
			walls+=($(((t1 - t0) / 1000000)))
		done
		record "section=attach_e2e path=$f wall_ms=$(printf '%s\n' "${walls[@]}" | sort -n | sed -n "$((ATT_REPS / 2 + 1))p")"
	done
}

# ---------------------------------------------------------------- main

want overhead || want governor || want governor-ab || want trace-ab || want footprint && build_workloads
want pipeline && build_c pipeline
want attach && build_c attach

{
	echo "machine: $(nproc) CPUs, $(sed -n '/^model name/{s/^model name[[:space:]]*: //p;q}' /proc/cpuinfo), kernel $(uname -r)"
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- user bpf include 2>/dev/null || echo ' (+ uncommitted changes in user/ bpf/ include/)')"
	echo "mode: $( ((QUICK)) && echo quick || echo full), reps $REPS, warm-up ${WARM}s, measured ${DUR}s, toolchains $TOOLCHAINS"
	echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "busiest other processes at start:"
	ps -eo pcpu=,comm= --sort=-pcpu | awk 'NR <= 5 {print "  " $0}'
} >"$RUN/machine.txt"

trap 'stop_daemon; jobs -p | xargs -r kill 2>/dev/null || true' EXIT
want overhead && overhead
want governor && governor
want governor-ab && governor_ab
want trace-ab && trace_ab
want pipeline && pipeline
want footprint && footprint
want attach && attach
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RUN/machine.txt"

python3 bench/report.py "$RUN" >"$RUN/results.md"
want trace-ab && python3 bench/trace_ab.py "$RUN" >>"$RUN/results.md"
cat "$RUN/results.md"
if [ "$DOC" = yes ] || { [ "$DOC" = auto ] && ((!QUICK)) && [ "$ONLY" = all ]; }; then
	python3 bench/report.py --update-doc docs/performance.md "$LABEL" "$RUN"
	log "docs/performance.md updated from $RUN"
fi
log "raw logs: $RUN"
