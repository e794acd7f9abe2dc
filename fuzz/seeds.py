#!/usr/bin/env python3
# seeds.py - write the seed corpora fuzz/corpus/<target>/ (committed; run
# again only to change them). Each seed is a small input in the format the
# target's opening comment describes: valid rings first, so that the
# fuzzer starts past the checks it could not guess, then a few broken ones.
import os
import struct
import sys

MAGIC = 0x31474E49524D4853
VERSION = 2
READY = 0x52454459
HDR = 4096
REC_KIND_DATA = 1
REC_KIND_PAD = 2
REC_NEXT_CLEAR = 4
REC_TAG_KEY = 0x53524300


def rec_type(pos, kind):
    """The type word of a record at position pos (lib/layout.h)."""
    return ((pos & 0xFFFFFFFF) ^ REC_TAG_KEY ^ kind) & 0xFFFFFFFF


DATA_AT = lambda pos: rec_type(pos, REC_KIND_DATA | REC_NEXT_CLEAR)

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def page(v):
    return (v + 4095) & ~4095


def slot_size(max_msg):
    return (16 + max_msg + 63) & ~63


def ident(kind, cap, max_msg, slot=0, data_size=None, region=None, state=READY):
    data_size = cap if kind == 0 else cap * slot if data_size is None else data_size
    if data_size is None:
        data_size = cap
    region = HDR + page(data_size) if region is None else region
    # magic, version, state, kind, flags, capacity, max_msg, slot_size,
    # data_off, data_size, region_size, creator_pid, mode, creator_start, created_ns
    return struct.pack("<QIIIIQQQQQQIIQQ", MAGIC, VERSION, state, kind, 0, cap,
                       max_msg, slot, HDR, data_size, region, 1, 0o600, 0, 0)


def ops(*codes):
    """Operations for fuzz_common.h: (op, len, timeout) triples."""
    b = bytes([0])  # spin byte
    for op, ln, tmo in codes:
        b += bytes([op]) + struct.pack("<H", ln) + bytes([tmo])
    return b


