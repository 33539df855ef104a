"""The pre-attestation flow over QMP, driven by QEMU's own Python client (qemu.qmp), for the
tests: an independent client against sevhost-sim. It prints one line per step; the Swift test
compares the lines.

usage: qmp_flow.py SOCKET SEVHOST TEK TIK SECRET_FILE GPA
"""
import asyncio
import subprocess
import sys

from qemu.qmp import ExecuteError, QMPClient


async def main(socket, sevhost, tek, tik, secret_file, gpa):
    qmp = QMPClient("sevhost-test")
    await qmp.connect(socket)
    version = qmp.greeting.QMP.version["qemu"]
    print(f"greeting: QEMU {version['major']}.{version['minor']}.{version['micro']}")
    status = await qmp.execute("query-status")
    print(f"status: {status['status']} running={status['running']}")
    sev = await qmp.execute("query-sev")
    print(f"sev: {sev['sev-type']} {sev['state']} policy={sev['policy']} api={sev['api-major']}.{sev['api-minor']}")
    measure = await qmp.execute("query-sev-launch-measure")
    build = subprocess.run(
        [sevhost, "secret", "build", "--tek", tek, "--tik", tik, "--measurement", measure["data"],
         "--secret", f"luks-key:{secret_file}"],
        capture_output=True, text=True, check=True)
    fields = dict(line.split(": ", 1) for line in build.stdout.splitlines() if ": " in line)
    packet = {"packet-header": fields["header"], "secret": fields["payload"], "gpa": gpa}
    print(f"inject: {await qmp.execute('sev-inject-launch-secret', packet)}")
    with qmp.listener("RESUME") as listener:
        print(f"cont: {await qmp.execute('cont')}")
        event = await asyncio.wait_for(listener.get(), 30)
        print(f"event: {event['event']} data={'data' in event}")
    status = await qmp.execute("query-status")
    print(f"status: {status['status']} running={status['running']}")
    sev = await qmp.execute("query-sev")
    print(f"sev: {sev['state']}")
    try:
        await qmp.execute("sev-inject-launch-secret", packet)
    except ExecuteError as error:
        print(f"inject again: {error.error_class}: {error}")
    with qmp.listener("SHUTDOWN") as listener:
        await qmp.execute("quit")
        event = await asyncio.wait_for(listener.get(), 30)
        print(f"event: {event['event']} {event['data']}")
    try:
        await qmp.disconnect()
    except EOFError:
        # QEMU closes the monitor once it has quit. When that EOF reaches qemu.qmp's reader
        # before disconnect() does, disconnect() raises it: after a quit it is the expected end
        # (QEMU's own python/qemu/machine takes it so too), with QEMU as with sevhost-sim.
        pass


asyncio.run(main(*sys.argv[1:6], int(sys.argv[6], 0)))
