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
#   nats-server v2.15.3 built by go1.27.4 (Swiss maps) with tests/real/natsload.
#   etcd        Debian's /usr/bin/etcd (etcd-server 3.4.23, go1.19, stripped,
#               classic maps) with tests/real/etcdload (client/v3 3.5).
#               -mode leak: leases granted and watches opened, never revoked
#               or cancelled: the lessor's lease map, the watch groups' maps,
#               the watch stream's map and (*serverWatchStream).sendLoop's
#               local ids map (a map on a goroutine stack) are leaks, with
#               exact lines (see ETCD_CHECKS); -mode steady: revoked and
#               cancelled after use, none of them is a leak.
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
	[ -n "${ETCD_TMP:-}" ] && rm -rf "$ETCD_TMP"
}
trap cleanup EXIT

if [ ! -x "$GM" ]; then fail real/setup "$GM is not built"; exit 1; fi
if [ "$(id -u)" -ne 0 ]; then fail real/setup "needs root (BPF uprobes)"; exit 1; fi
for tool in jq curl timeout python3 go prometheus; do
	command -v "$tool" >/dev/null || { fail real/setup "$tool is not installed (make deps)"; exit 1; }
done
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR" "$REAL"

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
# trace_attach NAME PID: trace_bg -p PID, then wait until the session says
# every probe is in (the judging clock starts there; minutes on a loaded
# machine, 90 s at most)
trace_attach() {
	local name=$1 pid=$2 i
	trace_bg "$name" -p "$pid"
	for ((i = 0; i < 900; i++)); do
		grep -q "attached to pid $pid" "$LOGDIR/$name.err" 2>/dev/null && break
		sleep 0.1
	done
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
		trace_attach "$name" "$pid"
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
	local m=$LOGDIR/prom-daemon/metrics.txt line types=("type=\"$PROM_T\"")
	# once the governor has acted, type "?" is accepted (see etcd_daemon_series)
	[ "$(awk '/^gomaptrace_governor_alarms_total /{print $2 + 0}' "$m" 2>/dev/null)" -gt 0 ] 2>/dev/null &&
		types+=('type="?"')
	line=$(grep '^gomaptrace_map_leak_suspected{' "$m" 2>/dev/null | grep 'comm="prometheus"' |
		grep -F "site=\"$PROM_F $PROM_FILE:$PROM_INS\"" | grep -F "${types[@]/#/-e}" | grep ' 1$' | head -1)
	if [ -n "$line" ]; then
		pass real/prom-daemon/leak-suspected
		case $line in *'type="?"'*) echo "note: real/prom-daemon: type \"?\" after $(awk '/^gomaptrace_governor_alarms_total /{print $2}' "$m") governor alarms: $line" ;; esac
	else
		fail real/prom-daemon/leak-suspected "no leak_suspected 1 series of type $PROM_T at $PROM_F $PROM_FILE:$PROM_INS; prometheus series: $(grep 'comm="prometheus"' "$m" 2>/dev/null | grep leak_suspected | head -3 | cut -c1-300); daemon: $(tail -2 "$LOGDIR/prom-daemon/daemon.err")"
	fi
}

# ================================================================ nats-server
NATS_VER=v2.15.3
NATS_GO=go1.27.4
NATS_MOD=github.com/nats-io/nats-server/v2
NATS=$REAL/nats-server
NS=github.com/nats-io/nats-server/v2/server
NATS_SRC=nats-server/v2@$NATS_VER/server
# Lines checked against $NATS_MOD@$NATS_VER (module cache):
#   client.go:768   c.subs = make(map[string]*subscription)   in (*client).initClient
#   client.go:3202  c.subs[sid] = sub                          in (*client).processSubEx
#   sublist.go:114  return &level{nodes: make(map[string]*node)}  in newLevel (inlined)
#   sublist.go:409  l.nodes[t] = n   in (*Sublist).Insert's range-over-func body
#                   (for t := range strings.SplitSeq(...)): Go names it Insert-range1
NATS_CHECKS=(
	"subs|map[string]*$NS.subscription|map[string]*server.subscription|(*client).initClient|client.go|768|(*client).processSubEx|client.go|3202"
	"level|map[string]*$NS.node|map[string]*server.node|newLevel|sublist.go|114|(*Sublist).Insert-range1|sublist.go|409"
)

