#!/usr/bin/env bash
# gomaptrace symbolize against independent readers of the same binaries, for
# every (toolchain, variant) pair of the matrix and both fixtures, plus
# externally linked stripped PIE (no pclntab section: found by its magic):
#   go tool nm         -> every text symbol's address: each function entry
#   go tool objdump -s -> every instruction start of ~60 functions (main.*,
#                         the runtime map functions, some inliners)
#   go tool addr2line  -> for each of those PCs, the outermost function and
#                         the innermost file:line, which must equal our last
#                         frame's function and our first frame's file:line
# go tool addr2line prints one frame, so inline expansion is checked twice:
#   binutils addr2line -f -i on the DWARF (which the Go linker writes from
#   the same compiler positions but through a different encoding): every
#   frame's file:line and every caller's name must agree.  binutils 2.40
#   names an inlined innermost frame after its physical function and cannot
#   read DWARF 5 (Go 1.25+), so innermost names are not compared and those
#   releases are read through a twin built with GOEXPERIMENT=nodwarf5;
#   the source itself: each caller frame's line must contain the call of the
#   inlined callee.
# Stripped binaries have no symbols for nm/objdump, no DWARF, and Go 1.19's
# addr2line cannot read a stripped PIE at all, so they are read through an
# unstripped twin built from the same source by the same toolchain (cached
# under build/), after checking that the two place .text identically and
# carry byte-identical pclntabs, i.e. the same functions at the same
# addresses with the same line tables.
# Then the command line and the failure modes: one line on stderr, exit 2.
. tests/e2e/lib.sh
export GM_BUILD GM
export -f gm_go gm_fixture
export GM_GO119

WORK=$GM_BUILD/e2e/symbolize
REF=$GM_BUILD/e2e/symbolize-ref
mkdir -p "$WORK" "$REF"
rm -f "$WORK"/*.nm "$WORK"/*.addrs "$WORK"/*.ours "$WORK"/*.theirs "$WORK"/*.dwarf "$WORK"/*.note \
	"$WORK"/*.err "$WORK"/*.rc

if [ ! -x "$GM" ]; then
	fail symbolize "$GM not built"
	exit 0
fi

# Functions whose every instruction is compared: the fixtures' own code,
# the runtime's map functions (classic and swiss) and a few callers that
# inline others.
INTERIOR_RE='^(main\.|runtime\.(makemap|mapassign|mapaccess|hashGrow|growWork|makeBucketArray|mapclear|newobject|mallocgc$)|internal/runtime/maps\.(newTable|NewMap|\(\*Map\)\.(grow|put|PutSlot)|\(\*table\)\.(rehash|grow|split))|fmt\.(Sprintf|Fprintln|Sprint)$|flag\.Parse$|time\.Now$)'
export INTERIOR_RE

# build_ref TC NAME KIND: twins of binaries the oracles cannot read.
#   pie             unstripped -buildmode=pie (twin of the pie-stripped fixture)
#   extpie          unstripped externally linked PIE
#   extpie-stripped the same with -s -w: no .symtab, no pclntab section
#   dwarf4          plain, with DWARF 4 for binutils (twin of plain, DWARF 5 releases)
build_ref() {
	local tc=$1 name=$2 kind=$3 src=tests/fixtures/$2 out key cgo=0 args=() exp=
	out=$REF/$tc/$kind/$name
	key=$(cat "$src"/*.go "$src"/go.mod | sha256sum | cut -c1-16)-$tc-$kind
	if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	case $kind in
	pie) args=(-buildmode=pie) ;;
	extpie) cgo=1 args=(-buildmode=pie -ldflags=-linkmode=external) ;;
	extpie-stripped) cgo=1 args=(-buildmode=pie "-ldflags=-linkmode=external -s -w") ;;
	dwarf4) exp=nodwarf5 ;;
	esac
	mkdir -p "$(dirname "$out")"
	if (cd "$src" && export CGO_ENABLED=$cgo ${exp:+GOEXPERIMENT=$exp} &&
		gm_go "$tc" build -trimpath=false "${args[@]}" -o "$out" .) >"$out.log" 2>&1; then
		echo "$key" >"$out.stamp"
	fi
}
export -f build_ref
export REF WORK

# sec_sum FILE SECTION [content]: "addr size" of a section, plus a hash of
# its bytes (and no address) with "content"; "-" if absent.
sec_sum() {
	readelf -SW "$1" | awk -v n="$2" '{ sub(/^ *\[ *[0-9]+\] */, ""); if ($1 == n) { print $3, $4, $5; exit } }' |
		{
			read -r addr off size || { echo -; return; }
			if [ "${3:-}" = content ]; then
				echo "$size $(tail -c +$((0x$off + 1)) "$1" | head -c $((0x$size)) | sha256sum | cut -c1-16)"
			else
				echo "$addr $size"
			fi
		}
}
# Same functions at the same addresses with the same line tables: .text in
# the same place, pclntab bytes identical (Go 1.18+ pclntabs hold no
# absolute address; their functions are offsets from the start of text).
# Without a pclntab section (external PIE) it lives in .data.rel.ro.
same_layout() {
	local a=$1 b=$2 s
	[ "$(sec_sum "$a" .text)" = "$(sec_sum "$b" .text)" ] || return 1
	for s in .gopclntab .data.rel.ro.gopclntab; do
		[ "$(sec_sum "$a" "$s" content)" = "$(sec_sum "$b" "$s" content)" ] || return 1
	done
	if [ "$(sec_sum "$a" .gopclntab)$(sec_sum "$a" .data.rel.ro.gopclntab)" = -- ]; then
		[ "$(sec_sum "$a" .data.rel.ro content)" = "$(sec_sum "$b" .data.rel.ro content)" ] || return 1
	fi
}
export -f same_layout sec_sum

