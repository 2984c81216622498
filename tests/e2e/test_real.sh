#!/usr/bin/env bash
# gm-test: serial
#
# Real third-party programs as targets (issue 12 part 1), traced as root with
# real BPF.  Programs nobody on this project wrote, with a workload that
# makes a known map of theirs grow and one that does not:
#
#   prometheus  Debian's /usr/bin/prometheus (2.42, go1.19, stripped, classic
#               maps) scraping tests/real/promtarget every 500 ms.
#               -mode grow: 100 new series per scrape, so the head index's
#               per-label-name map (map[string][]storage.SeriesRef, made on
#               tsdb/index/postings.go:367 and filled on :371, both in
#               (*MemPostings).addFor; lines checked against
#               github.com/prometheus/prometheus@v0.42.0) is a leak;
#               -mode fixed: the same 100 series each scrape, no leak there.
#
# For each: trace -- CMD (grow, fixed), trace -p PID (grow, attached after
# the map exists: creation unknown, insert site known), and the daemon's
# /metrics (grow).  While traced, the program's own health check answers and
# it really did its work (PromQL sees the target's series).
# Sessions of one program run in parallel on distinct ports.  Logs and
# reports stay in $GM_BUILD/e2e/real/.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/e2e/lib.sh
. tests/e2e/trace_lib.sh

LOGDIR=$GM_BUILD/e2e/real
REAL=$GM_BUILD/real
WIN=(--window 1s --min-windows 4)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

if [ ! -x "$GM" ]; then fail real/setup "$GM is not built"; exit 1; fi
if [ "$(id -u)" -ne 0 ]; then fail real/setup "needs root (BPF uprobes)"; exit 1; fi
for tool in jq curl timeout python3 go prometheus; do
	command -v "$tool" >/dev/null || { fail real/setup "$tool is not installed (make deps)"; exit 1; }
done
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR" "$REAL"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# wait_http URL SECS: until URL answers 2xx.
wait_http() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -sf -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# build_go DIR OUT: build the Go program in tests/real/DIR into OUT, unless
# OUT is newer than every file of DIR (a cache: built once, reused).
build_go() {
	local dir=tests/real/$1 out=$2
	if [ -x "$out" ] && [ -z "$(find "$dir" -newer "$out" -type f | head -1)" ]; then
		return 0
	fi
	(cd "$dir" && go build -o "$out.tmp" .) >"$LOGDIR/build-$1.log" 2>&1 && mv "$out.tmp" "$out"
}

# ================================================================ prometheus
PROM=/usr/bin/prometheus
PROM_T='map[string][]storage.SeriesRef'
PROM_F='github.com/prometheus/prometheus/tsdb/index.(*MemPostings).addFor'
PROM_FILE='github.com/prometheus/prometheus/tsdb/index/postings.go'
PROM_NEW=367 # nm = map[string][]storage.SeriesRef{}
PROM_INS=371 # nm[l.Value] = list

# prom_start NAME MODE: a promtarget and a config scraping it; sets
# PT_PORT (target), PP_PORT (prometheus), PROM_ARGS (the command line).
prom_setup() {
	local name=$1 mode=$2 d=$LOGDIR/$1
	mkdir -p "$d"
	PT_PORT=$(free_port)
	PP_PORT=$(free_port)
	"$REAL/promtarget" -listen 127.0.0.1:"$PT_PORT" -mode "$mode" >"$d/target.log" 2>&1 &
	PT_PID=$!
	PIDS+=($!)
	cat >"$d/prometheus.yml" <<EOF
global:
  scrape_interval: 500ms
  scrape_timeout: 400ms
scrape_configs:
  - job_name: promtarget
    static_configs:
      - targets: ['127.0.0.1:$PT_PORT']
EOF
	PROM_ARGS=("$PROM" --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/tsdb"
		--web.listen-address=127.0.0.1:"$PP_PORT")
	echo "$PP_PORT" >"$d/port"
	wait_http "http://127.0.0.1:$PT_PORT/healthz" 10
}

# prom_health NAME PORT: while traced, prometheus answers its own health and
# readiness endpoints and a PromQL query finds the target's series (so it
# scraped and stored them).  Writes NAME/health with the outcome.
prom_health() {
	local d=$LOGDIR/$1 port=$2 n i
	if ! wait_http "http://127.0.0.1:$port/-/ready" 90; then
		echo "no /-/ready on $port" >"$d/health"
		return
	fi
	sleep 2
	if ! curl -sf "http://127.0.0.1:$port/-/healthy" >/dev/null; then
		echo "/-/healthy did not answer" >"$d/health"
		return
	fi
	for ((i = 0; i < 20; i++)); do
		n=$(curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode 'query=count(promtarget_series)' |
			jq -r '.data.result[0].value[1] // "none"' 2>/dev/null)
		[ "${n:-none}" != none ] && break
		sleep 0.5
	done
	if [ "${n:-none}" != none ] && [ "$n" -gt 0 ] 2>/dev/null; then
		echo "ok $n" >"$d/health"
	else
		echo "PromQL count(promtarget_series) = ${n:-none}" >"$d/health"
	fi
}

