#!/usr/bin/env bash
# Small seed inputs for the fuzz targets, cut out of the fixture matrix.
#
# Usage: tests/fuzz/seeds.sh TARGET OUTDIR      (TARGET: elf buildinfo pclntab gotypes
#                                                 probeplan probecode)
#        tests/fuzz/seeds.sh --check-compact BIN (self-test, see below)
#
# A whole fixture is 1.5-2.6 MB, nearly all of it machine code and DWARF no
# parser reads; mutating it wastes almost every execution on bytes that do
# not matter.  A seed here is a real, valid ELF that keeps only what one
# parser needs, at the original virtual addresses:
#   - the ELF header, program headers and every section header (sections
#     whose bytes are dropped become SHT_NOBITS, so names and addresses stay);
#   - the kept address ranges as their own PT_LOAD segments, plus a
#     zero-file-size PT_LOAD per original segment so address-space checks
#     (is this in an executable segment?) still see the real layout;
#   - .symtab cut down to the few symbols the parsers look up, and only the
#     RELATIVE relocations that land in kept ranges.
# For the pclntab the table itself is rebuilt with a window of a few dozen
# functions (names, pc tables and inline trees of just those), and the
# moduledata fields that describe it are rewritten to match, so a seed of a
# few tens of KB still parses end to end; likewise the type descriptors are
# cut down to the map types listed in typelinks.
#
# --check-compact BIN compares `go tool addr2line` on BIN with the same PCs
# on BIN carrying a compacted table, to show the rewrite is faithful.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/matrix.sh
export GM_BUILD=${GM_BUILD:-$PWD/build}

if [ "${1:-}" = --check-compact ]; then
	bin=$2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	python3 - check "$bin" "$tmp" <<<"$(sed -n '/^# --- python ---$/,$p' "$0" | tail -n +2)"
	# The toolchain that built BIN reads its own table best.
	tc=$(echo "$bin" | sed -nE 's|.*/fixtures/([^/]+)/.*|\1|p')
	gm_go "${tc:-$(gm_newest)}" tool addr2line "$bin" <"$tmp/pcs" >"$tmp/want"
	gm_go "${tc:-$(gm_newest)}" tool addr2line "$tmp/compact" <"$tmp/pcs" >"$tmp/got"
	if ! diff -q "$tmp/want" "$tmp/got" >/dev/null; then
		echo "seeds: compacted table of $bin disagrees with addr2line:"
		diff "$tmp/want" "$tmp/got" | head -20
		exit 1
	fi
	echo "seeds: compacted table of $bin agrees with addr2line on $(wc -l <"$tmp/pcs") PCs"
	exit 0
fi

target=${1:?usage: seeds.sh TARGET OUTDIR}
out=${2:?usage: seeds.sh TARGET OUTDIR}
fixtures=()
for tc in "${GM_TOOLCHAINS[@]}"; do
	# the seed cutter rebuilds Go 1.18+ pclntabs (magic 0xfffffff0/1); Go
	# 1.17's older table (0xfffffffa) is still parsed by the tool and tested
	# end to end, it only yields no compact seed
	[ "$(gm_minor "$tc")" -ge 18 ] || continue
	for v in "${GM_VARIANTS[@]}"; do
		f=$(gm_fixture "$tc" "$v" maps)
		if [ ! -f "$f" ]; then
			echo "seeds: fixture $f missing (make fixtures)" >&2
			exit 1
		fi
		fixtures+=("$f")
	done
done
mkdir -p "$out"
python3 - seed "$target" "$out" "${fixtures[@]}" <<<"$(sed -n '/^# --- python ---$/,$p' "$0" | tail -n +2)"
exit 0

# --- python ---
import hashlib
import os
import struct
import sys

SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA, SHT_NOBITS = 0, 1, 2, 3, 4, 8
PT_LOAD, PT_PHDR = 1, 6
PF_X, PF_W, PF_R = 1, 2, 4
SHF_ALLOC, SHF_TLS = 2, 0x400
R_X86_64_RELATIVE = 8
FUNCDATA_INLTREE, PCDATA_INLTREEINDEX = 3, 2


def cstr(b, off):
    end = b.index(b'\0', off)
    return b[off:end]


def uvarint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        if c < 0x80:
            return v, i
        shift += 7


