#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a test registry that counts requests and injects faults.

    proxy.py UPSTREAM_PORT LOG_FILE [RULE ...]

It listens on 127.0.0.1 at a free port, prints that port on its first line of output, and forwards every
request to 127.0.0.1:UPSTREAM_PORT. Each request is logged to LOG_FILE as "METHOD PATH STATUS BYTES" once it
is answered. A RULE is KIND:TIMES:SUBSTRING: the first TIMES requests (-1: all) whose path contains
SUBSTRING get the fault KIND instead of (or on top of) the upstream answer:

    429       HTTP 429 with Retry-After: 1, no upstream request
    503       HTTP 503, no upstream request
    truncate  the upstream answer's headers (full Content-Length), then half its body, then the connection closes
    corrupt   the upstream answer with one byte of its body changed (same length: a wrong digest)

It serves only loopback, stops on SIGTERM, and exits by itself after 10 minutes.
"""
import http.client
import http.server
import sys
import threading

UPSTREAM = int(sys.argv[1])
LOG = sys.argv[2]
RULES = []
for spec in sys.argv[3:]:
    kind, times, substring = spec.split(":", 2)
    RULES.append([kind, int(times), substring])
LOCK = threading.Lock()


def fault_for(path):
    with LOCK:
        for rule in RULES:
            kind, times, substring = rule
            if substring in path and times != 0:
                if times > 0:
                    rule[1] -= 1
                return kind
    return None


def log(method, path, status, size):
    with LOCK:
        with open(LOG, "a") as f:
            f.write(f"{method} {path} {status} {size}\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self, method):
        fault = fault_for(self.path)
        if fault in ("429", "503"):
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' if fault == "429" else b"unavailable"
            self.send_response(int(fault))
            self.send_header("Retry-After", "1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
            log(method, self.path, int(fault), 0)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        upstream.request(method, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        if fault == "truncate":
            self.send_header("Connection", "close")
        self.end_headers()
        if method == "HEAD":
            log(method, self.path, response.status, 0)
            return
        if fault == "truncate" and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            log(method, self.path, response.status, len(data) // 2)
            return
        if fault == "corrupt" and data:
            data = bytes([data[0] ^ 0x01]) + data[1:] if len(data) < 64 else data[:-40] + bytes([data[-40] ^ 0x01]) + data[-39:]
        self.wfile.write(data)
        log(method, self.path, response.status, len(data))

    def do_GET(self):
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
timer = threading.Timer(600, server.shutdown)
timer.daemon = True
timer.start()
server.serve_forever()
