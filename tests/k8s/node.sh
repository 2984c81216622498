#!/usr/bin/env bash
# node.sh: the single-node Kubernetes of `make test-k8s`, and the checks
# run against it.  Started by tests/k8s/run.sh through
#   unshare --net --mount --propagation private
# so everything here has its own network namespace (its own loopback, a
# dummy "node" interface, the pod bridge) and its own mount namespace
# (tmpfs on /run and /var/log, the sysctl files the kubelet wants): none of
# the host's ports, mounts or sysctls is touched.  The pid namespace is the
# host's, as on a real node (the daemon's BPF side reports host pids).
#
# Environment (from run.sh): GM_K8S_BIN (kube-* and kubectl), GM_K8S_IMAGES
# (OCI archives), GM_K8S_LOGS (component logs), GM_K8S_CG (the cgroup name
# under every hierarchy: kubelet's cgroupRoot, daemons in $GM_K8S_CG/node).
#
# One PASS:/FAIL: line per check.  On exit (or failure) every process in
# the node's cgroups is killed; run.sh removes the cgroups afterwards.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$GM_K8S_BIN
IMAGES=$GM_K8S_IMAGES
LOGS=$GM_K8S_LOGS
CG=$GM_K8S_CG
NODE=gm-node
IP=10.250.0.1
POD_SUBNET=10.244.0.0/24
W=/run/gm-k8s
PKI=$W/pki
SOCK=$W/containerd/containerd.sock
LEAK_TIMEOUT=${GM_K8S_LEAK_TIMEOUT:-900}
export KUBECONFIG=$PKI/admin.kubeconfig
export PATH=$BIN:$PATH

t0=$(date +%s)
ts() { printf '[%4ds]' $(($(date +%s) - t0)); }
log() { echo "$(ts) $*"; }
pass() { echo "PASS: k8s/$1${2:+  ($2)}"; }
fail() { echo "FAIL: k8s/$1: $2"; FAILED=1; }
FAILED=0

# This shell in $CG/ctl, each component in $CG/node: teardown kills the
# whole tree but this shell.
echo $$ >"/sys/fs/cgroup/pids/$CG/ctl/cgroup.procs" || exit 1

