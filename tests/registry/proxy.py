#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a test registry that counts requests and injects faults.

    proxy.py UPSTREAM_PORT LOG_FILE [RULE ...]

It listens on 127.0.0.1 at a free port, prints that port on its first line of output, and forwards every
request to 127.0.0.1:UPSTREAM_PORT. Each request is logged to LOG_FILE as
"METHOD PATH STATUS BYTES ARRIVED AUTH" just before its answer is sent (so a client holding its answer finds
it logged; a test reads the log as soon as nsslint exits): ARRIVED is when the request came in (Unix
seconds, microsecond resolution), AUTH what its Authorization header held (never the secret): "-", "basic-ok"
or "basic-bad" (against the configured user and password), "basic" (none configured), "bearer-ok" or
"bearer-bad" (a token this proxy issued for the path's repository, or not), or "other".

A RULE is KIND[=RETRY_AFTER]:TIMES:SUBSTRING: the first TIMES requests (-1: all) whose path contains
SUBSTRING get the fault KIND instead of (or on top of) the upstream answer:

    429       HTTP 429 with Retry-After (default 1), no upstream request
    503       HTTP 503 with Retry-After (default 1), no upstream request
    truncate  the upstream answer's headers (full Content-Length), then half its body, then the connection closes
    corrupt   the upstream answer with one byte of its body changed (same length: a wrong digest)
    expire    (with bearer:…) HTTP 401 and a new challenge even with a right token, as for an expired one

RETRY_AFTER is the header's value in seconds (429=2), or date+N for an HTTP-date N seconds from the answer
(429=date+3), or none to send no Retry-After.

The rule bearer:USER:PASSWORD makes the proxy a token-auth front, as Docker Hub's: a request under /v2/
without "Authorization: Bearer TOKEN" for its repository gets 401 with
WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="nsslint-test",scope="repository:REPO:pull";
GET /token?service=…&scope=… answers {"token": …} for that scope — to anyone when USER is empty, else only
with basic auth USER:PASSWORD (otherwise 401); requests with a right token are forwarded without it.

It serves only loopback, stops on SIGTERM, and exits by itself after 10 minutes.
"""
import base64
import email.utils
import http.client
import http.server
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse

UPSTREAM = int(sys.argv[1])
LOG = sys.argv[2]
RULES = []
BEARER = None  # (user, password) when a token-auth front; user "" for anonymous tokens
for spec in sys.argv[3:]:
    if spec.startswith("bearer:"):
        _, user, password = spec.split(":", 2)
        BEARER = (user, password)
        continue
    kind, times, substring = spec.split(":", 2)
    kind, _, retry_after = kind.partition("=")
    RULES.append([kind, int(times), substring, retry_after or "1"])
LOCK = threading.Lock()
TOKENS = {}  # token -> scope
PORT = None


def fault_for(path, kinds=("429", "503", "truncate", "corrupt")):
    with LOCK:
        for rule in RULES:
            kind, times, substring, retry_after = rule
            if kind in kinds and substring in path and times != 0:
                if times > 0:
                    rule[1] -= 1
                return kind, retry_after
    return None, None


def log(method, path, status, size, arrived, auth):
    with LOCK:
        with open(LOG, "a") as f:
            f.write(f"{method} {path} {status} {size} {arrived:.6f} {auth}\n")


def repository_of(path):
    m = re.match(r"^/v2/(.+?)/(manifests|blobs|tags)/", path)
    return m.group(1) if m else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def auth_kind(self):
        value = self.headers.get("Authorization") or ""
        if not value:
            return "-"
        scheme, _, credentials = value.partition(" ")
        if scheme.lower() == "basic":
            if not BEARER or not BEARER[0]:
                return "basic"
            try:
                sent = base64.b64decode(credentials.strip()).decode()
            except Exception:
                return "basic-bad"
            return "basic-ok" if sent == f"{BEARER[0]}:{BEARER[1]}" else "basic-bad"
        if scheme.lower() == "bearer":
            scope = TOKENS.get(credentials.strip())
            repository = repository_of(self.path)
            if scope is not None and (repository is None or scope == f"repository:{repository}:pull"):
                return "bearer-ok"
            return "bearer-bad"
        return "other"

    def answer(self, method, status, body, headers=(), arrived=0.0, auth="-"):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        log(method, self.path, status, 0, arrived, auth)
        if method != "HEAD":
            self.wfile.write(body)

    def token(self, method, arrived, auth):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        scope = (query.get("scope") or [""])[0]
        if BEARER[0] and auth != "basic-ok":
            body = b'{"details":"incorrect username or password"}'
            self.answer(method, 401, body, [("WWW-Authenticate", 'Basic realm="nsslint-test"')], arrived, auth)
            return
        token = secrets.token_hex(16)
        with LOCK:
            TOKENS[token] = scope
        self.answer(method, 200, json.dumps({"token": token, "expires_in": 300}).encode(), (), arrived, auth)

    def forward(self, method):
        arrived = time.time()
        auth = self.auth_kind()
        if BEARER and self.path.startswith("/token"):
            self.token(method, arrived, auth)
            return
        expired = BEARER and fault_for(self.path, ("expire",))[0] == "expire"
        if BEARER and self.path.startswith("/v2/") and (auth != "bearer-ok" or expired):
            repository = repository_of(self.path)
            scope = f',scope="repository:{repository}:pull"' if repository else ""
            challenge = f'Bearer realm="http://127.0.0.1:{PORT}/token",service="nsslint-test"{scope}'
            body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
            self.answer(method, 401, body, [("WWW-Authenticate", challenge)], arrived, auth)
            return
        fault, retry_after = fault_for(self.path)
        if fault in ("429", "503"):
            body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' if fault == "429" else b"unavailable"
            headers = []
            if retry_after.startswith("date+"):
                at = time.time() + int(retry_after[len("date+"):])
                headers.append(("Retry-After", email.utils.formatdate(at, usegmt=True)))
            elif retry_after != "none":
                headers.append(("Retry-After", retry_after))
            self.answer(method, int(fault), body, headers, arrived, auth)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        # The token is this proxy's, not the registry's: it is not forwarded.
        dropped = ("connection", "keep-alive") + (("authorization",) if BEARER else ())
        # Every header as sent, repeated ones too (a client lists each manifest type it accepts in its own
        # Accept header), Host included: the registry builds its Location headers from it.
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        upstream.putrequest(method, self.path, skip_host=True, skip_accept_encoding=True)
        for key, value in self.headers.items():
            if key.lower() not in dropped + ("content-length",):
                upstream.putheader(key, value)
        if body is not None or method in ("POST", "PUT", "PATCH"):
            upstream.putheader("Content-Length", str(len(body or b"")))
        upstream.endheaders(body)
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
            log(method, self.path, response.status, 0, arrived, auth)
            return
        if fault == "truncate" and len(data) > 1:
            log(method, self.path, response.status, len(data) // 2, arrived, auth)
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "corrupt" and data:
            data = bytes([data[0] ^ 0x01]) + data[1:] if len(data) < 64 else data[:-40] + bytes([data[-40] ^ 0x01]) + data[-39:]
        log(method, self.path, response.status, len(data), arrived, auth)
        self.wfile.write(data)

    def do_GET(self):
        self.forward("GET")

    def do_HEAD(self):
        self.forward("HEAD")

    # The write side, for pushes (nsslint fix --output docker://…).
    def do_POST(self):
        self.forward("POST")

    def do_PUT(self):
        self.forward("PUT")

    def do_PATCH(self):
        self.forward("PATCH")

    def do_DELETE(self):
        self.forward("DELETE")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
PORT = server.server_address[1]
print(PORT, flush=True)
timer = threading.Timer(600, server.shutdown)
timer.daemon = True
timer.start()
server.serve_forever()
