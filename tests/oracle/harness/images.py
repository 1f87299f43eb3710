"""Packing a scenario's /etc, a libc and the probe binaries into docker-archive images for `nsslint scan`.

One image per (libc group, scenario): group glibc2.36 holds every Go binary plus the gcc-built C probe (the
Go binaries ran against the host's glibc 2.36, so that is the libc their image must show); glibc2.36-nss the
same glibc plus the NSS modules its probe loaded; glibc2.31 and musl hold their C probe. Layer 1 is the base (/etc and the libc files), layer 2 the binaries under
/usr/local/bin/<binary id>. The scenario's GODEBUG goes into the config's Env.
"""
import os
from pathlib import Path

from . import dockerarchive
from .toolchains import nss_modules, resolve_in_root

BIN_DIR = "usr/local/bin"


def image_path_of(binary_id):
    return "/%s/%s" % (BIN_DIR, binary_id)


def _host_file(path):
    return Path(os.path.realpath(path)).read_bytes()


def base_layer(group, scenario, fixtures):
    layer = dockerarchive.Layer("base: %s, %s" % (group, scenario.title))
    for name, content in scenario.etc_files().items():
        layer.add_file("etc/" + name, content.encode())
    if group in ("glibc2.36", "glibc2.36-nss"):
        # The host's own glibc (Debian 12), laid out as Debian does: real files in lib/x86_64-linux-gnu,
        # the PT_INTERP path lib64/ld-linux-x86-64.so.2 an absolute symlink to the loader.
        layer.add_file("lib/x86_64-linux-gnu/libc.so.6", _host_file("/lib/x86_64-linux-gnu/libc.so.6"), 0o755)
        layer.add_file("lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", _host_file("/lib64/ld-linux-x86-64.so.2"),
                       0o755)
        layer.add_symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
        if group == "glibc2.36-nss":
            # The NSS modules the probe ran with, where their Debian packages put them.
            for image_path, real in nss_modules(fixtures).items():
                layer.add_file(image_path, Path(real).read_bytes(), 0o644)
    elif group == "glibc2.31":
        # Debian 11's libc6 as unpacked by tests/fixtures/fetch.sh, symlinks as in the package.
        root = Path(fixtures) / "debian" / "libc6-bullseye"
        libdir = root / "lib" / "x86_64-linux-gnu"
        for name in ("ld-2.31.so", "ld-linux-x86-64.so.2", "libc-2.31.so", "libc.so.6", "libnss_files-2.31.so",
                     "libnss_files.so.2", "libnss_dns-2.31.so", "libnss_dns.so.2", "libresolv-2.31.so",
                     "libresolv.so.2"):
            src = libdir / name
            if src.is_symlink():
                layer.add_symlink("lib/x86_64-linux-gnu/" + name, os.readlink(src))
            elif src.exists():
                layer.add_file("lib/x86_64-linux-gnu/" + name, src.read_bytes(), 0o755)
        layer.add_symlink("lib64/ld-linux-x86-64.so.2", os.readlink(root / "lib64" / "ld-linux-x86-64.so.2"))
    elif group == "musl":
        # Alpine's layout: the musl libc is the loader itself, a regular file; libc.musl-x86_64.so.1 links to it.
        libc = resolve_in_root(Path(fixtures) / "debian" / "musl", "lib/ld-musl-x86_64.so.1")
        layer.add_file("lib/ld-musl-x86_64.so.1", libc.read_bytes(), 0o755)
        layer.add_symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
    else:
        raise ValueError(group)
    return layer


def write_image(path, group, scenario, binaries, fixtures):
    """binaries: [Binary] with .path set. Returns the image's tag."""
    base = base_layer(group, scenario, fixtures)
    app = dockerarchive.Layer("COPY probes to /%s" % BIN_DIR)
    for b in binaries:
        app.add_file(image_path_of(b.id), Path(b.path).read_bytes(), 0o755)
    tag = "nsslint-oracle/%s:%s" % (group, scenario.id)
    env = ["GODEBUG=" + scenario.godebug] if scenario.godebug else []
    dockerarchive.write(path, tag, [base, app], env=env)
    return tag
