"""Running the probes in private namespaces, and reading what they did.

The parent process writes a plan (one task per run of a binary) and starts
`unshare -m -n -u --propagation private python3 run.py --_runner PLAN RESULTS`. In those namespaces the
runner brings up lo, names the host "oracle" (no dot, so no implicit search domain), starts
tests/oracle-src/fakedns.py on 127.0.0.1:53 and runs every task through a further
`unshare -m` + `mount --bind <scenario etc> /etc`: each task sees only its scenario's /etc, the host's /etc is
never written, and every mount disappears with its namespace.

What a run tells (pure functions below, unit-tested in tests/oracle/test_harness.py):
  - Go's own words: `go package net: hostLookupOrder(NAME) = X` under GODEBUG=netdns=2 (or MODE+2);
  - the answer it printed for each of the three names (scenarios.NAMES);
  - strace: is /etc/hosts opened (open or openat: musl uses open) before a DNS packet leaves for port 53
    (connect, or sendto/sendmsg/sendmmsg: musl sends with sendto on an unconnected socket, so a filter of
    open,openat,connect alone never sees musl ask DNS)? Which libnss_*.so files were loaded?
"""
import fcntl
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import scenarios as S

STRACE_CALLS = "open,openat,connect,sendto,sendmsg,sendmmsg"
TASK_TIMEOUT = 30  # seconds for one run; DNS never times out here (fakedns answers everything)

# ---------------------------------------------------------------------------------------------------------
# In the namespace


def _lo_up():
    """ip link set lo up, without needing iproute2."""
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifr))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


# The scenario's /etc over /etc, and an empty /run as in a container: no system bus, no systemd-resolved or
# avahi-daemon socket of the host reaches an NSS module.
MOUNT_AND_EXEC = ('mount --bind "$1" /etc || exit 125; mount -t tmpfs -o size=1m none /run || exit 125; '
                  'shift; exec "$@"')


class _HeldStdin:
    """A pipe for a child's stdin whose write end closes HOLD seconds after the child started: a server that
    stops when its stdin closes (esbuild --serve) has time to resolve its host and listen, then ends."""

    def __init__(self, hold):
        self.hold = hold
        self.read_end, self._write_end = os.pipe()
        self._lock = threading.Lock()
        self._timer = None

    def started(self):
        os.close(self.read_end)
        self.read_end = None
        self._timer = threading.Timer(self.hold, self._close_write)
        self._timer.start()

    def _close_write(self):
        with self._lock:
            if self._write_end is not None:
                os.close(self._write_end)
                self._write_end = None

    def close(self):
        if self._timer:
            self._timer.cancel()
        self._close_write()
        if self.read_end is not None:
            os.close(self.read_end)
            self.read_end = None