# run_one TC VARIANT NAME: addresses, our answers and the oracles' in $WORK.
run_one() {
	local tc=$1 v=$2 name=$3 bin ref a2l a2l_tc dwarf base names re t
	base=$WORK/$tc.$v.$name
	case $v in
	extpie-stripped)
		bin=$REF/$tc/extpie-stripped/$name
		ref=$REF/$tc/extpie/$name
		;;
	*)
		bin=$(gm_fixture "$tc" "$v" "$name")
		ref=$bin
		[ "$v" = pie-stripped ] && ref=$REF/$tc/pie/$name
		;;
	esac
	# go tool addr2line reads the stripped binary itself where it can.  Go
	# 1.19 and older take the unrelocated (zero) textStart of any PIE, so
	# their PIE is read by the newest tool (same pclntab formats); neither
	# reads their externally linked PIE, left to the DWARF comparison.
	a2l=$bin a2l_tc=$tc
	if [ "$(gm_minor "$tc")" -le 19 ]; then
		case $v in
		pie-stripped) a2l_tc=$NEWEST ;;
		extpie-stripped) a2l= ;;
		esac
	elif [ "$v" = extpie-stripped ]; then
		a2l=$ref
	fi
	# binutils reads DWARF 4 only: a DWARF 5 toolchain's plain binary is
	# read through its nodwarf5 twin, its other variants not at all.
	dwarf=$ref
	if gm_dwarf5 "$tc"; then
		dwarf=
		[ "$v" = plain ] && dwarf=$REF/$tc/dwarf4/$name
	fi
	for t in "$bin" "$ref" ${dwarf:+"$dwarf"}; do
		if [ ! -x "$t" ]; then
			echo "$t was not built" >"$base.note"
			return 0
		fi
		if [ "$t" != "$bin" ] && ! same_layout "$bin" "$t"; then
			echo "twin $t differs from $bin in .text placement or pclntab bytes" >"$base.note"
			return 0
		fi
	done
	# every text symbol, Go or C (C addresses must be unknown to both)
	gm_go "$tc" tool nm -n "$ref" 2>"$base.err" | awk '$2 == "T" || $2 == "t"' >"$base.nm"
	awk '{ print "0x" $1 }' "$base.nm" | sort -u >"$base.addrs"
	names=$(awk '{ print $3 }' "$base.nm" | grep -E "$INTERIOR_RE" | head -60)
	re=$(printf '%s\n' "$names" | sed 's/[][().*+?^$|\\]/\\&/g' | paste -sd'|')
	if [ -n "$re" ]; then
		gm_go "$tc" tool objdump -s "^($re)\$" "$ref" 2>>"$base.err" |
			awk '$1 ~ /:[0-9]+$/ && $2 ~ /^0x/ { print $2 }' >>"$base.addrs"
	fi
	"$GM" symbolize -a "$bin" <"$base.addrs" >"$base.ours" 2>>"$base.err"
	echo $? >"$base.rc"
	[ -n "$a2l" ] && gm_go "$a2l_tc" tool addr2line "$a2l" <"$base.addrs" >"$base.theirs" 2>>"$base.err"
	[ -n "$dwarf" ] && addr2line -f -i -a -e "$dwarf" <"$base.addrs" >"$base.dwarf" 2>>"$base.err"
	return 0
}
export -f run_one
gm_export
NEWEST=$(gm_newest)
EXTPIE_TCS="$(gm_oldest classic) $(gm_oldest swiss)"
export NEWEST EXTPIE_TCS

