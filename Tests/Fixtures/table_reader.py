#!/usr/bin/env python3
"""Reads an SNP certificate table (GHCB format) over and over for SECONDS, as VMMs do: opening
the path each time, half the reads under a shared OFD lock, half without. Prints one line per
distinct content seen ("SHA256 COUNT") and "partial N" for reads that were not a whole table.

usage: table_reader.py TABLE SECONDS
"""
import fcntl
import hashlib
import os
import struct
import sys
import time

path, seconds = sys.argv[1], float(sys.argv[2])
seen, partial = {}, 0


def whole(data):
    """Entries of GUID, offset, length up to an all-zero one, each pointing inside the data."""
    at = 0
    while True:
        if at + 24 > len(data):
            return False
        guid, offset, length = data[at:at + 16], *struct.unpack_from("<II", data, at + 16)
        if guid == bytes(16) and offset == 0 and length == 0:
            return True
        if offset + length > len(data):
            return False
        at += 24


end, n = time.time() + seconds, 0
while time.time() < end:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        continue
    try:
        if n % 2 == 0:
            fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, struct.pack("hh4xqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0))
        data = os.read(fd, 1 << 20)
    finally:
        os.close(fd)
    n += 1
    digest = hashlib.sha256(data).hexdigest()
    seen[digest] = seen.get(digest, 0) + 1
    if not whole(data):
        partial += 1
for digest, count in sorted(seen.items()):
    print(digest, count)
print("partial", partial)
