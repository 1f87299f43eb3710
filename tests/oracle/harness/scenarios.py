"""The /etc files and environments every probe binary is run with, and the names it looks up.

A scenario is an /etc/nsswitch.conf (or its absence) plus, optionally, a GODEBUG value in the environment
(what an image's `ENV GODEBUG=...` does). /etc/hosts and /etc/resolv.conf are the same in every scenario.
"""
from dataclasses import dataclass
from typing import Optional

# Three names tell the whole order from the answers alone, and strace confirms it:
#   IN_BOTH   /etc/hosts says 10.1.2.3, DNS says 127.9.9.9: the answer names the source consulted first.
#   DNS_ONLY  only DNS knows it: a resolver that read the file first goes on to DNS (files,dns) or fails (files).
#   FILE_ONLY DNS answers NXDOMAIN, /etc/hosts says 10.1.2.4: a resolver that asked DNS first goes on to the
#             file (dns,files) or fails (dns).
IN_BOTH = "myhost.test"
DNS_ONLY = "dnsonly.test"
FILE_ONLY = "filesonly.test"
NAMES = (IN_BOTH, DNS_ONLY, FILE_ONLY)
HOSTS_ADDR = {IN_BOTH: "10.1.2.3", FILE_ONLY: "10.1.2.4"}
DNS_ADDR = "127.9.9.9"  # what tests/oracle-src/fakedns.py answers for every A query it does not NXDOMAIN

HOSTS = (
    "127.0.0.1\tlocalhost\n"
    "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    "%s\t%s\n"
    "%s\t%s\n" % (HOSTS_ADDR[IN_BOTH], IN_BOTH, HOSTS_ADDR[FILE_ONLY], FILE_ONLY)
)
# No search line and no options: Go treats unknown resolv.conf options as a reason to use cgo, and the
# namespace's host name has no dot, so there is no implicit search domain either.
RESOLV_CONF = "nameserver 127.0.0.1\n"


@dataclass(frozen=True)
class Scenario:
    id: str                      # short, used in file names, image tags and matrix columns
    hosts: Optional[str]         # the "hosts:" sources; None: no hosts line; see `nsswitch`
    nsswitch: bool               # False: /etc/nsswitch.conf is missing
    godebug: Optional[str] = None  # GODEBUG in the environment (image ENV), e.g. "netdns=go"

    @property
    def title(self):
        if not self.nsswitch:
            base = "nsswitch.conf missing"
        elif self.hosts is None:
            base = "no hosts line"
        else:
            base = "hosts: " + self.hosts
        return base + (" + GODEBUG=" + self.godebug if self.godebug else "")

    def nsswitch_conf(self):
        """The file's content, or None when it must not exist."""
        if not self.nsswitch:
            return None
        lines = ["passwd:         files", "group:          files", "shadow:         files"]
        if self.hosts is not None:
            lines.append("hosts:          " + self.hosts)
        lines += ["networks:       files", "protocols:      files", "services:       files"]
        return "\n".join(lines) + "\n"

    def etc_files(self):
        """{name: content} of the scenario's /etc (image and namespace alike)."""
        files = {"hosts": HOSTS, "resolv.conf": RESOLV_CONF}
        conf = self.nsswitch_conf()
        if conf is not None:
            files["nsswitch.conf"] = conf
        return files


SCENARIOS = (
    Scenario("missing", None, nsswitch=False),
    Scenario("no-hosts", None, nsswitch=True),
    Scenario("files-dns", "files dns", nsswitch=True),
    Scenario("dns-files", "dns files", nsswitch=True),
    Scenario("files", "files", nsswitch=True),
    Scenario("dns", "dns", nsswitch=True),
    Scenario("mdns4", "files mdns4_minimal [NOTFOUND=return] dns", nsswitch=True),
    Scenario("myhostname", "files myhostname dns", nsswitch=True),
    Scenario("resolve", "files resolve [!UNAVAIL=return] dns", nsswitch=True),
    Scenario("envgo-missing", None, nsswitch=False, godebug="netdns=go"),
    Scenario("envgo-files-dns", "files dns", nsswitch=True, godebug="netdns=go"),
    Scenario("envcgo-missing", None, nsswitch=False, godebug="netdns=cgo"),
    Scenario("envcgo-files-dns", "files dns", nsswitch=True, godebug="netdns=cgo"),
)
BY_ID = {s.id: s for s in SCENARIOS}


def debug_godebug(scenario_godebug, embedded_netdns):
    """The GODEBUG for the run that prints Go's choice: the scenario's GODEBUG with its netdns mode (or,
    without one, the mode compiled in with //go:debug) plus "+2". A bare netdns=2 would replace an
    embedded netdns=cgo default (FACTS.md section 1) and so change what is being observed."""
    mode, others = None, []
    for part in (scenario_godebug or "").split(","):
        key, _, value = part.strip().partition("=")
        if not key:
            continue
        if key == "netdns":
            mode = value.split("+")[0] or None
        else:
            others.append(part.strip())
    if mode is None:
        mode = embedded_netdns
    return ",".join(others + ["netdns=%s+2" % mode if mode else "netdns=2"])
