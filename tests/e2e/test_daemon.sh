#!/usr/bin/env bash
# gm-test: serial
# gomaptrace daemon end to end, as root with real BPF: Go processes of
# different versions started after the daemon are found and traced; the
# leaking one raises gomaptrace_map_leak_suspected for its site and the
# bounded one does not; a real Prometheus server scrapes the daemon and a
# PromQL query through its HTTP API returns the leaking site; the exposition
# passes promtool; an exec storm leaves no stale series and no leaked fds;
# SIGTERM stops it within a second.
. tests/e2e/lib.sh

gm_workdir gm-daemon


DPORT=$(free_port)
"$GM" daemon -v --listen 127.0.0.1:"$DPORT" --window 1s --min-windows 4 \
	--include '^(leakone|leaktwo|bounded|stormer|stackone|stacktwo)$' --exclude 'prometheus' 2>"$WORK/daemon.err" &
DAEMON=$!
PIDS+=("$DAEMON")
# Never 'metrics | grep -q': grep would close the pipe early and, with
# pipefail, curl's SIGPIPE would turn a match into a failure.
metrics() { curl -sf "http://127.0.0.1:$DPORT/metrics"; }
# Ready once the first exposition is out: BPF loaded, hit cost calibrated.
for _ in $(seq 100); do metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break; sleep 0.1; done
if ! metrics | grep '^gomaptrace_build_info' >/dev/null; then
	fail daemon/start "no /metrics on port $DPORT: $(tail -3 "$WORK/daemon.err")"
	exit 0
fi
pass daemon/start
check daemon/healthz curl -sf "http://127.0.0.1:$DPORT/healthz"
check daemon/landing bash -c "curl -sf http://127.0.0.1:$DPORT/ | grep -q /metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DPORT/nope")
[ "$code" = 404 ] && pass daemon/404 || fail daemon/404 "got $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$DPORT/metrics")
[ "$code" = 405 ] && pass daemon/405 || fail daemon/405 "got $code"

# Only this test's processes (--include): other tests may run Go programs too.
# Started after the daemon: found through the exec tracepoint.  A classic
# (1.22) and a Swiss (1.26 stripped PIE) leak, and a bounded cache.
# The site is the insert line whether or not the creation was seen (timing).
LEAK_LINE=$(grep -n '// gm:insert-leak$' tests/fixtures/scenarios/main.go | cut -d: -f1)
LEAK1=$(gm_fixture go1.22 plain scenarios)
LEAK2=$(gm_fixture go1.26 pie-stripped scenarios)
BOUNDED=$(gm_fixture go1.24 cgo scenarios)
cp "$LEAK1" "$WORK/leakone"
cp "$LEAK2" "$WORK/leaktwo"
cp "$BOUNDED" "$WORK/bounded"
"$WORK/leakone" leak >/dev/null & PIDS+=($!)
"$WORK/leaktwo" leak >/dev/null & PIDS+=($!)
# Maps the runtime does not make through makemap (issue 17 item 4): a
# worker goroutine's local map (on its stack) and a sync.Map that only
# gains keys, on classic (1.22) and Swiss with the HashTrieMap sync.Map
# (1.27): their series carry the insert (Store) line as site, and no
# goroutine in any label.
STACKF=tests/fixtures/stackmaps/main.go
WORKER_LINE=$(grep -n '// gm:insert-worker$' "$STACKF" | cut -d: -f1)
STORE_LINE=$(grep -n '// gm:store-syncleak$' "$STACKF" | cut -d: -f1)
cp "$(gm_fixture go1.22 plain stackmaps)" "$WORK/stackone"
cp "$(gm_fixture go1.27 plain stackmaps)" "$WORK/stacktwo"
"$WORK/stackone" worker,syncleak >/dev/null & PIDS+=($!)
"$WORK/stacktwo" worker,syncleak >/dev/null & PIDS+=($!)
# slow enough that the cache still grows after discovery (so it is tracked),
# fast enough that it is full within three 1 s windows (so it is no leak)
"$WORK/bounded" lru -rate 150 >/dev/null & PIDS+=($!)