killtree() {
	local i f p pids
	for ((i = 0; i < 40; i++)); do
		pids=()
		while IFS= read -r f; do
			case $f in */ctl/cgroup.procs) continue ;; esac
			while IFS= read -r p; do pids+=("$p"); done <"$f"
		done < <(find "/sys/fs/cgroup/pids/$CG" -name cgroup.procs)
		((${#pids[@]})) || return 0
		kill -9 "${pids[@]}" 2>/dev/null
		sleep 0.5
	done
	echo "node: processes left in /sys/fs/cgroup/pids/$CG" >&2
	return 1
}

diagnose() {
	log "diagnostics (component logs in $LOGS)"
	kubectl get nodes -o wide 2>&1 | sed 's/^/    /'
	kubectl get pods -A -o wide 2>&1 | sed 's/^/    /'
	kubectl get events -A --sort-by=.lastTimestamp 2>&1 | tail -25 | sed 's/^/    /'
	kubectl -n gomaptrace logs ds/gomaptrace --tail=30 2>&1 | sed 's/^/    daemon: /'
	tail -15 "$LOGS/kubelet.log" 2>/dev/null | sed 's/^/    kubelet: /'
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ "$FAILED" = 0 ] && [ "$rc" = 0 ] || diagnose
	log "teardown: killing the node's processes"
	# The kubelet first, so it restarts nothing.
	[ -n "${KUBELET_PID:-}" ] && kill "$KUBELET_PID" 2>/dev/null
	killtree
	# The mounts and the network namespace go with the last process in them.
	exit "$rc"
}
trap cleanup EXIT
trap 'FAILED=1; exit 1' INT TERM HUP

# start NAME CMD...: CMD in the background, in $CG/node, log in $LOGS/NAME.log
start() {
	local name=$1
	shift
	(echo "$BASHPID" >"/sys/fs/cgroup/pids/$CG/node/cgroup.procs" && exec "$@") \
		>"$LOGS/$name.log" 2>&1 &
	LAST=$!
	disown "$LAST"
}

# waitfor SECONDS WHAT CMD...: until CMD succeeds
waitfor() {
	local secs=$1 what=$2 end
	shift 2
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			fail "$what" "not within ${secs}s"
			return 1
		fi
		sleep 2
	done
}

# ---- namespaces: mounts and network -------------------------------------
mount -t tmpfs -o mode=0755,size=4g gm-k8s-run /run || exit 1
mount -t tmpfs -o mode=0755 gm-k8s-log /var/log || exit 1
mkdir -p "$W" /var/log/pods /var/log/containers "$W/sysctl"
# The kubelet sets these (host-wide) sysctls unless they already hold
# these values: show it files that do.
for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
	kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
	f=$W/sysctl/${kv%%=*}
	mkdir -p "$(dirname "$f")"
	echo "${kv#*=}" >"$f"
	mount --bind "$f" "/proc/sys/${kv%%=*}" || exit 1
done
ip link set lo up
# The node's address (its InternalIP) on a veth pair whose other end goes
# nowhere (this kernel has no dummy driver): the default route the kubelet
# and the API server look for, and nothing leaves the namespace.
ip link add name gm0 type veth peer name gm0-peer || exit 1
ip addr add "$IP/24" dev gm0
ip link set gm0-peer up
ip link set gm0 up
ip route add default dev gm0 || exit 1
log "node namespaces: net $(readlink /proc/self/ns/net), mnt $(readlink /proc/self/ns/mnt), node ip $IP"

"$ROOT/tests/k8s/certs.sh" "$PKI" "$IP" "$NODE" || exit 1

# ---- control plane ------------------------------------------------------
start etcd etcd --name gm --data-dir "$W/etcd" \
	--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster gm=http://127.0.0.1:2380
waitfor 60 etcd-up curl -sf http://127.0.0.1:2379/health || exit 1

start kube-apiserver kube-apiserver \
	--etcd-servers=http://127.0.0.1:2379 \
	--advertise-address="$IP" --bind-address=0.0.0.0 --secure-port=6443 \
	--tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
	--client-ca-file="$PKI/ca.crt" \
	--service-account-issuer=https://kubernetes.default.svc \
	--service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
	--service-cluster-ip-range=10.96.0.0/16 \
	--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
	--allow-privileged=true \
	--kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
	--kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
	--kubelet-preferred-address-types=InternalIP
waitfor 180 apiserver-up kubectl get --raw /readyz || exit 1

start kube-controller-manager kube-controller-manager \
	--kubeconfig="$PKI/controller-manager.kubeconfig" \
	--authentication-kubeconfig="$PKI/controller-manager.kubeconfig" \
	--authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
	--use-service-account-credentials=true \
	--service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
	--leader-elect=false --bind-address=127.0.0.1
start kube-scheduler kube-scheduler \
	--kubeconfig="$PKI/scheduler.kubeconfig" \
	--authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
	--authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
	--leader-elect=false --bind-address=127.0.0.1

# ---- container runtime --------------------------------------------------
mkdir -p "$W/containerd" "$W/cni/net.d" "$W/manifests"
cat >"$W/cni/net.d/10-gm.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "gm-node",
  "plugins": [{
    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
    "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET"}]],
             "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$W/cni/ipam"}
  }]
}
EOF
cat >"$W/containerd/config.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
[grpc]
  address = "$SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "gm.local/pause:1"
  # root here lacks CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj (the kubelet asks -998 for sandboxes, -997 for
  # Guaranteed pods): clamp to containerd's own, or runc's init fails
  # ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