# build_nats: nats-server $NATS_VER built by $NATS_GO from the module proxy,
# kept in $REAL and rebuilt only when it is not that build.
build_nats() {
	local v
	v=$(go version -m "$NATS" 2>/dev/null)
	if echo "$v" | head -1 | grep -q ": $NATS_GO\$" && echo "$v" | grep -qE "^[[:space:]]+mod[[:space:]]+$NATS_MOD[[:space:]]+$NATS_VER\b"; then
		return 0
	fi
	GOTOOLCHAIN=$NATS_GO GOBIN=$REAL GOFLAGS= go install "$NATS_MOD@$NATS_VER" >"$LOGDIR/build-nats.log" 2>&1
}

# nats_setup NAME: ports; NATS_ARGS is the server's command line.
nats_setup() {
	local d=$LOGDIR/$1
	mkdir -p "$d"
	NC_PORT=$(free_port)
	NM_PORT=$(free_port)
	# each session runs its own copy (its own inode): sessions tracing one
	# file at once lose each other's maps (reported as a bug, 2026-12-02)
	cp "$NATS" "$d/nats-server"
	NATS_ARGS=("$d/nats-server" -a 127.0.0.1 -p "$NC_PORT" -m "$NM_PORT")
}

# nats_health NAME: the server's own /healthz answers, and the load client
# got replies to its request/reply health probe through the server.
nats_health() {
	local d=$LOGDIR/$1 h r
	h=$(curl -sf "http://127.0.0.1:$NM_PORT/healthz" 2>&1)
	r=$(grep -c '^ok ' "$d/load.out" 2>/dev/null)
	if echo "$h" | grep -q '"ok"' && [ "${r:-0}" -ge 3 ]; then
		echo "ok /healthz $h, $r replies" >"$d/health"
	else
		echo "/healthz: '$h'; client replies: ${r:-0}; $(grep -v '^ok ' "$d/load.out" 2>/dev/null | tail -2)" >"$d/health"
	fi
}

