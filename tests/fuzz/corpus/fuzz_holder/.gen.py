#!/usr/bin/env python3
# Writes the seed inputs of tests/fuzz/fuzz_holder.c into this directory:
# small hand-made address spaces (a 16-byte header, then an image mapped at
# 0x10000000) holding Go type descriptors and one map each, laid out as
# the runtime does (Swiss 1.24-1.26 and 1.27, classic), so that the fuzzer
# starts from inputs that get all the way through.  Run: python3 .gen.py
import os
import struct

BASE = 0x10000000
HERE = os.path.dirname(os.path.abspath(__file__))
K_INT, K_POINTER, K_STRING, K_STRUCT, K_MAP = 2, 22, 24, 25, 21


class Img:
    def __init__(self, size=0x1000):
        self.b = bytearray(size)

    def u64(self, off, v):
        self.b[off:off + 8] = struct.pack('<Q', v)

    def u32(self, off, v):
        self.b[off:off + 4] = struct.pack('<I', v)

    def typ(self, off, size, ptrdata, kind):
        self.u64(off, size)
        self.u64(off + 8, ptrdata)
        self.b[off + 23] = kind

    def name(self, off, s):
        self.b[off] = 0
        self.b[off + 1] = len(s)
        self.b[off + 2:off + 2 + len(s)] = s.encode('latin-1')

    def string(self, off, s):
        self.b[off:off + len(s)] = s.encode('latin-1')
        return BASE + off

    def struct_type(self, off, size, foff, fields, embed=False):
        self.typ(off, size, size, K_STRUCT)
        self.u64(off + 56, BASE + foff)
        self.u64(off + 64, len(fields))
        self.u64(off + 72, len(fields))
        for i, (noff, name, toff, o) in enumerate(fields):
            self.name(noff, name)
            self.u64(foff + 24 * i, BASE + noff)
            self.u64(foff + 24 * i + 8, BASE + toff)
            self.u64(foff + 24 * i + 16, o << 1 if embed else o)


def common(img, embed=False):
    img.typ(0x000, 16, 8, K_STRING)
    img.typ(0x040, 8, 0, K_INT)
    # struct T {ID int; User string} and *T
    img.struct_type(0x100, 24, 0x180, [(0x600, 'ID', 0x040, 0), (0x610, 'User', 0x000, 8)], embed)
    img.typ(0x080, 8, 8, K_POINTER)
    img.u64(0x080 + 48, BASE + 0x100)
    # struct tkey {User string; N int}
    img.struct_type(0x200, 24, 0x1d0, [(0x620, 'User', 0x000, 0), (0x630, 'N', 0x040, 16)], embed)
    # struct closure {F uintptr; X0 *T} (uintptr as int: only the name matters here)
    img.struct_type(0x700, 16, 0x760, [(0x640, 'F', 0x040, 0), (0x650, 'X0', 0x080, 8)], embed)


def header(flags, mtype, mapoff, word, slot=0):
    return bytes([flags, slot, 0, 0]) + struct.pack('<III', mtype, mapoff, word)


def swiss_small():
    img = Img()
    common(img)
    # map[string]int, Swiss 1.24-1.26: slot {key 16, elem 8}, group 8 + 8 * 24
    mt = 0x280
    img.typ(mt, 8, 8, K_MAP)
    img.u64(mt + 48, BASE + 0x000)
    img.u64(mt + 56, BASE + 0x040)
    img.u64(mt + 80, 200)
    img.u64(mt + 88, 24)
    img.u64(mt + 96, 16)
    img.u32(mt + 104, 0)
    img.u64(0x800, 2)           # used
    img.u64(0x810, BASE + 0x900)  # dirPtr: the one group
    img.u64(0x818, 0)           # dirLen
    img.b[0x900:0x908] = bytes([0x11, 0x22] + [0x80] * 6)
    for j, (k, v) in enumerate([('s-1', 7), ('s-22', 9)]):
        img.u64(0x908 + 24 * j, img.string(0xb00 + 16 * j, k))
        img.u64(0x908 + 24 * j + 8, len(k))
        img.u64(0x908 + 24 * j + 16, v)
    return header(1, mt, 0x800, 0x080, 1) + bytes(img.b)


