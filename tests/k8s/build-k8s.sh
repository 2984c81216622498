#!/usr/bin/env bash
# build-k8s.sh OUTDIR: kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kubectl at $K8S_VERSION, built from source
# through the Go module proxy, into OUTDIR (build/k8s/bin).
#
# k8s.io/kubernetes's go.mod points every k8s.io/* staging module at
# ./staging/src/... with a `replace` block, and those directories are not in
# the module zip (each has its own go.mod).  So the source is copied out of
# the module cache, the replace block is dropped and the published staging
# modules at v0.MINOR.PATCH are required instead (the same code, tagged from
# staging by the release process).  go.sum is completed by `-mod=mod`.
#
# Cached: a stamp in OUTDIR records the version and this script's hash; a
# second run with both unchanged does nothing.  The Go build cache
# (`go env GOCACHE`) keeps the compiled packages, so even a rebuild after a
# change here is a few minutes, not the 15-20 of a cold build on 2 cores.
set -euo pipefail
OUT=${1:?usage: build-k8s.sh OUTDIR}
K8S_VERSION=${K8S_VERSION:-v1.33.13}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
CMDS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"

here=$(cd "$(dirname "$0")" && pwd)
stamp="$K8S_VERSION $(sha256sum "$here/build-k8s.sh" | cut -c1-16)"
if [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then
	ok=1
	for c in $CMDS; do [ -x "$OUT/$c" ] || ok=0; done
	if [ $ok = 1 ]; then
		echo "build-k8s: $K8S_VERSION cached in $OUT"
		exit 0
	fi
fi

export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
src=$(dirname "$OUT")/src-$K8S_VERSION
t0=$(date +%s)
if [ ! -f "$src/.ready" ]; then
	dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || { echo "build-k8s: k8s.io/kubernetes@$K8S_VERSION not downloaded" >&2; exit 1; }
	rm -rf "$src"
	mkdir -p "$(dirname "$src")"
	cp -r "$dir" "$src"
	chmod -R u+w "$src"
	# The zip's vendor/ holds only OWNERS: without modules.txt the go
	# command must not think the module is vendored.
	rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
	(
		cd "$src"
		# Drop every replace (all point into ./staging) and require the
		# published staging modules instead of the v0.0.0 placeholders.
		for m in $(go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    print(r["Old"]["Path"])'); do
			go mod edit -dropreplace="$m"
		done
		for m in $(go mod edit -json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["Require"]:
    if r["Path"].startswith("k8s.io/") and r["Version"] == "v0.0.0":
        print(r["Path"])'); do
			go mod edit -require="$m@$STAGING_VERSION"
		done
	)
	touch "$src/.ready"
fi

# What `kubectl version` and the node status say (the variables
# hack/lib/version.sh sets).
minor=$(echo "$K8S_VERSION" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	ldflags="$ldflags -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
	ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
mkdir -p "$OUT"
rm -f "$OUT/.stamp"
pkgs=
for c in $CMDS; do pkgs="$pkgs ./cmd/$c"; done
(
	cd "$src"
	# Build tags as hack/lib/golang.sh.
	go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$OUT/" $pkgs
)
echo "$stamp" >"$OUT/.stamp"
echo "build-k8s: $K8S_VERSION built in $(($(date +%s) - t0))s into $OUT"
