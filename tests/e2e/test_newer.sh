#!/usr/bin/env bash
# A binary built by a Go release newer than the newest the matrix tests
# (issue 15 item 4).  No such release exists yet, so one is made: a copy of
# the newest toolchain's leaky fixture whose .go.buildinfo version string is
# rewritten in place to the next minor release (go1.27.4 -> go1.28.0: the
# same length, so the uvarint length byte before it stays right).  Then:
# - "newer": gomaptrace must say, once in each output (inspect text and
#   JSON, trace text and JSON), which release built it, that it is newer
#   than the newest tested, and that the runtime self-check passed; and it
#   must still name the leak map[string]*main.Session;
# - "broken": the same, plus the group size field (+80) of the runtime's own
#   map[int32]unsafe.Pointer descriptor zeroed, as a release that moved a
#   MapType field would look: the self-check must fail, every output say so,
#   no map type be named, and every "?" carry type_unavailable_reason
#   (the text report says why once); the leak itself is still found;
# - the unpatched fixture: not newer, self-check not needed, no note.
# Traces run in parallel, each on its own copy (own inode): about 10 s.
. tests/e2e/lib.sh

gm_workdir gm-newer
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

TC=$(gm_newest swiss)
MINOR=$(gm_minor "$TC")
TESTED=go1.$MINOR
NEXT=go1.$((MINOR + 1)).0
SRC=$(gm_fixture "$TC" plain leaky)
if [ ! -x "$GM" ] || [ ! -x "$SRC" ]; then
	fail newer "$GM or $SRC not built"
	exit 0
fi
OLD=$("$GM" inspect --json "$SRC" | jq -r .go_version)

# patch_version FILE OLD NEW: the inline version string at .go.buildinfo+33
# (Go >= 1.18: 32-byte header, flags & 2, one uvarint length byte for a
# string this short), found through the section table, never by a search.
patch_version() {
	"$PY" - "$@" <<'EOF'
import struct, sys
path, old, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
if len(old) != len(new):
    sys.exit(f"{old} and {new} differ in length")
d = bytearray(open(path, "rb").read())
shoff, = struct.unpack_from("<Q", d, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
sh = lambda i: struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
names = sh(shstrndx)[4]
for i in range(shnum):
    h = sh(i)
    if d[names + h[0]:d.index(b"\0", names + h[0])] == b".go.buildinfo":
        off = h[4]
        break
else:
    sys.exit("no .go.buildinfo section")
if d[off:off + 14] != b"\xff Go buildinf:" or not d[off + 15] & 2:
    sys.exit("no inline build info header")
if d[off + 32] != len(old) or d[off + 33:off + 33 + len(old)] != old:
    sys.exit(f"the version at .go.buildinfo+33 is not {old}")
d[off + 33:off + 33 + len(new)] = new
open(path, "wb").write(d)
EOF
}

# zero_at FILE VADDR N: N zero bytes at a link-time address (non-PIE: through PT_LOAD).
zero_at() {
	"$PY" - "$@" <<'EOF'
import struct, sys
path, vaddr, n = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3])
d = bytearray(open(path, "rb").read())
phoff, = struct.unpack_from("<Q", d, 0x20)
phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
for i in range(phnum):
    t, fl, off, va, pa, fsz, msz, al = struct.unpack_from("<IIQQQQQQ", d, phoff + i * phentsize)
    if t == 1 and va <= vaddr and vaddr + n <= va + fsz:
        o = off + vaddr - va
        if d[o:o + n] == bytes(n):
            sys.exit("already zero")
        d[o:o + n] = bytes(n)
        open(path, "wb").write(d)
        sys.exit(0)
sys.exit(f"{vaddr:#x} is not in the file")
EOF
}

NEWER=$WORK/leaky-newer
BROKEN=$WORK/leaky-broken
cp "$SRC" "$NEWER"
if out=$(patch_version "$NEWER" "$OLD" "$NEXT" 2>&1); then
	pass "newer: $TC's $OLD patched to $NEXT in .go.buildinfo"
else
	fail "newer: patch $OLD to $NEXT" "$out"
	exit 0
fi
cp "$NEWER" "$BROKEN"
SELF_ADDR=$("$GM" inspect --types --json "$NEWER" 2>/dev/null |
	jq -r '.map_types[] | select(.name == "map[int32]unsafe.Pointer") | .address')
if [ -n "$SELF_ADDR" ] && out=$(zero_at "$BROKEN" "$(printf '%x' $((SELF_ADDR + 80)))" 8 2>&1); then
	pass "broken: GroupSize of map[int32]unsafe.Pointer ($SELF_ADDR+80) zeroed"
else
	fail "broken: zero the self-check type's group size" "address '$SELF_ADDR' $out"
	exit 0
fi

# Both traces start now and run while inspect is checked.
trace_bg() {
	"$GM" trace --window 1s --min-windows 3 -d 6s --json "$WORK/$1.json" -o "$WORK/$1.txt" \
		-- "$2" -rate 200 >/dev/null 2>"$WORK/$1.err" &
	PIDS+=($!)
}
trace_bg newer "$NEWER"
trace_bg broken "$BROKEN"

