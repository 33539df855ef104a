#!/usr/bin/env python3
"""query-status round trips through the qemu.qmp library, the reference figure that
benchmarks/qmp.sh compares sevhost's QMP client with. CONCURRENCY tasks share COUNT (1 means
strictly sequential round trips)."""
import asyncio
import sys
import time

from qemu.qmp import QMPClient


async def main(socket_path: str, count: int, concurrency: int) -> None:
    client = QMPClient("bench")
    await client.connect(socket_path)
    per_task = count // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            await client.execute("query-status")

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await client.disconnect()
    mode = "sequential" if concurrency == 1 else f"{concurrency} in flight"
    total = per_task * concurrency
    print(f"qemu.qmp query-status ({mode}): {total} round trips in {elapsed:.3f} s = {total / elapsed:.0f} per second")


def floor(socket_path: str, count: int) -> None:
    """No library at all: one blocking socket, a fixed request line, only json.loads of the
    reply. What QEMU itself answers, sequentially, on this machine: the ceiling for any client."""
    import json
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.connect(socket_path)
    stream = sock.makefile("rwb")
    stream.readline()
    stream.write(b'{"execute":"qmp_capabilities"}\n')
    stream.flush()
    stream.readline()
    start = time.perf_counter()
    for i in range(count):
        stream.write(b'{"execute":"query-status","id":%d}\n' % i)
        stream.flush()
        json.loads(stream.readline())
    elapsed = time.perf_counter() - start
    sock.close()
    print(f"raw blocking socket query-status (sequential, no library): {count} round trips in {elapsed:.3f} s = {count / elapsed:.0f} per second")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[3] == "raw":
        floor(sys.argv[1], int(sys.argv[2]))
    elif len(sys.argv) in (3, 4):
        asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) == 4 else 1))
    else:
        sys.exit("usage: qmp_roundtrips.py SOCKET COUNT [CONCURRENCY|raw]")
