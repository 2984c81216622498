#!/usr/bin/env bash
# Map types as `gomaptrace inspect --types` lists them (user/gotypes.c:
# moduledata -> typelinks -> abi.Type names), against DWARF, for every
# toolchain of the matrix.
#
# Why DWARF and not `go tool nm`: the Go linker folds every type descriptor
# into the single symbol type:* (type.* in 1.19), so nm lists no
# type:map[...] symbols at all.  DWARF does describe them: each Go map type
# is a DW_TAG_typedef named like the runtime names it, with the Go
# attributes DW_AT_go_kind (0x2900, 21 = map) and DW_AT_go_runtime_type
# (0x2904), the descriptor's offset from runtime.types (1.19 through
# 1.26).  The relation, checked exactly:
#   D = DWARF map typedefs with a non-zero runtime type
#   T = map types listed by inspect (typelinks)
#   - every member of D is in T at the same address with the same name,
#     once package paths are cut to their last element on both sides
#     (DWARF says internal/abi.Type, the runtime abi.Type);
#   - T \ D holds only instantiations that DWARF describes with shape
#     types and no runtime type (map[go.shape.interface {}]...: 1.26 lists
#     it with 0x2904 = 0, 1.24 omits it), listed in SHAPE_ONLY below;
#   - the six map types declared by tests/fixtures/maps are in both.
# Stripped PIE has no DWARF: its names must equal the plain build's, and
# its addresses those of an unstripped PIE twin (whose own list passes the
# DWARF check) up to one constant shift: -s -w changes where rodata starts
# in 1.19, not the types' relative placement.
. tests/e2e/lib.sh

WORK=$GM_BUILD/e2e/types
REF=$GM_BUILD/e2e/types-ref
mkdir -p "$WORK" "$REF"
rm -f "$WORK"/*

SHAPE_ONLY='map[interface {}]interface {}'
MAIN_MAPS=(
	'map[string]*main.Session' 'map[int64]int' 'map[uint32]string'
	'map[main.point]float64' 'map[*main.Session]bool' 'map[string]map[string]int'
)

if [ ! -x "$GM" ]; then
	fail types "$GM not built"
	exit 0
fi

# Cut import paths to their last element: "internal/abi.Type" -> "abi.Type".
short_paths() { sed 's#[A-Za-z0-9_.~-]*/##g'; }

# "0xADDR NAME" lines from inspect --types --json, sorted by name.
inspect_types() {
	"$GM" inspect --types --json "$1" >"$2.json" 2>"$2.err" || return 1
	jq -r '.map_types[] | "\(.address) \(.name)"' "$2.json" | short_paths | sort -k2 >"$2.types"
	# the text form lists the same, one "0xADDR NAME" line per type
	"$GM" inspect --types "$1" 2>/dev/null | sed -n '/^map types/,$p' | tail -n +2 | short_paths |
		sort -k2 >"$2.text"
}

# "0xADDR NAME" lines for D (see above), sorted by name.
dwarf_types() {
	local tc=$1 bin=$2 base
	base=$(gm_go "$tc" tool nm "$bin" | awk '$3 == "runtime.types" { print $1 }')
	[ -n "$base" ] || return 1
	readelf --debug-dump=info "$bin" 2>/dev/null | awk -v basehex="$base" '
	function hex(s,   i, v) {
		sub(/^0x/, "", s)
		v = 0
		for (i = 1; i <= length(s); i++)
			v = v * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return v
	}
	function flush() {
		if (tag == "typedef" && kind == 21 && rt > 0)
			printf "0x%x %s\n", base + rt, name
		tag = ""; name = ""; kind = -1; rt = 0
	}
	BEGIN { base = hex(basehex) }
	/: Abbrev Number: / { flush(); if ($0 ~ /DW_TAG_typedef/) tag = "typedef" }
	/DW_AT_name/ { sub(/^.*DW_AT_name *: /, ""); name = $0 }
	/Unknown AT value: 2900:/ { kind = $NF + 0 }
	/Unknown AT value: 2904:/ { rt = hex($NF) }
	END { flush() }' | short_paths | sort -u -k2
}

