#!/usr/bin/env bash
# What `make test-k8s` needs beyond `make deps`, from Debian packages only:
# etcd (the API server's store), containerd 1.6 with runc (crun fails on
# hybrid cgroup v1/v2 hosts; runc works), the CNI plugins (bridge,
# host-local, loopback) and iptables (which the bridge plugin calls).  The
# Kubernetes binaries themselves are built from source (tests/k8s/build-k8s.sh).
# Kept apart from scripts/install-deps.sh so that `make test` on a fresh
# machine does not pay for these.  Idempotent and quick when all is present.
set -euo pipefail

pkgs=(
	etcd-server                          # the API server's store
	containerd runc                      # CRI runtime (containerd 1.6), OCI runtime
	containernetworking-plugins iptables # pod network: bridge + host-local + loopback
	iproute2 util-linux curl python3     # netns, unshare/nsenter, scraping, image tarball
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "install-k8s-deps: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "install-k8s-deps: missing packages and not root: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
