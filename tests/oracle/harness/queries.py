"""How each resolver sends a lookup's A and AAAA queries, with and without resolv.conf's `single-request`
and `single-request-reopen` (what rule NSL007 rests on).

A second fake DNS server (tests/oracle-src/fakedns.py --hold) listens on 127.0.0.2 and holds every answer
for HOLD seconds, logging from which socket (address:port) and when each query arrived. The runs are made one
at a time, after the order runs, each looking up scenarios.DNS_ONLY (a name only DNS knows, so both queries
go out). A resolver that waits for A's answer before it asks for AAAA sends them "one after the other"; one
that does not sends them "at once" (within HOLD/2 of each other). Same source port: "one socket".

Subjects: the C probes built against glibc 2.36 and musl, and every Go toolchain's CGO_ENABLED=0 build (Go's
own resolver). nsslint's prediction is `libc.single_request` (C probes) or `binaries[].single_request`
(Go) of the image the order matrix scanned: "honoured" must mean "one after the other" under both options,
"ignored" must mean "at once".
"""
import re
from dataclasses import dataclass
from typing import Optional

from . import scenarios as S

ADDR = "127.0.0.2"
HOLD = 0.4  # seconds each answer is held

@dataclass(frozen=True)
class QueryScenario:
    id: str
    option: Optional[str]  # the resolv.conf option, None for the baseline

    @property
    def title(self):
        return "options " + self.option if self.option else "no options"

    def etc_files(self):
        resolv = "nameserver %s\n" % ADDR + ("options %s\n" % self.option if self.option else "")
        return {"hosts": S.HOSTS, "resolv.conf": resolv, "nsswitch.conf": "hosts: files dns\n"}


QUERY_SCENARIOS = (
    QueryScenario("q-default", None),
    QueryScenario("q-single-request", "single-request"),
    QueryScenario("q-single-request-reopen", "single-request-reopen"),
)

C_SUBJECTS = ("glibc2.36", "musl")


def applicable(binary):
    """Go's own resolver (no cgo, no netdns=cgo default) and the plain C probes."""
    if binary.kind == "go":
        return not binary.cgo and not binary.embedded_netdns and not binary.serve
    return binary.subject in C_SUBJECTS


_QUERY = re.compile(r"^fakedns: (A|AAAA) (\S+) from (\S+) at ([0-9.]+)")


def pattern(log_lines, name, hold=HOLD):
    """(pattern or None, [problems]) from the held server's log of one run: "at once, one socket",
    "one after the other, two sockets", ... for the first A and first AAAA query for NAME."""
    first = {}
    for line in log_lines:
        m = _QUERY.match(line)
        if not m:
            continue
        qtype, qname, peer, at = m.group(1), m.group(2), m.group(3), float(m.group(4))
        if qname.rstrip(".").lower() != name.rstrip(".").lower():
            continue
        first.setdefault(qtype, (peer, at))
    missing = [q for q in ("A", "AAAA") if q not in first]
    if missing:
        return None, ["no %s query for %s reached the server" % (" or ".join(missing), name)]
    (peer_a, at_a), (peer_aaaa, at_aaaa) = first["A"], first["AAAA"]
    timing = "at once" if abs(at_aaaa - at_a) < hold / 2 else "one after the other"
    sockets = "one socket" if peer_a == peer_aaaa else "two sockets"
    return "%s, %s" % (timing, sockets), []


def verdict(observed_pattern):
    """What the pattern says about a single-request option: "honoured" or "ignored"."""
    if observed_pattern is None:
        return None
    return "honoured" if observed_pattern.startswith("one after the other") else "ignored"


def predicted(image_doc, binary, image_path):
    """nsslint's `single_request` for BINARY in its image's report, or None."""
    if binary.kind == "c":
        return (image_doc.get("libc") or {}).get("single_request")
    want = image_path.lstrip("/")
    for entry in image_doc.get("binaries") or []:
        if str(entry.get("path", "")).lstrip("/") == want:
            return entry.get("single_request")
    return None


def cell_state(scenario, observed_pattern, prediction, problems):
    """"agree", "disagree", "observed" (baseline, or no prediction asked) or "error"."""
    if problems or observed_pattern is None:
        return "error"
    if scenario.option is None:
        return "observed"
    if prediction is None:
        return "observed"
    return "agree" if verdict(observed_pattern) == prediction else "disagree"


def markdown(rows, cells):
    """The table for oracle.md: one row per binary, one column per query scenario."""
    head = "| binary | " + " | ".join(s.title for s in QUERY_SCENARIOS) + " |"
    out = ["## A and AAAA queries with single-request (NSL007)", "",
           "Observed at a fake DNS server holding each answer %.1f s; under the options, nsslint's "
           "`single_request` prediction in parentheses." % HOLD, "", head,
           "|---|" + "---|" * len(QUERY_SCENARIOS)]
    for binary_id, label in rows:
        line = "| %s |" % label
        for s in QUERY_SCENARIOS:
            c = cells.get((binary_id, s.id))
            if not c:
                line += " . |"
                continue
            text = c.get("observed") or "ERR"
            if c.get("predicted"):
                text += " (%s: %s)" % (c["predicted"], c["state"])
            line += " %s |" % text
        out.append(line)
    return "\n".join(out) + "\n"
