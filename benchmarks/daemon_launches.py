"""Times simulated launches through sevhostd's API: N VMs started at once (each request
waits until its VM is paused and measured), against one launch, and reads the daemon's
resident memory before and after.

usage: daemon_launches.py SOCKET SPEC_TEMPLATE DAEMON_PID COUNT
SPEC_TEMPLATE is a VM spec whose `name:` line is replaced per VM.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=300)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def call(path, method, url, body=None):
    connection = UnixConnection(path)
    connection.request(method, url, body=json.dumps(body) if body is not None else None)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status >= 300:
        raise SystemExit(f"{method} {url}: {response.status} {data.decode()}")
    return json.loads(data) if data else None


def rss(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"no {field} for pid {pid}")


def children(pid):
    """The pids whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def guests_memory(daemon_pid):
    """RSS of the daemon's guests: each front (sevhost-sim) and the QEMU it started."""
    fronts = children(daemon_pid)
    qemus = [qemu for front in fronts for qemu in children(front)]
    return len(fronts), sum(rss(p, "VmRSS") for p in fronts), len(qemus), sum(rss(p, "VmRSS") for p in qemus)


def launch_all(sock, names):
    results = {}

    def start(name):
        results[name] = call(sock, "POST", f"/v1/vms/{name}/start?wait=true")["state"]

    threads = [threading.Thread(target=start, args=(name,)) for name in names]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    states = sorted(set(results.values()))
    if states != ["awaiting-secret"]:
        raise SystemExit(f"not every VM reached awaiting-secret: {results}")
    return elapsed


def main():
    sock, template_path, pid, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    template = open(template_path).read()
    idle = rss(pid, "VmRSS")

    def define(name):
        spec = "\n".join(f"name: {name}" if line.startswith("name:") else line for line in template.splitlines())
        call(sock, "POST", "/v1/vms", {"spec": spec + "\n", "file": template_path})

    def destroy(names):
        for name in names:
            call(sock, "DELETE", f"/v1/vms/{name}?force=true")

    single = []
    for round_ in range(5):
        define(f"one-{round_}")
        single.append(launch_all(sock, [f"one-{round_}"]))
        destroy([f"one-{round_}"])
    names = [f"vm-{index:03d}" for index in range(count)]
    for name in names:
        define(name)
    many = launch_all(sock, names)
    peak = rss(pid, "VmHWM")
    running = rss(pid, "VmRSS")
    fronts, fronts_rss, qemus, qemus_rss = guests_memory(pid)
    destroy(names)
    after = rss(pid, "VmRSS")
    best = min(single)
    print(f"one launch (best of 5): {best * 1000:.0f} ms (all: {', '.join(f'{s * 1000:.0f}' for s in single)} ms)")
    print(f"{count} concurrent launches: {many:.2f} s ({many / best:.1f}x one launch, {many / count * 1000:.0f} ms per VM)")
    print(f"daemon RSS: idle {idle / 2**20:.1f} MiB, with {count} VMs {running / 2**20:.1f} MiB, "
          f"peak {peak / 2**20:.1f} MiB, after destroying them {after / 2**20:.1f} MiB")
    print(f"guests at the gate: {fronts} sevhost-sim {fronts_rss / 2**20:.0f} MiB RSS in all "
          f"({fronts_rss / max(fronts, 1) / 2**20:.1f} each), {qemus} QEMU {qemus_rss / 2**20:.0f} MiB "
          f"({qemus_rss / max(qemus, 1) / 2**20:.1f} each)")


main()
