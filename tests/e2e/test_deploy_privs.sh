#!/usr/bin/env bash
# The daemon with exactly what deploy/daemonset.yaml gives it, and no more:
# uid 0 with only CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE (the bounding set
# of a container whose securityContext drops ALL and adds those three),
# no_new_privs (allowPrivilegeEscalation: false), a read-only root
# filesystem, and an RLIMIT_MEMLOCK of 64 KiB that it cannot raise (no
# CAP_SYS_RESOURCE: BPF memory is charged to the memory cgroup since 5.11).
# It must still load, attach, find a leak in a Go process it did not start,
# and serve /metrics and /healthz.  Checks, named deploy-privs/CHECK:
#   caps          the daemon's effective set is exactly those three
#   memlock       its RLIMIT_MEMLOCK is still 64 KiB (nothing raised it)
#   start         /metrics and /healthz answer
#   leak          the Go fixture's leaking site has leak_suspected 1
#   no-attach-failure  gomaptrace_attach_failures_total stays 0 for it
. tests/e2e/lib.sh

gm_workdir gm-privs

# cap_bpf 39, cap_perfmon 38, cap_sys_ptrace 19
WANT_CAPS=$(printf '%016x' $(((1 << 39) | (1 << 38) | (1 << 19))))
MEMLOCK=65536

# A private copy: uprobes go on the inode, so no other test's process of
# the same fixture takes these probes.
cp "$(gm_fixture go1.26 plain scenarios)" "$WORK/privleak"
DPORT=$(free_port)
# The new mount namespace remounts / read-only for the daemon only; its
# stderr is opened by this shell, before.
unshare --mount --propagation private -- bash -c '
	mount -o remount,bind,ro / || exit 97
	exec prlimit --memlock='"$MEMLOCK:$MEMLOCK"' -- \
		setpriv --bounding-set=-all,+bpf,+perfmon,+sys_ptrace --inh-caps=-all \
			--ambient-caps=-all --no-new-privs -- "$@"' gm-privs \
	"$GM" daemon --listen 127.0.0.1:"$DPORT" --window 1s --min-windows 4 \
	--include '^privleak$' 2>"$WORK/daemon.err" &
PIDS+=($!)
metrics() { curl -sf "http://127.0.0.1:$DPORT/metrics"; }
for _ in $(seq 150); do metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null && break; sleep 0.1; done
if ! metrics | grep '^gomaptrace_build_info' >/dev/null; then
	fail deploy-privs/start "no /metrics on port $DPORT: $(tail -3 "$WORK/daemon.err" | tr '\n' ' ')"
	exit 0
fi
# The daemon is the process listening: the last exec of that chain.
DPID=$(pgrep -f "gomaptrace daemon --listen 127.0.0.1:$DPORT " | head -1)
eff=$(awk '/^CapEff:/ {print $2}' "/proc/$DPID/status" 2>/dev/null)
bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$DPID/status" 2>/dev/null)
[ "$eff" = "$WANT_CAPS" ] && [ "$bnd" = "$WANT_CAPS" ] && pass deploy-privs/caps ||
	fail deploy-privs/caps "pid $DPID CapEff=$eff CapBnd=$bnd, want $WANT_CAPS"
ml=$(awk '/^Max locked memory/ {print $4 " " $5}' "/proc/$DPID/limits" 2>/dev/null)
[ "$ml" = "$MEMLOCK $MEMLOCK" ] && pass deploy-privs/memlock ||
	fail deploy-privs/memlock "pid $DPID locked-memory limit '$ml', want $MEMLOCK $MEMLOCK"
nnp=$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$DPID/status" 2>/dev/null)
[ "$nnp" = 1 ] || fail deploy-privs/caps "NoNewPrivs=$nnp"
if curl -sf "http://127.0.0.1:$DPORT/healthz" >/dev/null; then
	pass deploy-privs/start
else
	fail deploy-privs/start "/healthz does not answer"
fi

"$WORK/privleak" leak >/dev/null &
PIDS+=($!)
# The site is where the map was made (main.init, when the daemon saw the
# creation) or else where it is filled (main.remember).
SITE='site="main\.(init|remember) [^"]*/scenarios/main\.go:[0-9]+"'
leaking=""
for _ in $(seq 60); do
	sleep 0.5
	leaking=$(metrics | grep '^gomaptrace_map_leak_suspected{' | grep 'comm="privleak"' |
		grep 'type="map\[string\]\*main.Session"' | grep -E "$SITE" | grep ' 1$' || true)
	[ -n "$leaking" ] && break
done
if [ -n "$leaking" ]; then
	pass deploy-privs/leak
else
	fail deploy-privs/leak "no leak_suspected 1 for privleak's sessions map: $(metrics | grep 'comm="privleak"' | grep -E 'leak_suspected|entries' | head -4 | tr '\n' ' '); $(tail -3 "$WORK/daemon.err" | tr '\n' ' ')"
fi
failures=$(metrics | awk '/^gomaptrace_attach_failures_total\{/ && $2 != 0' | grep -v 'reason="not_go"' || true)
[ -z "$failures" ] && pass deploy-privs/no-attach-failure ||
	fail deploy-privs/no-attach-failure "$failures"
