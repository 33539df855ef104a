#!/usr/bin/python3
"""The floor libvirt itself puts under a pre-attestation through it, for benchmarks/libvirt-attest.sh:
COUNT times open URI + look the domain up + virDomainGetState + virDomainGetLaunchSecurityInfo +
close, through python3-libvirt (libvirt's own binding over the same C library sevhost calls), and
COUNT times open + look up + close alone. No checks: only libvirt's calls, so no client of libvirt
doing those calls can be faster. Run with /usr/bin/python3 (python3-libvirt is Debian's)."""
import sys
import time

import libvirt


def timed(label: str, count: int, body) -> None:
    start = time.perf_counter()
    for _ in range(count):
        body()
    elapsed = time.perf_counter() - start
    print(f"{label}: {count} in {elapsed:.3f} s, {elapsed * 1000 / count:.2f} ms each")


def main(uri: str, name: str, count: int) -> None:
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)

    def reading() -> None:
        connection = libvirt.open(uri)
        try:
            domain = connection.lookupByName(name)
            domain.state()
            info = domain.launchSecurityInfo()
            if "sev-measurement" not in info:
                raise SystemExit(f"{name}: libvirt reports no sev-measurement")
        finally:
            connection.close()

    def opening() -> None:
        connection = libvirt.open(uri)
        try:
            connection.lookupByName(name)
        finally:
            connection.close()

    timed("python3-libvirt open + lookup + state + launch security info + close", count, reading)
    timed("python3-libvirt open + lookup + close", count, opening)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: libvirt_floor.py URI DOMAIN COUNT")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