EOF
start containerd containerd --config "$W/containerd/config.toml"
waitfor 60 containerd-up ctr --address "$SOCK" version || exit 1
for img in "$IMAGES"/*.tar; do
	if ! ctr --address "$SOCK" -n k8s.io images import --all-platforms "$img" >>"$LOGS/ctr-import.log" 2>&1; then
		fail image-import "ctr images import $img (see $LOGS/ctr-import.log)"
		exit 1
	fi
done
pass images-imported "$(ctr --address "$SOCK" -n k8s.io images ls -q | grep -v '^sha256:' | tr '\n' ' ')"

# ---- kubelet -------------------------------------------------------------
cat >"$W/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: /$CG
containerRuntimeEndpoint: unix://$SOCK
staticPodPath: $W/manifests
failSwapOn: false
protectKernelDefaults: false
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
# A loaded, shared machine: evict nothing, collect no images.
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
cp "$ROOT/tests/k8s/manifests/leaky-static.yaml" "$W/manifests/"
start kubelet kubelet --config="$W/kubelet.yaml" --kubeconfig="$PKI/kubelet.kubeconfig" \
	--root-dir="$W/kubelet" --hostname-override="$NODE" --node-ip="$IP" -v=2
KUBELET_PID=$LAST
node_ready() { [ "$(kubectl get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
if waitfor 240 node-ready node_ready; then
	pass node-ready "$(kubectl get node "$NODE" --no-headers -o wide | awk '{ print $1, $2, $5, $6 }')"
else
	exit 1
fi

# ---- deploy/ as shipped --------------------------------------------------
kubectl apply -f "$ROOT/tests/k8s/manifests/crds.yaml" >/dev/null &&
	kubectl wait --for=condition=Established --timeout=60s \
		crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >/dev/null ||
	{ fail crds "the ServiceMonitor/PrometheusRule CRDs"; exit 1; }
if out=$(kubectl apply -k "$ROOT/deploy/" 2>&1); then
	pass deploy-apply "kubectl apply -k deploy/: $(echo "$out" | wc -l) objects"
else
	fail deploy-apply "$out"
	exit 1
fi
kubectl apply -f "$ROOT/tests/k8s/manifests/leaky-deployment.yaml" >/dev/null || { fail workload-apply "kubectl apply"; exit 1; }

ds_ready() { [ "$(kubectl -n gomaptrace get ds gomaptrace -o jsonpath='{.status.numberReady}')" = 1 ]; }
if waitfor 300 daemonset-ready ds_ready; then
	pass daemonset-ready "$(kubectl -n gomaptrace get pods -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase} ip {.status.podIP} restarts {.status.containerStatuses[0].restartCount}{end}')"
else
	kubectl -n gomaptrace describe pods 2>&1 | tail -30 | sed 's/^/    /'
	exit 1
fi
DPOD=$(kubectl -n gomaptrace get pods -l app.kubernetes.io/name=gomaptrace -o jsonpath='{.items[0].metadata.name}')
DIP=$(kubectl -n gomaptrace get pod "$DPOD" -o jsonpath='{.status.podIP}')
# Through the API server to the kubelet at the node's InternalIP.
if out=$(kubectl -n gomaptrace logs "$DPOD" 2>&1); then
	pass daemon-logs "kubectl logs $DPOD: $(echo "$out" | wc -l) lines"
else
	fail daemon-logs "$out"
fi

leaky_running() { [ "$(kubectl -n gm-leaky get pods -l app=leaky -o jsonpath='{.items[0].status.phase}')" = Running ]; }
static_running() { [ "$(kubectl -n gm-static get pod "leaky-static-$NODE" -o jsonpath='{.status.phase}')" = Running ]; }
waitfor 180 workload-deployment leaky_running && pass workload-deployment-running
waitfor 180 workload-static-pod static_running && pass workload-static-pod-running "mirror pod leaky-static-$NODE"
LPOD=$(kubectl -n gm-leaky get pods -l app=leaky -o jsonpath='{.items[0].metadata.name}')
SPOD=leaky-static-$NODE

# ---- the daemon's series ---------------------------------------------------
# check.py FILE NS POD CONTAINER: the series of that container, and
# whether its leak_suspected is 1 (exit 0) or not yet (exit 1).
scrape() { curl -sf --max-time 20 "http://$DIP:9435/metrics" >"$W/metrics.txt"; }
series() {
	python3 - "$W/metrics.txt" "$@" <<'PY'
import re, sys
path, ns, pod, ctr = sys.argv[1:5]
want = {"namespace": ns, "pod": pod, "container": ctr}
lab = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
leak = False
for line in open(path):
    m = re.match(r'(gomaptrace_\w+)\{(.*)\} (\S+)$', line.strip())
    if not m:
        continue
    labels = dict(lab.findall(m.group(2)))
    if all(labels.get(k) == v for k, v in want.items()):
        print(line.rstrip())
        if m.group(1) == "gomaptrace_map_leak_suspected" and float(m.group(3)) == 1 \
                and "main.Session" in labels.get("type", ""):
            leak = True
sys.exit(0 if leak else 1)
PY
}

log "waiting for gomaptrace_map_leak_suspected of $LPOD and $SPOD (the daemon's 60s windows, 5 rising: 5-7 min)"
end=$(($(date +%s) + LEAK_TIMEOUT))
got_l=0 got_s=0
while :; do
	if scrape; then
		series gm-leaky "$LPOD" leaky-app >"$W/deploy.series" && got_l=1
		series gm-static "$SPOD" leaky-static-app >"$W/static.series" && got_s=1
	fi
	[ $got_l = 1 ] && [ $got_s = 1 ] && break
	[ "$(date +%s)" -ge "$end" ] && break
	sleep 20
done
cp "$W/metrics.txt" "$LOGS/metrics.txt" 2>/dev/null

# labels: every series of the workload carries the real pod, namespace
# and container (checked against the API server's names), and there are
# entries series for it
for w in "deploy gm-leaky $LPOD leaky-app $got_l" "static gm-static $SPOD leaky-static-app $got_s"; do
	set -- $w
	kind=$1 ns=$2 pod=$3 ctr=$4 got=$5
	echo "  series checked for $kind pod ($ns/$pod/$ctr):"
	sed 's/^/    /' "$W/$kind.series"
	if grep -q '^gomaptrace_map_entries{' "$W/$kind.series"; then
		pass "labels-$kind" "namespace=\"$ns\" pod=\"$pod\" container=\"$ctr\" on $(wc -l <"$W/$kind.series") series"
	else
		fail "labels-$kind" "no gomaptrace_map_entries series with namespace=\"$ns\" pod=\"$pod\" container=\"$ctr\""
	fi
	if [ "$got" = 1 ]; then
		pass "leak-$kind" "$(grep '^gomaptrace_map_leak_suspected{' "$W/$kind.series" | grep main.Session | head -1)"
	else
		fail "leak-$kind" "gomaptrace_map_leak_suspected of map[string]*main.Session not 1 within ${LEAK_TIMEOUT}s"
	fi
	# The fixture's bounded cache (evicts at 512 entries) is no leak.
	cache=$(grep '^gomaptrace_map_leak_suspected{' "$W/$kind.series" | grep 'type="map\[int\]string"')
	if [ -n "$cache" ] && [ "${cache##* }" = 0 ]; then
		pass "no-leak-$kind" "$cache"
	else
		fail "no-leak-$kind" "the bounded cache map[int]string: ${cache:-no series}"
	fi
done
# Processes outside any pod (this node's control plane, started by this
# script) must not be given one.
if bad=$(grep -E '^gomaptrace_map_entries\{' "$W/metrics.txt" |
	grep -E 'comm="(kube-apiserver|kubelet|kube-controller|kube-scheduler|etcd|containerd)"' |
	grep -v 'namespace="",pod="",container=""'); then
	fail not-in-pod "$(echo "$bad" | head -1)"
elif n=$(grep -E '^gomaptrace_map_entries\{' "$W/metrics.txt" |
	grep -cE 'comm="(kube-apiserver|kubelet|kube-controller|kube-scheduler|etcd|containerd)"'); [ "$n" -gt 0 ]; then
	pass not-in-pod "$n series of the control plane, kubelet, etcd and containerd, all with empty namespace/pod/container"
else
	fail not-in-pod "no series of the node's own Go processes (kubelet, etcd, ...)"
fi
# The daemon as shipped ran the whole test in one container (an OOM kill
# or a crash restarts it).
r=$(kubectl -n gomaptrace get pod "$DPOD" -o jsonpath='{.status.containerStatuses[0].restartCount}')
cid=$(kubectl -n gomaptrace get pod "$DPOD" -o jsonpath='{.status.containerStatuses[0].containerID}')
uid=$(kubectl -n gomaptrace get pod "$DPOD" -o jsonpath='{.metadata.uid}')
mem=$(cat /sys/fs/cgroup/memory/"$CG"/kubepods/*/pod"$uid"/"${cid#containerd://}"/memory.max_usage_in_bytes 2>/dev/null)
if [ "$r" = 0 ]; then
	pass daemon-no-restart "$DPOD restarted 0 times; its peak memory ${mem:+$((mem / 1048576)) MiB}"
else
	fail daemon-no-restart "$DPOD restarted $r times: $(kubectl -n gomaptrace get pod "$DPOD" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason}')"
fi

[ "$FAILED" = 0 ]