# check_dwarf NAME TYPES DWARF: the relation between T and D.
check_dwarf() {
	local name=$1 t=$2 d=$3 missing extra bad m
	if [ ! -s "$d" ]; then
		fail "$name" "no DWARF map types found (oracle broken?)"
		return
	fi
	missing=$(comm -23 <(sort "$d") <(sort "$t"))
	extra=$(comm -13 <(sort "$d") <(sort "$t") | cut -d' ' -f2-)
	bad=$(grep -vxF "$SHAPE_ONLY" <<<"$extra" | sed '/^$/d')
	for m in "${MAIN_MAPS[@]}"; do
		cut -d' ' -f2- "$d" | grep -qxF -- "$m" || missing+=$'\n'"(DWARF lacks $m)"
	done
	if [ -n "$(sed '/^$/d' <<<"$missing")" ]; then
		fail "$name" "in DWARF, not listed at that address: $(echo $missing | head -c 300)"
	elif [ -n "$bad" ]; then
		fail "$name" "listed but not in DWARF: $(echo $bad | head -c 300)"
	else
		pass "$name"
	fi
}

# An unstripped -buildmode=pie twin of the pie-stripped fixture (cached).
build_twin() {
	local tc=$1 src=tests/fixtures/maps out key
	out=$REF/$tc/maps
	key=$(cat "$src"/*.go "$src"/go.mod | sha256sum | cut -c1-16)-$tc
	if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$key" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$(dirname "$out")"
	(cd "$src" && CGO_ENABLED=0 gm_go "$tc" build -trimpath=false -buildmode=pie -o "$out" .) \
		>"$out.log" 2>&1 || return 1
	echo "$key" >"$out.stamp"
	echo "$out"
}

# Addresses relative to the lowest one: the shape of the list, not its base.
relative() {
	local lo=-1 a n
	while read -r a n; do
		((lo < 0 || a < lo)) && lo=$((a))
	done <"$1"
	while read -r a n; do
		printf '%x %s\n' $((a - lo)) "$n"
	done <"$1" | sort -k2
}

for tc in "${GM_TOOLCHAINS[@]}"; do
	for v in plain cgo; do
		bin=$(gm_fixture "$tc" "$v" maps)
		base=$WORK/$tc.$v
		if ! inspect_types "$bin" "$base"; then
			fail "types/$tc/$v" "inspect failed: $(tail -1 "$base.err")"
			continue
		fi
		if cmp -s "$base.types" "$base.text"; then
			pass "types/$tc/$v/text-matches-json"
		else
			fail "types/$tc/$v/text-matches-json" "inspect --types text and JSON lists differ"
		fi
		if ! dwarf_types "$tc" "$bin" >"$base.dwarf"; then
			fail "types/$tc/$v/dwarf" "no runtime.types symbol"
			continue
		fi
		check_dwarf "types/$tc/$v/dwarf" "$base.types" "$base.dwarf"
	done

	# stripped PIE: names as plain, addresses as the unstripped twin's
	bin=$(gm_fixture "$tc" pie-stripped maps)
	base=$WORK/$tc.pie-stripped
	if ! inspect_types "$bin" "$base"; then
		fail "types/$tc/pie-stripped" "inspect failed: $(tail -1 "$base.err")"
		continue
	fi
	if diff <(cut -d' ' -f2- "$base.types") <(cut -d' ' -f2- "$WORK/$tc.plain.types") >/dev/null; then
		pass "types/$tc/pie-stripped/names-match-plain"
	else
		fail "types/$tc/pie-stripped/names-match-plain" \
			"$(diff <(cut -d' ' -f2- "$base.types") <(cut -d' ' -f2- "$WORK/$tc.plain.types") | head -4 | tr '\n' ' ')"
	fi
	if ! twin=$(build_twin "$tc"); then
		fail "types/$tc/pie-twin" "cannot build the unstripped PIE twin: $(tail -1 "$REF/$tc/maps.log")"
		continue
	fi
	tbase=$WORK/$tc.pie-twin
	if ! inspect_types "$twin" "$tbase" || ! dwarf_types "$tc" "$twin" >"$tbase.dwarf"; then
		fail "types/$tc/pie-twin" "inspect or DWARF failed on the twin"
		continue
	fi
	check_dwarf "types/$tc/pie-twin/dwarf" "$tbase.types" "$tbase.dwarf"
	if cmp -s <(relative "$base.types") <(relative "$tbase.types"); then
		pass "types/$tc/pie-stripped/addresses-match-twin"
	else
		fail "types/$tc/pie-stripped/addresses-match-twin" \
			"$(diff <(relative "$base.types") <(relative "$tbase.types") | head -4 | tr '\n' ' ')"
	fi
done
