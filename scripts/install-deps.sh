#!/usr/bin/env bash
# Installs what building and testing gomaptrace needs, from Debian packages
# and the Go module proxy only.  Idempotent and quick when all is present.
set -euo pipefail

pkgs=(
	build-essential pkg-config
	clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev   # BPF and skeletons
	libcapstone-dev                                       # instruction decoding
	libcmocka-dev libclang-rt-14-dev                      # unit tests, libFuzzer, sanitizers
	golang-1.19-go                                        # oldest Go of the test matrix
	libmicrohttpd-dev libncurses-dev                      # daemon HTTP, live view
	libunistring-dev                                      # its archive, for `make static` (gnutls needs it)
	prometheus yamllint jq python3                        # oracles in e2e tests
	etcd-server etcd-client                               # a real target of test_real (etcd 3.4)
	man-db groff-base bsdextrautils                       # man page checks (man, groff, col)
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages and not root: ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go toolchains of the test matrix come through the go command itself.
# shellcheck source=../tests/matrix.sh
. "$(dirname "$0")/../tests/matrix.sh"
for tc in "${GM_TOOLCHAINS[@]}"; do
	gm_go "$tc" version >/dev/null 2>&1 || {
		echo "install-deps: cannot get Go toolchain $tc: $(gm_go "$tc" version 2>&1 | tail -1)" >&2
		exit 1
	}
done
