#!/usr/bin/env python3
"""Sequential query-status round trips through the qemu.qmp library, the reference figure
that benchmarks/qmp.sh compares sevhost's QMP client with."""
import asyncio
import sys
import time

from qemu.qmp import QMPClient


async def main(socket_path: str, count: int) -> None:
    client = QMPClient("bench")
    await client.connect(socket_path)
    start = time.perf_counter()
    for _ in range(count):
        await client.execute("query-status")
    elapsed = time.perf_counter() - start
    await client.disconnect()
    print(f"qemu.qmp query-status: {count} round trips in {elapsed:.3f} s = {count / elapsed:.0f} per second")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: qmp_roundtrips.py SOCKET COUNT")
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