class Elf:
    def __init__(self, data):
        self.d = bytes(data)
        (_, self.type, _, _, _, self.phoff, self.shoff, _, _, _, self.phnum, _, self.shnum,
         self.shstrndx) = struct.unpack_from('<16sHHIQQQIHHHHHH', data, 0)
        self.ph = [list(struct.unpack_from('<IIQQQQQQ', data, self.phoff + 56 * i))
                   for i in range(self.phnum)]
        # name type flags addr offset size link info align entsize
        self.sh = [list(struct.unpack_from('<IIQQQQIIQQ', data, self.shoff + 64 * i))
                   for i in range(self.shnum)]
        names = self.sh[self.shstrndx]
        self.names = [cstr(data, names[4] + s[0]).decode() for s in self.sh]

    def sec(self, *names):
        for n in names:
            if n in self.names:
                return self.names.index(n)
        return None

    def load_of(self, v):
        for p in self.ph:
            if p[0] == PT_LOAD and p[3] <= v < p[3] + p[5]:
                return p
        return None

    def read(self, v, n):
        p = self.load_of(v)
        assert p and v + n <= p[3] + p[5], hex(v)
        o = p[2] + v - p[3]
        return self.d[o:o + n]

    def u64(self, v):
        return struct.unpack('<Q', self.read(v, 8))[0]

    def relas(self):
        """RELATIVE relocations as [section index, entry index, r_offset, addend]."""
        out = []
        for i, s in enumerate(self.sh):
            if s[1] != SHT_RELA:
                continue
            for j in range(s[5] // 24):
                off, info, add = struct.unpack_from('<QQq', self.d, s[4] + 24 * j)
                if info & 0xffffffff == R_X86_64_RELATIVE:
                    out.append([i, j, off, add])
        return out

    def symbols(self):
        i = self.sec('.symtab')
        if i is None:
            return {}
        tab, strs = self.sh[i], self.sh[self.sh[i][6]]
        out = {}
        for j in range(1, tab[5] // 24):
            name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', self.d, tab[4] + 24 * j)
            out.setdefault(cstr(self.d, strs[4] + name).decode(errors='replace'),
                           (info, other, shndx, value, size))
        return out


def find_pclntab(e):
    i = e.sec('.gopclntab', '.data.rel.ro.gopclntab')
    assert i is not None, 'no pclntab section'
    return e.sh[i][3], e.d[e.sh[i][4]:e.sh[i][4] + e.sh[i][5]], i


def find_moduledata(e, hdr, funcname_off):
    """Address of the moduledata: a pointer to the pclntab header followed by
    the funcnametab slice, in writable file-backed memory."""
    sym = e.symbols().get('runtime.firstmoduledata')
    if sym:
        return sym[3]
    for p in e.ph:
        if p[0] != PT_LOAD or not p[1] & PF_W:
            continue
        blob = e.d[p[2]:p[2] + p[5]]
        for k in range(0, len(blob) - 16, 8):
            a, b = struct.unpack_from('<QQ', blob, k)
            if a == hdr and b == hdr + funcname_off:
                return p[3] + k
    raise SystemExit('seeds: no moduledata found')


def md_fields(e, md, pcln_end):
    """Word indices of moduledata.types and .typelinks, found from the
    typelinks slice: ..., types, etypes, rodata, gofunc, [epclntab (1.26)],
    textsectmap slice, typelinks slice.  None if not found."""
    links = e.sec('.typelink', '.data.rel.ro.typelink')
    if links is None:
        return None
    w = [e.u64(md + 8 * k) for k in range(72)]
    for k in range(24, 70):
        if w[k] == e.sh[links][3] and w[k + 1] == w[k + 2]:
            g = k - 5 if w[k - 4] == pcln_end else k - 4
            return {'types': g - 3, 'etypes': g - 2, 'gofunc': g, 'typelinks': k}
    return None


def md_gofunc(e, md, pcln_end):
    f = md_fields(e, md, pcln_end)
    g = f and e.u64(md + 8 * f['gofunc'])
    return g if g and e.load_of(g) else None


class Pcln:
    """Go 1.18+ pclntab (magic 0xfffffff0 / 0xfffffff1)."""

    def __init__(self, blob):
        self.b = blob
        magic, = struct.unpack_from('<I', blob, 0)
        assert magic in (0xfffffff0, 0xfffffff1), hex(magic)
        self.v120 = magic == 0xfffffff1
        (self.nfunc, self.nfiles, self.text, self.fno, self.cuo, self.fto, self.pco,
         self.plo) = struct.unpack_from('<QQQQQQQQ', blob, 8)
        self.fsize = 44 if self.v120 else 40   # _func without its trailing arrays
        self.inl_size = 16 if self.v120 else 20
        self.inl_name = 4 if self.v120 else 12  # offset of the name field in inlinedCall

    def ftab(self, i):
        return struct.unpack_from('<II', self.b, self.plo + 8 * i)

    def func(self, i):
        """The raw _func bytes of function i, with its pcdata and funcdata."""
        off = self.plo + self.ftab(i)[1]
        npc, = struct.unpack_from('<I', self.b, off + 28)
        nfd = self.b[off + self.fsize - 1]
        return bytearray(self.b[off:off + self.fsize + 4 * (npc + nfd)]), npc, nfd

    def name(self, nameoff):
        return cstr(self.b, self.fno + nameoff)

    def table_len(self, off):
        """Bytes of the pc-value table at pctab offset off."""
        i = self.pco + off
        first = True
        while True:
            uv, i = uvarint(self.b, i)
            if uv == 0 and not first:
                return i - (self.pco + off)
            _, i = uvarint(self.b, i)
            first = False

    def table_max(self, off):
        i, val, first, hi = self.pco + off, -1, True, -1
        while True:
            uv, i = uvarint(self.b, i)
            if uv == 0 and not first:
                return hi
            val += -(uv >> 1) - 1 if uv & 1 else uv >> 1
            hi = max(hi, val)
            _, i = uvarint(self.b, i)
            first = False


def compact(e, lo, count):
    """A pclntab holding functions [lo, lo+count), laid out like the linker
    would, plus the moduledata words and inline-tree bytes that must change
    with it.  Returns (table bytes, {vaddr: bytes} patches)."""
    hdr, blob, _ = find_pclntab(e)
    t = Pcln(blob)
    md = find_moduledata(e, hdr, t.fno)
    gofunc = md_gofunc(e, md, hdr + len(blob))
    hi = min(lo + count, t.nfunc)

    names = bytearray()
    name_map = {}

    def new_name(old):
        if old not in name_map:
            name_map[old] = len(names)
            names.extend(t.name(old) + b'\0')
        return name_map[old]

    # Offset 0 means "no table" to the runtime, but debug/gosym decodes
    # whatever bytes are there: keep them, so both readers see the same.
    pctab = bytearray(t.b[t.pco:t.pco + t.table_len(0)])
    pc_map = {0: 0}

    def new_table(old):
        if old not in pc_map:
            pc_map[old] = len(pctab)
            n = t.table_len(old)
            pctab.extend(t.b[t.pco + old:t.pco + old + n])
        return pc_map[old]

    patches = {}
    funcs = []
    for i in range(lo, hi):
        f, npc, nfd = t.func(i)
        struct.pack_into('<i', f, 4, new_name(struct.unpack_from('<i', f, 4)[0]))
        for field in (16, 20, 24):
            struct.pack_into('<I', f, field, new_table(struct.unpack_from('<I', f, field)[0]))
        pcd = [struct.unpack_from('<I', f, t.fsize + 4 * k)[0] for k in range(npc)]
        for k, old in enumerate(pcd):
            struct.pack_into('<I', f, t.fsize + 4 * k, new_table(old))
        # the inline tree lives outside the table, at gofunc + funcdata[3]
        if gofunc and nfd > FUNCDATA_INLTREE and npc > PCDATA_INLTREEINDEX and pcd[PCDATA_INLTREEINDEX]:
            fd = struct.unpack_from('<I', f, t.fsize + 4 * (npc + FUNCDATA_INLTREE))[0]
            n = t.table_max(pcd[PCDATA_INLTREEINDEX]) + 1
            if fd != 0xffffffff and n > 0:
                at = gofunc + fd
                tree = bytearray(e.read(at, n * t.inl_size))
                for k in range(n):
                    o = k * t.inl_size + t.inl_name
                    struct.pack_into('<i', tree, o, new_name(struct.unpack_from('<i', tree, o)[0]))
                patches[at] = bytes(tree)
        funcs.append((t.ftab(i)[0], f))
    end_entry = t.ftab(hi)[0]

    def align(b, n):
        b.extend(b'\0' * (-len(b) % n))

    out = bytearray(t.b[:t.fno])
    fno = len(out)
    out += names
    align(out, 8)
    cuo = len(out)
    out += t.b[t.cuo:t.fto]
    fto = len(out)
    out += t.b[t.fto:t.pco]
    align(out, 8)
    pco = len(out)
    out += pctab
    align(out, 8)
    plo = len(out)
    nf = len(funcs)
    ftab = bytearray(8 * (nf + 1))
    fdata = bytearray()
    base = 8 * (nf + 1)
    for k, (entry, f) in enumerate(funcs):
        align(fdata, 8)
        struct.pack_into('<II', ftab, 8 * k, entry, base + len(fdata))
        fdata += f
    struct.pack_into('<II', ftab, 8 * nf, end_entry, base + len(fdata))
    out += ftab + fdata
    struct.pack_into('<QQQQQQQQ', out, 8, nf, t.nfiles, t.text, fno, cuo, fto, pco, plo)

    # moduledata: the table slices and the pc range follow the new table
    words = {1: (hdr + fno, len(names)), 4: (hdr + cuo, None), 7: (hdr + fto, None),
             10: (hdr + pco, len(pctab)), 13: (hdr + plo, len(out) - plo),
             16: (hdr + plo, nf + 1)}
    text = e.u64(md + 22 * 8)
    mdw = bytearray(e.read(md, 24 * 8))
    for k, (ptr, n) in words.items():
        struct.pack_into('<Q', mdw, 8 * k, ptr)
        if n is not None:
            struct.pack_into('<QQ', mdw, 8 * k + 8, n, n)
    struct.pack_into('<QQ', mdw, 20 * 8, text + funcs[0][0], text + end_entry)
    patches[md] = bytes(mdw)
    return bytes(out), patches, md, gofunc


class Slim:
    """Builds a small ELF from e keeping only chosen address ranges."""

    GAP = 256  # ranges closer than this share one segment

    def __init__(self, e):
        self.e = e
        self.ranges = []      # (vaddr, length) of original bytes to keep
        self.patches = {}     # vaddr -> bytes written over the kept bytes
        self.sizes = {}       # section index -> new size
        self.symbols = ()
        self.file_secs = set()
        self.dropped = []
        self.moved = []

    def keep(self, v, n):
        if n > 0 and self.e.load_of(v):
            p = self.e.load_of(v)
            n = min(n, p[3] + p[5] - v)   # file-backed part only
            if n > 0:
                self.ranges.append((v, n))

    def keep_section(self, *names):
        for name in names:
            i = self.e.sec(name)
            if i is not None and self.e.sh[i][1] != SHT_NOBITS:
                s = self.e.sh[i]
                if s[2] & SHF_ALLOC and s[3]:
                    self.keep(s[3], s[5])
                else:
                    self.file_secs.add(i)

    def patch(self, v, data):
        self.patches[v] = bytes(data)
        self.keep(v, len(data))

    def drop_relocs(self, lo, hi):
        """Relocations into [lo, hi) no longer apply (that range was rewritten)."""
        self.dropped.append((lo, hi))

    def move_relocs(self, old, n, new):
        """Relocations of [old, old+n) now belong at new."""
        self.moved.append((old, n, new))

    def _segments(self):
        spans = sorted(self.ranges)
        segs = []
        for v, n in spans:
            p = self.e.load_of(v)
            if segs and v <= segs[-1][1] + self.GAP and self.e.load_of(segs[-1][0]) is p:
                segs[-1][1] = max(segs[-1][1], v + n)
            else:
                segs.append([v, v + n])
        out = []
        for lo, hi in segs:
            p = self.e.load_of(lo)
            hi = min(hi, p[3] + p[5])
            data = bytearray(self.e.read(lo, hi - lo))
            for pv, pd in self.patches.items():
                if lo <= pv and pv + len(pd) <= hi:
                    data[pv - lo:pv - lo + len(pd)] = pd
            out.append((lo, p[1], data))
        return out

    def build(self):
        e = self.e
        segs = self._segments()
        phs = []
        # file-only sections: .shstrtab, a cut-down .symtab/.strtab, relocations
        blobs = {e.shstrndx: e.d[e.sh[e.shstrndx][4]:][:e.sh[e.shstrndx][5]]}
        for i in self.file_secs:
            blobs[i] = e.d[e.sh[i][4]:e.sh[i][4] + e.sh[i][5]]
        sym = e.sec('.symtab')
        if sym is not None and self.symbols:
            strtab = bytearray(b'\0')
            symtab = bytearray(24)
            have = e.symbols()
            for name in self.symbols:
                if name in have:
                    info, other, shndx, value, size = have[name]
                    symtab += struct.pack('<IBBHQQ', len(strtab), info, other, shndx, value, size)
                    strtab += name.encode() + b'\0'
            blobs[sym] = bytes(symtab)
            blobs[e.sh[sym][6]] = bytes(strtab)
        kept = lambda v: any(lo <= v < lo + len(d) for lo, _, d in segs)
        for i, s in enumerate(e.sh):
            if s[1] == SHT_RELA:
                rel = bytearray()
                entries = []
                for j in range(s[5] // 24):
                    off, info, add = struct.unpack_from('<QQq', e.d, s[4] + 24 * j)
                    for old, n, new in self.moved:
                        if old <= off < old + n:
                            entries.append((new + off - old, info, add))
                    if not any(lo <= off < hi for lo, hi in self.dropped):
                        entries.append((off, info, add))
                for off, info, add in sorted(entries):
                    if info & 0xffffffff == R_X86_64_RELATIVE and kept(off):
                        # a patched word's relocation carries the patched value
                        for pv, pd in self.patches.items():
                            if pv <= off and off + 8 <= pv + len(pd):
                                add = struct.unpack_from('<q', pd, off - pv)[0]
                        rel += struct.pack('<QQq', off, info, add)
                if rel:
                    blobs[i] = bytes(rel)

        nph = len(segs) + sum(1 for p in e.ph if p[0] == PT_LOAD) + \
            sum(1 for p in e.ph if p[0] != PT_LOAD)
        shoff = 64 + 56 * nph
        pos = shoff + 64 * e.shnum
        body = bytearray()
        blob_off = {}
        for i in sorted(blobs):
            body += b'\0' * (-(pos + len(body)) % 16)
            blob_off[i] = pos + len(body)
            body += blobs[i]
        seg_off = []
        for lo, flags, data in segs:
            body += b'\0' * (-(pos + len(body)) % 16)
            seg_off.append(pos + len(body))
            body += data
        # PT_PHDR and friends first, as the loader expects
        for p in e.ph:
            if p[0] == PT_PHDR:
                phs.append((p[0], p[1], 64, p[3], p[4], 56 * nph, 56 * nph, p[7]))
            elif p[0] != PT_LOAD:
                off = next((o + p[3] - lo for (lo, _, d), o in zip(segs, seg_off)
                            if lo <= p[3] and p[3] + p[5] <= lo + len(d)), None)
                phs.append((p[0], p[1], off or 0, p[3], p[4], p[5] if off else 0, p[6], p[7]))
        for (lo, flags, data), off in zip(segs, seg_off):
            phs.append((PT_LOAD, flags, off, lo, lo, len(data), len(data), 16))
        for p in e.ph:
            if p[0] == PT_LOAD:
                # the original address space, without file bytes
                phs.append((PT_LOAD, p[1], 0, p[3], p[4], 0, p[6], p[7]))

        shs = bytearray()
        for i, s in enumerate(e.sh):
            s = list(s)
            if i in blobs:
                s[4], s[5] = blob_off[i], len(blobs[i])
                if s[1] == SHT_SYMTAB:
                    s[7] = 1
            elif s[1] == SHT_NULL:
                pass
            else:
                size = self.sizes.get(i, s[5])
                where = next((o + s[3] - lo for (lo, _, d), o in zip(segs, seg_off)
                              if s[2] & SHF_ALLOC and not s[2] & SHF_TLS and s[1] != SHT_NOBITS
                              and lo <= s[3] and s[3] + size <= lo + len(d)), None)
                if where is None:
                    s[1], s[4] = SHT_NOBITS, 0
                else:
                    s[4], s[5] = where, size
            shs += struct.pack('<IIQQQQIIQQ', *s)
        hdr = bytearray(e.d[:64])
        struct.pack_into('<Q', hdr, 0x20, 64)
        struct.pack_into('<Q', hdr, 0x28, shoff)
        struct.pack_into('<H', hdr, 0x38, nph)
        out = hdr + b''.join(struct.pack('<IIQQQQQQ', *p) for p in phs) + shs + body
        assert len(out) == pos + len(body)
        return bytes(out)


SYMS = ('runtime.firstmoduledata', 'runtime.text', 'runtime.etext', 'runtime.pclntab',
        'runtime.epclntab', 'runtime.types', 'runtime.etypes', 'go:func.*', 'go.func.*',
        'main.main', 'runtime.makemap', 'runtime.hashGrow', 'runtime.mapassign_faststr')


def base(e):
    s = Slim(e)
    s.symbols = SYMS
    s.keep_section('.shstrtab', '.interp', '.note.go.buildid', '.dynamic', '.dynsym', '.dynstr')
    return s


def func_index(e, name):
    hdr, blob, _ = find_pclntab(e)
    t = Pcln(blob)
    for i in range(t.nfunc):
        f, _, _ = t.func(i)
        if t.name(struct.unpack_from('<i', f, 4)[0]) == name:
            return i
    return None


def uvarint_at(b, i):
    v, j = uvarint(b, i)
    return v, j - i


def compact_types(e, md, md_words, s, extra=16):
    """Rewrite [types, etypes) to hold only the map types of typelinks (and
    a few others, so the kind filter has something to skip), each followed
    by its name, and the typelinks and moduledata to match.  md_words is the
    moduledata image being patched (bytearray from md)."""
    hdr, blob, _ = find_pclntab(e)
    f = md_fields(e, md, hdr + len(blob))
    types, etypes = e.u64(md + 8 * f['types']), e.u64(md + 8 * f['etypes'])
    links_at = e.u64(md + 8 * f['typelinks'])
    nlinks = e.u64(md + 8 * f['typelinks'] + 8)
    region = e.read(types, etypes - types)
    offs = struct.unpack_from('<%di' % nlinks, e.read(links_at, 4 * nlinks))
    maps = [o for o in offs if region[o + 23] & 0x1f == 21]
    others = [o for o in offs if region[o + 23] & 0x1f != 21][:extra]
    chosen = set(maps + others)
    keep = [o for o in dict.fromkeys(offs) if o in chosen]   # typelinks order
    out = bytearray(8)     # Str 0 means "no name": keep offset 0 unused
    moved = {}
    for o in keep:
        out.extend(b'\0' * (-len(out) % 8))
        moved[o] = len(out)
        n = 128 if o in maps else 64
        out += region[o:o + min(n, len(region) - o)]
    for o in keep:
        str_off, = struct.unpack_from('<i', region, o + 40)
        if 0 < str_off < len(region) - 1:
            ln, used = uvarint_at(region, str_off + 1)
            struct.pack_into('<i', out, moved[o] + 40, len(out))
            out += region[str_off:str_off + 1 + used + ln]
    s.patch(types, bytes(out))
    # textsectmap: readers check that it is there
    tsm = md + 8 * (f['typelinks'] - 3)
    s.keep(e.u64(tsm), 24 * e.u64(tsm + 8))
    s.drop_relocs(types, etypes)
    for o in keep:
        s.move_relocs(types + o, 128 if o in maps else 64, types + moved[o])
    links = struct.pack('<%di' % len(keep), *[moved[o] for o in keep])
    s.patch(links_at, links)
    struct.pack_into('<Q', md_words, 8 * f['etypes'], types + len(out))
    struct.pack_into('<QQ', md_words, 8 * f['typelinks'] + 8, len(keep), len(keep))
    return len(maps)


def compact_seed(e, lo, count, with_types=False, code=None):
    """code: (at, length) of .text to keep too, for the probe plan's decoder."""
    s = base(e)
    s.keep_section('.go.buildinfo')
    table, patches, md, gofunc = compact(e, lo, count)
    hdr, _, sec = find_pclntab(e)
    s.patch(hdr, table)
    s.sizes[sec] = len(table)
    for v, d in patches.items():
        if v != md:
            s.patch(v, d)
    mdw = bytearray(e.read(md, 0x300))
    mdw[:len(patches[md])] = patches[md]
    if gofunc:
        # readers check that gofunc itself is mapped before trusting it
        s.keep(gofunc, 16)
    if with_types:
        compact_types(e, md, mdw, s)
    s.patch(md, mdw)
    if code:
        s.keep(*code)
    return s.build()


def text_of(e):
    """The function table and the address its entry offsets count from
    (moduledata.text; in a cgo binary .text starts with C code)."""
    hdr, blob, _ = find_pclntab(e)
    t = Pcln(blob)
    md = find_moduledata(e, hdr, t.fno)
    return t, e.u64(md + 22 * 8) or e.sh[e.sec('.text')][3]


def seeds_for(target, path):
    e = Elf(open(path, 'rb').read())
    tag = '-'.join(path.split('/')[-3:-1])
    if target == 'elf':
        s = base(e)
        s.keep_section('.go.buildinfo', '.note.gnu.build-id')
        # the moduledata brings a few dozen relocated pointers in PIE builds
        hdr, blob, _ = find_pclntab(e)
        s.keep(find_moduledata(e, hdr, Pcln(blob).fno), 0x300)
        yield tag, s.build()
        return
    if target == 'buildinfo':
        s = base(e)
        s.keep_section('.go.buildinfo')
        yield tag, s.build()
        return
    windows = [0]
    for name in (b'runtime.makemap', b'runtime.hashGrow',
                 b'internal/runtime/maps.(*table).rehash', b'main.main'):
        i = func_index(e, name)
        if i is not None:
            windows.append(max(0, i - 8))
    if target == 'pclntab':
        # No whole-table seeds: at 0.7 MB one run costs as much as a hundred
        # of these, and their mutants crowd the corpus.
        for w in windows:
            yield '%s-w%d' % (tag, w), compact_seed(e, w, 24)
        return
    if target == 'probeplan':
        # a pclntab window around a growth function (so the implementation
        # is decided) with the machine code of its functions kept in an
        # executable segment, so the planned ones among them get decoded
        t, text = text_of(e)
        for name in (b'internal/runtime/maps.(*table).rehash', b'runtime.hashGrow'):
            i = func_index(e, name)
            if i is None:
                continue
            for before in (4, 10):
                lo = max(0, i - before)
                hi = min(lo + 12, t.nfunc - 1)
                s = compact_seed(e, lo, hi - lo, code=(text + t.ftab(lo)[0],
                                                       t.ftab(hi)[0] - t.ftab(lo)[0]))
                yield '%s-%s-%d' % (tag, name.decode().rsplit('.', 1)[-1], before), s
        return
    if target == 'probecode':
        # one function's machine code, as probeplan__decode() sees it; the
        # first byte picks the entry address in the fuzz target (0: 0x401000)
        t, text = text_of(e)
        for name in (b'runtime.makemap', b'runtime.hashGrow',
                     b'internal/runtime/maps.(*table).rehash',
                     b'runtime.mapassign_faststr', b'runtime.mallocgc'):
            i = func_index(e, name)
            if i is None or i + 1 >= t.nfunc:
                continue
            a, b = t.ftab(i)[0], t.ftab(i + 1)[0]
            yield '%s-%s' % (tag, name.decode().rsplit('.', 1)[-1]), \
                b'\0' + e.read(text + a, b - a)
        return
    if target == 'gotypes':
        # Go 1.27 has no typelinks (its type list comes from typedesclen
        # descriptors): the type-region rewrite below needs them, so those
        # binaries give no compact gotypes seed (test_types covers 1.27)
        if e.sec('.typelink', '.data.rel.ro.typelink') is None:
            return
        # the moduledata must agree with the pclntab, and real binaries have
        # minpc == text: the window starts at the first function
        yield tag, compact_seed(e, 0, 16, with_types=True)
        return
    raise SystemExit('seeds: unknown target ' + target)


def old_buildinfo_seeds(e):
    """Go 1.13-1.17 stored two pointers to string headers instead of inline
    strings.  The matrix has no such binary, so write the format into a copy
    of a real .go.buildinfo: as go1.16.15 (must be refused as stack ABI) and
    go1.17.13 (accepted), and in a PIE with the pointers only in relocations."""
    i = e.sec('.go.buildinfo')
    s = e.sh[i]
    for version, pie_relocs in ((b'go1.16.15', False), (b'go1.17.13', False), (b'go1.17.13', True)):
        d = bytearray(e.d)
        a, o = s[3], s[4]
        sentinel = bytes.fromhex('3077af0c9274080241e1c107e6d618e6')
        mod = sentinel + b'path\tcmd/x\nmod\tcmd/x\t(devel)\t\nbuild\tCGO_ENABLED=0\n' + \
            bytes.fromhex('f932433186182072008242104116d8f2')
        blob = bytearray(b'\xff Go buildinf:' + bytes([8, 0]))
        # header, 2 pointers, 2 string headers, then the bytes
        blob += struct.pack('<QQ', a + 32, a + 48)
        vs, ms = a + 64, a + 64 + len(version)
        blob += struct.pack('<QQQQ', vs, len(version), ms, len(mod))
        blob += version + mod
        assert len(blob) <= s[5]
        d[o:o + len(blob)] = blob
        if pie_relocs:
            # pointer words zero in the file: only the relocations know them
            for k in (16, 24, 32, 48):
                d[o + k:o + k + 8] = b'\0' * 8
        x = Elf(d)
        sl = base(x)
        sl.keep_section('.go.buildinfo')
        out = bytearray(sl.build())
        if pie_relocs:
            out = add_relas(out, [(a + 16, a + 32), (a + 24, a + 48), (a + 32, vs), (a + 48, ms)])
        yield version.decode() + ('-relocs' if pie_relocs else ''), bytes(out)


def add_relas(img, relocs):
    """Append a SHT_RELA section holding relocs, by repurposing the first
    SHT_NOBITS section header that has no address (there is always .bss
    or a dropped one)."""
    e = Elf(img)
    body = b''.join(struct.pack('<QQq', w, R_X86_64_RELATIVE, v) for w, v in relocs)
    for i, s in enumerate(e.sh):
        if s[1] == SHT_NOBITS and not s[2] & SHF_ALLOC:
            off = len(img) + (-len(img) % 16)
            img = bytearray(img) + b'\0' * (off - len(img)) + body
            struct.pack_into('<IIQQQQIIQQ', img, e.shoff + 64 * i, s[0], SHT_RELA, 0, 0, off,
                             len(body), 0, 0, 8, 24)
            return img
    raise SystemExit('seeds: no spare section header for relocations')


def write(outdir, name, data):
    h = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(outdir, '%s-%s' % (name, h)), 'wb') as f:
        f.write(data)


def main():
    mode = sys.argv[1]
    if mode == 'check':
        path, tmp = sys.argv[2], sys.argv[3]
        e = Elf(open(path, 'rb').read())
        hdr, blob, sec = find_pclntab(e)
        t = Pcln(blob)
        # main.* sits near the end of the table; the window must fit in it
        lo = max(0, min((func_index(e, b'main.main') or 40) - 20, t.nfunc - 40))
        table, patches, md, gofunc = compact(e, lo, 40)
        d = bytearray(e.d)
        o = e.sh[sec][4]
        d[o:o + len(table)] = table
        for v, data in patches.items():
            p = e.load_of(v)
            d[p[2] + v - p[3]:p[2] + v - p[3] + len(data)] = data
        open(os.path.join(tmp, 'compact'), 'wb').write(d)
        with open(os.path.join(tmp, 'pcs'), 'w') as f:
            for i in range(lo, lo + 40):
                a, b = t.ftab(i)[0], t.ftab(i + 1)[0]
                for pc in (a, a + (b - a) // 3, a + (b - a) // 2, b - 1):
                    f.write('%#x\n' % (e.u64(md + 22 * 8) + pc))
        return
    target, outdir, paths = sys.argv[2], sys.argv[3], sys.argv[4:]
    n = 0
    for path in paths:
        for name, data in seeds_for(target, path):
            write(outdir, name, data)
            n += 1
    if target == 'buildinfo':
        for name, data in old_buildinfo_seeds(Elf(open(paths[0], 'rb').read())):
            write(outdir, name, data)
            n += 1
    print('seeds: %d %s seeds in %s' % (n, target, outdir))


main()