# ---- inspect ----
NOTE_RE="built by $NEXT, newer than $TESTED, the newest"
"$GM" inspect "$NEWER" >"$WORK/newer.inspect" 2>&1
n=$(grep -c "^note: .*$NOTE_RE.*self-check passed" "$WORK/newer.inspect")
[ "$n" = 1 ] && pass "newer: inspect text says once: newer than $TESTED, self-check passed" ||
	fail "newer: inspect text note" "$n matching lines: $(grep -i note "$WORK/newer.inspect")"
"$GM" inspect --types --json "$NEWER" >"$WORK/newer.ijson" 2>&1
check "newer: inspect --json: newer_than_tested, self_check passed, layout not verified, note" \
	jq -e --arg t "$TESTED" '.newer_than_tested == true and .newest_tested_go == $t and
		.self_check == "passed" and .layout.verified == false and
		(.note | test("self-check passed")) and .types_unavailable_reason == null' "$WORK/newer.ijson"
check "newer: inspect --types still names map[string]*main.Session" \
	jq -e '[.map_types[].name] | index("map[string]*main.Session")' "$WORK/newer.ijson"

"$GM" inspect --types "$BROKEN" >"$WORK/broken.inspect" 2>&1
rc=$?
n=$(grep -c "^note: .*$NOTE_RE.*self-check FAILED.*map types are not named" "$WORK/broken.inspect")
if [ $rc = 0 ] && [ "$n" = 1 ] && grep -q '^map types: unavailable: .*failed the runtime self-check' "$WORK/broken.inspect" &&
	! grep -q '^0x' "$WORK/broken.inspect"; then
	pass "broken: inspect --types says the self-check failed, once, and lists no types"
else
	fail "broken: inspect --types" "exit $rc, $n note lines: $(grep -E '^(note|map types)' "$WORK/broken.inspect")"
fi
"$GM" inspect --types --json "$BROKEN" >"$WORK/broken.ijson" 2>&1
check "broken: inspect --json: self_check failed, map_types null, a reason naming the group size" \
	jq -e '.self_check == "failed" and .map_types == null and
		(.self_check_detail | test("group size at \\+80 says 0 bytes")) and
		(.types_unavailable_reason | test("failed the runtime self-check"))' "$WORK/broken.ijson"

"$GM" inspect --json "$SRC" >"$WORK/tested.ijson" 2>&1
check "tested: $OLD itself is not newer, needs no self-check, has no note" \
	jq -e '.newer_than_tested == false and .self_check == "not_needed" and .note == null and
		.self_check_detail == null and .types_unavailable_reason == null and .layout.verified' \
	"$WORK/tested.ijson"
"$GM" inspect "$SRC" >"$WORK/tested.inspect" 2>&1
! grep -qE '^(note|types):' "$WORK/tested.inspect" && pass "tested: inspect text has no note" ||
	fail "tested: inspect text has no note" "$(grep -E '^(note|types):' "$WORK/tested.inspect")"

# ---- trace ----
for p in "${PIDS[@]}"; do wait "$p"; done
PIDS=()
for k in newer broken; do
	if [ ! -s "$WORK/$k.json" ] || [ ! -s "$WORK/$k.txt" ]; then
		fail "$k: trace wrote its reports" "$(tail -3 "$WORK/$k.err" | tr '\n' ' ')"
	fi
done

n=$(grep -c "^  note: $NOTE_RE.*self-check passed" "$WORK/newer.txt")
[ "$n" = 1 ] && pass "newer: trace text report says once: newer than $TESTED, self-check passed" ||
	fail "newer: trace text note" "$n lines: $(head -4 "$WORK/newer.txt" | tr '\n' ' ')"
check "newer: trace JSON target: newer_than_tested, self_check passed, note" \
	jq -e --arg v "$NEXT" '.targets[0] | .go_version == $v and .newer_than_tested and
		.self_check == "passed" and (.note | test("newer than")) and .types_unavailable_reason == null' \
	"$WORK/newer.json"
check "newer: the leak is map[string]*main.Session, its type_unavailable_reason null" \
	jq -e '[.leaks[] | select(.type == "map[string]*main.Session" and has("type_unavailable_reason") and
		.type_unavailable_reason == null)] | length >= 1' \
	"$WORK/newer.json"
check "newer: no map or site says ? without a reason" \
	jq -e '[(.maps[], .sites[]) | select(.type == "?" and (.type_unavailable_reason | type) != "string")] | length == 0' \
	"$WORK/newer.json"

n=$(grep -c "self-check FAILED" "$WORK/broken.txt")
if [ "$n" = 1 ] && grep -q "^  note: $NOTE_RE.*map types are not named" "$WORK/broken.txt"; then
	pass "broken: trace text report says once why types are unknown"
else
	fail "broken: trace text report reason" "$n lines: $(head -4 "$WORK/broken.txt" | tr '\n' ' ')"
fi
check "broken: trace JSON target: self_check failed, types_unavailable_reason" \
	jq -e '.targets[0] | .self_check == "failed" and .newer_than_tested and
		(.types_unavailable_reason | test("failed the runtime self-check"))' "$WORK/broken.json"
check "broken: every map and site is ? with the target's reason as type_unavailable_reason" \
	jq -e '.targets[0].types_unavailable_reason as $r | [.maps[], .sites[]] | length > 0 and
		all(.type == "?" and .type_unavailable_reason == $r)' "$WORK/broken.json"
check "broken: the leak is still found, without a type" \
	jq -e '[.leaks[] | select(.created_at.function == "main.init")] | length >= 1' "$WORK/broken.json"
