#!/usr/bin/env bash
# gomaptrace inspect and symbolize on inputs they must refuse: not ELF,
# empty, truncated at several depths, not Go, Go before the register ABI,
# another architecture (a real arm64 cross-build), corrupt pclntab and
# buildinfo, missing paths, a directory, a PID that does not exist.
#
# A refusal is exactly one line on stderr, "gomaptrace CMD: ARG: reason",
# nothing on stdout, exit 2.  A crash, a sanitizer report, a second line or
# any other exit code is a failure.  The reason must also say what is wrong
# (a loose pattern per case), so a generic "error" does not pass.
#
# symbolize reads only .gopclntab: a binary whose build info is damaged or
# claims Go 1.16 is still one it can symbolize, so there it must succeed
# and agree with the intact binary instead.
#
# The same cases run again under an ASan+UBSan build of gomaptrace when the
# sanitizer objects of `make unit` are there (they are in `make test`).
. tests/e2e/lib.sh

W=$GM_BUILD/e2e/badinput
mkdir -p "$W"
rm -f "$W"/case.* "$W"/*.out "$W"/*.err

if [ ! -x "$GM" ]; then
	fail bad-input "$GM not built"
	exit 0
fi

GOOD=$(gm_fixture go1.26 plain maps)
GOOD_PIE=$(gm_fixture go1.22 pie-stripped maps)
GOOD122=$(gm_fixture go1.22 plain maps)
for f in "$GOOD" "$GOOD_PIE" "$GOOD122"; do
	if [ ! -f "$f" ]; then
		fail bad-input "fixture $f missing (make fixtures)"
		exit 0
	fi
done

# Facts about a binary's layout, read here without gomaptrace.
# elf_fact BIN section-offset NAME... | pclntab-offset | size
elf_fact() {
	python3 - "$@" <<'EOF'
import struct, sys
path, what = sys.argv[1], sys.argv[2]
d = open(path, 'rb').read()
shoff, = struct.unpack_from('<Q', d, 0x28)
shnum, shstrndx = struct.unpack_from('<HH', d, 0x3c)
secs = [struct.unpack_from('<IIQQQQ', d, shoff + 64 * i) for i in range(shnum)]
strs = secs[shstrndx][4]
def name(s):
    return d[strs + s[0]:d.index(b'\0', strs + s[0])].decode()
def sec(*names):
    for s in secs:
        if name(s) in names:
            return s
    sys.exit('no section ' + ' '.join(names))
if what == 'section-offset':
    print(sec(*sys.argv[3:])[4])
elif what == 'pclntab-offset':
    print(sec('.gopclntab', '.data.rel.ro.gopclntab')[4])
elif what == 'pcln-ftab':
    # file offset of the function table: header + pclnOffset (Go 1.18+)
    p = sec('.gopclntab', '.data.rel.ro.gopclntab')[4]
    print(p + struct.unpack_from('<Q', d, p + 64)[0])
elif what == 'phdr-end':
    phoff, = struct.unpack_from('<Q', d, 0x20)
    phnum, = struct.unpack_from('<H', d, 0x38)
    print(phoff + 56 * phnum)
EOF
}

# patch FILE OFFSET HEXBYTES
patch() {
	printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# ---- the inputs ----------------------------------------------------------

printf 'this is not an ELF file\n' >"$W/text"
: >"$W/empty"
size=$(stat -c %s "$GOOD")
head -c 40 "$GOOD" >"$W/cut-ehdr"
head -c $(($(elf_fact "$GOOD" phdr-end) - 30)) "$GOOD" >"$W/cut-phdrs"
head -c $((size / 2)) "$GOOD" >"$W/cut-half"
head -c $((size - 1)) "$GOOD" >"$W/cut-last-byte"

# Go 1.16 claimed in the inline version string, same length: "go1.26.x" -> "go1.16.x"
bi=$(elf_fact "$GOOD" section-offset .go.buildinfo)
cp "$GOOD" "$W/go116"
if [ "$(dd if="$GOOD" bs=1 skip=$((bi + 33)) count=6 status=none)" = go1.26 ]; then
	patch "$W/go116" $((bi + 33)) "$(printf go1.16 | xxd -p)"
else
	fail "bad-input setup" "no inline go1.26 version at .go.buildinfo+33 of $GOOD"
fi
cp "$GOOD" "$W/buildinfo-magic"
patch "$W/buildinfo-magic" "$bi" 00000000
# version length varint: 10 bytes of continuation, an overlong uvarint
cp "$GOOD" "$W/buildinfo-varint"
patch "$W/buildinfo-varint" $((bi + 32)) ffffffffffffffffffff

pc=$(elf_fact "$GOOD" pclntab-offset)
cp "$GOOD" "$W/pclntab-magic"
patch "$W/pclntab-magic" "$pc" 78563412
cp "$GOOD" "$W/pclntab-nfunc"
patch "$W/pclntab-nfunc" $((pc + 8)) ffffffff7f000000
# textStart (header word 3): 1.26 leaves it 0 (set: it wins over the
# moduledata), 1.22 stores it; 0x100000 puts every function outside the code
cp "$GOOD" "$W/pclntab-textstart"
patch "$W/pclntab-textstart" $((pc + 24)) 0000100000000000
pc122=$(elf_fact "$GOOD122" pclntab-offset)
cp "$GOOD122" "$W/pclntab-textstart122"
patch "$W/pclntab-textstart122" $((pc122 + 24)) 0000100000000000
ftab=$(elf_fact "$GOOD" pcln-ftab)
for seed in 1 2 3; do
	cp "$GOOD" "$W/pclntab-random$seed"
	python3 -c "import random,sys; r=random.Random($seed); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(4096)))" |
		dd of="$W/pclntab-random$seed" bs=1 seek="$ftab" conv=notrunc status=none
done
# and in a PIE, where the table is .data.rel.ro.gopclntab
pcp=$(elf_fact "$GOOD_PIE" pclntab-offset)
cp "$GOOD_PIE" "$W/pie-pclntab-magic"
patch "$W/pie-pclntab-magic" "$pcp" 00000000

# A real arm64 Go binary, cached: the source and toolchain define it.
ARM=$W/maps-arm64
key=$(cat tests/fixtures/maps/*.go tests/fixtures/maps/go.mod | sha256sum | cut -c1-16)-go1.26-arm64
if [ ! -x "$ARM" ] || [ "$(cat "$ARM.stamp" 2>/dev/null)" != "$key" ]; then
	rm -f "$ARM"
	if (cd tests/fixtures/maps && CGO_ENABLED=0 GOOS=linux GOARCH=arm64 gm_go go1.26 build -o "$ARM" .) >"$W/arm64.log" 2>&1; then
		echo "$key" >"$ARM.stamp"
	else
		fail "bad-input arm64 cross-build" "$(tail -3 "$W/arm64.log" | tr '\n' ' ')"
	fi
fi
if [ -f "$ARM" ] && ! file "$ARM" 2>/dev/null | grep -q 'ARM aarch64'; then
	fail "bad-input arm64 cross-build" "$(file "$ARM")"
fi

mkdir -p "$W/a-directory"

# ---- the checks ----------------------------------------------------------

# refuse GM CMD NAME ARG REASON_RE: one line "gomaptrace CMD: ARG: reason", exit 2.
refuse() {
	local gm=$1 cmd=$2 name=$3 arg=$4 re=$5 tag=${6:-} rc lines err
	local args=("$arg")
	[ "$cmd" = symbolize ] && args+=(0x401000)
	"$gm" "$cmd" "${args[@]}" >"$W/case.out" 2>"$W/case.err" </dev/null
	rc=$?
	err=$(head -c 400 "$W/case.err")
	lines=$(awk 'END { print NR }' "$W/case.err")
	name="$tag$cmd refuses $name"
	if ((rc >= 128)); then
		fail "$name" "killed by signal $((rc - 128)): $err"
	elif grep -qE 'Sanitizer|runtime error:' "$W/case.err"; then
		fail "$name" "sanitizer report: $(grep -m3 -E 'ERROR|runtime error|SUMMARY' "$W/case.err" | tr '\n' ' ')"
	elif ((rc != 2)); then
		fail "$name" "exit $rc, want 2; stderr: $err"
	elif [ -s "$W/case.out" ]; then
		fail "$name" "wrote to stdout: $(head -c 200 "$W/case.out")"
	elif ((lines != 1)); then
		fail "$name" "$lines lines on stderr, want 1: $err"
	elif [[ $err != "gomaptrace $cmd: $arg: "?* ]]; then
		fail "$name" "stderr is not 'gomaptrace $cmd: $arg: reason': $err"
	elif ! grep -qiE "$re" <<<"${err#"gomaptrace $cmd: $arg: "}"; then
		fail "$name" "reason does not match /$re/: $err"
	else
		pass "$name"
	fi
}

# symbolize must still work where only the build info is damaged.
still_symbolizes() {
	local gm=$1 name=$2 arg=$3 tag=${4:-} rc
	"$gm" symbolize "$arg" $ADDRS >"$W/case.out" 2>"$W/case.err" </dev/null
	rc=$?
	name="${tag}symbolize reads $name"
	if ((rc != 0)); then
		fail "$name" "exit $rc: $(head -c 300 "$W/case.err")"
	elif [ -s "$W/case.err" ]; then
		fail "$name" "stderr: $(head -c 300 "$W/case.err")"
	elif ! cmp -s "$W/case.out" "$W/good.sym"; then
		fail "$name" "differs from the intact binary: $(diff "$W/good.sym" "$W/case.out" | head -4 | tr '\n' ' ')"
	else
		pass "$name"
	fi
}

# Addresses to symbolize: main.main and runtime.makemap of the intact binary.
ADDRS=$(nm "$GOOD" | awk '$3 == "main.main" || $3 == "runtime.makemap" { print "0x" $1 }' | tr '\n' ' ')
"$GM" symbolize "$GOOD" $ADDRS >"$W/good.sym" 2>"$W/good.err"
if [ $? -ne 0 ] || ! grep -q '^main\.main$' "$W/good.sym"; then
	fail "bad-input baseline: symbolize the intact binary" "$(head -c 300 "$W/good.err")"
fi

run_cases() {
	local gm=$1 tag=${2:-} cmd
	for cmd in inspect symbolize; do
		refuse "$gm" $cmd "a text file" "$W/text" 'ELF' "$tag"
		refuse "$gm" $cmd "an empty file" "$W/empty" 'empty|ELF' "$tag"
		refuse "$gm" $cmd "a file cut inside the ELF header" "$W/cut-ehdr" 'truncat|ELF|short' "$tag"
		refuse "$gm" $cmd "a file cut inside the program headers" "$W/cut-phdrs" 'truncat|past end|short' "$tag"
		refuse "$gm" $cmd "a file cut in half" "$W/cut-half" 'truncat|past end|short' "$tag"
		refuse "$gm" $cmd "a file missing its last byte" "$W/cut-last-byte" 'truncat|past end|short' "$tag"
		refuse "$gm" $cmd "a C binary" "$(type -P true)" 'Go' "$tag"
		if [ -f "$ARM" ]; then
			refuse "$gm" $cmd "an arm64 Go binary" "$ARM" 'arm64|aarch64|architecture' "$tag"
		fi
		refuse "$gm" $cmd "a pclntab with a bad magic" "$W/pclntab-magic" 'pclntab|magic' "$tag"
		refuse "$gm" $cmd "a pclntab claiming 2^39 functions" "$W/pclntab-nfunc" 'pclntab|function' "$tag"
		refuse "$gm" $cmd "a pclntab with random function table (1)" "$W/pclntab-random1" 'pclntab|function|table' "$tag"
		refuse "$gm" $cmd "a pclntab with random function table (2)" "$W/pclntab-random2" 'pclntab|function|table' "$tag"
		refuse "$gm" $cmd "a pclntab with random function table (3)" "$W/pclntab-random3" 'pclntab|function|table' "$tag"
		refuse "$gm" $cmd "a pclntab with a corrupt text start (1.26)" "$W/pclntab-textstart" 'pclntab.*(text|executable)' "$tag"
		refuse "$gm" $cmd "a pclntab with a corrupt text start (1.22)" "$W/pclntab-textstart122" 'pclntab.*(text|executable)' "$tag"
		refuse "$gm" $cmd "a PIE pclntab with a bad magic" "$W/pie-pclntab-magic" 'pclntab|magic|Go' "$tag"
		refuse "$gm" $cmd "a path that does not exist" "$W/does-not-exist" 'no such|not exist|cannot open' "$tag"
		refuse "$gm" $cmd "a directory" "$W/a-directory" 'regular file|directory' "$tag"
		refuse "$gm" $cmd "a PID that does not exist" 4194305 'no such|not exist|process' "$tag"
	done
	refuse "$gm" inspect "Go 1.16 (stack ABI)" "$W/go116" '1\.17|stack|register' "$tag"
	refuse "$gm" inspect "a build info with a bad magic" "$W/buildinfo-magic" 'build ?info|Go' "$tag"
	refuse "$gm" inspect "a build info with an overlong length" "$W/buildinfo-varint" 'build ?info|version|varint|length' "$tag"
	still_symbolizes "$gm" "a binary claiming Go 1.16" "$W/go116" "$tag"
	still_symbolizes "$gm" "a binary whose build info is corrupt" "$W/buildinfo-magic" "$tag"
	still_symbolizes "$gm" "a binary whose build info length is overlong" "$W/buildinfo-varint" "$tag"
}

run_cases "$GM"

# ---- again under ASan+UBSan, when the sanitizer objects exist ------------
SAN=$W/gomaptrace-san
# The objects of the current sources only: a stale one of a deleted file
# would not link.
san_objs=()
for f in user/*.c; do
	[ "$f" = user/main.c ] && continue
	san_objs+=("$GM_BUILD/san/$(basename "${f%.c}").o")
done
# the libraries the Makefile links gomaptrace with
LDLIBS=$(sed -nE 's/^LDLIBS[[:space:]]*:?=[[:space:]]*//p' Makefile)
missing=$(for o in "${san_objs[@]}"; do [ -f "$o" ] || echo "$o"; done | head -1)
if [ -z "$missing" ]; then
	# Rebuild when any object is newer: `make unit` keeps them current.
	if [ ! -x "$SAN" ] || [ -n "$(find "${san_objs[@]}" user/main.c -newer "$SAN" -print -quit)" ]; then
		if ! cc -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
			-fno-sanitize-recover=all -Iinclude -Iuser -I"$GM_BUILD" user/main.c "${san_objs[@]}" \
			$LDLIBS -o "$SAN" >"$W/san-link.log" 2>&1; then
			rm -f "$SAN"
			echo "note: no sanitizer build ($(grep -m1 -E 'error|undefined' "$W/san-link.log"))"
		fi
	fi
	if [ -x "$SAN" ]; then
		# Leaks at exit on an error path are not what this test is about.
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_cases "$SAN" "asan: "
	fi
else
	echo "note: $missing absent (make unit builds the sanitizer objects): sanitizer pass not run"
fi
exit 0
