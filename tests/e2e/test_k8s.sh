#!/usr/bin/env bash
# gm-test: serial
#
# Kubernetes attribution (user/k8s.c) against real cgroups, as root.  Real
# processes (a Go fixture, sleeps) are moved into cgroups laid out as a
# kubelet lays them out, a fake /var/log/pods and /var/log/containers tree
# is built in a temp dir, and tests/e2e/k8s_lookup.c (built here against
# user/k8s.c) must name each process's namespace, pod and container from
# the kernel's own /proc/PID/cgroup text.  Checks, named k8s/CHECK:
#
#   v2-systemd-containerd  burstable pod, cri-containerd-<id>.scope (Go fixture)
#   v2-systemd-crio        besteffort pod, crio-<id>.scope
#   v2-systemd-docker      guaranteed pod (kubepods-pod<uid>.slice), docker-<id>.scope
#   v2-cgroupfs            kubepods/burstable/pod<uid>/<id>
#   v2-static-pod          a static pod's 32-hex uid
#   v2-sole-container      no /var/log/containers link: the pod's only log dir
#   crio-conmon            cri-o's monitor is not the container: ENOENT
#   nested-lookalike       a pod-shaped cgroup nested inside a container does
#                          not move its process to another pod
#   not-kubernetes         a process in no pod: ENOENT, every field empty
#   one-scan               every lookup above cost one scan of the log dirs
#   gone                   an exited pid: ESRCH
#   cgroupns-*             the driver inside a cgroup namespace rooted at a
#                          container of its own pod (as a DaemonSet pod on a
#                          v2 node is): paths turn relative ("0::/../..."),
#                          and a sibling container's pod is only in its link
#   v1-systemd, v1-cgroupfs  the same on v1 hierarchies, when mounted
#   daemon-start, daemon-exec, daemon-no-pod  `gomaptrace daemon` (when
#                          built) labels the Go fixture's map series: one in a
#                          pod before it started, one exec'd into a pod
#                          later, and one in no pod (empty labels)
#
# A kubepods root that already exists (a real kubelet's) is left alone:
# everything then goes under a private gm-k8s-e2e-PID directory instead.
. tests/e2e/lib.sh

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gm-k8s-e2e.XXXXXX")
PODS=$WORK/var/log/pods
CTRS=$WORK/var/log/containers
DRV=$WORK/k8s_lookup
PIDS=()
CGDIRS=()	# cgroups this script created, parents first

