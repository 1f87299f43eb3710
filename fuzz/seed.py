#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made here (nothing opaque is committed): real ELF programs from the
fixtures (tests/fixtures/fetch.sh) and the example image, layers built as the tests build them, the example
image's own layers, nsswitch.conf files and image metadata with the placeholders the image_json target fills.

Usage: python3 fuzz/seed.py [CORPUS_DIR]   (default: fuzz/corpus)"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "fuzz", "corpus")
FIXTURES = os.environ.get("NSSLINT_FIXTURES", os.path.join(ROOT, "target", "nsslint-fixtures"))
EXAMPLE = os.path.join(ROOT, "examples", "seed-incident.tar")
SEPARATOR = b"\n--nsslint-fuzz-layer--\n"
MAX_ELF = 4 << 20
MAX_ELVES = 80


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def example_layers():
    """The example image's layer tars (uncompressed)."""
    layers = []
    with tarfile.open(EXAMPLE) as outer:
        for m in outer.getmembers():
            if m.isfile() and m.name.endswith(".tar"):
                layers.append(outer.extractfile(m).read())
    return layers


def tar_of(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if kind == "file":
                info.size = len(data)
                info.mode = 0o755
                t.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = data
                t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = data
                t.addfile(info)
    return buf.getvalue()


def pax_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


CACHE_KINDS = {"file": 0, "dir": 1, "symlink": 2, "hardlink": 3, "whiteout": 4, "opaque": 5, "other": 6}


def cache_entry(layer):
    """A layer cache entry (src/cache.rs encode_entry, before zstd) for a plain tar layer."""
    names, records, observations = b"", b"", []
    with tarfile.open(fileobj=io.BytesIO(layer)) as t:
        members = t.getmembers()
    count = 0
    for m in members:
        path = "/".join(p for p in m.name.split("/") if p not in ("", "."))
        base = path.rsplit("/", 1)[-1]
        link = ""
        if base == ".wh..wh..opq":
            kind, path = "opaque", path.rsplit("/", 1)[0] if "/" in path else ""
        elif base.startswith(".wh."):
            kind, path = "whiteout", path[: len(path) - len(base)] + base[4:]
        elif m.isdir():
            kind = "dir"
        elif m.issym():
            kind, link = "symlink", m.linkname
        elif m.islnk():
            kind, link = "hardlink", "/".join(p for p in m.linkname.split("/") if p not in ("", "."))
        elif m.isfile():
            kind = "file"
        else:
            kind = "other"
        if path == "" and kind != "opaque":
            continue
        if base in ("installed",) and "apk" in path:
            observations.append({"entry": count, "probe": "apk", "fact": {"fact": "musl", "version": "1.2.3-r0"}})
        if kind == "file" and base.startswith("ld-musl"):
            observations.append({"entry": count, "probe": "elf", "fact": {
                "fact": "elf", "kind": "shared_object", "machine": "x86_64", "bits": 64, "big_endian": False,
                "os": "linux", "os_evidence": "default", "interpreter": None, "needed": [], "go": None,
                "problems": []}})
        p, l = path.encode(), link.encode()
        records += bytes([CACHE_KINDS[kind]]) + len(p).to_bytes(4, "little") + len(l).to_bytes(4, "little")
        records += (m.size if kind == "file" else 0).to_bytes(8, "little") + (m.mode & 0xFFFFFFFF).to_bytes(4, "little")
        names += p + l
        count += 1
    facts = json.dumps({"observations": observations, "compression": "none", "stored_bytes": len(layer),
                        "tar_bytes": len(layer), "not_walked": None}).encode()
    return (b"NSLC" + (2).to_bytes(4, "little") + len(facts).to_bytes(8, "little") + facts
            + count.to_bytes(8, "little") + records + names)


def main():
    # ELF programs: the fixtures' binaries and the example's Go 1.15 program.
    elves = []
    layers = example_layers()
    for layer in layers:
        with tarfile.open(fileobj=io.BytesIO(layer)) as t:
            for m in t.getmembers():
                if m.isfile():
                    data = t.extractfile(m).read()
                    if data[:4] == b"\x7fELF":
                        elves.append((os.path.basename(m.name), data))
    for dirpath, _, files in os.walk(FIXTURES):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            try:
                if os.path.islink(p) or os.path.getsize(p) > MAX_ELF:
                    continue
                with open(p, "rb") as fh:
                    if fh.read(4) != b"\x7fELF":
                        continue
                    fh.seek(0)
                    elves.append((f, fh.read()))
            except OSError:
                continue
    seen = set()
    # The example's program first, then the fixtures, smallest first (fast executions), at most MAX_ELVES.
    go = sorted((e for e in elves[1:] if b"\xff Go buildinf:" in e[1]), key=lambda e: len(e[1]))
    other = sorted((e for e in elves[1:] if b"\xff Go buildinf:" not in e[1]), key=lambda e: len(e[1]))
    elves = elves[:1] + go[: MAX_ELVES // 2] + other
    for name, data in elves:
        if len(seen) >= MAX_ELVES:
            break
        h = hashlib.sha256(data).hexdigest()[:16]
        if h in seen:
            continue
        seen.add(h)
        put("elf", f"{name}-{h}", data)
        # Build info on its own, for the buildinfo target.
        at = data.find(b"\xff Go buildinf:")
        if at >= 0:
            put("buildinfo", f"{name}-{h}", data[at + 32 : at + 32 + 4096])
            put("buildinfo", f"{name}-{h}-header", data[at : at + 4096])
    put("buildinfo", "modinfo", b"path\texample.com/x\nmod\texample.com/x\t(devel)\t\ndep\tgolang.org/x/net\tv0.1.0\th1:abc=\nbuild\tCGO_ENABLED=0\nbuild\t-tags=netgo\n")
    put("buildinfo", "version", b"go1.21.5 X:boringcrypto")

    # nsswitch.conf files (first byte picks the releases).
    for i, text in enumerate([
        "hosts: files dns\n",
        "hosts: dns files\n",
        "hosts:     files mdns4_minimal [NOTFOUND=return] dns myhostname\n",
        "# comment\npasswd: files\nhosts: files [!UNAVAIL=return] resolve [SUCCESS=continue] dns\n",
        "hosts: files\\\n dns\n",
        "hosts:\n",
        "HOSTS: DNS\n",
    ]):
        for pick in (15, 16, 0x80 | 35, 0x80 | 21):
            put("nsswitch", f"n{i}-{pick}", bytes([pick]) + text.encode())

    # Layers: the example's own, and small ones with every entry kind, in each compression.
    small = tar_of([
        ("etc", "dir", b""),
        ("etc/nsswitch.conf", "file", b"hosts: files dns\n"),
        ("lib", "symlink", "usr/lib"),
        ("usr/lib/ld-musl-x86_64.so.1", "file", b"\x7fELF" + b"\0" * 60),
        ("usr/lib/libc.so", "hardlink", "usr/lib/ld-musl-x86_64.so.1"),
        ("etc/.wh.hosts", "file", b""),
        ("opt/.wh..wh..opq", "file", b""),
        ("var/lib/dpkg/status", "file", b"Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n\n"),
    ])
    pax = pax_tar([("usr/" + "x" * 200 + "/nsswitch.conf", b"hosts: dns\n")])
    upper = tar_of([("etc/.wh.nsswitch.conf", "file", b""), ("etc/nsswitch.conf", "symlink", "/etc/hosts")])
    put("layer", "small", small)
    put("layer", "small-gz", gzip.compress(small))
    put("layer", "pax", pax)
    put("layer", "two-layers", small + SEPARATOR + upper)
    put("layer", "three-layers", gzip.compress(small) + SEPARATOR + pax + SEPARATOR + upper)
    # The example's layers hold a 2 MB Go program (the elf target's work): only their small files are kept,
    # so executions stay fast.
    for i, layer in enumerate(layers):
        with tarfile.open(fileobj=io.BytesIO(layer)) as t:
            kept = [(m.name, "file", t.extractfile(m).read()) for m in t.getmembers() if m.isfile() and m.size < 16384]
            kept += [(m.name, "symlink", m.linkname) for m in t.getmembers() if m.issym()]
            kept += [(m.name, "dir", b"") for m in t.getmembers() if m.isdir()]
        put("layer", f"example-{i}", tar_of(kept))

    # Layer cache entries (as after zstd): the example's layers and the small layer, indexed as a walk
    # indexes them, with the facts a walk records for a musl apk database and an ELF file.
    for i, layer in enumerate(layers + [small]):
        put("cache_entry", f"layer-{i}", cache_entry(layer))

    # Image metadata, with the placeholders the image_json target replaces by real digests.
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin", "GODEBUG=netdns=go"]},
        "rootfs": {"type": "layers", "diff_ids": ["@X"]},
        "history": [{"created_by": "COPY app /app # buildkit"}],
    }).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "@C", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "@X", "size": 10}],
    }).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "@M", "size": len(manifest),
                       "platform": {"os": "linux", "architecture": "amd64"},
                       "annotations": {"org.opencontainers.image.ref.name": "latest"}}],
    }).encode()
    nested = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "@M", "size": 1}],
    }).encode()
    inner_index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "@C", "size": 1,
                       "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}],
    }).encode()
    docker = json.dumps([{"Config": "@c", "RepoTags": ["app:latest"], "Layers": ["@l"]}]).encode()
    put("image_json", "oci", index + b"\0" + manifest + b"\0" + config + b"\0" + b"layer")
    put("image_json", "nested", nested + b"\0" + inner_index + b"\0" + manifest)
    put("image_json", "docker", docker + b"\0" + manifest + b"\0" + config + b"\0" + b"layer")
    with tarfile.open(EXAMPLE) as outer:
        for m in outer.getmembers():
            if m.isfile() and m.name.endswith(".json") and m.size < 65536:
                put("image_json", "example-" + os.path.basename(m.name), outer.extractfile(m).read())

    # Engine answers: an inspect (the example's own ID and diff IDs, then one without layers), a NUL, and
    # an export — the example archive itself, and its first 4 KiB (an export cut off).
    with open(EXAMPLE, "rb") as f:
        archive = f.read()
    with tarfile.open(EXAMPLE) as outer:
        names = outer.getnames()
        docker_manifest = json.loads(outer.extractfile("manifest.json").read())
        config_name = docker_manifest[0]["Config"]
        example_config = json.loads(outer.extractfile(config_name).read())
    inspect = json.dumps({
        "Id": "sha256:" + os.path.basename(config_name).removesuffix(".json"),
        "RepoTags": docker_manifest[0].get("RepoTags") or [],
        "RootFS": {"Type": "layers", "Layers": example_config["rootfs"]["diff_ids"]},
    }).encode()
    bare = json.dumps({"Id": "sha256:" + "a" * 64}).encode()
    put("engine_answer", "example", inspect + b"\0" + archive)
    put("engine_answer", "cut-off", inspect + b"\0" + archive[:4096])
    put("engine_answer", "no-layers", bare + b"\0" + archive)
    put("engine_answer", "error-body", b'{"message":"no such image","response":404}')
    assert "manifest.json" in names

    # k8s_manifest: the shipped example manifests, and one document of each shape the reader knows (every
    # workload kind, a kubectl List of live pods, aliases, several documents in one stream).
    for name in ("k8s-cronjob.yaml", "k8s-job.yaml"):
        with open(os.path.join(ROOT, "examples", name), "rb") as f:
            put("k8s_manifest", name, f.read())
    pod_spec = [
        "spec:",
        "  hostAliases: [{ip: 10.0.0.10, hostnames: [api.other, other-api]}]",
        "  dnsPolicy: None",
        "  dnsConfig: {nameservers: [10.0.0.2], searches: [svc.local],"
        " options: [{name: ndots, value: '2'}, {name: single-request}]}",
        "  nodeSelector: {kubernetes.io/arch: arm64}",
        "  initContainers: [{name: init, image: 'busybox:1'}]",
        "  containers:",
        "    - name: app",
        "      image: registry.example/team/app@sha256:" + "0" * 64,
        "      env: [{name: GODEBUG, value: netdns=go}, {name: FROM, valueFrom: {fieldRef: {fieldPath: x}}}]",
    ]

    def indented(lines, by):
        return "".join(" " * by + line + "\n" for line in lines)

    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        put("k8s_manifest", kind.lower(), (
            f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: w, namespace: ns}}\n"
            "spec:\n  template:\n" + indented(pod_spec, 4)
        ).encode())
    put("k8s_manifest", "pod-and-unknown", (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" + indented(pod_spec, 0) +
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n"
    ).encode())
    put("k8s_manifest", "aliases", (
        "base: &c {name: a, image: 'alpine:3'}\nkind: Pod\napiVersion: v1\nmetadata: {name: p}\n"
        "spec: {containers: [*c, *c], ephemeralContainers: [*c]}\n"
    ).encode())
    put("k8s_manifest", "pod-list.json", json.dumps({
        "apiVersion": "v1", "kind": "List", "items": [{
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
            "spec": {"containers": [{"name": "app", "image": "app:1"}]},
            "status": {"containerStatuses": [
                {"name": "app", "image": "app:1", "imageID": "docker.io/library/app@sha256:" + "1" * 64}]},
        }],
    }, indent=1).encode())
    put("k8s_manifest", "cronjob", (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: '* * * * *'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, image: 'a:1'}]\n"
    ).encode())


if __name__ == "__main__":
    main()