# nats_session NAME MODE HOW: as prom_session, for nats-server + natsload.
nats_session() {
	local name=$1 mode=$2 how=$3 d=$LOGDIR/$1 i lp=""
	pid=""
	TR_PID=""
	trap 'kill $lp $pid $TR_PID 2>/dev/null' EXIT
	nats_setup "$name"
	if [ "$how" = cmd ]; then
		trace_bg "$name" -- "${NATS_ARGS[@]}"
	else
		"${NATS_ARGS[@]}" >"$d/nats.log" 2>&1 &
		pid=$!
	fi
	wait_http "http://127.0.0.1:$NM_PORT/healthz" 90
	"$REAL/natsload" -url "nats://127.0.0.1:$NC_PORT" -mode "$mode" >"$d/load.out" 2>&1 &
	lp=$!
	if [ "$how" = pid ]; then
		sleep 1
		trace_attach "$name" "$pid"
	fi
	# -p: a Swiss map already grown is found at its next table split
	if [ "$how" = pid ]; then sleep $((JUDGE + 6)); else sleep "$JUDGE"; fi
	nats_health "$name"
	trace_end "$name"
	kill "$lp" 2>/dev/null
	[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
}

# nats_leak NAME JSON CREATED: both maps of NATS_CHECKS are leaks with their
# real types, insert sites, and (CREATED=1) creation sites.
nats_leak() {
	local name=$1 json=$2 created=$3 c k T Tshort cf cfile cl inf infile il
	tl_json_ok "$name/report" "$json" "$LOGDIR" "$(basename "${json%.json}")" || return
	for c in "${NATS_CHECKS[@]}"; do
		IFS='|' read -r k T Tshort cf cfile cl inf infile il <<<"$c"
		tl_assert "$name/$k-leak" "$(tl_min "$json")" '
			def at($f; $file; $l): . != null and .function == ($NS + "." + $f) and .line == $l
				and ((.file // "") | endswith($SRC + "/" + $file));
			any(.maps[]; .type == $T and .verdict == "leak" and (.insert_at | at($IF; $IFILE; $IL))
				and (if $C == 1 then (.created_at | at($CF; $CFILE; $CL)) else (.created_at == null or (.created_at | at($CF; $CFILE; $CL))) end)
				and .entries_last > .entries_first)
			and any(.leaks[]; .type == $T)' 			'"want \($T) leak inserted at \($IF) \($IFILE):\($IL), created at \($CF) \($CFILE):\($CL); maps of type \($T) or named " + $TS + ": " +
			 ([.maps[] | select(.type == $T or .type == $TS or .type == "?") | {type, verdict, entries_first, entries_last, created_at, insert_at}] | .[:4] | tostring)' 			--arg NS "$NS" --arg SRC "$NATS_SRC" --arg T "$Tshort" --arg TS "$T" 			--arg CF "$cf" --arg CFILE "$cfile" --argjson CL "$cl" 			--arg IF "$inf" --arg IFILE "$infile" --argjson IL "$il" --argjson C "$created"
	done
}

# nats_daemon: the daemon, then nats-server (grow) started after it.
nats_daemon() {
	local d=$LOGDIR/nats-daemon dport i m="" lp pid dpid
	mkdir -p "$d"
	dport=$(free_port)
	"$GM" daemon --listen 127.0.0.1:"$dport" "${WIN[@]}" --include '^nats-server$' \
		>"$d/daemon.out" 2>"$d/daemon.err" &
	dpid=$!
	for ((i = 0; i < 300; i++)); do
		curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break
		sleep 0.1
	done
	nats_setup nats-daemon
	"${NATS_ARGS[@]}" >"$d/nats.log" 2>&1 &
	pid=$!
	wait_http "http://127.0.0.1:$NM_PORT/healthz" 90
	"$REAL/natsload" -url "nats://127.0.0.1:$NC_PORT" -mode grow >"$d/load.out" 2>&1 &
	lp=$!
	for ((i = 0; i < 90; i++)); do
		sleep 0.5
		m=$(curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null)
		[ "$(echo "$m" | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="nats-server"' | grep -c ' 1$')" -ge 2 ] && break
	done
	echo "$m" >"$d/metrics.txt"
	nats_health nats-daemon
	kill "$lp" "$pid" "$dpid" 2>/dev/null
	wait "$lp" "$pid" "$dpid" 2>/dev/null
}

check_nats_daemon() {
	local m=$LOGDIR/nats-daemon/metrics.txt c k T Tshort cf cfile cl inf infile il line
	for c in "${NATS_CHECKS[@]}"; do
		IFS='|' read -r k T Tshort cf cfile cl inf infile il <<<"$c"
		line=$(grep '^gomaptrace_map_leak_suspected{' "$m" 2>/dev/null | grep 'comm="nats-server"' |
			grep -F "type=\"$Tshort\"" | grep -F "site=\"$NS.$inf " | grep -F "$NATS_SRC/$infile:$il\"" | grep ' 1$' | head -1)
		if [ -n "$line" ]; then
			pass "real/nats-daemon/$k-leak-suspected"
		else
			fail "real/nats-daemon/$k-leak-suspected" "no leak_suspected 1 series of type $Tshort at $NS.$inf $infile:$il; nats-server series: $(grep 'comm="nats-server"' "$m" 2>/dev/null | grep leak_suspected | head -3 | cut -c1-300); daemon: $(tail -2 "$LOGDIR/nats-daemon/daemon.err")"
		fi
	done
}

# ================================================================ etcd
# Debian's etcd-server 3.4.23 (go1.19, stripped, classic maps; built with
# -trimpath, so files are module paths) driven by tests/real/etcdload.
# Lines checked against Debian's source of that build (golang-etcd-server-dev
# 3.4.23-4, /usr/share/gocode/src/go.etcd.io/etcd; the module proxy does not
# serve go.etcd.io/etcd@v3.4.23):
#   lease/lessor.go:220            leaseMap: make(map[LeaseID]*Lease)   in newLessor
#   lease/lessor.go:309            le.leaseMap[id] = l                  in (*lessor).Grant
#   mvcc/watcher_group.go:158,160  keyWatchers: make(watcherSetByKey), watchers: make(watcherSet)
#                                  in newWatcherGroup (the synced and unsynced groups)
#   mvcc/watcher_group.go:104      w[wa] = struct{}{}                   in watcherSet.add
#   mvcc/watcher_group.go:126      w[string(wa.key)] = set              in watcherSetByKey.add
#   mvcc/watchable_store.go:112    watchers: make(map[WatchID]*watcher) in (*watchableStore).NewWatchStream
#   mvcc/watcher.go:131            ws.watchers[id] = w                  in (*watchStream).Watch
#   etcdserver/api/v3rpc/watch.go:387,523  ids := make(map[mvcc.WatchID]struct{}) ... ids[wid] = struct{}{}
#                                  in (*serverWatchStream).sendLoop: the map does not escape, it
#                                  lives in the frame of the stream's long-lived goroutine (no
#                                  runtime call makes it: created_unseen "stack_map")
# A creation function of "-" marks that stack map.
# bbolt's freelist map (map[bbolt.pgid]bbolt.txid, filled on
# go.etcd.io/bbolt/freelist.go:142 in (*freelist).arrayAllocate) grows as the
# database does: in the leak workload every lease is a new key of the lease
# bucket, and that map may be called a leak too (the file really grows; not
# checked).
# The steady sessions run etcd with revision compaction (old revisions of the
# health key dropped), and there it must not be a leak.
ETCD=/usr/bin/etcd
EM=go.etcd.io/etcd
ETCD_CHECKS=(
	"lease|map[lease.LeaseID]*lease.Lease|lease.newLessor|lease/lessor.go|220|lease.(*lessor).Grant|lease/lessor.go|309"
	"watcherset|mvcc.watcherSet|mvcc.newWatcherGroup|mvcc/watcher_group.go|160|mvcc.watcherSet.add|mvcc/watcher_group.go|104"
	"keywatchers|mvcc.watcherSetByKey|mvcc.newWatcherGroup|mvcc/watcher_group.go|158|mvcc.watcherSetByKey.add|mvcc/watcher_group.go|126"
	"stream-watchers|map[mvcc.WatchID]*mvcc.watcher|mvcc.(*watchableStore).NewWatchStream|mvcc/watchable_store.go|112|mvcc.(*watchStream).Watch|mvcc/watcher.go|131"
	"sendloop-ids|map[mvcc.WatchID]struct {}|-|-|0|etcdserver/api/v3rpc.(*serverWatchStream).sendLoop|etcdserver/api/v3rpc/watch.go|523"
)
# the types of those maps and of the lessor's expiry queue map: never a leak
# in the steady workload
ETCD_STEADY_RE='^(map\[lease\.LeaseID\]|mvcc\.watcherSet|map\[mvcc\.WatchID\]|map\[bbolt\.pgid\]bbolt\.txid$)'
ETCD_TMP=""

# etcd_setup NAME: ports, a data dir of its own under ETCD_TMP, and a copy of
# the binary (its own inode, as for nats-server); ETCD_ARGS is the command
# line, EC_PORT the client port.
etcd_setup() {
	local name=$1 d=$LOGDIR/$1 ep
	mkdir -p "$d"
	EC_PORT=$(free_port)
	ep=$(free_port)
	cp "$ETCD" "$d/etcd"
	ETCD_ARGS=("$d/etcd" --name gm --data-dir "$ETCD_TMP/$name"
		--listen-client-urls "http://127.0.0.1:$EC_PORT" --advertise-client-urls "http://127.0.0.1:$EC_PORT"
		--listen-peer-urls "http://127.0.0.1:$ep" --initial-advertise-peer-urls "http://127.0.0.1:$ep"
		--initial-cluster "gm=http://127.0.0.1:$ep" --logger zap --log-level warn)
}

# etcd_wait PORT SECS: until `etcdctl endpoint health` says healthy.
etcd_wait() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		ETCDCTL_API=3 timeout 5 etcdctl --endpoints "127.0.0.1:$1" --command-timeout=2s endpoint health \
			>/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# etcd_health NAME: while traced, `etcdctl endpoint health` says healthy, and
# the load client's put/get round trips answered (at least 3 "ok N").
etcd_health() {
	local d=$LOGDIR/$1 h r
	h=$(ETCDCTL_API=3 timeout 10 etcdctl --endpoints "127.0.0.1:$EC_PORT" --command-timeout=5s endpoint health 2>&1 | tr '\n' ' ')
	r=$(grep -c '^ok ' "$d/load.out" 2>/dev/null)
	if echo "$h" | grep -q 'is healthy' && [ "${r:-0}" -ge 3 ]; then
		echo "ok $h, $r put/get round trips" >"$d/health"
	else
		echo "etcdctl: '$h'; round trips: ${r:-0}; $(grep -v '^ok ' "$d/load.out" 2>/dev/null | tail -2 | tr '\n' ' ')" >"$d/health"
	fi
}

# etcd_session NAME MODE HOW: as nats_session, for etcd + etcdload.
# MODE leak|steady; steady runs etcd with revision compaction.
etcd_session() {
	local name=$1 mode=$2 how=$3 d=$LOGDIR/$1 i lp=""
	pid=""
	TR_PID=""
	trap 'kill $lp $pid $TR_PID 2>/dev/null' EXIT
	etcd_setup "$name"
	[ "$mode" = steady ] && ETCD_ARGS+=(--auto-compaction-mode revision --auto-compaction-retention 100)
	if [ "$how" = cmd ]; then
		trace_bg "$name" -- "${ETCD_ARGS[@]}"
	else
		"${ETCD_ARGS[@]}" >"$d/etcd.log" 2>&1 &
		pid=$!
	fi
	etcd_wait "$EC_PORT" 90
	"$REAL/etcdload" -endpoint "127.0.0.1:$EC_PORT" -mode "$mode" >"$d/load.out" 2>&1 &
	lp=$!
	if [ "$how" = pid ]; then
		sleep 2
		trace_attach "$name" "$pid"
	fi
	# -p: a classic map already grown is found at its next doubling
	if [ "$how" = pid ]; then sleep $((JUDGE + 6)); else sleep "$JUDGE"; fi
	etcd_health "$name"
	trace_end "$name"
	kill "$lp" 2>/dev/null
	[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
}

# etcd_leak NAME JSON CREATED: every map of ETCD_CHECKS is a leak with its real
# type and insert site; its creation site (CREATED=1) or either that site or
# none (CREATED=0); the stack map: no creation site, created_unseen
# "stack_map", and stack_map.frame in sendLoop.
etcd_leak() {
	local name=$1 json=$2 created=$3 c k T cf cfile cl inf infile il
	tl_json_ok "$name/report" "$json" "$LOGDIR" "$(basename "${json%.json}")" || return
	for c in "${ETCD_CHECKS[@]}"; do
		IFS='|' read -r k T cf cfile cl inf infile il <<<"$c"
		tl_assert "$name/$k-leak" "$(tl_min "$json")" '
			def at($f; $file; $l): . != null and .function == ($EM + "/" + $f) and .line == $l
				and .file == ($EM + "/" + $file);
			def created: if $CF == "-" then .created_at == null and .created_unseen == "stack_map"
					and .stack_map != null and .stack_map.frame.function == ($EM + "/" + $IF)
				elif $C == 1 then (.created_at | at($CF; $CFILE; $CL))
				else (.created_at == null or (.created_at | at($CF; $CFILE; $CL))) end;
			any(.maps[]; .type == $T and .verdict == "leak" and (.insert_at | at($IF; $IFILE; $IL))
				and created and .entries_last > .entries_first)
			and any(.leaks[]; .type == $T)' \
			'"want \($T) leak inserted at \($IF) \($IFILE):\($IL), created at \($CF) \($CFILE):\($CL); maps of type \($T): " +
			 ([.maps[] | select(.type == $T or .type == "?") | {type, verdict, entries_first, entries_last, created_at, created_unseen, insert_at, stack_map}] | .[:4] | tostring)' \
			--arg EM "$EM" --arg T "$T" --arg CF "$cf" --arg CFILE "$cfile" --argjson CL "$cl" \
			--arg IF "$inf" --arg IFILE "$infile" --argjson IL "$il" --argjson C "$created"
	done
}

# etcd_daemon: the daemon, then etcd (leak) started after it; its /metrics
# says leak_suspected 1 for every site of ETCD_CHECKS (a stack map's site is
# its insert site).
etcd_daemon() {
	local d=$LOGDIR/etcd-daemon dport i m="" lp pid dpid
	mkdir -p "$d"
	dport=$(free_port)
	"$GM" daemon --listen 127.0.0.1:"$dport" "${WIN[@]}" --include '^etcd$' \
		>"$d/daemon.out" 2>"$d/daemon.err" &
	dpid=$!
	for ((i = 0; i < 300; i++)); do
		curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break
		sleep 0.1
	done
	etcd_setup etcd-daemon
	"${ETCD_ARGS[@]}" >"$d/etcd.log" 2>&1 &
	pid=$!
	etcd_wait "$EC_PORT" 90
	"$REAL/etcdload" -endpoint "127.0.0.1:$EC_PORT" -mode leak >"$d/load.out" 2>&1 &
	lp=$!
	for ((i = 0; i < 120; i++)); do
		sleep 0.5
		m=$(curl -sf "http://127.0.0.1:$dport/metrics" 2>/dev/null)
		echo "$m" >"$d/metrics.txt"
		etcd_daemon_missing "$d/metrics.txt" >/dev/null || break
	done
	echo "etcd-daemon: $((i / 2)) s of load until every site was suspected (or gave up)" >"$d/wait"
	etcd_health etcd-daemon
	kill "$lp" "$pid" "$dpid" 2>/dev/null
	wait "$lp" "$pid" "$dpid" 2>/dev/null
}

# etcd_daemon_series FILE T SITE: the leak_suspected 1 series of etcd's
# site SITE with type T in the metrics FILE.  Once the daemon's governor has
# acted (etcd's per-request maps cost more than the default 1% budget on a
# loaded machine), maps first seen while the typed points were off may be
# type "?" (docs/report.md, type_unavailable_reason): then "?" is accepted,
# the site still exact.
etcd_daemon_series() {
	local types=("type=\"$2\"")
	[ "$(awk '/^gomaptrace_governor_alarms_total /{print $2 + 0}' "$1" 2>/dev/null)" -gt 0 ] 2>/dev/null &&
		types+=('type="?"')
	grep '^gomaptrace_map_leak_suspected{' "$1" 2>/dev/null | grep 'comm="etcd"' |
		grep -F "${types[@]/#/-e}" | grep -F "site=\"$3\"" | grep ' 1$' | head -1
}

# etcd_daemon_missing FILE: the ETCD_CHECKS sites without a leak_suspected 1
# series in the metrics FILE (status 1 when there are none).
etcd_daemon_missing() {
	local c k T cf cfile cl inf infile il miss=""
	for c in "${ETCD_CHECKS[@]}"; do
		IFS='|' read -r k T cf cfile cl inf infile il <<<"$c"
		[ -n "$(etcd_daemon_series "$1" "$T" "$EM/$inf $EM/$infile:$il")" ] || miss+=" $k"
	done
	[ -n "$miss" ] && echo "$miss"
}

check_etcd_daemon() {
	local m=$LOGDIR/etcd-daemon/metrics.txt c k T cf cfile cl inf infile il line
	for c in "${ETCD_CHECKS[@]}"; do
		IFS='|' read -r k T cf cfile cl inf infile il <<<"$c"
		line=$(etcd_daemon_series "$m" "$T" "$EM/$inf $EM/$infile:$il")
		if [ -n "$line" ]; then
			pass "real/etcd-daemon/$k-leak-suspected"
			case $line in *'type="?"'*) echo "note: real/etcd-daemon/$k: type \"?\" after $(awk '/^gomaptrace_governor_alarms_total /{print $2}' "$m") governor alarms: $line" ;; esac
		else
			fail "real/etcd-daemon/$k-leak-suspected" "no leak_suspected 1 series of type $T at $EM/$inf $infile:$il; etcd leak series: $(grep '^gomaptrace_map_leak_suspected{' "$m" 2>/dev/null | grep 'comm="etcd"' | grep -v ' 0$' | head -8 | cut -c1-300 | tr '\n' ' '); $(cat "$LOGDIR/etcd-daemon/wait" 2>/dev/null); daemon: $(tail -2 "$LOGDIR/etcd-daemon/daemon.err")"
		fi
	done
}

T0=$SECONDS
PROM_OK=1
NATS_OK=1
ETCD_OK=1
build_go promtarget "$REAL/promtarget" || { PROM_OK=0; fail real/prom/build "$(tail -3 "$LOGDIR/build-promtarget.log")"; }
if build_nats && build_go natsload "$REAL/natsload"; then
	pass real/nats/build
else
	NATS_OK=0
	fail real/nats/build "$(tail -3 "$LOGDIR"/build-nats*.log "$LOGDIR/build-natsload.log" 2>/dev/null | tr '\n' ' ')"
fi
if command -v etcd >/dev/null && command -v etcdctl >/dev/null && build_go etcdload "$REAL/etcdload"; then
	pass real/etcd/build
else
	ETCD_OK=0
	fail real/etcd/build "etcd: $(command -v etcd || echo 'not installed (make deps)'); etcdctl: $(command -v etcdctl || echo 'not installed (make deps)'); $(tail -3 "$LOGDIR/build-etcdload.log" 2>/dev/null | tr '\n' ' ')"
fi
ETCD_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gm-real-etcd.XXXXXX")
echo "real: builds took $((SECONDS - T0)) s"
T1=$SECONDS
if ((PROM_OK)); then
	prom_session prom-cmd grow cmd &
	prom_session prom-pid grow pid &
	prom_session prom-fixed fixed cmd &
fi
if ((NATS_OK)); then
	nats_session nats-cmd grow cmd &
	nats_session nats-pid grow pid &
	nats_session nats-rot rotate cmd &
fi
if ((ETCD_OK)); then
	etcd_session etcd-cmd leak cmd &
	etcd_session etcd-pid leak pid &
	etcd_session etcd-steady steady cmd &
fi
wait
((PROM_OK)) && prom_daemon &
((NATS_OK)) && nats_daemon &
((ETCD_OK)) && etcd_daemon &
wait
if ((PROM_OK)); then
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
if ((NATS_OK)); then
	for s in nats-cmd nats-pid nats-rot nats-daemon; do check_health "$s"; done
	nats_leak real/nats-cmd "$LOGDIR/nats-cmd.json" 1
	nats_leak real/nats-pid "$LOGDIR/nats-pid.json" 0
	# held_by (issue 13): the Server in main.main's frame, its clients map (a small map), the client
	for s in nats-cmd nats-pid; do
		[ -f "$(tl_min "$LOGDIR/$s.json")" ] && tl_assert "real/$s/subs-held-by" "$(tl_min "$LOGDIR/$s.json")" \
			'any(.leaks[]; .type == $T and .held_by.path == "main.main (goroutine 1) -> (*server.Server).clients[…] -> (*server.client).subs")' \
			'"held_by: " + ([.leaks[] | select(.type == $T) | .held_by] | tostring)' --arg T 'map[string]*server.subscription'
	done
	if tl_json_ok real/nats-rot/report "$LOGDIR/nats-rot.json" "$LOGDIR" nats-rot; then
		f=$(tl_min "$LOGDIR/nats-rot.json")
		tl_assert real/nats-rot/tracked "$f" \
			'any(.maps[]; .type == $T and .insert_at.function == ($NS + ".(*client).processSubEx"))' \
			'"no \($T) map inserted in processSubEx in the report"' \
			--arg T 'map[string]*server.subscription' --arg NS "$NS"
		tl_assert real/nats-rot/no-leak "$f" \
			'all(.maps[]; (.type | test("server\\.(subscription|node)\\b") | not) or .verdict != "leak")
			 and all(.leaking_sites[]; (.type | test("server\\.(subscription|node)\\b") | not))' \
			'"leaks: " + ([.maps[] | select(.verdict == "leak") | {type, entries_first, entries_last, insert_at}] | tostring)'
	fi
	r=$(tl_rc "$LOGDIR" nats-cmd)
	[ "$r" = 0 ] && pass real/nats-cmd/exit-0 || fail real/nats-cmd/exit-0 "trace exit $r: $(tl_stderr_tail "$LOGDIR/nats-cmd.err")"
	check_nats_daemon
fi
if ((ETCD_OK)); then
	for s in etcd-cmd etcd-pid etcd-steady etcd-daemon; do check_health "$s"; done
	etcd_leak real/etcd-cmd "$LOGDIR/etcd-cmd.json" 1
	etcd_leak real/etcd-pid "$LOGDIR/etcd-pid.json" 0
	r=$(tl_rc "$LOGDIR" etcd-cmd)
	[ "$r" = 0 ] && pass real/etcd-cmd/exit-0 || fail real/etcd-cmd/exit-0 "trace exit $r: $(tl_stderr_tail "$LOGDIR/etcd-cmd.err")"
	if tl_json_ok real/etcd-steady/report "$LOGDIR/etcd-steady.json" "$LOGDIR" etcd-steady; then
		f=$(tl_min "$LOGDIR/etcd-steady.json")
		# present: the lease map and the sendLoop stack map are tracked (not by
		# their insert line: with deletes, a classic map's growth can come
		# from mapdelete's growWork, and insert_at is then the delete's line) ...
		tl_assert real/etcd-steady/tracked "$f" \
			'any(.maps[]; .type == "map[lease.LeaseID]*lease.Lease" and .created_at.line == 220)
			 and any(.maps[]; .type == "map[mvcc.WatchID]struct {}" and .stack_map != null
				and .stack_map.frame.function == "go.etcd.io/etcd/etcdserver/api/v3rpc.(*serverWatchStream).sendLoop")' \
			'"lease map or sendLoop ids map missing: " + ([.maps[] | select(.type | test($RE)) | {type, verdict, insert_at}] | tostring)' \
			--arg RE "$ETCD_STEADY_RE"
		# ... and none of the lease, watch or bbolt freelist maps is a leak.
		tl_assert real/etcd-steady/no-leak "$f" \
			'all(.maps[]; (.type | test($RE) | not) or .verdict != "leak")
			 and all(.leaking_sites[]; (.type | test($RE) | not))' \
			'"leaks: " + ([.maps[] | select(.verdict == "leak") | {type, entries_first, entries_last, insert_at}] | tostring)' \
			--arg RE "$ETCD_STEADY_RE"
	fi
	check_etcd_daemon
fi
[ -n "$ETCD_TMP" ] && rm -rf "$ETCD_TMP"
echo "real: sessions took $((SECONDS - T1)) s"
