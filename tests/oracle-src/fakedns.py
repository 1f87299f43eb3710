#!/usr/bin/env python3
"""fakedns.py: a tiny DNS server for ground-truth runs in a private network namespace.

Answers every A query with one address (default 127.9.9.9), every other query with NOERROR and no answer
(NODATA), over UDP and TCP, and logs each question on stderr as "fakedns: QTYPE NAME from ADDR:PORT at
SECONDS" (the query's source, and seconds since the server started). A program whose
lookup of a name listed in /etc/hosts returns 127.9.9.9 asked DNS first; one that returns the /etc/hosts
address read the file first (or never asked DNS).

    fakedns.py [--addr 127.0.0.1] [--port 53] [--answer 127.9.9.9] [--ready FILE]
               [--nxdomain NAME]... [--lifetime SECONDS] [--hold SECONDS]

--ready FILE is created once both sockets are listening. --nxdomain NAME answers NXDOMAIN, for every query
type, for NAME and for any name that starts with "NAME." (what a resolver asks after appending a search
domain): a name that only /etc/hosts knows tells whether a resolver goes on to the file after DNS said no.
--lifetime SECONDS makes the server exit by itself after that long (a bound for test harnesses).
--hold SECONDS sends each UDP answer that long after its query came: a resolver that sends AAAA only after
A's answer is then seen to wait (tests/oracle/harness/queries.py).
Standard library only. Run it only inside a private network namespace (unshare -n, then
`ip link set lo up`): it binds port 53.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 12: "PTR", 15: "MX", 16: "TXT", 33: "SRV", 65: "HTTPS"}


def parse_question(msg):
    """Return (qname, qtype, end offset of the question) of the first question."""
    labels, i = [], 12
    while True:
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            raise ValueError("compressed name in question")
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, _qclass = struct.unpack("!HH", msg[i:i + 4])
    return ".".join(labels) + ".", qtype, i + 4


NXDOMAIN = ()  # lower-case names without the final dot, from --nxdomain
HOLD = 0.0  # --hold
START = time.monotonic()


def is_nxdomain(name):
    name = name.rstrip(".").lower()
    return any(name == nx or name.startswith(nx + ".") for nx in NXDOMAIN)


def answer(msg, addr, peer):
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount != 1:
        return struct.pack("!HHHHHH", qid, 0x8000 | (flags & 0x0100) | 1, 0, 0, 0, 0)  # FORMERR
    name, qtype, end = parse_question(msg)
    nx = is_nxdomain(name)
    print("fakedns: %s %s from %s:%d at %.3f%s" % (QTYPES.get(qtype, qtype), name, peer[0], peer[1],
                                                   time.monotonic() - START, " NXDOMAIN" if nx else ""),
          file=sys.stderr, flush=True)
    # QR, opcode 0, AA, RD copied, RA, RCODE 0 (3 for NXDOMAIN)
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | (3 if nx else 0)
    answers = b""
    if qtype == 1 and not nx:
        answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(addr)
    header = struct.pack("!HHHHHH", qid, rflags, 1, 1 if answers else 0, 0, 0)
    return header + msg[12:end] + answers


def serve_udp(sock, addr):
    while True:
        msg, peer = sock.recvfrom(4096)
        try:
            reply = answer(msg, addr, peer)
        except (ValueError, IndexError, struct.error) as e:
            print("fakedns: bad query from %s: %s" % (peer, e), file=sys.stderr, flush=True)
            continue
        if HOLD > 0:
            threading.Timer(HOLD, sock.sendto, args=(reply, peer)).start()
        else:
            sock.sendto(reply, peer)


def serve_tcp_conn(conn, addr):
    peer = conn.getpeername()
    with conn:
        while True:
            head = conn.recv(2)
            if len(head) < 2:
                return
            (n,) = struct.unpack("!H", head)
            msg = b""
            while len(msg) < n:
                chunk = conn.recv(n - len(msg))
                if not chunk:
                    return
                msg += chunk
            try:
                out = answer(msg, addr, peer)
            except (ValueError, IndexError, struct.error):
                return
            conn.sendall(struct.pack("!H", len(out)) + out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--answer", default="127.9.9.9")
    ap.add_argument("--ready")
    ap.add_argument("--nxdomain", action="append", default=[], metavar="NAME")
    ap.add_argument("--lifetime", type=float, metavar="SECONDS")
    ap.add_argument("--hold", type=float, default=0.0, metavar="SECONDS")
    a = ap.parse_args()
    global NXDOMAIN, HOLD
    HOLD = a.hold
    NXDOMAIN = tuple(n.rstrip(".").lower() for n in a.nxdomain)
    if a.lifetime:
        timer = threading.Timer(a.lifetime, os._exit, args=(0,))
        timer.daemon = True
        timer.start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((a.addr, a.port))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((a.addr, a.port))
    tcp.listen(16)
    threading.Thread(target=serve_udp, args=(udp, a.answer), daemon=True).start()
    if a.ready:
        open(a.ready, "w").close()
    while True:
        conn, _ = tcp.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, a.answer), daemon=True).start()


if __name__ == "__main__":
    main()