def write(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


traffic = ops((5, 10, 0), (5, 100, 0), (1, 0, 0), (2, 0, 0), (3, 0, 0),
              (6, 40, 0), (4, 0, 0), (7, 20, 0), (7, 10, 0), (0, 200, 0),
              (8, 0, 0), (9, 0, 0), (0, 64, 230))

# fuzz_region: flags byte, then the region from offset 0.
for i, (kind, cap, mm) in enumerate([(0, 256, 64), (0, 4096, 512), (0, 65536, 1024),
                                     (1, 4, 48), (1, 64, 240)]):
    slot = slot_size(mm) if kind == 1 else 0
    h = ident(kind, cap, mm, slot)
    write("fuzz_region", "valid-%d" % i, bytes([0x20 | 0x08]) + h + traffic)
    write("fuzz_region", "valid-monitor-%d" % i, bytes([0x40 | 0x08]) + h)
    write("fuzz_region", "shm-%d" % i, bytes([0x81 | 0x20 | 0x08]) + h + traffic)
    write("fuzz_region", "helped-%d" % i, bytes([0x1e | 0x20]) + h[8:16] + b"\0" * 8 + h[16:])
# A whole MPMC region with its slots formatted, and one with records.
mm = 48
ss = slot_size(mm)
h = ident(1, 4, mm, ss)
data = b"".join(struct.pack("<QI", i, 0) + b"\0" * (ss - 12) for i in range(4))
write("fuzz_region", "mpmc-formatted", bytes([0x20]) + h + b"\0" * (HDR - len(h)) + data + b"\0" * (4096 - len(data)))
h = ident(0, 256, 64)
rec = struct.pack("<II", 5, DATA_AT(0)) + b"hello\0\0\0"
hdr = bytearray(h + b"\0" * (HDR - len(h)))
struct.pack_into("<Q", hdr, 256, 16)  # prod_pos
write("fuzz_region", "spsc-one-record", bytes([0x20]) + bytes(hdr) + rec + b"\0" * (4096 - len(rec)))
write("fuzz_region", "broken-capacity", bytes([0x20 | 0x08]) + ident(0, 300, 64))
write("fuzz_region", "broken-size", bytes([0x20]) + ident(0, 256, 64, region=8192 * 4))

# fuzz_spsc: cap byte, max_msg, flags, prod, cons, then data, then ops.
def spsc(capsel, mm, flags, prod, cons, body, tail):
    return bytes([capsel]) + struct.pack("<H", mm) + bytes([flags]) + \
        struct.pack("<QQ", prod, cons) + body + tail


recs = b"".join(struct.pack("<HB", ln, k) for ln, k in
                [(5, 0), (17, 0), (0, 0), (100, 0), (3, 3), (8, 0)])
write("fuzz_spsc", "records", spsc(0, 120, 0x02, 200, 0, recs, traffic))
write("fuzz_spsc", "records-wrapped", spsc(1, 200, 0x02, 400, 300, recs, traffic))
write("fuzz_spsc", "empty", spsc(2, 500, 0x00, 0, 0, struct.pack("<H", 0), traffic))
raw = struct.pack("<II", 4, DATA_AT(0)) + b"abcd" + struct.pack("<II", 0, DATA_AT(16))
write("fuzz_spsc", "raw", spsc(0, 64, 0x01, 24, 0, struct.pack("<H", len(raw)) + raw, traffic))
write("fuzz_spsc", "misaligned", spsc(0, 64, 0x01, 252, 0, struct.pack("<H", 0), traffic))
write("fuzz_spsc", "peers", spsc(0, 64, 0x02 | 0x04, 64, 0, b"\x11" * 256 + b"\xff" * 256 + b"\x03" + recs, traffic))
write("fuzz_spsc", "full", spsc(0, 64, 0x02, 256, 0, recs * 3, ops((5, 8, 0), (5, 8, 240), (7, 8, 0), (0, 64, 0))))

# fuzz_mpmc: slots byte, max_msg, flags, prod, cons, slots, ops.
def mpmc(slotsel, mm, flags, prod, cons, body, tail):
    return bytes([slotsel]) + struct.pack("<H", mm) + bytes([flags]) + \
        struct.pack("<QQ", prod, cons) + body + tail


def slots_near(kinds):
    return b"".join(bytes([k]) + struct.pack("<H", ln) + bytes([4]) + b"data"
                    for k, ln in kinds)


write("fuzz_mpmc", "published", mpmc(1, 48, 0, 3, 0, slots_near([(1, 10), (1, 0), (1, 48), (0, 0)]), traffic))
write("fuzz_mpmc", "skips", mpmc(1, 48, 0, 3, 0, slots_near([(2, 0), (1, 5), (2, 0), (0, 0)]), traffic))
write("fuzz_mpmc", "free", mpmc(2, 100, 0, 0, 0, slots_near([(0, 0)] * 8), traffic))
write("fuzz_mpmc", "full", mpmc(0, 16, 0, 2, 0, slots_near([(1, 3), (1, 4)]), ops((5, 8, 0), (5, 8, 240), (0, 16, 0), (5, 8, 0))))
write("fuzz_mpmc", "odd-seq", mpmc(1, 48, 0, 2, 0, slots_near([(4, 0), (9, 0), (1, 200), (3, 0)]), traffic))
write("fuzz_mpmc", "raw", mpmc(0, 32, 0x01 | 0x02, 1 << 40, 7, struct.pack("<QI", 8, 5) + b"\0" + struct.pack("<QI", 1 << 63, 99) + b"\0", traffic))
write("fuzz_mpmc", "claims", mpmc(1, 48, 0x04, 2, 0, slots_near([(1, 1), (0, 0), (0, 0), (0, 0)]) +
                                  bytes([3]) + struct.pack("<QQ", (1 << 62) | (1 << 40) | 5, 1) + b"\0" * 51 + b"\x03", traffic))
