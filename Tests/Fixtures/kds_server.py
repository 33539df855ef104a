#!/usr/bin/env python3
"""A tiny stand-in for AMD's Key Distribution Service, for sevhost's tests.

Serves files at KDS paths on 127.0.0.1 (an ephemeral port, printed as "PORT <n>" on stdout).
Routes come from a JSON file: {"/vcek/v1/Milan/cert_chain": {"file": "...", "throttle": 1,
"retry_after": "2"}, ...}; a route key may include the query string. "throttle": N answers the
first N requests of that route with 429 and the given Retry-After. Any other path is a 404 with
an HTML body, as KDS answers. Each request path is appended to the log file (argv[2]).
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

routes = json.load(open(sys.argv[1]))
log_path = sys.argv[2]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            with open(log_path, "a") as f:
                f.write(self.path + "\n")
        route = routes.get(self.path) or routes.get(self.path.split("?", 1)[0])
        if route is None:
            return self.send(404, b"<html><body>404 Not Found</body></html>", [("Content-Type", "text/html")])
        with lock:
            throttled = route.get("throttle", 0) > 0
            if throttled:
                route["throttle"] -= 1
        if throttled:
            return self.send(429, b"Too Many Requests", [("Retry-After", route.get("retry_after", "1"))])
        with open(route["file"], "rb") as f:
            body = f.read()
        self.send(200, body, [("Content-Type", route.get("type", "application/octet-stream"))])


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("PORT", server.server_address[1], flush=True)
server.serve_forever()