# Prometheus on loopback, scraping every second.
PPORT=$(free_port)
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gomaptrace
    static_configs:
      - targets: ['127.0.0.1:$DPORT']
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address=127.0.0.1:"$PPORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

# Growth must be judged over --min-windows 1 s windows: wait up to 20 s.
leaking=""
for _ in $(seq 40); do
	sleep 0.5
	leaking=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep ' 1$' || true)
	echo "$leaking" | grep -q 'comm="leakone"' && echo "$leaking" | grep -q 'comm="leaktwo"' && break
done
for c in leakone leaktwo; do
	line=$(echo "$leaking" | grep "comm=\"$c\"" | head -1)
	if echo "$line" | grep -q 'type="map\[string\]\*main.Session"' &&
	   echo "$line" | grep -q "site=\"main.remember [^\"]*/scenarios/main.go:$LEAK_LINE\""; then
		pass "daemon/leak-suspected/$c"
	else
		fail "daemon/leak-suspected/$c" "no leak_suspected=1 series for main.remember: $(metrics | grep "comm=\"$c\"" | grep leak_suspected | head -3)"
	fi
done
# stack and sync.Map leaks: up to 20 s more (their growth events are rarer)
want_stack() {
	echo "$1" | grep "comm=\"$2\"" | grep -q "site=\"main.worker.func1 [^\"]*/stackmaps/main.go:$WORKER_LINE\"" &&
		echo "$1" | grep "comm=\"$2\"" | grep 'type="sync.Map ' | grep -q "site=\"main.storeLeak [^\"]*/stackmaps/main.go:$STORE_LINE\""
}
for _ in $(seq 40); do
	leaking=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep ' 1$' || true)
	want_stack "$leaking" stackone && want_stack "$leaking" stacktwo && break
	sleep 0.5
done
for c in stackone stacktwo; do
	if want_stack "$leaking" "$c" && ! echo "$leaking" | grep "comm=\"$c\"" | grep -qiE 'goroutine|goid'; then
		pass "daemon/stack-and-syncmap-leaks/$c"
	else
		fail "daemon/stack-and-syncmap-leaks/$c" "want worker.func1:$WORKER_LINE and sync.Map storeLeak:$STORE_LINE leak series; got: $(metrics | grep "comm=\"$c\"" | grep leak_suspected | cut -c1-250 | head -4 | tr '\n' '|')"
	fi
done
if metrics | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="bounded"' | grep ' 1$' >/dev/null; then
	fail daemon/bounded-not-suspected "$(metrics | grep 'comm="bounded"' | grep leak_suspected)"
else
	pass daemon/bounded-not-suspected
fi
if metrics | grep '^gomaptrace_map_entries{.*comm="bounded"' >/dev/null; then
	pass daemon/bounded-traced
else
	fail daemon/bounded-traced "no series for the bounded cache process; targets $(metrics | awk '/^gomaptrace_targets /{print $2}'); $(metrics | grep -c 'comm="bounded"') bounded lines; $(grep -i bounded "$WORK/daemon.err" | head -3)"
fi
t=$(metrics | awk '/^gomaptrace_targets /{print $2}')
[ "${t:-0}" -ge 3 ] && pass daemon/targets || fail daemon/targets "gomaptrace_targets=$t"

# The exposition format, linted by Prometheus' own tool.
metrics >"$WORK/metrics.txt"
lint=$(promtool check metrics <"$WORK/metrics.txt" 2>&1)
[ -z "$lint" ] && pass daemon/promtool-check-metrics || fail daemon/promtool-check-metrics "$lint"
if grep -E '^gomaptrace_[a-z_]+\{[^}]*(pid|address)=' "$WORK/metrics.txt" >/dev/null; then
	fail daemon/no-pid-labels "pid or address label found"
else
	pass daemon/no-pid-labels
