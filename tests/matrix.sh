# shellcheck shell=bash
# The Go test matrix: THE list of toolchains every test reads (shell tests
# source this file; the C unit tests include build/matrix.h, generated from
# it by `bash tests/matrix.sh c-header`; fuzz seeds and bench source it).
# Adding a release is one line in GM_MATRIX.  Every entry is required: a
# toolchain that cannot be had fails the suite, it is never skipped.
#
# One line per toolchain:  NAME RELEASE IMPL SET
#   NAME     what tests and build/fixtures/NAME/ call it
#   RELEASE  the go command to use: a module-proxy toolchain (go1.X.Y),
#            "local" (the go on PATH) or "debian" (/usr/lib/go-1.19)
#   IMPL     classic | swiss: the map implementation of its binaries
#   SET      full: the newest release of its map implementation runs every
#            e2e scenario; core: runs the core scenarios (see below)
GM_MATRIX=(
	"go1.17         go1.17.13 classic core"
	"go1.18         go1.18.10 classic core"
	"go1.19         debian    classic core"
	"go1.20         go1.20.14 classic core"
	"go1.21         go1.21.13 classic core"
	"go1.22         go1.22.12 classic core"
	"go1.23         go1.23.12 classic core"
	"go1.24         go1.24.13 swiss   core"
	"go1.24-noswiss go1.24.13 classic full"
	"go1.25         go1.25.5  swiss   core"
	"go1.26         local     swiss   core"
	"go1.27         go1.27.4  swiss   full"
)
GM_VARIANTS=(plain pie-stripped cgo)
GM_GO119=/usr/lib/go-1.19/bin/go
#
# Scenario sets for e2e scripts, so `make test` stays well inside CI's time
# with every release in the matrix:
#   core  every toolchain: the inspect/types/symbolize oracle checks on every
#         variant; the trace scenarios (leak, bounded, goroutine-local,
#         stripped PIE) on GM_CORE_VARIANTS
#   full  toolchains whose SET is full: every scenario on every variant
# Core toolchains trace on stripped PIE only (no symbols, position
# independent: the hardest reading); plain and cgo binaries of every
# release are still read by the oracle checks, and traced on the full ones.
GM_CORE_VARIANTS=(pie-stripped)

GM_TOOLCHAINS=()
for _gm_l in "${GM_MATRIX[@]}"; do
	read -r _gm_n _ <<<"$_gm_l"
	GM_TOOLCHAINS+=("$_gm_n")
done
unset _gm_l _gm_n

# Arrays do not cross `export`: functions exported to subshells (xargs
# bash -c) read the matrix from this string instead.
GM_MATRIX_FLAT=$(printf '%s\n' "${GM_MATRIX[@]}")
export GM_MATRIX_FLAT GM_GO119

# _gm_field TOOLCHAIN N: field N (1-based) of its GM_MATRIX line.
_gm_field() {
	local f
	while read -r -a f; do
		[ "${f[0]:-}" = "$1" ] && { echo "${f[$2 - 1]}"; return 0; }
	done <<<"$GM_MATRIX_FLAT"
	echo "matrix: unknown toolchain $1" >&2
	return 2
}

