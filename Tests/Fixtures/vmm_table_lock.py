#!/usr/bin/env python3
"""Plays a VMM serving SNP certificate requests, for sevhost's tests of the kernel's locking
rule: holds a shared OFD lock (F_OFD_SETLKW, F_RDLCK) on the certificate table it has open.

usage: vmm_table_lock.py TABLE   then commands on stdin, one per line, each answered on stdout:
  lock    open TABLE (once), take the shared lock, read it: "locked SHA256"
  unlock  drop the lock: "unlocked"
  read    on the descriptor opened first: lock, read, unlock: "read SHA256"
"""
import fcntl
import hashlib
import os
import struct
import sys

path = sys.argv[1]
fd = None


def flock(kind):
    # struct flock on x86-64: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks).
    return struct.pack("hh4xqqi4x", kind, os.SEEK_SET, 0, 0, 0)


def read_all():
    data = b""
    while True:
        chunk = os.pread(fd, 65536, len(data))
        if not chunk:
            return data
        data += chunk


for line in sys.stdin:
    command = line.strip()
    if command == "lock":
        if fd is None:
            fd = os.open(path, os.O_RDONLY)
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, flock(fcntl.F_RDLCK))
        print("locked", hashlib.sha256(read_all()).hexdigest(), flush=True)
    elif command == "unlock":
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock(fcntl.F_UNLCK))
        print("unlocked", flush=True)
    elif command == "read":
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, flock(fcntl.F_RDLCK))
        data = read_all()
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, flock(fcntl.F_UNLCK))
        print("read", hashlib.sha256(data).hexdigest(), flush=True)