fi
for m in gomaptrace_map_entries gomaptrace_maps_tracked gomaptrace_map_bucket_bytes_total \
	gomaptrace_map_grows_total gomaptrace_map_leak_suspected gomaptrace_targets \
	gomaptrace_binaries_attached gomaptrace_attach_failures_total gomaptrace_events_total \
	gomaptrace_events_lost_total gomaptrace_state_evictions_total gomaptrace_probe_hits_total \
	gomaptrace_build_info gomaptrace_overhead_ratio gomaptrace_probe_cost_seconds gomaptrace_probes_shed gomaptrace_governor_alarms_total \
	gomaptrace_probe_hits_dropped_total gomaptrace_stack_map_goroutine_unread_total; do
	grep -q "^# TYPE $m " "$WORK/metrics.txt" && pass "daemon/metric/$m" || fail "daemon/metric/$m" "missing"
done

# Interoperation: Prometheus scraped it, and PromQL finds the leaking site.
result=""
for _ in $(seq 30); do
	result=$(curl -sf "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode 'query=max by (comm, site) (gomaptrace_map_leak_suspected) == 1' 2>/dev/null || true)
	echo "$result" | jq -e '.data.result[] | select(.metric.comm == "leakone")' >/dev/null 2>&1 && break
	sleep 1
done
if echo "$result" | jq -e '.data.result[] | select(.metric.comm == "leakone" and (.metric.site | startswith("main.remember ")))' >/dev/null 2>&1; then
	pass daemon/prometheus-promql
else
	fail daemon/prometheus-promql "query result: $(echo "$result" | head -c 400); $(tail -2 "$WORK/prometheus.log")"
fi
up=$(curl -sf "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode 'query=up{job="gomaptrace"}' |
	jq -r '.data.result[0].value[1]' 2>/dev/null)
[ "$up" = 1 ] && pass daemon/prometheus-up || fail daemon/prometheus-up "up=$up"

# Exec storm: hundreds of short-lived Go processes.  Afterwards the daemon is
# alive, its fds and RSS are back near the baseline, no series remains for
# them, and gomaptrace_targets counts only the survivors.
fds() { ls /proc/"$DAEMON"/fd | wc -l; }
rss() { awk '/^VmRSS/{print $2}' /proc/"$DAEMON"/status; }
fd0=$(fds)
rss0=$(rss)
cp "$(gm_fixture go1.22 plain maps)" "$WORK/stormer"
for _ in $(seq 300); do "$WORK/stormer" 10 >/dev/null & done
wait_storm=$(jobs -p | wc -l)
for _ in $(seq 100); do pgrep -x stormer >/dev/null || break; sleep 0.2; done
sleep 3
if kill -0 "$DAEMON" 2>/dev/null; then pass daemon/storm-alive; else fail daemon/storm-alive "daemon died"; fi
fd1=$(fds)
rss1=$(rss)
[ "$fd1" -le $((fd0 + 4)) ] && pass daemon/storm-fds || fail daemon/storm-fds "fds $fd0 -> $fd1"
[ "$rss1" -le $((rss0 + 8192)) ] && pass daemon/storm-rss || fail daemon/storm-rss "RSS ${rss0} kB -> ${rss1} kB"
if metrics | grep 'comm="stormer"' >/dev/null; then
	fail daemon/storm-no-stale-series "$(metrics | grep 'comm="stormer"' | head -2)"
else
	pass daemon/storm-no-stale-series
fi
t=$(metrics | awk '/^gomaptrace_targets /{print $2}')
# the five long-lived processes (leakone, leaktwo, bounded, stackone, stacktwo)
[ "$t" = 5 ] && pass daemon/storm-targets || fail daemon/storm-targets "gomaptrace_targets=$t, want 5 (storm of $wait_storm)"

# SIGTERM: detach everything, exit 0, within a second.
start=$(date +%s%N)
kill -TERM "$DAEMON"
wait "$DAEMON"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" = 0 ] && pass daemon/sigterm-exit-0 || fail daemon/sigterm-exit-0 "exit $rc"
[ "$ms" -lt 1000 ] && pass daemon/sigterm-fast || fail daemon/sigterm-fast "took ${ms} ms"