cleanup() {
	local p i
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ((i = ${#CGDIRS[@]} - 1; i >= 0; i--)); do
		rmdir "${CGDIRS[i]}" 2>/dev/null || echo "test_k8s: could not remove ${CGDIRS[i]}" >&2
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
uuid() { cat /proc/sys/kernel/random/uuid; }

# mkcg DIR: create a cgroup and any missing parents, remembering each.
mkcg() {
	local d=$1 todo=()
	while [ ! -d "$d" ]; do
		todo=("$d" "${todo[@]}")
		d=$(dirname "$d")
	done
	for d in "${todo[@]}"; do
		mkdir "$d" || return 1
		CGDIRS+=("$d")
	done
}

# spawn CGDIR CMD...: start CMD inside the cgroup; its pid is left in $LAST.
spawn() {
	local cg=$1
	shift
	(echo "$BASHPID" >"$cg/cgroup.procs" || exit 1; exec "$@") >/dev/null 2>&1 &
	LAST=$!
	PIDS+=("$LAST")
}

# wait_in PID PATH: until the kernel reports the process in that cgroup path.
wait_in() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q ":$2\$" "/proc/$1/cgroup" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# place NAME CGROOT RELPATH CMD...: a process in CGROOT/RELPATH, pid in $LAST.
place() {
	local name=$1 root=$2 rel=$3
	shift 3
	if ! mkcg "$root/$rel"; then
		fail "$name" "cannot create cgroup $root/$rel"
		return 1
	fi
	spawn "$root/$rel" "$@"
	if ! wait_in "$LAST" "/$rel"; then
		fail "$name" "pid $LAST never showed up in /$rel: $(tr '\n' ' ' <"/proc/$LAST/cgroup" 2>/dev/null)"
		return 1
	fi
}

# logs NS POD UID CONTAINER [ID]: what the kubelet leaves for a container.
logs() {
	local dir=$PODS/$1_$2_$3/$4
	mkdir -p "$dir" "$CTRS"
	: >"$dir/0.log"
	[ -n "${5:-}" ] && ln -s "$dir/0.log" "$CTRS/$2_$1_$4-$5.log"
	return 0
}

# expect NAME OUTFILE PID RC NS POD CONTAINER UID ID RUNTIME
expect() {
	local name=$1 out=$2 pid=$3 want got
	want=$(printf '%s rc=%s\n%s container_id=%s\n%s pod_uid=%s\n%s namespace=%s\n%s pod=%s\n%s container=%s\n%s runtime=%s' \
		"$pid" "$4" "$pid" "$9" "$pid" "$8" "$pid" "$5" "$pid" "$6" "$pid" "$7" "$pid" "${10}")
	got=$(grep "^$pid " "$out")
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name" "want [$(echo "$want" | cut -d' ' -f2- | tr '\n' ' ')] got [$(echo "$got" | cut -d' ' -f2- | tr '\n' ' ')]"
	fi
}

if [ "$(id -u)" != 0 ]; then
	fail k8s/root "needs root to create cgroups"
	exit 0
fi
if ! out=$(${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -O2 -Iinclude -Iuser \
	tests/e2e/k8s_lookup.c user/k8s.c -o "$DRV" 2>&1); then
	fail k8s/build "$(echo "$out" | head -3 | tr '\n' ' ')"
	exit 0
fi
CG2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
if [ -z "$CG2" ]; then
	fail k8s/cgroup2 "no cgroup2 hierarchy mounted"
	exit 0
fi
# base_for ROOT: where this test's kubepods trees go in that hierarchy.
base_for() {
	if [ -e "$1/kubepods.slice" ] || [ -e "$1/kubepods" ]; then
		echo "# $1 has a kubepods root already; using $1/gm-k8s-e2e-$$" >&2
		echo "$1/gm-k8s-e2e-$$"
	else
		echo "$1"
	fi
}
B2=$(base_for "$CG2")
LEAKY=$(gm_fixture go1.26 plain leaky)
[ -x "$LEAKY" ] || { echo "# $LEAKY not built; using sleep" >&2; LEAKY=; }

# --- cgroup v2: every driver and runtime ---------------------------------
U_A=$(uuid) ID_A=$(hex 32)
U_B=$(uuid) ID_B=$(hex 32)
U_C=$(uuid) ID_C=$(hex 32)
U_D=$(uuid) ID_D=$(hex 32)
U_E=$(hex 16) ID_E=$(hex 32)
U_F=$(uuid) ID_F=$(hex 32)
U_X=$(uuid) ID_X=$(hex 32)
ID_G=$(hex 32)

REL_A=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U_A//-/_}.slice/cri-containerd-$ID_A.scope
REL_B=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${U_B//-/_}.slice/crio-$ID_B.scope
REL_C=kubepods.slice/kubepods-pod${U_C//-/_}.slice/docker-$ID_C.scope
REL_D=kubepods/burstable/pod$U_D/$ID_D
REL_E=kubepods/burstable/pod$U_E/$ID_E
REL_F=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U_F//-/_}.slice/cri-containerd-$ID_F.scope
REL_G=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${U_B//-/_}.slice/crio-conmon-$ID_G.scope
REL_X=$REL_A/kubepods-pod${U_X//-/_}.slice/docker-$ID_X.scope

logs shop cart-5f7d9c8b6-x2x4z "$U_A" cart "$ID_A"
logs shop cart-5f7d9c8b6-x2x4z "$U_A" istio-proxy "$(hex 32)"
logs batch etl-28461930-q7k2p "$U_B" worker "$ID_B"
logs default web-0 "$U_C" nginx "$ID_C"
logs legacy api-6c9d7f-k2l9m "$U_D" api "$ID_D"
logs kube-system etcd-node1.example.com "$U_E" etcd "$ID_E"
logs tools debug-shell "$U_F" shell
logs victim vault-0 "$U_X" vault "$ID_X"

ok=1
if [ -n "$LEAKY" ]; then
	place k8s/v2-systemd-containerd "$B2" "$REL_A" "$LEAKY" || ok=0
else
	place k8s/v2-systemd-containerd "$B2" "$REL_A" sleep 300 || ok=0
fi
P_A=$LAST
place k8s/v2-systemd-crio "$B2" "$REL_B" sleep 300 || ok=0
P_B=$LAST
place k8s/v2-systemd-docker "$B2" "$REL_C" sleep 300 || ok=0
P_C=$LAST
place k8s/v2-cgroupfs "$B2" "$REL_D" sleep 300 || ok=0
P_D=$LAST
place k8s/v2-static-pod "$B2" "$REL_E" sleep 300 || ok=0
P_E=$LAST
place k8s/v2-sole-container "$B2" "$REL_F" sleep 300 || ok=0
P_F=$LAST
place k8s/crio-conmon "$B2" "$REL_G" sleep 300 || ok=0
P_G=$LAST
place k8s/nested-lookalike "$B2" "$REL_X" sleep 300 || ok=0
P_X=$LAST
sleep 300 >/dev/null 2>&1 &
P_N=$!
PIDS+=("$P_N")

OUT=$WORK/v2.out
if ((ok)) && "$DRV" --pods-log-dir "$PODS" --containers-log-dir "$CTRS" \
	"$P_A" "$P_B" "$P_C" "$P_D" "$P_E" "$P_F" "$P_G" "$P_X" "$P_N" >"$OUT" 2>&1; then
	expect k8s/v2-systemd-containerd "$OUT" "$P_A" 0 shop cart-5f7d9c8b6-x2x4z cart "$U_A" "$ID_A" containerd
	expect k8s/v2-systemd-crio "$OUT" "$P_B" 0 batch etl-28461930-q7k2p worker "$U_B" "$ID_B" crio
	expect k8s/v2-systemd-docker "$OUT" "$P_C" 0 default web-0 nginx "$U_C" "$ID_C" docker
	expect k8s/v2-cgroupfs "$OUT" "$P_D" 0 legacy api-6c9d7f-k2l9m api "$U_D" "$ID_D" ""
	expect k8s/v2-static-pod "$OUT" "$P_E" 0 kube-system etcd-node1.example.com etcd "$U_E" "$ID_E" ""
	expect k8s/v2-sole-container "$OUT" "$P_F" 0 tools debug-shell shell "$U_F" "$ID_F" containerd
	expect k8s/crio-conmon "$OUT" "$P_G" ENOENT "" "" "" "" "" ""
	expect k8s/nested-lookalike "$OUT" "$P_X" 0 shop cart-5f7d9c8b6-x2x4z cart "$U_A" "$ID_A" containerd
	expect k8s/not-kubernetes "$OUT" "$P_N" ENOENT "" "" "" "" "" ""
	if grep -qx 'scans=1' "$OUT"; then
		pass k8s/one-scan
	else
		fail k8s/one-scan "$(tail -1 "$OUT")"
	fi
elif ((ok)); then
	fail k8s/v2 "driver failed: $(tail -3 "$OUT" | tr '\n' ' ')"
fi

# --- gone ------------------------------------------------------------------
sleep 0 &
P_Z=$!
wait "$P_Z"
OUT=$WORK/gone.out
"$DRV" --pods-log-dir "$PODS" --containers-log-dir "$CTRS" "$P_Z" >"$OUT" 2>&1
expect k8s/gone "$OUT" "$P_Z" ESRCH "" "" "" "" "" ""

# --- a cgroup namespace rooted at a container of the reader's own pod --------
U_M=$(uuid) ID_M=$(hex 32) ID_S=$(hex 32)
M_POD=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U_M//-/_}.slice
logs monitoring gomaptrace-7xk2p "$U_M" gomaptrace "$ID_M"
logs monitoring gomaptrace-7xk2p "$U_M" sidecar "$ID_S"
if place k8s/cgroupns-sibling "$B2" "$M_POD/cri-containerd-$ID_S.scope" sleep 300 &&
	mkcg "$B2/$M_POD/cri-containerd-$ID_M.scope"; then
	P_S=$LAST
	M_CG=$B2/$M_POD/cri-containerd-$ID_M.scope
	# inside: what the kernel shows a reader whose namespace root is M_CG
	inside() { (echo "$BASHPID" >"$M_CG/cgroup.procs" && exec unshare --cgroup "$@"); }
	view_a=$(inside cat "/proc/$P_A/cgroup" | grep '^0::')
	view_s=$(inside cat "/proc/$P_S/cgroup" | grep '^0::')
	want_a="0::/../../kubepods-burstable-pod${U_A//-/_}.slice/cri-containerd-$ID_A.scope"
	if [ "$view_a" = "$want_a" ] && [ "$view_s" = "0::/../cri-containerd-$ID_S.scope" ]; then
		pass k8s/cgroupns-relative-paths
	else
		fail k8s/cgroupns-relative-paths "other pod [$view_a] sibling [$view_s]"
	fi
	OUT=$WORK/ns.out
	if inside "$DRV" --pods-log-dir "$PODS" --containers-log-dir "$CTRS" "$P_A" "$P_S" "$P_N" \
		>"$OUT" 2>&1; then
		expect k8s/cgroupns-other-pod "$OUT" "$P_A" 0 shop cart-5f7d9c8b6-x2x4z cart "$U_A" "$ID_A" containerd
		expect k8s/cgroupns-sibling "$OUT" "$P_S" 0 monitoring gomaptrace-7xk2p sidecar "$U_M" "$ID_S" containerd
		expect k8s/cgroupns-not-kubernetes "$OUT" "$P_N" ENOENT "" "" "" "" "" ""
	else
		fail k8s/cgroupns "driver failed: $(tail -3 "$OUT" | tr '\n' ' ')"
	fi
fi

# --- cgroup v1 hierarchies, where mounted ------------------------------------
v1_mount() { findmnt -n -t cgroup -o TARGET,OPTIONS | awk -v o="$1" '$2 ~ "(^|,)" o "(,|$)" { print $1; exit }'; }
CG1S=$(v1_mount name=systemd)
CG1P=$(v1_mount pids)
V1=()
P_V= P_W=
if [ -n "$CG1S" ]; then
	U_V=$(uuid) ID_V=$(hex 32)
	B1S=$(base_for "$CG1S")
	REL_V=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${U_V//-/_}.slice/docker-$ID_V.scope
	logs v1 sysd-pod "$U_V" app "$ID_V"
	place k8s/v1-systemd "$B1S" "$REL_V" sleep 300 && P_V=$LAST && V1+=("$P_V")
else
	echo "# no v1 name=systemd hierarchy: v1-systemd not run" >&2
fi
if [ -n "$CG1P" ]; then
	U_W=$(uuid) ID_W=$(hex 32)
	B1P=$(base_for "$CG1P")
	REL_W=kubepods/besteffort/pod$U_W/$ID_W
	logs v1 cgfs-pod "$U_W" app "$ID_W"
	place k8s/v1-cgroupfs "$B1P" "$REL_W" sleep 300 && P_W=$LAST && V1+=("$P_W")
else
	echo "# no v1 pids hierarchy: v1-cgroupfs not run" >&2
fi
if ((${#V1[@]})); then
	OUT=$WORK/v1.out
	"$DRV" --pods-log-dir "$PODS" --containers-log-dir "$CTRS" "${V1[@]}" >"$OUT" 2>&1
	[ -n "$P_V" ] && expect k8s/v1-systemd "$OUT" "$P_V" 0 v1 sysd-pod app "$U_V" "$ID_V" docker
	[ -n "$P_W" ] && expect k8s/v1-cgroupfs "$OUT" "$P_W" 0 v1 cgfs-pod app "$U_W" "$ID_W" ""
fi

# --- through `gomaptrace daemon`, which uses the same resolver ---------------
# A Go fixture already in a pod when the daemon starts (found by its /proc
# scan), one exec'd into a pod afterwards, and one in no pod.
series() { echo "gomaptrace_map_entries{namespace=\"$1\",pod=\"$2\",container=\"$3\",comm=\"leaky\","; }
if ! [ -x "$GM" ] || ! "$GM" daemon --help 2>&1 | grep -q -- --pods-log-dir; then
	echo "# gomaptrace daemon with --pods-log-dir not built: daemon checks not run" >&2
elif [ -z "$LEAKY" ]; then
	fail k8s/daemon "Go fixture $(gm_fixture go1.26 plain leaky) not built (make fixtures)"
else
	U_K=$(uuid) ID_K=$(hex 32)
	REL_K=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${U_K//-/_}.slice/cri-containerd-$ID_K.scope
	logs payments ledger-0 "$U_K" ledger "$ID_K"
	PORT=$((20000 + RANDOM % 20000))
	"$GM" daemon --listen "127.0.0.1:$PORT" --window 2s --include leaky \
		--pods-log-dir "$PODS" --containers-log-dir "$CTRS" >"$WORK/daemon.log" 2>&1 &
	PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
		sleep 0.1
	done
	place k8s/daemon-exec "$B2" "$REL_K" "$LEAKY"
	"$LEAKY" >/dev/null 2>&1 &
	PIDS+=("$!")
	M=$WORK/metrics
	for ((i = 0; i < 60; i++)); do
		curl -sf "http://127.0.0.1:$PORT/metrics" >"$M" 2>/dev/null
		grep -qF "$(series shop cart-5f7d9c8b6-x2x4z cart)" "$M" &&
			grep -qF "$(series payments ledger-0 ledger)" "$M" &&
			grep -qF "$(series "" "" "")" "$M" && break
		sleep 0.5
	done
	for c in "daemon-start shop cart-5f7d9c8b6-x2x4z cart" "daemon-exec payments ledger-0 ledger" \
		"daemon-no-pod '' '' ''"; do
		eval "set -- $c"
		if grep -qF "$(series "$2" "$3" "$4")" "$M"; then
			pass "k8s/$1"
		else
			fail "k8s/$1" "no series $(series "$2" "$3" "$4")...; $(grep -c '^gomaptrace_map_entries' "$M" 2>/dev/null) map_entries series; daemon: $(tail -2 "$WORK/daemon.log" | tr '\n' ' ')"
		fi
	done
fi
exit 0
