#!/usr/bin/env python3
"""SNP ID blocks through sev-snp-measure's own reading of the format (sevsnpmeasure.id_block).

snp-create-id-block only builds blocks with its default fields; this script uses the same
package's ctypes structures (IdBlock, IdAuth, ECPublicKey, SnpSignature) and helpers, so that
blocks with any family id, image id, guest SVN and policy are built, and blocks made by another
tool are read, exactly as the peer lays them out.

usage:
  peer_id_block.py build DIGEST_B64 FAMILY_HEX IMAGE_HEX SVN POLICY ID_KEY AUTHOR_KEY
      prints "id-block=B64" and "id-auth=B64"
  peer_id_block.py verify ID_BLOCK_B64 ID_AUTH_B64
      reads both through the peer's structures, checks the ID block signature with the ID key
      and the ID key's signature with the author key; prints the fields and "OK", exit 0 only
      when both signatures verify
"""
import base64
import ctypes
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from sevsnpmeasure import id_block as peer


def build(digest_b64, family_hex, image_hex, svn, policy, id_key_path, author_key_path):
    ids = bytes.fromhex(family_hex) + bytes.fromhex(image_hex)
    block = peer.IdBlock(
        launch_digest=peer.LaunchDigest.from_buffer_copy(base64.b64decode(digest_b64)),
        version=peer.DefaultVersion,
        policy=int(policy, 0),
    )
    # c_char arrays stop at the first NUL on assignment, so the raw fields are copied in place.
    ctypes.memmove(ctypes.addressof(block) + peer.IdBlock.ids.offset, ids, len(ids))
    ctypes.memmove(ctypes.addressof(block) + peer.IdBlock.guest_svn.offset, int(svn).to_bytes(4, "little"), 4)
    id_key = peer.load_private_key_from_pem_file(id_key_path)
    author_key = peer.load_private_key_from_pem_file(author_key_path)
    auth = peer.IdAuth(
        id_key_algo=peer.DefaultKeyAlgo,
        auth_key_algo=peer.DefaultKeyAlgo,
        block_sig=peer.ECSignature.from_buffer_copy(peer.sign_in_snp_format(id_key, bytes(block))),
        id_key=peer.ECPubKey.from_buffer_copy(peer.marshal_ec_public_key(id_key)),
        id_key_sig=peer.ECSignature.from_buffer_copy(
            peer.sign_in_snp_format(author_key, peer.marshal_ec_public_key(id_key))),
        author_key=peer.ECPubKey.from_buffer_copy(peer.marshal_ec_public_key(author_key)),
    )
    print("id-block=" + base64.b64encode(bytes(block)).decode())
    print("id-auth=" + base64.b64encode(bytes(auth)).decode())


def public_key(raw):
    key = peer.ECPublicKey.from_buffer_copy(bytes(raw))
    assert key.curve == peer.CurveP384, "curve %d" % key.curve
    x = int.from_bytes(bytes(key.qx), "little")
    y = int.from_bytes(bytes(key.qy), "little")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP384R1()).public_key()


def signature(raw):
    sig = peer.SnpSignature.from_buffer_copy(bytes(raw))
    r = int.from_bytes(bytes(sig.sig_r), "little")
    s = int.from_bytes(bytes(sig.sig_s), "little")
    return utils.encode_dss_signature(r, s)


def verify(block_b64, auth_b64):
    block_bytes = base64.b64decode(block_b64)
    auth_bytes = base64.b64decode(auth_b64)
    block = peer.IdBlock.from_buffer_copy(block_bytes)
    auth = peer.IdAuth.from_buffer_copy(auth_bytes)
    print("launch_digest=" + bytes(block.launch_digest).hex())
    # A c_char array reads back only up to its first NUL; the field's raw bytes are the ids.
    ids = block_bytes[peer.IdBlock.ids.offset:peer.IdBlock.ids.offset + peer.IdBlock.ids.size]
    print("family_id=" + ids[:16].hex())
    print("image_id=" + ids[16:32].hex())
    svn = block_bytes[peer.IdBlock.guest_svn.offset:peer.IdBlock.guest_svn.offset + 4]
    print("version=%d guest_svn=%d policy=0x%x" % (block.version, int.from_bytes(svn, "little"), block.policy))
    print("algorithms=%d,%d" % (auth.id_key_algo, auth.auth_key_algo))
    id_key = public_key(auth.id_key)
    author_key = public_key(auth.author_key)
    try:
        id_key.verify(signature(auth.block_sig), block_bytes, ec.ECDSA(hashes.SHA384()))
        print("id-block signature: valid")
        author_key.verify(signature(auth.id_key_sig), bytes(auth.id_key), ec.ECDSA(hashes.SHA384()))
        print("id-key signature: valid")
    except InvalidSignature:
        print("INVALID")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "build":
        build(*sys.argv[2:9])
    elif sys.argv[1] == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: peer_id_block.py build|verify ...")