def _run_task(task, strace):
    argv = list(task["argv"])
    log = None
    if task.get("strace") and strace:
        log = task["strace_log"]
        argv = [strace, "-f", "-qq", "-e", "signal=none", "-e", "trace=" + STRACE_CALLS, "-s", "300",
                "-o", log, "--"] + argv
    cmd = ["unshare", "-m", "--propagation", "private", "--", "sh", "-c", MOUNT_AND_EXEC, "sh",
           task["etc"]] + argv
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
    env.update(task.get("env") or {})
    res = {"key": task["key"]}
    t0 = time.monotonic()
    held = _HeldStdin(task["stdin_hold"]) if task.get("stdin_hold") else None
    p = None
    try:
        p = subprocess.Popen(cmd, env=env, stdin=held.read_end if held else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        if held:
            held.started()
        out, err = p.communicate(timeout=TASK_TIMEOUT)
        res.update(rc=p.returncode, stdout=out.decode(errors="replace")[-20000:],
                   stderr=err.decode(errors="replace")[-20000:])
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        res.update(rc=None, error="timed out after %d s" % TASK_TIMEOUT,
                   stdout=(out or b"").decode(errors="replace")[-20000:],
                   stderr=(err or b"").decode(errors="replace")[-20000:])
    except OSError as e:
        res.update(rc=None, error="could not start: %s" % e, stdout="", stderr="")
    finally:
        if held:
            held.close()
    res["seconds"] = round(time.monotonic() - t0, 3)
    if res.get("rc") == 125:
        res["error"] = "mount --bind %s /etc (or tmpfs on /run) failed: %s" % (task["etc"], res["stderr"].strip())
    if log:
        try:
            res["strace"] = strace_relevant(Path(log).read_text(errors="replace"))
        except OSError as e:
            res["strace_error"] = str(e)
    return res


def runner_main(plan_path, results_path):
    """Entry point inside `unshare -m -n -u`: fakedns up, every task run, fakedns down."""
    plan = json.loads(Path(plan_path).read_text())
    _lo_up()
    socket.sethostname("oracle")
    ready = Path(plan["work"]) / "fakedns.ready"
    dns_log = open(Path(plan["work"]) / "fakedns.log", "w")
    cmd = [sys.executable, plan["fakedns"], "--ready", str(ready), "--lifetime", str(plan["lifetime"])]
    for name in plan["nxdomain"]:
        cmd += ["--nxdomain", name]
    dns = subprocess.Popen(cmd, stderr=dns_log, stdout=dns_log)
    try:
        for _ in range(100):
            if ready.exists() or dns.poll() is not None:
                break
            time.sleep(0.05)
        if not ready.exists():
            raise SystemExit("fakedns did not start; see %s" % dns_log.name)
        with ThreadPoolExecutor(plan["workers"]) as pool:
            results = list(pool.map(lambda t: _run_task(t, plan.get("strace")), plan["tasks"]))
        if plan.get("query_tasks"):
            results += _run_query_tasks(plan)
    finally:
        dns.kill()
        dns.wait()
    Path(results_path).write_text(json.dumps(results))


def _run_query_tasks(plan):
    """The query runs (harness/queries.py): one at a time, against a second fake DNS server that holds its
    answers; each run's result carries the lines that server logged while it ran."""
    work = Path(plan["work"])
    ready = work / "fakedns-held.ready"
    log_path = work / "fakedns-held.log"
    log = open(log_path, "w")
    cmd = [sys.executable, plan["fakedns"], "--addr", plan["query_addr"], "--hold", str(plan["query_hold"]),
           "--ready", str(ready), "--lifetime", str(plan["lifetime"])]
    dns = subprocess.Popen(cmd, stderr=log, stdout=log)
    results = []
    try:
        for _ in range(100):
            if ready.exists() or dns.poll() is not None:
                break
            time.sleep(0.05)
        if not ready.exists():
            raise SystemExit("the holding fakedns did not start; see %s" % log_path)
        for task in plan["query_tasks"]:
            start = log_path.stat().st_size
            res = _run_task(task, None)
            time.sleep(plan["query_hold"] + 0.1)  # answers still held are logged by now
            with open(log_path, errors="replace") as f:
                f.seek(start)
                res["dns_log"] = [line.rstrip("\n") for line in f]
            results.append(res)
    finally:
        dns.kill()
        dns.wait()
    return results


def namespaces_work():
    """None when `unshare -m -n -u` + a bind mount works here, else why not."""
    if os.geteuid() != 0:
        return "not root (unshare -m needs CAP_SYS_ADMIN)"
    try:
        p = subprocess.run(["unshare", "-m", "-n", "-u", "--propagation", "private", "--", "sh", "-c",
                            "mount --bind /tmp /mnt && umount /mnt"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unshare: %s" % e
    if p.returncode != 0:
        return "unshare -m -n -u failed: %s" % p.stdout.strip()
    return None


# ---------------------------------------------------------------------------------------------------------
# Reading the runs (pure)

_PID = r"^(?:\[pid\s+)?(\d+)\]?\s+"
_OPEN = re.compile(r'\b(open|openat)\((?:AT_FDCWD, )?"([^"]*)"')
_RESULT = re.compile(r"\)\s+=\s+(-?\d+)(?:\s+(\w+))?")
_DNS = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(.*sin6?_port=htons\(53\)")
_RESUMED = re.compile(r"<\.\.\. (open|openat) resumed>")


def strace_relevant(text):
    """The lines of an strace log that matter here: /etc opens, libnss opens, DNS traffic, and the
    matching "resumed" lines (multi-threaded programs split a call in two)."""
    keep = []
    for line in text.splitlines():
        if ('"/etc/' in line or "libnss_" in line or "htons(53)" in line
                or ("resumed>" in line and ("open" in line))):
            keep.append(line[:400])
    return keep


def strace_events(lines):
    """[(kind, detail)] in order: ("files", "/etc/hosts"), ("dns", call), ("libc", "/etc/gai.conf") for the
    files only glibc's resolver reads, ("nss", (path, ok))."""
    events, pending = [], {}
    for line in lines:
        m = _DNS.search(line)
        if m:
            events.append(("dns", m.group(1)))
            continue
        pid_m = re.match(_PID, line)
        pid = pid_m.group(1) if pid_m else ""
        m = _OPEN.search(line)
        if m:
            path = m.group(2)
            if path == "/etc/hosts":
                events.append(("files", path))
            elif path in ("/etc/gai.conf", "/etc/host.conf"):
                events.append(("libc", path))
            elif "/libnss_" in path:
                r = _RESULT.search(line)
                if r:
                    events.append(("nss", (path, int(r.group(1)) >= 0)))
                elif "<unfinished" in line:
                    pending[pid] = path
            continue
        if _RESUMED.search(line) and pid in pending:
            r = _RESULT.search(line)
            events.append(("nss", (pending.pop(pid), bool(r and int(r.group(1)) >= 0))))
    return events


def nss_service(path):
    """libnss_mdns4_minimal.so.2 -> mdns4_minimal."""
    m = re.match(r"libnss_(\w+)\.so\.2$", os.path.basename(path))
    return m.group(1) if m else None


def source_sequence(events):
    """The order in which sources were first consulted: /etc/hosts opened ("files"), a packet to port 53
    ("dns"), and an NSS module other than files/dns loaded ("mdns4_minimal", ...): glibc loads a module when
    the lookup reaches its service (nss/nss_module.c), so the load marks the call. E.g. ["files", "dns"]."""
    seq = []
    for kind, detail in events:
        if kind == "nss":
            path, ok = detail
            kind = nss_service(path) if ok else None
            if kind in (None, "files", "dns"):
                continue  # files and dns show themselves by what they do
        if kind not in ("libc",) and kind not in seq:
            seq.append(kind)
    return seq


def files_and_dns(order):
    """The order as the answers can show it: without the NSS services that answered nothing."""
    if order is None:
        return None
    return ",".join(s for s in order.split(",") if s in ("files", "dns"))


def nss_modules(events):
    """{libnss_X.so.2: path it was loaded from, or None if every attempt failed}."""
    mods = {}
    for kind, detail in events:
        if kind != "nss":
            continue
        path, ok = detail
        base = os.path.basename(path)
        if ok:
            mods[base] = path
        else:
            mods.setdefault(base, None)
    return mods


_GO_ORDER = re.compile(r"go package net: hostLookupOrder\(([^)]*)\) = (\S+)")


def go_debug_lines(text):
    return [line.strip() for line in text.splitlines() if line.startswith("go package net:")]


def go_order(text, name):
    """X of `go package net: hostLookupOrder(NAME) = X`, or None."""
    for m in _GO_ORDER.finditer(text):
        if m.group(1) == name:
            return m.group(2)
    return None


def _classify(name, addrs):
    if not addrs:
        return "empty"
    if addrs == [S.HOSTS_ADDR.get(name)]:
        return "files"
    if addrs == [S.DNS_ADDR]:
        return "dns"
    return "other:" + " ".join(addrs)


# esbuild --serve=NAME:PORT prints the address it listens on (" > Local: http://127.9.9.9:20001/") or the
# one it could not bind ("listen tcp 10.1.2.3:20001: bind: cannot assign requested address": /etc/hosts'
# addresses are not on the namespace's lo).
_ESBUILD_ADDR = re.compile(r"(?:listen tcp |http://)(\d+\.\d+\.\d+\.\d+):\d+")


def answer_of(run, name, style="lookup"):
    """What the probe printed for NAME: "files" (the /etc/hosts address), "dns" (the fake DNS address),
    "fail" (an error), "empty" (no address and no error: Go 1.19 and older with `hosts: files` and a name
    not in /etc/hosts; 1.21 returns "no such host"), or "other:<addresses>". STYLE "esbuild": read the
    address esbuild --serve listened on or failed to bind."""
    if run.get("error"):
        return "fail"
    if style == "esbuild":
        addrs = sorted(set(_ESBUILD_ADDR.findall(run.get("stdout", "") + run.get("stderr", ""))))
        return _classify(name, addrs) if addrs else "fail"
    for line in run.get("stdout", "").splitlines():
        parts = line.split()
        if parts and parts[0] == name:
            return _classify(name, parts[1:])
    return "fail"


def order_from_answers(answers):
    """Order implied by the three answers ({name: answer_of}); (order or None, [problems])."""
    problems = []
    first = answers.get(S.IN_BOTH)
    if first not in ("files", "dns"):
        return None, ["%s: expected an answer from /etc/hosts or DNS, got %s" % (S.IN_BOTH, first)]
    if first == "files":
        b = answers.get(S.DNS_ONLY)
        order = "files,dns" if b == "dns" else "files" if b in ("fail", "empty") else None
        if order is None:
            problems.append("%s answered %s" % (S.DNS_ONLY, b))
        if answers.get(S.FILE_ONLY) != "files":
            problems.append("files first, yet %s answered %s" % (S.FILE_ONLY, answers.get(S.FILE_ONLY)))
    else:
        c = answers.get(S.FILE_ONLY)
        order = "dns,files" if c == "files" else "dns" if c in ("fail", "empty") else None
        if order is None:
            problems.append("%s answered %s" % (S.FILE_ONLY, c))
        if answers.get(S.DNS_ONLY) != "dns":
            problems.append("DNS first, yet %s answered %s" % (S.DNS_ONLY, answers.get(S.DNS_ONLY)))
    return order, problems


def order_from_strace(seqs):
    """Order implied by the three source sequences ({name: source_sequence}); (order or None, [problems])."""
    a = seqs.get(S.IN_BOTH) or []
    if not a:
        return None, ["%s: neither /etc/hosts nor DNS seen in strace" % S.IN_BOTH]
    first = a[0]
    deciding = S.DNS_ONLY if first == "files" else S.FILE_ONLY
    other = S.FILE_ONLY if first == "files" else S.DNS_ONLY
    problems = []
    seq = seqs.get(deciding) or []
    if not seq or seq[0] != first:
        problems.append("%s: strace shows %s, expected %s first" % (deciding, ",".join(seq) or "nothing", first))
    if (seqs.get(other) or [None])[0] != first:
        problems.append("%s: strace shows %s, expected %s first"
                        % (other, ",".join(seqs.get(other) or []) or "nothing", first))
    return (",".join(seq) if seq else None), problems


def derive(binary, runs, strace_available):
    """The observation of one cell from its runs ({"debug": run, NAME: run}).

    Returns a dict: netdns (Go's printed order), netdns_lines, answers, strace (sequences), nss, libc_seen,
    libc_order (what the answers/strace show), effective (the verdict), notes, problems (non-empty: error).
    """
    obs = {"notes": [], "problems": []}
    for key, run in runs.items():
        if run.get("error"):
            obs["problems"].append("%s run: %s" % (key, run["error"]))
    answers = {n: answer_of(runs[n], n, binary.get("answers", "lookup")) for n in S.NAMES if n in runs}
    obs["answers"] = answers
    for n, a in answers.items():
        if a == "empty":
            obs["notes"].append("%s: the lookup returned no address and no error" % n)
    a_order, a_problems = order_from_answers(answers)
    obs["problems"] += ["answers: " + p for p in a_problems]

    s_order = None
    if strace_available:
        events = {n: strace_events(runs[n].get("strace", [])) for n in S.NAMES if n in runs}
        seqs = {n: source_sequence(e) for n, e in events.items()}
        obs["strace"] = {n: ",".join(s) for n, s in seqs.items()}
        s_order, s_problems = order_from_strace(seqs)
        obs["problems"] += ["strace: " + p for p in s_problems]
        mods = {}
        for e in events.values():
            for k, v in nss_modules(e).items():
                if v or k not in mods:
                    mods[k] = v
        obs["nss"] = mods
        obs["libc_seen"] = any(k == "libc" for e in events.values() for k, _ in e)
        if a_order and s_order and a_order != files_and_dns(s_order):
            obs["problems"].append("answers say %s, strace says %s" % (a_order, s_order))
    libc_order = s_order or a_order
    obs["libc_order"] = libc_order

    if binary["kind"] == "c":
        obs["effective"] = libc_order
    else:
        debug = runs.get("debug", {})
        text = debug.get("stderr", "")
        obs["netdns_lines"] = go_debug_lines(text)
        said = go_order(text, S.IN_BOTH)
        obs["netdns"] = said
        if said is None:
            obs["problems"].append("no hostLookupOrder line under GODEBUG=%s"
                                   % (debug.get("godebug") or "?"))
            obs["effective"] = None
        elif said == "cgo":
            if binary["cgo"]:
                obs["effective"] = "cgo:" + libc_order if libc_order else None
                if strace_available and not obs.get("libc_seen"):
                    obs["problems"].append("netdns=2 says cgo, yet strace shows no glibc resolver file "
                                           "(/etc/gai.conf, /etc/host.conf)")
            else:
                obs["effective"] = libc_order
                obs["notes"].append("netdns=2 says cgo but CGO_ENABLED=0: no cgo resolver linked, Go fell "
                                    "back to its own resolver (%s)" % libc_order)
        else:
            obs["effective"] = said
            if libc_order and said != libc_order:
                obs["problems"].append("netdns=2 says %s, the runs show %s" % (said, libc_order))
            if strace_available and obs.get("libc_seen"):
                obs["problems"].append("netdns=2 says %s (Go's resolver) yet glibc's resolver files were "
                                       "opened" % said)
    if obs["effective"] is None and not obs["problems"]:
        obs["problems"].append("no order could be derived")
    return obs