pairs() {
	local tc v name
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for v in "${GM_VARIANTS[@]}"; do
			for name in maps leaky; do
				echo "$tc $v $name"
			done
		done
	done
	# externally linked PIE keeps no pclntab section: the oldest toolchain
	# of each map implementation
	for tc in $EXTPIE_TCS; do
		echo "$tc extpie-stripped maps"
	done
}

{
	for tc in "${GM_TOOLCHAINS[@]}"; do
		for name in maps leaky; do
			echo "$tc $name pie"
		done
	done
	for tc in $EXTPIE_TCS; do
		echo "$tc maps extpie"
		echo "$tc maps extpie-stripped"
	done
	for tc in "${GM_TOOLCHAINS[@]}"; do
		if gm_dwarf5 "$tc"; then
			echo "$tc maps dwarf4"
			echo "$tc leaky dwarf4"
		fi
	done
} | xargs -P "$(nproc)" -L1 bash -c 'build_ref "$@"' _

pairs >"$WORK/pairs"
xargs -P "$(nproc)" -L1 bash -c 'run_one "$@"' _ <"$WORK/pairs"

python3 - "$WORK" <<'PY'
import os, re, sys

work = sys.argv[1]
addr_re = re.compile(r"^0x[0-9a-f]{16}$")


def out(ok, name, why=""):
    print(("PASS: %s" % name) if ok else ("FAIL: %s: %s" % (name, why)))


