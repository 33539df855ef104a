#!/usr/bin/env python3
"""Writes fuzz seeds built field by field for this project (see fuzz/make-seeds): SNP
attestation reports of versions 2, 3 and 5 (ABI 56860, table "ATTESTATION_REPORT"), and the
last 64 KiB of an OVMF image carrying the GUIDed footer table and an ASEV SEV metadata block.
The field values are made up; the signatures are not valid. usage: make_seeds.py SEEDS_DIR"""
import struct
import sys
import uuid

seeds = sys.argv[1]


def report(version, family, model, stepping, tcb):
    r = bytearray(1184)
    struct.pack_into("<IIQ", r, 0x00, version, 1, 0x30000)
    r[0x10:0x20] = bytes(range(16))
    r[0x20:0x30] = bytes(range(16, 32))
    struct.pack_into("<IIQQI", r, 0x30, 0, 1, tcb, 0x3, 0x1)
    r[0x50:0x90] = b"nonce".ljust(64, b"\0")
    r[0x90:0xC0] = bytes([0xA5]) * 48
    r[0xC0:0xE0] = bytes([0x5A]) * 32
    r[0x140:0x160] = bytes([0x11]) * 32
    r[0x160:0x180] = bytes([0xFF]) * 32
    struct.pack_into("<Q", r, 0x180, tcb)
    if version >= 3:
        r[0x188:0x18B] = bytes([family, model, stepping])
    r[0x1A0:0x1E0] = bytes(range(64))
    struct.pack_into("<QBBBxBBBxQ", r, 0x1E0, tcb, 21, 55, 1, 21, 55, 1, tcb)
    if version >= 5:
        struct.pack_into("<QQ", r, 0x1F8, 1, 3)
    r[0x2A0:0x2A0 + 48] = bytes([0x22]) * 48
    r[0x2E8:0x2E8 + 48] = bytes([0x33]) * 48
    return bytes(r)


# Milan/Genoa TCB: bootloader, tee, reserved 4 bytes, snp, microcode. Turin: fmc first.
milan_tcb = 3 | 0 << 8 | 8 << 48 | 115 << 56
turin_tcb = 1 | 3 << 8 | 0 << 16 | 8 << 24 | 115 << 56
for name, data in {
    "v2-milan.bin": report(2, 0, 0, 0, milan_tcb),
    "v3-milan.bin": report(3, 0x19, 0x01, 1, milan_tcb),
    "v3-genoa.bin": report(3, 0x19, 0x11, 1, milan_tcb),
    "v5-turin.bin": report(5, 0x1A, 0x02, 0, turin_tcb),
}.items():
    open(f"{seeds}/snp-report/{name}", "wb").write(data)


def entry(guid, data):
    return data + struct.pack("<H", len(data) + 18) + uuid.UUID(guid).bytes_le


def ovmf(entries, metadata_sections):
    size = 16384
    image = bytearray(b"\xff" * size)
    if metadata_sections is not None:
        at = 0x1000
        meta = b"ASEV" + struct.pack("<III", 16 + 12 * len(metadata_sections), 1, len(metadata_sections))
        for gpa, length, kind in metadata_sections:
            meta += struct.pack("<III", gpa, length, kind)
        image[at:at + len(meta)] = meta
        entries = entries + [entry("dc886566-984a-4798-a75e-5585a7bf67cc", struct.pack("<I", size - at))]
    table = b"".join(entries)
    footer = table + struct.pack("<H", len(table) + 18) + uuid.UUID("96b582de-1fb2-45f7-baea-a366c55a082d").bytes_le
    end = size - 32
    image[end - len(footer):end] = footer
    image[end:] = b"\x90" * 16 + b"\xe9" + b"\0" * 15  # where the reset vector's jump lives
    return bytes(image)


sev = [
    entry("00f771de-1a7e-4fcb-890e-68c77e2fb44e", struct.pack("<I", 0x80B004)),
    entry("7255371f-3a3b-4b04-927b-1da6efa8d454", struct.pack("<II", 0x80C000, 0x400)),
    entry("4c2eb361-7d9b-4cc3-8081-127c90d3d294", struct.pack("<II", 0x80D000, 0x1000)),
]
snp_sections = [(0x800000, 0x9000, 1), (0x809000, 0x2000, 1), (0x80B000, 0x1000, 1), (0x80C000, 0x1000, 0x10),
                (0x80D000, 0x1000, 2), (0x80E000, 0x1000, 3), (0x80F000, 0x1000, 4), (0x810000, 0x10000, 1)]
for name, data in {
    "sev-footer.bin": ovmf(sev, None),
    "snp-metadata.bin": ovmf(sev, snp_sections),
    "empty-footer.bin": ovmf([], None),
    "metadata-no-sections.bin": ovmf(sev[:1], []),
}.items():
    open(f"{seeds}/ovmf/{name}", "wb").write(data)