check_health() {
	local name=$1 h
	h=$(cat "$LOGDIR/$name/health" 2>/dev/null || echo "no health check ran")
	case $h in ok*) pass "real/$name/health" ;; *) fail "real/$name/health" "$h" ;; esac
}

# prom_leak NAME JSON CREATED: the addFor map is a leak of the real type with
# the insert site on postings.go:371; CREATED=1: the creation site
# (postings.go:367) is known too; 0: it may be unknown (attached later).
prom_leak() {
	local name=$1 json=$2 created=$3
	tl_json_ok "$name" "$json" "$LOGDIR" "$(basename "${json%.json}")" || return
	tl_assert "$name" "$(tl_min "$json")" '
		def at($l): . != null and .function == $F and .line == $l and ((.file // "") | endswith($FILE));
		any(.maps[]; .type == $T and .verdict == "leak" and (.insert_at | at($I))
			and (if $C == 1 then (.created_at | at($N)) else (.created_at == null or (.created_at | at($N))) end)
			and .entries_last > .entries_first)
		and any(.leaks[]; .type == $T and (.insert_at | at($I)))' \
		'"want \($T) leak inserted at \($F) \($FILE):\($I)" + (if $C == 1 then " created at :\($N)" else "" end) +
		 "; maps of that type or function: " + ([.maps[] | select(.type == $T or (.insert_at.function // "") == $F or (.created_at.function // "") == $F)
		 | {type, verdict, entries_first, entries_last, created_at, insert_at}] | .[:4] | tostring)' \
		--arg T "$PROM_T" --arg F "$PROM_F" --arg FILE "$PROM_FILE" \
		--argjson N "$PROM_NEW" --argjson I "$PROM_INS" --argjson C "$created"
}

# trace_bg NAME ARGS...: `gomaptrace trace ARGS...` in the background, no
# -d: ended by trace_end (SIGTERM: final report, exit 0).  On a loaded
# machine a real program can take many seconds to start under the tracer,
# so sessions end a fixed time after the program is ready, not after a
# fixed duration.
trace_bg() {
	local name=$1
	shift
	"$GM" trace -v "${WIN[@]}" --json "$LOGDIR/$name.json" "$@" \
		>"$LOGDIR/$name.out" 2>"$LOGDIR/$name.err" </dev/null &
	TR_PID=$!
}
# trace_end NAME: SIGTERM the session of trace_bg (SIGKILL 20 s later if it
# hangs on); its exit status goes to NAME.rc.
trace_end() {
	local name=$1 i rc
	kill -TERM "$TR_PID" 2>/dev/null
	for ((i = 0; i < 200; i++)); do kill -0 "$TR_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$TR_PID" 2>/dev/null
	wait "$TR_PID"
	rc=$?
	echo "$rc" >"$LOGDIR/$name.rc"
}

# prom_session NAME MODE HOW: HOW=cmd: trace -- prometheus; HOW=pid: start
# prometheus, let it scrape 4 s, then trace -p.  Either way the session
# runs JUDGE seconds after prometheus is ready and its health is checked.
JUDGE=12
prom_session() {
	local name=$1 mode=$2 how=$3 d=$LOGDIR/$1 i
	pid=""
	TR_PID=""
	# run in the background: its own processes are its own to end
	trap 'kill $PT_PID $pid $TR_PID 2>/dev/null' EXIT
	prom_setup "$name" "$mode" || { echo "promtarget did not start" >"$d/health"; return; }
	if [ "$how" = cmd ]; then
		trace_bg "$name" -- "${PROM_ARGS[@]}"
	else
		"${PROM_ARGS[@]}" >"$d/prometheus.log" 2>&1 &
		pid=$!
		wait_http "http://127.0.0.1:$PP_PORT/-/ready" 90
		sleep 4
		trace_bg "$name" -p "$pid"
		# the clock starts once every probe is in (minutes on a loaded machine)
		for ((i = 0; i < 900; i++)); do
			grep -q "attached to pid $pid" "$LOGDIR/$name.err" 2>/dev/null && break
			sleep 0.1
		done
	fi
	prom_health "$name" "$PP_PORT"
	# -p: a classic map already grown is found at its next doubling
	if [ "$how" = pid ]; then sleep $((JUDGE + 6)); else sleep "$JUDGE"; fi
	trace_end "$name"
	[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	kill "$PT_PID" 2>/dev/null
}

# prom_daemon: gomaptrace daemon, then prometheus (grow) started after it:
# found through exec, and its /metrics says leak for the addFor site.
prom_daemon() {
	local d=$LOGDIR/prom-daemon dport pid i m=""
	mkdir -p "$d"
	dport=$(free_port)
	"$GM" daemon --listen 127.0.0.1:"$dport" "${WIN[@]}" --include '^prometheus$' \
		>"$d/daemon.out" 2>"$d/daemon.err" &
	local dpid=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break
		sleep 0.1
	done
	prom_setup prom-daemon grow || { echo "promtarget did not start" >"$d/health"; kill "$dpid"; return; }
	"${PROM_ARGS[@]}" >"$d/prometheus.log" 2>&1 &
	pid=$!
	prom_health prom-daemon "$PP_PORT"
	for ((i = 0; i < 60; i++)); do
		m=$(curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null)
		echo "$m" | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="prometheus"' |
			grep -F "${PROM_F} " | grep ' 1$' >/dev/null && break
		sleep 0.5
	done
	echo "$m" >"$d/metrics.txt"
	kill "$pid" "$dpid" "$PT_PID" 2>/dev/null
	wait "$pid" "$dpid" "$PT_PID" 2>/dev/null
}

check_prom_daemon() {
	local m=$LOGDIR/prom-daemon/metrics.txt line
	line=$(grep '^gomaptrace_map_leak_suspected{' "$m" 2>/dev/null | grep 'comm="prometheus"' |
		grep -F "site=\"$PROM_F $PROM_FILE:$PROM_INS\"" | grep -F "type=\"$PROM_T\"" | grep ' 1$' | head -1)
	if [ -n "$line" ]; then
		pass real/prom-daemon/leak-suspected
	else
		fail real/prom-daemon/leak-suspected "no leak_suspected 1 series of type $PROM_T at $PROM_F $PROM_FILE:$PROM_INS; prometheus series: $(grep 'comm="prometheus"' "$m" 2>/dev/null | grep leak_suspected | head -3 | cut -c1-300); daemon: $(tail -2 "$LOGDIR/prom-daemon/daemon.err")"
	fi
}

T0=$SECONDS
if ! build_go promtarget "$REAL/promtarget"; then
	fail real/prom/build "$(tail -3 "$LOGDIR/build-promtarget.log")"
else
	prom_session prom-cmd grow cmd &
	prom_session prom-pid grow pid &
	prom_session prom-fixed fixed cmd &
	wait
	prom_daemon

	for s in prom-cmd prom-pid prom-fixed prom-daemon; do check_health "$s"; done
	prom_leak real/prom-cmd/leak "$LOGDIR/prom-cmd.json" 1
	prom_leak real/prom-pid/leak "$LOGDIR/prom-pid.json" 0
	r=$(tl_rc "$LOGDIR" prom-cmd)
	[ "$r" = 0 ] && pass real/prom-cmd/exit-0 || fail real/prom-cmd/exit-0 "trace exit $r: $(tl_stderr_tail "$LOGDIR/prom-cmd.err")"
	if tl_json_ok real/prom-fixed/report "$LOGDIR/prom-fixed.json" "$LOGDIR" prom-fixed; then
		f=$(tl_min "$LOGDIR/prom-fixed.json")
		# present: the addFor map is tracked (the check is not vacuous) ...
		tl_assert real/prom-fixed/tracked "$f" \
			'any(.maps[]; .type == $T and .insert_at.function == $F and .insert_at.line == $I)' \
			'"no \($T) map inserted at \($F):\($I) in the report"' \
			--arg T "$PROM_T" --arg F "$PROM_F" --argjson I "$PROM_INS"
		# ... and neither it nor its sites is a leak.
		tl_assert real/prom-fixed/no-leak "$f" \
			'all(.maps[]; (.insert_at.function != $F and .created_at.function != $F) or .verdict != "leak")
			 and all(.leaking_sites[]; .site.function != $F)' \
			'"leaks at \($F): " + ([.maps[] | select(.verdict == "leak") | {type, entries_first, entries_last, insert_at}] | tostring)' \
			--arg F "$PROM_F"
	fi
	check_prom_daemon
fi
echo "real: prometheus part took $((SECONDS - T0)) s"
