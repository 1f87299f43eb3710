"""A minimal `docker save`-style archive (docker-archive), written with tarfile.

Layout: manifest.json ([{"Config", "RepoTags", "Layers"}]), <sha256 of config>.json, and one
<sha256 of layer>/layer.tar per layer, uncompressed, so each layer's sha256 is its diff_id. Deterministic:
fixed mtimes, owner 0:0, entries sorted, parents created.
"""
import hashlib
import io
import json
import tarfile
from pathlib import PurePosixPath

MTIME = 0


class Layer:
    """Files of one layer: add_file/add_symlink with paths relative to the image root."""

    def __init__(self, comment):
        self.comment = comment
        self.entries = {}  # path -> (type, payload, mode)

    def _parents(self, path):
        for parent in reversed(PurePosixPath(path).parents):
            p = str(parent)
            if p not in (".", "/", ""):
                self.entries.setdefault(p, ("dir", None, 0o755))

    def add_file(self, path, data, mode=0o644):
        path = str(PurePosixPath(path.lstrip("/")))
        self._parents(path)
        self.entries[path] = ("file", data, mode)

    def add_symlink(self, path, target):
        path = str(PurePosixPath(path.lstrip("/")))
        self._parents(path)
        self.entries[path] = ("symlink", target, 0o777)

    def tar_bytes(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                kind, payload, mode = self.entries[path]
                info = tarfile.TarInfo(path)
                info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = MTIME, 0, 0, "", "", mode
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                elif kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = payload
                    tar.addfile(info)
                else:
                    info.size = len(payload)
                    tar.addfile(info, io.BytesIO(payload))
        return buf.getvalue()


def _add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.mtime, info.mode, info.size = MTIME, 0o644, len(data)
    tar.addfile(info, io.BytesIO(data))


def write(path, tag, layers, env=None, cmd=None):
    """Write a docker-archive with LAYERS (list of Layer, lowest first) to PATH; returns the config digest."""
    blobs, diff_ids, names = [], [], []
    for layer in layers:
        data = layer.tar_bytes()
        digest = hashlib.sha256(data).hexdigest()
        blobs.append(("%s/layer.tar" % digest, data))
        diff_ids.append("sha256:" + digest)
        names.append("%s/layer.tar" % digest)
    created = "1970-01-01T00:00:00Z"
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] + list(env or [])},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created, "created_by": "nsslint tests/oracle: " + l.comment} for l in layers],
    }
    if cmd:
        config["config"]["Cmd"] = list(cmd)
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_digest = hashlib.sha256(config_bytes).hexdigest()
    manifest = [{"Config": config_digest + ".json", "RepoTags": [tag], "Layers": names}]
    with tarfile.open(path, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in blobs:
            _add(tar, name, data)
        _add(tar, config_digest + ".json", config_bytes)
        _add(tar, "manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
    return "sha256:" + config_digest