def swiss_table():
    img = Img()
    common(img)
    # map[string]*T with a directory of one table of one group
    mt = 0x280
    img.typ(mt, 8, 8, K_MAP)
    img.u64(mt + 48, BASE + 0x000)
    img.u64(mt + 56, BASE + 0x080)
    img.u64(mt + 80, 200)
    img.u64(mt + 88, 24)
    img.u64(mt + 96, 16)
    img.u64(0x800, 1)
    img.u64(0x810, BASE + 0xa00)  # directory
    img.u64(0x818, 1)
    img.u64(0xa00, BASE + 0xa80)  # table
    img.u64(0xa80 + 16, BASE + 0x900)  # groups.data
    img.u64(0xa80 + 24, 0)        # lengthMask
    img.b[0x900:0x908] = bytes([0x33] + [0x80] * 7)
    img.u64(0x908, img.string(0xb00, 'session-id-\x01\xff"'))
    img.u64(0x910, 14)
    img.u64(0x918, BASE + 0xc00)  # a T
    img.u64(0xc00, 42)
    img.u64(0xc08, img.string(0xb40, 'u-42'))
    img.u64(0xc10, 4)
    return header(1, mt, 0x800, 0x080, 0) + bytes(img.b)


def swiss_split(embed=False):
    img = Img()
    common(img, embed)
    # map[tkey]int, Go 1.27 split groups: ctrl, keys[8], elems[8]
    mt = 0x280
    img.typ(mt, 8, 8, K_MAP)
    img.u64(mt + 48, BASE + 0x200)
    img.u64(mt + 56, BASE + 0x040)
    img.u64(mt + 80, 8 + 8 * 24 + 8 * 8)
    img.u64(mt + 88, 8)      # KeysOff
    img.u64(mt + 96, 24)     # KeyStride
    img.u64(mt + 104, 200)   # ElemsOff
    img.u64(mt + 112, 8)     # ElemStride
    img.u32(mt + 128, 0)
    img.u64(0x800, 1)
    img.u64(0x810, BASE + 0x900)
    img.b[0x900:0x908] = bytes([0x80, 0x44] + [0x80] * 6)
    img.u64(0x908 + 24, img.string(0xb00, 'u-3'))
    img.u64(0x908 + 32, 3)
    img.u64(0x908 + 40, 3)
    img.u64(0x900 + 200 + 8, 33)
    return header(5, mt, 0x800, 0x200, 1) + bytes(img.b)


def classic():
    img = Img()
    common(img, embed=True)
    # map[string]int, classic: keysize 16, elemsize 8, bucket 8 + 128 + 64 + 8
    mt = 0x280
    img.typ(mt, 8, 8, K_MAP)
    img.u64(mt + 48, BASE + 0x000)
    img.u64(mt + 56, BASE + 0x040)
    img.b[mt + 80] = 16
    img.b[mt + 81] = 8
    img.b[mt + 82:mt + 84] = struct.pack('<H', 208)
    img.u32(mt + 84, 0)
    img.u64(0x800, 2)           # count
    img.b[0x809] = 0            # B
    img.u64(0x810, BASE + 0x900)  # buckets
    img.b[0x900:0x908] = bytes([0x55, 0, 0x66, 0, 0, 0, 0, 0])
    for j, (slot, k, v) in enumerate([(0, 'a', 1), (2, 'bee', 2)]):
        img.u64(0x908 + 16 * slot, img.string(0xb00 + 16 * j, k))
        img.u64(0x908 + 16 * slot + 8, len(k))
        img.u64(0x900 + 136 + 8 * slot, v)
    img.u64(0x900 + 200, 0)     # no overflow
    return header(2, mt, 0x800, 0x000, 2) + bytes(img.b)


for name, data in [('swiss-small', swiss_small()), ('swiss-table', swiss_table()),
                   ('swiss-split-127', swiss_split()), ('classic-offsetembed', classic())]:
    with open(os.path.join(HERE, name), 'wb') as f:
        f.write(data)
