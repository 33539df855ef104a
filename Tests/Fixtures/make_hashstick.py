#!/usr/bin/env python3
"""Wraps a VLEK hashstick for a simulated chip, as KDS does for a real one: AES-256-GCM with the
chip's key (the simulated firmware keeps it in its state as snp.vlek-wrap-key), a random IV,
the TCB_VERSION as additional data; laid out as SNP_VLEK_LOAD takes it (432 bytes:
IV, 4 reserved, 384 wrapped, TCB, 8 reserved, tag). Written with Python's `cryptography`,
independently of sevhost's simulator.

usage: make_hashstick.py STATE_JSON TCB_HEX OUT [--other-key]
"""
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

state = json.load(open(sys.argv[1]))
key = bytes.fromhex(state["snp"]["vlek-wrap-key"])
if "--other-key" in sys.argv:
    key = os.urandom(32)
tcb = struct.pack("<Q", int(sys.argv[2], 16))
iv = os.urandom(12)
secret = os.urandom(48) + bytes(384 - 48)
sealed = AESGCM(key).encrypt(iv, secret, tcb)
wrapped, tag = sealed[:384], sealed[384:]
stick = iv + bytes(4) + wrapped + tcb + bytes(8) + tag
assert len(stick) == 432
open(sys.argv[3], "wb").write(stick)
