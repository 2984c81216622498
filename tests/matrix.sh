# shellcheck shell=bash
# The Go test matrix, sourced by scripts and tests.  Every entry is required:
# a toolchain that cannot be had fails the suite, it is never skipped.
#
# Toolchain names: go1.19 go1.22 go1.24 go1.24-noswiss go1.26
# Variants:        plain pie-stripped cgo

GM_TOOLCHAINS=(go1.19 go1.22 go1.24 go1.24-noswiss go1.26)
GM_VARIANTS=(plain pie-stripped cgo)
GM_GO119=/usr/lib/go-1.19/bin/go

# gm_go TOOLCHAIN ARGS...: run the go command of that toolchain.
gm_go() {
	local tc=$1
	shift
	case $tc in
	go1.19) GOTOOLCHAIN=local GOFLAGS= "$GM_GO119" "$@" ;;
	go1.22) GOTOOLCHAIN=go1.22.12 go "$@" ;;
	go1.24) GOTOOLCHAIN=go1.24.13 GOEXPERIMENT= go "$@" ;;
	go1.24-noswiss) GOTOOLCHAIN=go1.24.13 GOEXPERIMENT=noswissmap go "$@" ;;
	go1.26) GOTOOLCHAIN=local go "$@" ;;
	*) echo "matrix: unknown toolchain $tc" >&2; return 2 ;;
	esac
}

# gm_fixture TOOLCHAIN VARIANT NAME: path of a built fixture binary.
gm_fixture() {
	echo "${GM_BUILD:-build}/fixtures/$1/$2/$3"
}
