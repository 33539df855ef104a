#!/usr/bin/env python3
"""Writes a small RSASSA-PSS PKI shaped like AMD's, for tests that the pool cannot serve
(it holds no KDS CRL and no VLEK): an "ARK" (self-signed, RSA-3072, PSS SHA-384 salt 48), an
"ASVK" signed by it, a "VLEK" (P-384) with AMD's VLEK extensions incl. csp_id, and two CRLs
signed by the ARK: crl-revoked.der (lists the ASVK serial) and crl-empty.pem (lists nothing).

With a chip id and four SPLs it also writes an "ASK" (ask.pem) and a VCEK (vcek.der, P-384)
for that chip at that TCB, with AMD's VCEK extensions (productName Milan-B0, the SPLs, hwID).

usage: make_test_pki.py OUTDIR [CHIP_ID_HEX BL TEE SNP UCODE]
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

out = sys.argv[1]
pss = padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
later = datetime.datetime(2040, 1, 1, tzinfo=datetime.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def der_int(v):
    body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return bytes([0x02, len(body)]) + body


def der_ia5(s):
    return bytes([0x16, len(s)]) + s.encode()


ark_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
ark = (x509.CertificateBuilder().subject_name(name("ARK-Test")).issuer_name(name("ARK-Test"))
       .public_key(ark_key.public_key()).serial_number(0x10000).not_valid_before(now).not_valid_after(later)
       .sign(ark_key, hashes.SHA384(), rsa_padding=pss))
asvk_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
asvk = (x509.CertificateBuilder().subject_name(name("SEV-VLEK-Test")).issuer_name(name("ARK-Test"))
        .public_key(asvk_key.public_key()).serial_number(0x10101).not_valid_before(now).not_valid_after(later)
        .sign(ark_key, hashes.SHA384(), rsa_padding=pss))
vlek_key = ec.generate_private_key(ec.SECP384R1())
amd = "1.3.6.1.4.1.3704.1."
ext = [("1", der_int(1)), ("2", der_ia5("Milan-B0")), ("3.1", der_int(3)), ("3.2", der_int(0)),
       ("3.3", der_int(8)), ("3.8", der_int(115)), ("5", der_ia5("Test CSP"))]
builder = (x509.CertificateBuilder().subject_name(name("SEV-VLEK")).issuer_name(name("SEV-VLEK-Test"))
           .public_key(vlek_key.public_key()).serial_number(7).not_valid_before(now).not_valid_after(later))
for oid, value in ext:
    builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(amd + oid), value), critical=False)
vlek = builder.sign(asvk_key, hashes.SHA384(), rsa_padding=pss)


def crl(revoked):
    b = (x509.CertificateRevocationListBuilder().issuer_name(name("ARK-Test"))
         .last_update(now).next_update(later))
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build())
    return b.sign(ark_key, hashes.SHA384(), rsa_padding=pss)


open(f"{out}/ark.pem", "wb").write(ark.public_bytes(serialization.Encoding.PEM))
open(f"{out}/asvk.pem", "wb").write(asvk.public_bytes(serialization.Encoding.PEM))
open(f"{out}/vlek.der", "wb").write(vlek.public_bytes(serialization.Encoding.DER))
open(f"{out}/crl-revoked.der", "wb").write(crl([0x10101, 0x20002]).public_bytes(serialization.Encoding.DER))
open(f"{out}/crl-empty.pem", "wb").write(crl([]).public_bytes(serialization.Encoding.PEM))
print("OK")

if len(sys.argv) == 7:
    chip = bytes.fromhex(sys.argv[2])
    bl, tee, snp, ucode = (int(v) for v in sys.argv[3:7])
    ask_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ask = (x509.CertificateBuilder().subject_name(name("SEV-Test")).issuer_name(name("ARK-Test"))
           .public_key(ask_key.public_key()).serial_number(0x10001).not_valid_before(now).not_valid_after(later)
           .sign(ark_key, hashes.SHA384(), rsa_padding=pss))
    vcek_key = ec.generate_private_key(ec.SECP384R1())
    builder = (x509.CertificateBuilder().subject_name(name("SEV-VCEK")).issuer_name(name("SEV-Test"))
               .public_key(vcek_key.public_key()).serial_number(1).not_valid_before(now).not_valid_after(later))
    for oid, value in [("1", der_int(0)), ("2", der_ia5("Milan-B0")), ("3.1", der_int(bl)), ("3.2", der_int(tee)),
                       ("3.3", der_int(snp)), ("3.8", der_int(ucode)), ("4", chip)]:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(amd + oid), value), critical=False)
    open(f"{out}/ask.pem", "wb").write(ask.public_bytes(serialization.Encoding.PEM))
    open(f"{out}/vcek.der", "wb").write(builder.sign(ask_key, hashes.SHA384(), rsa_padding=pss).public_bytes(serialization.Encoding.DER))
