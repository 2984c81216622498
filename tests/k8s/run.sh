#!/usr/bin/env bash
# The runner behind `make test-k8s`: a real single-node Kubernetes
# (v1.33.13 built from source, etcd, containerd 1.6 + runc, CNI bridge),
# deploy/ applied as shipped, and a leaky Go workload as a Deployment pod and
# as a static pod.  Passes when the daemon's series carry the workloads'
# real namespace, pod and container and gomaptrace_map_leak_suspected
# reaches 1 for both.
#
#   1. build: the Kubernetes binaries (tests/k8s/build-k8s.sh, cached under
#      build/k8s), and three FROM-scratch OCI images (tests/k8s/oci-image.py):
#      gomaptrace:0.1.0 from `make rootfs`'s tree (what deploy/Dockerfile's
#      runtime stage holds), gm.local/leaky:1 (tests/fixtures/leaky, static)
#      and gm.local/pause:1 (the sandbox image; no registry is reachable)
#   2. the node: tests/k8s/node.sh in its own network and mount namespace
#      (unshare), its processes in cgroup $CG of every hierarchy (the
#      kubelet's cgroupRoot), its checks
#   3. teardown: whatever node.sh left (a crash) is killed, the cgroups are
#      removed, and the namespaces are checked gone
#
# Prints PASS:/FAIL: lines and ends with "N passed, N failed".  Needs root.
# Component logs: build/k8s/logs/latest/.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
B=$ROOT/build/k8s
OUT=$(mktemp -d "${TMPDIR:-/tmp}/gm-k8s-out.XXXXXX")
mkdir -p "$B/logs"
LOGS=$(mktemp -d "$B/logs/run-$(date +%Y%m%d-%H%M%S)-XXXX")
ln -sfn "$(basename "$LOGS")" "$B/logs/latest"
ls -1dt "$B"/logs/run-* 2>/dev/null | tail -n +6 | xargs -r rm -rf
CG=gm-k8s-$$
NODE_PID=

say() { echo "$*" | tee -a "$OUT/lines"; }
pass() { say "PASS: k8s/$1${2:+  ($2)}"; }
fail() { say "FAIL: k8s/$1: $2"; }
finish() {
	local p f
	FINISHED=1
	p=$(grep -c '^PASS:' "$OUT/lines" 2>/dev/null)
	f=$(grep -c '^FAIL:' "$OUT/lines" 2>/dev/null)
	rm -rf "$OUT"
	echo "${p:-0} passed, ${f:-0} failed"
	[ "${f:-0}" = 0 ] && [ "${p:-0}" -gt 0 ]
}

if [ "$(id -u)" != 0 ]; then
	fail root "needs root (namespaces, cgroups, BPF)"
	finish
	exit 1
fi

# The node's processes are found (and killed) through a cgroup v1 "pids"
# hierarchy, as on this project's CI machines (hybrid v1/v2).
if [ ! -e /sys/fs/cgroup/pids/cgroup.procs ]; then
	fail cgroups "no cgroup v1 pids hierarchy at /sys/fs/cgroup/pids (tests/k8s needs a v1 or hybrid host)"
	finish
	exit 1
fi

# ---- teardown: the node's processes, cgroups and namespaces ---------------
HIERS=()
for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	[ -e "$h/cgroup.procs" ] && HIERS+=("${h%/}")
done
teardown() {
	local i p left
	[ -d "/sys/fs/cgroup/pids/$CG" ] || return 0
	for ((i = 0; i < 40; i++)); do
		left=$(find "/sys/fs/cgroup/pids/$CG" -name cgroup.procs -exec cat {} + 2>/dev/null)
		[ -z "$left" ] && break
		kill -9 $left 2>/dev/null
		sleep 0.5
	done
	for h in "${HIERS[@]}"; do
		[ -d "$h/$CG" ] || continue
		for ((i = 0; i < 20; i++)); do
			find "$h/$CG" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$h/$CG" ] || break
			sleep 0.5
		done
	done
}
FINISHED=0
on_exit() {
	trap - EXIT INT TERM HUP
	if [ -n "$NODE_PID" ]; then
		kill -TERM "$NODE_PID" 2>/dev/null
		wait "$NODE_PID" 2>/dev/null
		sleep 1
	fi
	teardown
	if [ "$FINISHED" = 0 ]; then
		fail interrupted "stopped before the end; the node was torn down"
		finish
	fi
}
trap on_exit EXIT
trap 'exit 1' INT TERM HUP