# gm_impl TOOLCHAIN: classic | swiss.
gm_impl() { _gm_field "$1" 3; }
# gm_is_full TOOLCHAIN: true when it runs every scenario.
gm_is_full() { [ "$(_gm_field "$1" 4)" = full ]; }
# gm_minor TOOLCHAIN: 27 for go1.27, 24 for go1.24-noswiss.
gm_minor() { local m=${1#go1.}; echo "${m%%-*}"; }

# gm_toolchains [all|full|core]: toolchain names, oldest first.  "full": those
# that run every scenario; "core" and "all": every toolchain.
gm_toolchains() {
	local tc
	for tc in "${GM_TOOLCHAINS[@]}"; do
		if [ "${1:-all}" != full ] || gm_is_full "$tc"; then echo "$tc"; fi
	done
}

# gm_variants TOOLCHAIN [all|core]: the variants a scenario set runs on it.
gm_variants() {
	if [ "${2:-all}" = all ] || gm_is_full "$1"; then
		printf '%s\n' "${GM_VARIANTS[@]}"
	else
		printf '%s\n' "${GM_CORE_VARIANTS[@]}"
	fi
}

# gm_pairs [all|core]: "TOOLCHAIN VARIANT" lines of a scenario set.
gm_pairs() {
	local tc v
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for v in $(gm_variants "$tc" "${1:-all}"); do
			echo "$tc $v"
		done
	done
}

# gm_newest [classic|swiss]: the newest toolchain (of that implementation).
gm_newest() {
	local tc last=
	for tc in "${GM_TOOLCHAINS[@]}"; do
		if [ -z "${1:-}" ] || [ "$(gm_impl "$tc")" = "$1" ]; then last=$tc; fi
	done
	echo "$last"
}

# gm_oldest [classic|swiss]: the oldest toolchain (of that implementation).
gm_oldest() {
	local tc
	for tc in "${GM_TOOLCHAINS[@]}"; do
		if [ -z "${1:-}" ] || [ "$(gm_impl "$tc")" = "$1" ]; then echo "$tc"; return; fi
	done
}

# gm_first_from MINOR [classic|swiss]: the oldest toolchain of release
# 1.MINOR or newer (of that implementation), e.g. `gm_first_from 18` is the
# oldest whose buildinfo has inline strings and build settings.
gm_first_from() {
	local tc
	for tc in "${GM_TOOLCHAINS[@]}"; do
		[ "$(gm_minor "$tc")" -ge "$1" ] || continue
		if [ -z "${2:-}" ] || [ "$(gm_impl "$tc")" = "$2" ]; then echo "$tc"; return; fi
	done
}

# gm_toolchains_of classic|swiss: the toolchains of one map implementation.
gm_toolchains_of() {
	local tc
	for tc in "${GM_TOOLCHAINS[@]}"; do
		[ "$(gm_impl "$tc")" = "$1" ] && echo "$tc"
	done
	return 0
}

# Facts of a release that tests branch on, by minor version (from the Go
# release notes and checked on the binaries by the tests that use them):
# gm_frame_setup TOOLCHAIN: "subq" (Go <= 1.20: SUBQ $n, SP; MOVQ BP, ..;
#   LEAQ .., BP) or "pushq" (Go >= 1.21: PUSHQ BP; MOVQ SP, BP; SUBQ).
gm_frame_setup() { if [ "$(gm_minor "$1")" -le 20 ]; then echo subq; else echo pushq; fi; }
# gm_dwarf5 TOOLCHAIN: true when its linker writes DWARF 5 (Go >= 1.25).
gm_dwarf5() { [ "$(gm_minor "$1")" -ge 25 ]; }
# gm_build_settings TOOLCHAIN: true when `go version -m` records build
#   settings (Go >= 1.18; 1.17 keeps module lines only).
gm_build_settings() { [ "$(gm_minor "$1")" -ge 18 ]; }

# gm_go TOOLCHAIN ARGS...: run the go command of that toolchain.  Go <= 1.17
# does not know -buildvcs, which the machine's go env may set in GOFLAGS; an
# empty GOFLAGS falls back to that file, so the old ones get a harmless one.
# Self-contained (no helper calls) so that `export -f gm_go` is enough.
gm_go() {
	# The caller's experiments stay (test_symbolize builds DWARF 4 twins
	# with GOEXPERIMENT=nodwarf5); the matrix adds its own.
	local tc=$1 rel= exp=${GOEXPERIMENT:-} f
	shift
	while read -r -a f; do
		[ "${f[0]:-}" = "$tc" ] && rel=${f[1]}
	done <<<"$GM_MATRIX_FLAT"
	[ -n "$rel" ] || { echo "matrix: unknown toolchain $tc" >&2; return 2; }
	[[ $tc == *-noswiss ]] && exp=${exp:+$exp,}noswissmap
	case $rel in
	debian) GOTOOLCHAIN=local GOFLAGS= GOEXPERIMENT=$exp "$GM_GO119" "$@" ;;
	local) GOTOOLCHAIN=local GOEXPERIMENT=$exp go "$@" ;;
	go1.1[0-7].*) GOTOOLCHAIN=$rel GOFLAGS=-mod=mod GOEXPERIMENT=$exp go "$@" ;;
	*) GOTOOLCHAIN=$rel GOEXPERIMENT=$exp go "$@" ;;
	esac
}

