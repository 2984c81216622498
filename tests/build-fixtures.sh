#!/usr/bin/env bash
# Builds every fixture under tests/fixtures/ with every toolchain and variant
# of the matrix into build/fixtures/TOOLCHAIN/VARIANT/NAME.  A build is
# skipped when its inputs (sources, toolchain, flags) are unchanged, so the
# suite pays for the matrix once.  Builds run in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/matrix.sh
export GM_BUILD=${GM_BUILD:-$PWD/build}
export -f gm_go gm_fixture
export GM_GO119

build_one() {
	local tc=$1 variant=$2 name=$3 src=tests/fixtures/$3
	local out stamp key
	out=$(gm_fixture "$tc" "$variant" "$name")
	stamp=$out.stamp
	key=$(cat "$src"/*.go "$src"/go.mod | sha256sum | cut -c1-16)-$tc-$variant
	if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$out")"
	local args=() cgo=0
	case $variant in
	plain) ;;
	pie-stripped) args=(-buildmode=pie -ldflags=-s\ -w) ;;
	cgo) cgo=1 ;;
	esac
	if ! (cd "$src" && CGO_ENABLED=$cgo gm_go "$tc" build -trimpath=false "${args[@]}" -o "$out" .) 2>"$out.log"; then
		echo "build-fixtures: $name with $tc/$variant failed:" >&2
		cat "$out.log" >&2
		return 1
	fi
	echo "$key" >"$stamp"
}
export -f build_one

jobs=()
for name in $(ls tests/fixtures); do
	[ -f "tests/fixtures/$name/go.mod" ] || continue
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for v in "${GM_VARIANTS[@]}"; do
			jobs+=("$tc $v $name")
		done
	done
done
printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L1 bash -c 'build_one "$@"' _
