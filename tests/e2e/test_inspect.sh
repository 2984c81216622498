#!/usr/bin/env bash
# gomaptrace inspect against the Go toolchain's own tools, for every
# (toolchain, variant) pair of the matrix and both fixtures:
#   go version -m      -> go_version, experiments, buildmode, modinfo, cgo
#   go tool nm -size   -> address and size of every present function
#   go tool objdump    -> RET offsets and the post-prologue point
#   readelf -l         -> file offset = vaddr - p_vaddr + p_offset
# Stripped PIE binaries have no symbols for nm/objdump, so they are compared
# with an unstripped PIE built from the same source by the same toolchain
# (cached under build/), after checking the two share .text placement and
# pclntab bytes, i.e. the same functions at the same addresses.
# Then the failure modes: one line on stderr, exit 2.
. tests/e2e/lib.sh
export GM_BUILD GM
export -f gm_go gm_fixture
export GM_GO119

WORK=$GM_BUILD/e2e/inspect
REF=$GM_BUILD/e2e/inspect-ref
mkdir -p "$WORK" "$REF"
rm -f "$WORK"/*.json "$WORK"/*.err "$WORK"/*.rc "$WORK"/*.od "$WORK"/*.nm "$WORK"/*.ver "$WORK"/*.rl

if [ ! -x "$GM" ]; then
	fail inspect "$GM not built"
	exit 0
fi

# An unstripped -buildmode=pie twin of the pie-stripped fixture.
build_ref() {
	local tc=$1 name=$2 src=tests/fixtures/$2 out key
	out=$REF/$tc/$name
	key=$(cat "$src"/*.go "$src"/go.mod | sha256sum | cut -c1-16)-$tc
	if [ -x "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$out")"
	if (cd "$src" && CGO_ENABLED=0 gm_go "$tc" build -trimpath=false -buildmode=pie -o "$out" .) \
		>"$out.log" 2>&1; then
		echo "$key" >"$out.stamp"
	fi
}
export -f build_ref
export REF WORK

# Run inspect and every oracle for one fixture binary; results in $WORK.
run_one() {
	local tc=$1 v=$2 name=$3 bin ref base re
	bin=$(gm_fixture "$tc" "$v" "$name")
	base=$WORK/$tc.$v.$name
	ref=$bin
	[ "$v" = pie-stripped ] && ref=$REF/$tc/$name
	"$GM" inspect --json "$bin" >"$base.json" 2>"$base.err"
	echo $? >"$base.rc"
	gm_go "$tc" version -m "$bin" >"$base.ver" 2>&1
	readelf -lW "$bin" >"$base.rl" 2>&1
	[ -x "$ref" ] || return 0
	gm_go "$tc" tool nm -size "$ref" >"$base.nm" 2>&1
	# One objdump per binary: every present function in one regexp.
	re=$(jq -r '[.functions[] | select(.state == "present") | .name
		| gsub("(?<c>[().*+?\\[\\]])"; "\\\(.c)")] | join("|")' "$base.json" 2>/dev/null)
	[ -n "$re" ] && gm_go "$tc" tool objdump -s "^($re)\$" "$ref" >"$base.od" 2>&1
	return 0
}
export -f run_one

for tc in "${GM_TOOLCHAINS[@]}"; do
	for name in maps leaky; do
		echo "$tc $name"
	done
done | xargs -P "$(nproc)" -L1 bash -c 'build_ref "$@"' _

for tc in "${GM_TOOLCHAINS[@]}"; do
	for v in "${GM_VARIANTS[@]}"; do
		for name in maps leaky; do
			echo "$tc $v $name"
		done
	done
done | xargs -P "$(nproc)" -L1 bash -c 'run_one "$@"' _

python3 - "$WORK" "$REF" "${GM_TOOLCHAINS[*]}" "${GM_VARIANTS[*]}" "$(gm_toolchains_of swiss)" <<'PY'
import json, os, re, struct, sys

work, refdir, tcs, variants = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
SWISS = set(sys.argv[5].split())


def out(ok, name, why=""):
    print(f"PASS: {name}" if ok else f"FAIL: {name}: {why}")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def sections(path):
    """name -> (addr, offset, size, bytes) from the ELF section headers."""
    with open(path, "rb") as f:
        d = f.read()
    shoff, = struct.unpack_from("<Q", d, 0x28)
    entsize, num, strndx = struct.unpack_from("<HHH", d, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * entsize) for i in range(num)]
    stroff = hdrs[strndx][4]
    res = {}
    for h in hdrs:
        n = d[stroff + h[0]:d.index(b"\0", stroff + h[0])].decode()
        body = d[h[4]:h[4] + h[5]] if h[1] != 8 else b""
        res[n] = (h[3], h[4], h[5], body)
    return res


def load_segments(rl):
    segs = []
    for line in rl.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            segs.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))  # off, vaddr, filesz
    return segs


def to_off(segs, va):
    for off, vaddr, filesz in segs:
        if vaddr <= va < vaddr + filesz:
            return va - vaddr + off
    return None


def parse_objdump(text):
    """name -> list of (vaddr, asm) in listing order."""
    fns, cur = {}, None
    for line in text.splitlines():
        if line.startswith("TEXT "):
            cur = line[5:].split("(SB)")[0]
            fns[cur] = []
            continue
        f = re.split(r"\t+", line.strip())
        if cur is None or len(f) < 4 or not f[1].startswith("0x"):
            continue
        fns[cur].append((int(f[1], 16), f[3].strip()))
    return fns


def writes_bp(asm):
    return asm == "POPQ BP" or asm.endswith(", BP")


def check(tc, v, name):
    tag = f"inspect {tc}/{v}/{name}"
    base = os.path.join(work, f"{tc}.{v}.{name}")
    rc, err = read(base + ".rc").strip(), read(base + ".err")
    try:
        j = json.loads(read(base + ".json"))
    except ValueError as e:
        out(False, tag + " runs", f"rc={rc} {err.strip()[:200]} ({e})")
        return
    out(rc == "0" and not err, tag + " runs", f"rc={rc} stderr={err.strip()[:200]}")

    # go version -m: first line "PATH: go1.24.13 X:noswissmap", then tab-indented modinfo.
    ver = read(base + ".ver").splitlines()
    m = re.match(r"^.*: (go\S+)(?: X:(\S+))?$", ver[0] if ver else "")
    if not m:
        out(False, tag + " version", f"go version -m said {ver[:1]}")
    else:
        want_exp = m.group(2).split(",") if m.group(2) else []
        out(j["go_version"] == m.group(1) and j["experiments"] == want_exp, tag + " version",
            f"got {j['go_version']} {j['experiments']}, go version -m: {m.group(1)} {want_exp}")
    settings = dict(l.strip().split("\t", 2)[1].split("=", 1) for l in ver[1:]
                    if l.strip().startswith("build\t") and "=" in l)
    mod_lines = [l[1:] for l in ver[1:] if l.startswith("\t")]
    have_mod = j["modinfo"].splitlines()
    missing = [l for l in mod_lines if l.rstrip() not in [h.rstrip() for h in have_mod]]
    out(not missing, tag + " modinfo", f"lines missing from modinfo: {missing[:2]}")
    want = {"arch": "x86-64", "pie": v == "pie-stripped", "stripped": v == "pie-stripped",
            "cgo": settings.get("CGO_ENABLED") == "1", "buildmode": settings.get("-buildmode", "")}
    bad = {k: (j.get(k), w) for k, w in want.items() if j.get(k) != w}
    # Go 1.17 records no build settings: cgo is then unknown to both sides.
    out(not bad and (not settings or want["cgo"] == (v == "cgo")), tag + " facts", f"(got, want): {bad}")
    want_impl = "swiss" if tc in SWISS else "classic"
    out(j["map_impl"] == want_impl and j["layout"]["impl"] == want_impl and j["layout"]["verified"],
        tag + " map_impl", f"got {j['map_impl']} (layout verified: {j['layout']['verified']}), want {want_impl}")

    present = [f for f in j["functions"] if f["state"] == "present"]
    if not present:
        out(False, tag + " functions", "no function present")
        return
    if v == "pie-stripped":
        ref = os.path.join(refdir, tc, name)
        try:
            a, b = sections(ref), sections(os.path.join("build/fixtures", tc, v, name))
            pcln = ".gopclntab" if ".gopclntab" in a else ".data.rel.ro.gopclntab"
            same = a[".text"][:3] == b[".text"][:3] and a[pcln][3] == b.get(pcln, (0, 0, 0, b""))[3]
        except (OSError, KeyError, struct.error, ValueError) as e:
            same = False
        out(same, tag + " reference", f"{ref} does not share .text/pclntab with the fixture")
        if not same:
            return

    # Addresses and sizes against the symbol table.
    syms = {}
    for line in read(base + ".nm").splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] in "Tt":
            syms[" ".join(f[3:])] = (int(f[0], 16), int(f[1]))
    errs = []
    for f in j["functions"]:
        s = syms.get(f["name"])
        if f["state"] == "present":
            if not s:
                errs.append(f"{f['name']}: not in nm")
            elif (int(f["address"], 16), f["size"]) != s:
                errs.append(f"{f['name']}: {f['address']}/{f['size']} vs nm {s[0]:#x}/{s[1]}")
        elif s:
            errs.append(f"{f['name']}: {f['state']} but nm has it at {s[0]:#x}")
    out(not errs, tag + " addresses", "; ".join(errs[:3]))

    segs = load_segments(read(base + ".rl"))
    errs = [f"{f['name']}: {f['file_offset']}" for f in present
            if to_off(segs, int(f["address"], 16)) != int(f["file_offset"], 16)]
    out(segs and not errs, tag + " file_offsets", "; ".join(errs[:3]) or "no LOAD segments")

    od = parse_objdump(read(base + ".od"))
    rets_err, pro_err = [], []
    for f in present:
        ins = od.get(f["name"])
        if not ins:
            rets_err.append(f"{f['name']}: not in objdump")
            continue
        delta = int(f["file_offset"], 16) - int(f["address"], 16)
        want_rets = sorted(a + delta for a, asm in ins if asm == "RET")
        got_rets = sorted(int(x, 16) for x in f["ret_offsets"])
        if got_rets != want_rets:
            rets_err.append(f"{f['name']}: {[hex(x) for x in got_rets]} vs {[hex(x) for x in want_rets]}")
        want_pp = None
        for k, (a, asm) in enumerate(ins):
            if writes_bp(asm):
                want_pp = ins[k + 1][0] + delta if k + 1 < len(ins) else None
                break
        got_pp = int(f["post_prologue_offset"], 16) if f["post_prologue_offset"] else None
        if got_pp != want_pp:
            pro_err.append(f"{f['name']}: {got_pp and hex(got_pp)} vs {want_pp and hex(want_pp)}")
    out(not rets_err, tag + " ret_offsets", "; ".join(rets_err[:3]))
    out(not pro_err, tag + " post_prologue", "; ".join(pro_err[:3]))

    # Classic: where hashGrow keeps h (its 2nd argument, BX) across its first
    # CALL, relative to BP, from objdump's Go-syntax listing.
    if want_impl == "classic":
        sp, bp, want_slot = 0, None, None
        for a, asm in od.get("runtime.hashGrow", []):
            if asm.startswith("CALL"):
                break
            if asm == "PUSHQ BP":
                sp -= 8
            elif m := re.match(r"^SUBQ \$(0x[0-9a-f]+|\d+), SP$", asm):
                sp -= int(m.group(1), 0)
            elif asm == "MOVQ SP, BP":
                bp = sp
            elif m := re.match(r"^LEAQ (0x[0-9a-f]+|\d+)\(SP\), BP$", asm):
                bp = sp + int(m.group(1), 0)
            elif bp is not None and (m := re.match(r"^MOVQ BX, (0x[0-9a-f]+|\d+)\(SP\)$", asm)):
                want_slot = sp + int(m.group(1), 0) - bp
                break
        got_slot = j["layout"].get("grow_map_slot")
        out(got_slot == want_slot and want_slot is not None, tag + " grow_map_slot",
            f"inspect {got_slot}, objdump {want_slot}")


for tc in tcs:
    for v in variants:
        for name in ("maps", "leaky"):
            check(tc, v, name)
PY

# ---- failure modes: exactly one line "gomaptrace inspect: ARG: reason", exit 2 ----
expect_bad() {
	local name=$1 arg=$2 rc out err
	shift 2
	out=$("$GM" inspect "$@" "$arg" 2>"$WORK/bad.err")
	rc=$?
	err=$(cat "$WORK/bad.err")
	if [ "$rc" -ne 2 ]; then
		fail "inspect rejects $name" "exit $rc, want 2 ($err)"
	elif [ -n "$out" ]; then
		fail "inspect rejects $name" "wrote to stdout"
	elif [ "$(wc -l <"$WORK/bad.err")" -ne 1 ] || [[ $err != "gomaptrace inspect: $arg: "?* ]]; then
		fail "inspect rejects $name" "stderr is not one 'gomaptrace inspect: $arg: reason' line: $err"
	else
		pass "inspect rejects $name ($err)"
	fi
}

# patch FILE OFFSET HEXBYTES: overwrite bytes of a copy in place.
patch() {
	printf "$(echo "$3" | sed 's/../\\x&/g')" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# File offset of a section by name.
sec_off() {
	local hex
	hex=$(readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] *//p' | awk -v n="$2" '$1 == n { print $4; exit }')
	[ -n "$hex" ] && echo $((16#$hex))
}

# the oldest toolchain with an inline version string (Go 1.18+)
good=$(gm_fixture "$(gm_first_from 18)" plain maps)
expect_bad "a non-ELF file" tests/fixtures/maps/main.go
head -c 100000 "$good" >"$WORK/truncated"
expect_bad "a truncated ELF" "$WORK/truncated"
expect_bad "a C binary (not Go)" "$(type -P true)" --json
expect_bad "a missing file" "$WORK/does-not-exist"
expect_bad "a PID that does not exist" 4194305
cp "$good" "$WORK/arm64"
patch "$WORK/arm64" 18 b700
expect_bad "an arm64 ELF" "$WORK/arm64"
# go1.NN.x -> go1.16.x in the inline version string of .go.buildinfo.
cp "$good" "$WORK/go116"
off=$(($(sec_off "$good" .go.buildinfo) + 33))
if [[ "$(dd if="$good" bs=1 skip="$off" count=6 status=none)" == go1.[1-9][0-9] ]]; then
	patch "$WORK/go116" "$off" 676f312e3136
	expect_bad "Go older than 1.17" "$WORK/go116"
else
	fail "inspect rejects Go older than 1.17" "no inline version string at .go.buildinfo+33"
fi
cp "$good" "$WORK/badpcln"
patch "$WORK/badpcln" "$(sec_off "$good" .gopclntab)" 00000000
expect_bad "a corrupt pclntab magic" "$WORK/badpcln"
cp "$good" "$WORK/badbuildinfo"
patch "$WORK/badbuildinfo" "$(sec_off "$good" .go.buildinfo)" 00000000
expect_bad "a corrupt buildinfo magic" "$WORK/badbuildinfo"
out=$("$GM" inspect 2>&1)
[ $? -eq 2 ] && pass "inspect without a target exits 2" || fail "inspect without a target exits 2" "$out"
check "inspect --help exits 0" "$GM" inspect --help

# ---- text output and --types ----
for tc in "$(gm_newest classic)" "$(gm_newest swiss)"; do
	bin=$(gm_fixture "$tc" plain maps)
	impl=$(gm_impl "$tc")
	if "$GM" inspect "$bin" >"$WORK/text.out" 2>&1 &&
		grep -q "^map impl: *$impl\$" "$WORK/text.out" &&
		grep -qE '^runtime\.makemap +present +0x[0-9a-f]+ +0x[0-9a-f]+ +[0-9]+ ' "$WORK/text.out"; then
		pass "inspect $tc text output"
	else
		fail "inspect $tc text output" "$(head -c 300 "$WORK/text.out")"
	fi
	if "$GM" inspect --types "$bin" >"$WORK/types.out" 2>&1 &&
		grep -qx '0x[0-9a-f]* map\[string\]\*main\.Session' "$WORK/types.out" &&
		"$GM" inspect --types --json "$bin" |
		jq -e '.map_types | any(.name == "map[string]*main.Session" and (.address | test("^0x")))' >/dev/null; then
		pass "inspect $tc --types lists map[string]*main.Session"
	else
		fail "inspect $tc --types lists map[string]*main.Session" "$(head -c 300 "$WORK/types.out")"
	fi
done

# ---- a uprobe on the file must not change the plan ----
# The kernel shows a probed inode's breakpoints (INT3) in every private
# mapping of it; inspect must still report the RET and post-prologue
# offsets the uprobes sit on.  Own copy of the file, own tracefs group.
TRACEFS=/sys/kernel/tracing
# A fresh machine may not have tracefs mounted: as root, mount it.
[ -e "$TRACEFS/uprobe_events" ] || mount -t tracefs nodev "$TRACEFS" 2>/dev/null
[ -w "$TRACEFS/uprobe_events" ] || TRACEFS=/sys/kernel/debug/tracing
probed=$WORK/probed
cp "$(gm_fixture "$(gm_newest)" plain maps)" "$probed"
"$GM" inspect --json "$probed" >"$WORK/unprobed.json" 2>&1
ret=$(jq -r '.functions[] | select(.name == "runtime.makemap_small") | .ret_offsets[0]' "$WORK/unprobed.json")
pp=$(jq -r '.functions[] | select(.name == "runtime.makemap_small") | .post_prologue_offset' "$WORK/unprobed.json")
group=gmtinspect$$
unprobe() {
	echo 0 >"$TRACEFS/events/$group/enable" 2>/dev/null
	echo "-:$group/ret" >>"$TRACEFS/uprobe_events" 2>/dev/null
	echo "-:$group/pp" >>"$TRACEFS/uprobe_events" 2>/dev/null
}
trap unprobe EXIT
if echo "p:$group/ret $probed:$ret" >>"$TRACEFS/uprobe_events" 2>/dev/null &&
	echo "p:$group/pp $probed:$pp" >>"$TRACEFS/uprobe_events" &&
	echo 1 >"$TRACEFS/events/$group/enable"; then
	if "$GM" inspect --json "$probed" >"$WORK/probed.json" 2>&1 &&
		cmp -s <(jq -c 'del(.path)' "$WORK/probed.json") <(jq -c 'del(.path)' "$WORK/unprobed.json"); then
		pass "inspect with uprobes on the file equals inspect without"
	else
		fail "inspect with uprobes on the file equals inspect without" "$(head -c 300 "$WORK/probed.json")"
	fi
else
	fail "inspect with uprobes on the file equals inspect without" "cannot add a uprobe through $TRACEFS (needs root)"
fi
unprobe
trap - EXIT

# ---- a running process by PID equals its executable ----
bin=$(gm_fixture "$(gm_newest classic)" plain leaky)
"$bin" >/dev/null 2>&1 &
pid=$!
sleep 0.2
if "$GM" inspect --json "$pid" >"$WORK/pid.json" 2>"$WORK/pid.err" &&
	"$GM" inspect --json "$bin" >"$WORK/path.json" &&
	[ "$(jq -c 'del(.path)' "$WORK/pid.json")" = "$(jq -c 'del(.path)' "$WORK/path.json")" ] &&
	[ "$(jq -r .path "$WORK/pid.json")" = "/proc/$pid/exe" ]; then
	pass "inspect PID equals inspect of its executable"
else
	fail "inspect PID equals inspect of its executable" "$(cat "$WORK/pid.err")"
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
