#!/usr/bin/env python3
"""Independent check of an SNP ID block / ID auth info pair, with Python `cryptography`.

usage: verify_id_auth.py ID_BLOCK_B64 ID_AUTH_B64 ID_KEY_PEM AUTHOR_KEY_PEM
Checks the ID block signature with the ID key, the author signature over the 1028-byte ID key
structure with the author key, and that both key structures hold the given PEM keys. Prints
"OK" and exits 0 only when all hold.
"""
import base64
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

block = base64.b64decode(sys.argv[1])
auth = base64.b64decode(sys.argv[2])
assert len(block) == 96, len(block)
assert len(auth) == 4096, len(auth)
assert int.from_bytes(auth[0:4], "little") == 1 and int.from_bytes(auth[4:8], "little") == 1


def key_struct(raw):
    assert int.from_bytes(raw[0:4], "little") == 2, "curve"
    x = int.from_bytes(raw[4:76], "little")
    y = int.from_bytes(raw[76:148], "little")
    assert raw[148:] == bytes(len(raw) - 148)
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()


def signature(raw):
    assert raw[144:] == bytes(512 - 144)
    return utils.encode_dss_signature(int.from_bytes(raw[0:72], "little"), int.from_bytes(raw[72:144], "little"))


def pem_public(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None).public_key()


id_struct = auth[0x240:0x644]
id_key = key_struct(id_struct)
author_key = key_struct(auth[0x880:0xC84])
assert id_key.public_numbers() == pem_public(sys.argv[3]).public_numbers(), "ID key differs"
assert author_key.public_numbers() == pem_public(sys.argv[4]).public_numbers(), "author key differs"
id_key.verify(signature(auth[0x40:0x240]), block, ec.ECDSA(hashes.SHA384()))
author_key.verify(signature(auth[0x680:0x880]), id_struct, ec.ECDSA(hashes.SHA384()))
assert auth[0x644:0x680] == bytes(0x3C) and auth[0xC84:] == bytes(0x1000 - 0xC84)
print("OK")
