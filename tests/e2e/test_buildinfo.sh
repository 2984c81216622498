#!/usr/bin/env bash
# Build info as `gomaptrace inspect --json` reports it (user/buildinfo.c),
# against `go version -m` of the toolchain that built each binary, for
# every (toolchain, variant) pair of the matrix and both fixtures:
#   go_version   = the version on the first line, without " X:..."
#   experiments  = the X: list and the GOEXPERIMENT setting, as a set
#   cgo          = the CGO_ENABLED=1 setting line
#   buildmode    = the -buildmode setting ("" where the go command did not
#                  record it: Go 1.19 and older)
#   modinfo      = every following line, byte for byte, leading tab removed
#                  (path, mod, dep, and ALL build setting lines)
# Then the refusals: a non-Go ELF, a Go 1.16 version string, a truncated
# binary: exit 2 with one line naming the reason.
. tests/e2e/lib.sh

WORK=$GM_BUILD/e2e/buildinfo
mkdir -p "$WORK"
rm -f "$WORK"/*

if [ ! -x "$GM" ]; then
	fail buildinfo "$GM not built"
	exit 0
fi

# experiment set from a version line and the settings, one per line, sorted
oracle_experiments() {
	local ver=$1 settings=$2
	{
		sed -n 's/.* X:\([^ ]*\).*/\1/p' <<<"$ver" | tr ',' '\n'
		sed -n 's/^build\tGOEXPERIMENT=//p' "$settings" | tr ',' '\n'
	} | sed '/^$/d' | sort -u
}

check_one() {
	local tc=$1 v=$2 name=$3 bin base ver want got
	bin=$(gm_fixture "$tc" "$v" "$name")
	base=$WORK/$tc.$v.$name
	if ! gm_go "$tc" version -m "$bin" >"$base.ver" 2>&1; then
		fail "buildinfo/$tc/$v/$name" "go version -m failed: $(tail -1 "$base.ver")"
		return
	fi
	if ! "$GM" inspect --json "$bin" >"$base.json" 2>"$base.err"; then
		fail "buildinfo/$tc/$v/$name" "inspect failed: $(tail -1 "$base.err")"
		return
	fi
	ver=$(head -1 "$base.ver")
	ver=${ver#"$bin: "}
	tail -n +2 "$base.ver" | sed 's/^\t//' >"$base.oracle-mod"

	want=${ver%% X:*}
	got=$(jq -r .go_version "$base.json")
	[ "$got" = "$want" ] || { fail "buildinfo/$tc/$v/$name/version" "got '$got', go version -m says '$want'"; return; }
	pass "buildinfo/$tc/$v/$name/version"

	want=$(oracle_experiments "$ver" "$base.oracle-mod")
	got=$(jq -r '.experiments[]' "$base.json" | sort -u)
	if [ "$got" = "$want" ]; then
		pass "buildinfo/$tc/$v/$name/experiments"
	else
		fail "buildinfo/$tc/$v/$name/experiments" "got [$(echo $got)], want [$(echo $want)]"
	fi

	want=false
	grep -qx $'build\tCGO_ENABLED=1' "$base.oracle-mod" && want=true
	got=$(jq -r .cgo "$base.json")
	if [ "$got" = "$want" ]; then pass "buildinfo/$tc/$v/$name/cgo"; else fail "buildinfo/$tc/$v/$name/cgo" "got $got, want $want"; fi

	want=$(sed -n 's/^build\t-buildmode=//p' "$base.oracle-mod")
	got=$(jq -r .buildmode "$base.json")
	if [ "$got" = "$want" ]; then pass "buildinfo/$tc/$v/$name/buildmode"; else fail "buildinfo/$tc/$v/$name/buildmode" "got '$got', want '$want'"; fi

	jq -j .modinfo "$base.json" >"$base.mod"
	if cmp -s "$base.mod" "$base.oracle-mod"; then
		pass "buildinfo/$tc/$v/$name/modinfo"
	else
		fail "buildinfo/$tc/$v/$name/modinfo" "differs from go version -m: $(diff "$base.mod" "$base.oracle-mod" | head -4 | tr '\n\t' ' >')"
	fi
	# the fixture's variant is visible in the settings it records (Go 1.18+;
	# before, the build info holds module lines only)
	if ! gm_build_settings "$tc"; then
		if grep -q $'^build\t' "$base.mod"; then
			fail "buildinfo/$tc/$v/$name/no-settings" "$tc records no build settings, yet modinfo has some"
		else
			pass "buildinfo/$tc/$v/$name/no-settings"
		fi
		return
	fi
	case $v in
	pie-stripped) grep -qx $'build\t-ldflags="-s -w"' "$base.mod" ;;
	cgo) grep -qx $'build\tCGO_ENABLED=1' "$base.mod" ;;
	plain) grep -qx $'build\tCGO_ENABLED=0' "$base.mod" ;;
	esac && pass "buildinfo/$tc/$v/$name/variant-settings" ||
		fail "buildinfo/$tc/$v/$name/variant-settings" "modinfo does not show how $v was built"
}

while read -r tc v; do
	for name in maps leaky; do
		check_one "$tc" "$v" "$name"
	done
done < <(matrix_pairs)

# refuse NAME FILE REASON: exit 2, one line "gomaptrace inspect: FILE: ...REASON..."
refuse() {
	local name=$1 file=$2 reason=$3 out rc
	out=$("$GM" inspect --json "$file" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
		[[ $out == "gomaptrace inspect: $file: "*"$reason"* ]]; then
		pass "buildinfo/refuse/$name"
	else
		fail "buildinfo/refuse/$name" "exit $rc, '$out' (want exit 2 and '$reason')"
	fi
}

refuse not-go /bin/true "no .go.buildinfo: not a Go executable"

# The same binary claiming Go 1.16: the version check, not the parser, refuses
# it.  The oldest toolchain with an inline version string (Go 1.18+).
bin=$(gm_fixture "$(gm_first_from 18)" plain maps)
old=$WORK/go116
claimed=$(python3 - "$bin" "$old" <<'EOF'
import re, sys
b = bytearray(open(sys.argv[1], 'rb').read())
blob = b.find(b'\xff Go buildinf:')
m = re.compile(rb'go1\.[0-9]{2}\.').search(b, blob, blob + 64)
assert blob >= 0 and m, 'no inline version string'
b[m.start():m.end()] = b'go1.16.'
open(sys.argv[2], 'wb').write(b)
print(re.compile(rb'go1\.16\.[0-9]+').match(b, m.start()).group().decode())
EOF
)
refuse go1.16 "$old" "${claimed:-go1.16.?} uses the stack-based calling convention; gomaptrace needs Go 1.17 or newer"

# Truncated inside the build info blob's strings.
blob_off=$(grep -obUaF $'\xff Go buildinf:' "$bin" | head -1 | cut -d: -f1)
head -c $((blob_off + 40)) "$bin" >"$WORK/truncated"
out=$("$GM" inspect "$WORK/truncated" 2>&1 >/dev/null)
rc=$?
if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ]; then
	pass "buildinfo/refuse/truncated"
else
	fail "buildinfo/refuse/truncated" "exit $rc, '$out'"
fi
