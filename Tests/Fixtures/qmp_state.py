#!/usr/bin/env python3
"""Prints what a QEMU (or sevhost-sim) reports about its guest, read over its QMP socket by a
client independent of sevhost's (Python's json and socket modules, one newline-terminated
command at a time, as QEMU and every version of sevhost-sim take them):
{"status": ..., "running": ..., "sev-state": ... or null}.

usage: qmp_state.py SOCKET
"""
import json
import socket
import sys


def main(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(path)
    stream = sock.makefile("rwb")

    def receive():
        while True:
            message = json.loads(stream.readline())
            if "event" not in message:
                return message

    def execute(command):
        stream.write(json.dumps({"execute": command}).encode() + b"\n")
        stream.flush()
        return receive()

    greeting = receive()
    assert "QMP" in greeting, greeting
    assert "return" in execute("qmp_capabilities")
    status = execute("query-status")["return"]
    sev = execute("query-sev").get("return")
    print(json.dumps({"status": status["status"], "running": status["running"],
                      "sev-state": sev.get("state") if sev else None}))


main(sys.argv[1])