def parse_a2l(path):
    """`addr2line -f -i -a` output (ours, binutils): {pc: [(fn, file, line)]}."""
    res, cur = {}, None
    lines = open(path, errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        l = lines[i]
        if addr_re.match(l):
            cur = int(l, 16)
            res[cur] = []
            i += 1
            continue
        if not l:
            i += 1
            continue
        if cur is None or i + 1 >= len(lines):
            raise ValueError("%s: stray line %r" % (path, l))
        file, _, line = lines[i + 1].rpartition(":")
        res[cur].append((l, file, int(line) if line.isdigit() else 0))
        i += 2
    return res


def norm_pos(file, line):
    """Unknown positions: ours ??:0, go tool addr2line ?:0 or :-1."""
    if file in ("?", "??", "") or line <= 0:
        return ("??", 0)
    return (file, line)


src_cache = {}


def src_line(file, line):
    if file not in src_cache:
        try:
            src_cache[file] = open(file, errors="replace").read().split("\n")
        except OSError:
            src_cache[file] = None
    lines = src_cache[file]
    if lines is None or not (0 < line <= len(lines)):
        return None
    return lines[line - 1]


def callee_word(fn):
    """The identifier a call of fn shows in source: pkg.(*T).M -> M."""
    fn = re.sub(r"\[[^\]]*\]", "", fn)
    fn = fn.rsplit("/", 1)[-1]
    word = fn.rsplit(".", 1)[-1]
    if re.fullmatch(r"func\d+", word) or not re.fullmatch(r"\w+", word):
        return None
    return word


def dwarf_frame_ok(k, d, o):
    """Frame k of binutils' answer d against ours o (see the header)."""
    dfn = re.sub(r"\.abi0$", "", d[0])
    if k > 0 and dfn != o[0]:
        return False
    dfile = d[1][2:] if d[1].startswith("./") else d[1]
    if dfile == "go.go" or d[2] == 0 or o[1] == "<autogenerated>":
        return True	# a position DWARF does not give (wrappers, assembly)
    return (dfile, d[2]) == (o[1], o[2])


for job in open(os.path.join(work, "pairs")):
    tc, v, name = job.split()
    tag = "symbolize %s %s %s" % (tc, v, name)
    base = os.path.join(work, "%s.%s.%s" % (tc, v, name))
    if os.path.exists(base + ".note"):
        out(False, tag, open(base + ".note").read().strip())
        continue
    try:
        err = open(base + ".err").read()[-300:]
        rc = int(open(base + ".rc").read())
        addrs = [int(a, 16) for a in open(base + ".addrs").read().split()]
        ours = parse_a2l(base + ".ours")
        theirs = open(base + ".theirs").read().split("\n") if os.path.exists(base + ".theirs") else None
        dwarf = parse_a2l(base + ".dwarf") if os.path.exists(base + ".dwarf") else None
    except (OSError, ValueError) as e:
        out(False, tag, "%s; stderr: %s" % (e, err))
        continue
    missing = [a for a in addrs if a not in ours]
    if rc != 0 or missing or not addrs:
        out(False, tag, "gomaptrace exit %d, %d of %d addresses unanswered; %s" %
            (rc, len(missing), len(addrs), err))
        continue

    # outermost function and innermost position against go tool addr2line
    a2l_pos = {}
    if theirs is not None:
        bad, known = [], 0
        if len(theirs) < 2 * len(addrs):
            bad.append("addr2line gave %d lines for %d addresses: %s" % (len(theirs), len(addrs), err))
        for k, pc in enumerate(addrs if not bad else []):
            tf, tpos = theirs[2 * k], theirs[2 * k + 1]
            tfile, _, tline = tpos.rpartition(":")
            fr = ours[pc]
            got_fn = None if fr[0][0] == "??" else fr[-1][0]
            want_fn = None if tf == "?" else tf
            if want_fn is None:
                if got_fn is not None:
                    bad.append("%#x: addr2line ?, we %s" % (pc, fr))
                continue
            known += 1
            got_pos = norm_pos(fr[0][1], fr[0][2])
            want_pos = norm_pos(tfile, int(tline) if tline.lstrip("-").isdigit() else 0)
            a2l_pos[pc] = want_pos
            if got_fn != want_fn or got_pos != want_pos:
                bad.append("%#x: want %s %s:%s, got %s" % (pc, want_fn, want_pos[0], want_pos[1], fr))
        out(not bad and known > 0,
            tag + " matches go tool addr2line (%d PCs, %d in Go code)" % (len(addrs), known),
            "%d mismatches: %s" % (len(bad), "; ".join(bad[:3])))

    # every frame against the DWARF
    if dwarf is not None:
        bad, frames, multi, excused = [], 0, 0, []
        for pc in addrs:
            o, d = ours[pc], dwarf.get(pc)
            if o[0][0] == "??":
                continue	# outside Go code; addr2line above covers it
            if d is None or len(d) != len(o) or not all(
                    dwarf_frame_ok(k, x, y) for k, (x, y) in enumerate(zip(d, o))):
                # The toolchain's own DWARF and pclntab can disagree on the
                # line of one instruction (go1.21.13 runtime.makemap: a NOP
                # at a loop head is map.go:320 in the pclntab, 323 in the
                # DWARF).  Excused, at most 2 per binary, when only the
                # innermost line differs and go tool addr2line (pclntab,
                # same toolchain) says what we say.
                if (d is not None and len(d) == len(o) and len(excused) < 2
                        and all(dwarf_frame_ok(k, x, y) for k, (x, y) in enumerate(zip(d[1:], o[1:]), 1))
                        and d[0][:2] == o[0][:2] and a2l_pos.get(pc) == norm_pos(o[0][1], o[0][2])):
                    excused.append("%#x" % pc)
                    continue
                bad.append("%#x: DWARF %s, we %s" % (pc, d, o))
                continue
            frames += len(o)
            multi += len(o) > 1
        out(not bad and multi > 0,
            tag + " inline frames match DWARF (%d frames, %d PCs inside inlined calls%s)" % (frames, multi,
                "; DWARF line differs from the pclntab at " + " ".join(excused) if excused else ""),
            "%d mismatches: %s" % (len(bad), "; ".join(bad[:2])) if bad else "no PC inside an inlined call")

    # caller frames against the source they name
    checked, unverifiable, multi, inl_bad = 0, 0, 0, []
    for pc in addrs:
        fr = ours[pc]
        if len(fr) < 2:
            continue
        multi += 1
        for j in range(1, len(fr)):
            word = callee_word(fr[j - 1][0])
            text = src_line(fr[j][1], fr[j][2])
            if word is None or text is None:
                unverifiable += 1
            elif re.search(r"\b%s\b" % re.escape(word), text):
                checked += 1
            else:
                inl_bad.append("%#x: %s inlined at %s:%d which reads %r" %
                               (pc, fr[j - 1][0], fr[j][1], fr[j][2], text.strip()))
    out(multi > 0 and checked > 0 and not inl_bad,
        tag + " inline callers match the source (%d PCs, %d caller frames checked, %d unverifiable)"
        % (multi, checked, unverifiable),
        "; ".join(inl_bad[:3]) or "no PC with a verifiable inlined call")
PY

# ---- command-line behaviour ----
tc=$(gm_newest classic)
bin=$(gm_fixture "$tc" plain leaky)
entry=$(gm_go "$tc" tool nm "$bin" | awk '$3 == "main.remember" { print $1 }')
if [ -n "$entry" ]; then
	a=$("$GM" symbolize "$bin" "0x$entry" 2>&1)
	b=$(echo "$entry" | "$GM" symbolize "$bin" 2>&1)
	c=$("$GM" symbolize "$bin" "$(echo "$entry" | tr a-f A-F)" 2>&1)
	if [ "$a" = "$b" ] && [ "$a" = "$c" ] && [ "$(echo "$a" | head -1)" = main.remember ] &&
		[[ $(echo "$a" | sed -n 2p) == */tests/fixtures/leaky/main.go:25 ]]; then
		pass "symbolize: arguments, stdin, with and without 0x agree"
	else
		fail "symbolize: arguments, stdin, with and without 0x agree" "$a / $b / $c"
	fi
	a=$("$GM" symbolize -a "$bin" "$entry" 1 2>&1)
	want=$(printf '0x%016x\nmain.remember\n' "0x$entry")
	if [ "$(echo "$a" | head -2)" = "$want" ] &&
		[ "$(echo "$a" | tail -3)" = "$(printf '0x0000000000000001\n??\n??:0')" ]; then
		pass "symbolize -a prints 0x%016x, unknown is ?? / ??:0"
	else
		fail "symbolize -a prints 0x%016x, unknown is ?? / ??:0" "$a"
	fi
	if "$GM" symbolize --json "$bin" "$entry" 1 >"$WORK/out.json" 2>"$WORK/json.err" &&
		python3 - "$WORK/out.json" "$bin" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["path"] == sys.argv[2], d
a = d["addresses"]
assert len(a) == 2 and a[1] == {"address": "0x1", "frames": []}, a
f = a[0]["frames"][0]
assert f["function"] == "main.remember" and f["file"].endswith("/leaky/main.go") and f["line"] == 25, f
PY
	then
		pass "symbolize --json"
	else
		fail "symbolize --json" "$(head -c 300 "$WORK/out.json") $(cat "$WORK/json.err")"
	fi
else
	fail "symbolize command line" "no main.remember in go tool nm $bin"
fi

# ---- failure modes: exactly one line "gomaptrace symbolize: THING: reason", exit 2 ----
expect_bad() {
	local name=$1 thing=$2 rc out err
	shift 2
	out=$("$GM" symbolize "$@" </dev/null 2>"$WORK/bad.err")
	rc=$?
	err=$(cat "$WORK/bad.err")
	if [ "$rc" -ne 2 ]; then
		fail "symbolize rejects $name" "exit $rc, want 2 ($err)"
	elif [ -n "$out" ]; then
		fail "symbolize rejects $name" "wrote to stdout: $(echo "$out" | head -2)"
	elif [ "$(wc -l <"$WORK/bad.err")" -ne 1 ] || [[ $err != "gomaptrace symbolize: $thing: "?* ]]; then
		fail "symbolize rejects $name" "stderr is not one 'gomaptrace symbolize: $thing: reason' line: $err"
	else
		pass "symbolize rejects $name ($err)"
	fi
}
# patch FILE OFFSET HEXBYTES: overwrite bytes of a copy in place.
patch() {
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
sec_off() {
	local off
	off=$(readelf -SW "$1" | awk -v n="$2" '{ sub(/^ *\[ *[0-9]+\] */, ""); if ($1 == n) { print $4; exit } }')
	echo $((0x${off:-0}))
}

good=$(gm_fixture "$(gm_oldest)" plain maps)
pcln=$(sec_off "$good" .gopclntab)
expect_bad "a non-ELF file" tests/fixtures/maps/main.go tests/fixtures/maps/main.go 0x1
head -c 100000 "$good" >"$WORK/truncated"
expect_bad "a truncated ELF" "$WORK/truncated" "$WORK/truncated" 0x1
expect_bad "a C binary (not Go)" "$(type -P true)" "$(type -P true)" 0x1
expect_bad "a missing file" "$WORK/does-not-exist" "$WORK/does-not-exist" 0x1
cp "$good" "$WORK/badmagic"
patch "$WORK/badmagic" "$pcln" 00000000
expect_bad "a corrupt pclntab magic" "$WORK/badmagic" "$WORK/badmagic" 0x1
cp "$good" "$WORK/go12"
patch "$WORK/go12" "$pcln" fbffffff
expect_bad "a Go 1.2-1.15 pclntab" "$WORK/go12" "$WORK/go12" 0x1
if grep -q "before 1.16" "$WORK/bad.err"; then
	pass "symbolize names the old pclntab format"
else
	fail "symbolize names the old pclntab format" "$(cat "$WORK/bad.err")"
fi
cp "$good" "$WORK/nfunc"
patch "$WORK/nfunc" $((pcln + 8)) ffffff0000000000
expect_bad "a function count past the table" "$WORK/nfunc" "$WORK/nfunc" 0x1
cp "$good" "$WORK/order"
patch "$WORK/order" $((pcln + 32)) ffffffff00000000
expect_bad "sub-table offsets out of order" "$WORK/order" "$WORK/order" 0x1
expect_bad "a bad address argument" xyz "$good" 0x401000 xyz
expect_bad "an address wider than 64 bits" 0x10000000000000000 "$good" 0x10000000000000000
out=$(echo zz | "$GM" symbolize "$good" 2>&1 >/dev/null)
[ $? -eq 2 ] && [ "$out" = "gomaptrace symbolize: zz: not a hex address" ] &&
	pass "symbolize rejects a bad address on stdin" ||
	fail "symbolize rejects a bad address on stdin" "$out"
out=$("$GM" symbolize 2>&1)
[ $? -eq 2 ] && pass "symbolize without a binary exits 2" || fail "symbolize without a binary exits 2" "$out"
check "symbolize --help exits 0" "$GM" symbolize --help
exit 0