# ---- 1. build ----------------------------------------------------------------
t_build=$(date +%s)
if ! "$ROOT/tests/k8s/build-k8s.sh" "$B/bin" >"$LOGS/build-k8s.log" 2>&1; then
	tail -20 "$LOGS/build-k8s.log"
	fail build-k8s "tests/k8s/build-k8s.sh failed (log: $LOGS/build-k8s.log)"
	finish
	exit 1
fi
pass build-k8s "$(tail -1 "$LOGS/build-k8s.log"); $("$B/bin/kubelet" --version)"

IMG=$B/images
mkdir -p "$IMG"
rm -f "$IMG"/*.tar
ok=1
for w in leaky:tests/fixtures/leaky pause:tests/k8s/pause; do
	name=${w%%:*} dir=${w#*:}
	rm -rf "$IMG/$name-root"
	mkdir -p "$IMG/$name-root"
	# static: the images have nothing but the binary
	if ! (cd "$dir" && CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-buildvcs=false \
		go build -o "$IMG/$name-root/$name" .) >"$LOGS/image-$name.log" 2>&1; then
		cat "$LOGS/image-$name.log"
		ok=0
		continue
	fi
	python3 tests/k8s/oci-image.py "$IMG/$name-root" "gm.local/$name:1" "$IMG/$name.tar" \
		--entrypoint "/$name" >>"$LOGS/image-$name.log" || ok=0
done
# The daemon's image: the tree of `make rootfs` (the Makefile target runs
# it), as deploy/Dockerfile's FROM-scratch stage, under the DaemonSet's
# image name.
if [ -x build/rootfs/usr/local/bin/gomaptrace ]; then
	python3 tests/k8s/oci-image.py build/rootfs docker.io/library/gomaptrace:0.1.0 "$IMG/gomaptrace.tar" \
		--entrypoint /usr/local/bin/gomaptrace daemon --cmd --listen 0.0.0.0:9435 \
		>"$LOGS/image-gomaptrace.log" || ok=0
else
	echo "build/rootfs missing: run make rootfs" >"$LOGS/image-gomaptrace.log"
	ok=0
fi
if [ $ok = 1 ]; then
	pass images-built "$(cd "$IMG" && ls -- *.tar | tr '\n' ' ')"
else
	fail images-built "see $LOGS/image-*.log"
	finish
	exit 1
fi
build_secs=$(($(date +%s) - t_build))

# ---- 2. the node ----------------------------------------------------------
for h in "${HIERS[@]}"; do
	mkdir -p "$h/$CG" || { fail cgroups "mkdir $h/$CG"; finish; exit 1; }
	# cpuset: a new cgroup has no cpus or mems until given its parent's
	if [ -e "$h/$CG/cpuset.cpus" ]; then
		cat "$h/cpuset.cpus" >"$h/$CG/cpuset.cpus"
		cat "$h/cpuset.mems" >"$h/$CG/cpuset.mems"
	fi
done
mkdir -p "/sys/fs/cgroup/pids/$CG/node" "/sys/fs/cgroup/pids/$CG/ctl"
t_node=$(date +%s)
export GM_K8S_BIN=$B/bin GM_K8S_IMAGES=$IMG GM_K8S_LOGS=$LOGS GM_K8S_CG=$CG
# unshare execs node.sh (no fork): $! is node.sh, whose trap tears down.
unshare --net --mount --propagation private -- tests/k8s/node.sh > >(tee -a "$OUT/lines") 2>&1 &
NODE_PID=$!
wait "$NODE_PID"
NODE_PID=
sleep 1 # tee's last lines
node_secs=$(($(date +%s) - t_node))

# ---- 3. teardown -----------------------------------------------------------
teardown
left=
for h in "${HIERS[@]}"; do
	[ -d "$h/$CG" ] && left="$left $h/$CG"
done
# Any process still in the node's network namespace would keep it alive;
# the node ran in namespaces of its own, so none of the host's may differ.
# (An exiting process may still show the path for a moment.)
for ((i = 0; i < 20; i++)); do
	strays=$(grep -ls ":/$CG/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3 | tr '\n' ' ')
	[ -z "$strays" ] && break
	sleep 0.5
done
if [ -z "$left" ] && [ -z "$strays" ] && ! grep -qs " /var/log/pods " /proc/mounts && ! ip link show cni0 >/dev/null 2>&1; then
	pass teardown "no process, cgroup, mount or link of the node left; build ${build_secs}s, node and checks ${node_secs}s"
else
	fail teardown "left: cgroups [$left] processes [$strays]"
fi
finish
