#!/usr/bin/env bash
# Builds every fixture under tests/fixtures/ with every toolchain and variant
# of the matrix (tests/matrix.sh) into build/fixtures/TOOLCHAIN/VARIANT/NAME.
# A build is skipped when its inputs (sources, toolchain, flags) are
# unchanged, so the suite pays for the matrix once; up-to-date binaries are
# recognised here, without starting a job per binary.  Builds run in
# parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/matrix.sh
export GM_BUILD=${GM_BUILD:-$PWD/build}
export -f gm_go gm_fixture

build_one() {
	local tc=$1 variant=$2 name=$3 key=$4 src=tests/fixtures/$3
	local out stamp
	out=$(gm_fixture "$tc" "$variant" "$name")
	stamp=$out.stamp
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
	src=$(cat "tests/fixtures/$name"/*.go "tests/fixtures/$name/go.mod" | sha256sum | cut -c1-16)
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for v in "${GM_VARIANTS[@]}"; do
			key=$src-$tc-$v
			out=$(gm_fixture "$tc" "$v" "$name")
			if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$key" ]; then
				continue
			fi
			jobs+=("$tc $v $name $key")
		done
	done
done
((${#jobs[@]})) || exit 0
echo "build-fixtures: building ${#jobs[@]} fixture binaries" >&2
printf '%s\n' "${jobs[@]}" | xargs -P "$(nproc)" -L1 bash -c 'build_one "$@"' _