# gm_fixture TOOLCHAIN VARIANT NAME: path of a built fixture binary.
gm_fixture() {
	echo "${GM_BUILD:-build}/fixtures/$1/$2/$3"
}

# For scripts whose subshells need more than gm_go and gm_fixture.
gm_export() {
	export -f gm_go gm_fixture _gm_field gm_impl gm_is_full gm_minor gm_variants \
		gm_frame_setup gm_dwarf5 gm_build_settings
}

# `bash tests/matrix.sh c-header`: the matrix for the C unit tests.
_gm_c_header() {
	local l f
	echo "/* Generated from tests/matrix.sh by the Makefile: do not edit. */"
	echo "#ifndef GM_MATRIX_H"
	echo "#define GM_MATRIX_H"
	echo "#include <stdbool.h>"
	echo "struct gm_matrix_tc {"
	echo "	const char *name;	/* \"go1.24-noswiss\": build/fixtures/NAME */"
	echo "	int minor;		/* 24 */"
	echo "	bool swiss;		/* its binaries use swiss maps */"
	echo "	bool full;		/* newest release of its map implementation */"
	echo "};"
	echo "static const struct gm_matrix_tc gm_matrix[] = {"
	for l in "${GM_MATRIX[@]}"; do
		read -r -a f <<<"$l"
		printf '\t{ "%s", %s, %s, %s },\n' "${f[0]}" "$(gm_minor "${f[0]}")" \
			"$([ "${f[2]}" = swiss ] && echo true || echo false)" \
			"$([ "${f[3]}" = full ] && echo true || echo false)"
	done
	echo "};"
	echo "#define GM_MATRIX_CNT (sizeof(gm_matrix) / sizeof(gm_matrix[0]))"
	printf 'static const char *const gm_toolchains[] = {'
	printf ' "%s",' "${GM_TOOLCHAINS[@]}"
	echo ' };'
	echo "/* the matrix entry of a toolchain name, NULL if it is not in the matrix */"
	echo "static inline const struct gm_matrix_tc *gm_matrix_find(const char *name)"
	echo "{"
	echo "	for (unsigned i = 0; i < GM_MATRIX_CNT; i++)"
	echo "		if (!__builtin_strcmp(gm_matrix[i].name, name))"
	echo "			return &gm_matrix[i];"
	echo "	return 0;"
	echo "}"
	printf 'static const char *const gm_variants[] = {'
	printf ' "%s",' "${GM_VARIANTS[@]}"
	echo ' };'
	echo "#define GM_VARIANT_CNT (sizeof(gm_variants) / sizeof(gm_variants[0]))"
	echo "#endif"
}

# `bash tests/matrix.sh tested-header`: the newest release the matrix tests,
# for gomaptrace itself (user/gobin.c: "newer than the newest tested").
_gm_tested_header() {
	local tc
	tc=$(gm_newest)
	echo "/* Generated from tests/matrix.sh by the Makefile: do not edit. */"
	echo "#ifndef GM_TESTED_H"
	echo "#define GM_TESTED_H"
	echo "/* the newest Go release of the test matrix */"
	echo "#define GM_NEWEST_TESTED_MINOR $(gm_minor "$tc")"
	echo "#define GM_NEWEST_TESTED \"go1.$(gm_minor "$tc")\""
	echo "/* the oldest */"
	echo "#define GM_OLDEST_TESTED_MINOR $(gm_minor "$(gm_oldest)")"
	echo "#endif"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	c-header) _gm_c_header ;;
	tested-header) _gm_tested_header ;;
	esac
fi
