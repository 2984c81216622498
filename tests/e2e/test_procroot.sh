#!/usr/bin/env bash
# gm-test: serial
# daemon --proc-root (issue 11 item 11, last part): the one procfs the
# daemon reads, for discovery (the scan, /proc/PID/{exe,comm,stat,maps})
# as for the k8s lookups (/proc/PID/cgroup); before, it only moved the
# cgroup reads, and discovery kept reading /proc.
#   hidden-proc     the daemon runs in a mount namespace of its own whose
#                   /proc is an empty tmpfs, the real procfs bind-mounted
#                   elsewhere and named by --proc-root: it finds a Go
#                   process started after it and raises its leak
#   not-procfs      a plain directory is refused (exit 2), naming why
#   other-pidns     a procfs of another pid namespace (its pids are not the
#                   ones the kernel reports to the daemon) is refused
. tests/e2e/lib.sh

WORK=$(mktemp -d /tmp/gm-procroot.XXXXXX)
PIDS=()
MOUNTED=()
cleanup() {
	local p m
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for m in "${MOUNTED[@]}"; do umount "$m" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -x "$GM" ] || [ "$(id -u)" -ne 0 ]; then
	fail "procroot/setup" "need root and $GM"
	exit 1
fi
tail_of() { tail -3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# not-procfs
mkdir -p "$WORK/plain/1"
timeout 20 "$GM" daemon --proc-root "$WORK/plain" --listen 127.0.0.1:0 >/dev/null 2>"$WORK/plain.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "proc-root $WORK/plain: not a procfs" "$WORK/plain.err"; then
	pass procroot/not-procfs
else
	fail procroot/not-procfs "exit $rc (want 2): $(tail_of "$WORK/plain.err")"
fi

# other-pidns: a procfs mounted from a new pid namespace, in ours
mkdir -p "$WORK/otherproc"
unshare --pid --fork sh -c "mount -t proc proc '$WORK/otherproc' && sleep 60" &
PIDS+=($!)
MOUNTED+=("$WORK/otherproc")
if wait_for 10 mountpoint -q "$WORK/otherproc"; then
	timeout 20 "$GM" daemon --proc-root "$WORK/otherproc" --listen 127.0.0.1:0 >/dev/null 2>"$WORK/other.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "another pid namespace" "$WORK/other.err"; then
		pass procroot/other-pidns
	else
		fail procroot/other-pidns "exit $rc (want 2): $(tail_of "$WORK/other.err")"
	fi
else
	fail procroot/other-pidns "could not mount a procfs of a new pid namespace"
fi
umount "$WORK/otherproc" 2>/dev/null

# hidden-proc
mkdir -p "$WORK/hostproc"
cp "$(gm_fixture go1.26 plain scenarios)" "$WORK/gmr-leak"
PORT=$(free_port)
# the daemon's own mount namespace: /proc an empty tmpfs, procfs at hostproc
unshare --mount --propagation private sh -c "mount --bind /proc '$WORK/hostproc' && mount -t tmpfs none /proc && exec '$GM' daemon -v --proc-root '$WORK/hostproc' --listen 127.0.0.1:$PORT --window 1s --min-windows 4 --include '^gmr-leak\$'" \
	2>"$WORK/hidden.err" &
D=$!
PIDS+=("$D")
metrics() { curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics"; }
ready() { metrics 2>/dev/null | grep '^gomaptrace_build_info' >/dev/null; }
leaking() { metrics 2>/dev/null | grep '^gomaptrace_map_leak_suspected{.*comm="gmr-leak"' | grep ' 1$' >/dev/null; }
if ! wait_for 30 ready; then
	fail procroot/hidden-proc "no /metrics: $(tail_of "$WORK/hidden.err")"
	exit 0
fi
# the daemon's /proc really is empty
if [ -z "$(ls "/proc/$D/root/proc" 2>/dev/null)" ] || ! nsenter -t "$D" -m ls /proc/self >/dev/null 2>&1; then
	pass procroot/hidden-proc-setup
else
	fail procroot/hidden-proc-setup "the daemon's /proc is not hidden: $(nsenter -t "$D" -m ls /proc 2>&1 | head -3 | tr '\n' ' ')"
fi
"$WORK/gmr-leak" leak >/dev/null 2>&1 &
PIDS+=($!)
if wait_for 40 leaking; then
	pass procroot/hidden-proc
else
	fail procroot/hidden-proc "no leak series for gmr-leak: targets $(metrics | awk '/^gomaptrace_targets /{print $2}'); stderr: $(tail_of "$WORK/hidden.err")"
fi
if grep -q "calibration failed" "$WORK/hidden.err"; then
	fail procroot/hidden-proc-calibrated "$(grep -m1 calibration "$WORK/hidden.err")"
else
	pass procroot/hidden-proc-calibrated
fi
kill -TERM "$D"
wait "$D" 2>/dev/null
exit 0
