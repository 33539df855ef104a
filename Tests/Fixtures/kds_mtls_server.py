#!/usr/bin/env python3
"""A stand-in for KDS's provider endpoint (mutual TLS), for `sevhost fetch hashsticks`: HTTPS on
127.0.0.1 (port printed as "PORT <n>"), requiring a client certificate signed by CA. A POST to
/vlek/v1/<Product>/hash_sticks?... with {"hwids": [...]} is answered
{"results": [{"<hwid>": "<hex of HASHSTICK>"}]} ("not found" for hwids starting 00). Each request
is logged (path, body, client CN) to LOG.

usage: kds_mtls_server.py SERVER_CERT SERVER_KEY CA HASHSTICK LOG
"""
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

cert, key, ca, stick_path, log_path = sys.argv[1:6]
stick = open(stick_path, "rb").read().hex()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        peer = dict(x[0] for x in self.connection.getpeercert()["subject"])
        with open(log_path, "a") as f:
            f.write(json.dumps({"path": self.path, "body": body.decode(), "client": peer.get("commonName"),
                                "type": self.headers.get("Content-Type")}) + "\n")
        if "/hash_sticks?" not in self.path:
            self.send_response(404)
            self.end_headers()
            return
        hwids = json.loads(body)["hwids"]
        answer = json.dumps({"results": [{h: ("not found" if h.startswith("00") else stick) for h in hwids}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
context.load_verify_locations(ca)
context.verify_mode = ssl.CERT_REQUIRED
server = HTTPServer(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("PORT", server.server_address[1], flush=True)
server.serve_forever()
