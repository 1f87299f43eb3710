#!/usr/bin/env python3
"""tests/oracle/rootfs.py: the order one program of an unpacked image really takes.

    python3 tests/oracle/rootfs.py --rootfs DIR --program /usr/local/bin/lookup --out WORKDIR

Runs the image's own program (DIR + PROGRAM) in the oracle's private namespaces (run.py's runner: a fake DNS
server on 127.0.0.1, no network) with the image's own /etc bound over /etc, as a container runtime would run
it. The runtime's part of /etc is added as a runtime adds it: /etc/resolv.conf names the fake server, and
/etc/hosts gains the oracle's names (as Docker and the kubelet append entries to the image's file). Nothing
else of the image's /etc is changed: its nsswitch.conf (or its absence) decides. Prints one JSON object:
{"order": "files,dns" | "dns,files" | ..., "answers": {name: answer}, "problems": [...]}; exits 1 when
the order could not be established.

Used by tests/fix.rs to show that `nsslint fix` changes what the real program does. Needs root (unshare -m).
"""
import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))

import run  # noqa: E402
from harness import observe, toolchains  # noqa: E402
from harness import scenarios as S  # noqa: E402


def runtime_etc(rootfs, work):
    """A copy of the image's /etc with what the runtime adds: the oracle's hosts entries and resolv.conf."""
    etc = Path(work) / "etc"
    source = Path(rootfs) / "etc"
    if source.is_dir():
        shutil.copytree(source, etc, symlinks=True)
    else:
        etc.mkdir()
    hosts = etc / "hosts"
    before = hosts.read_text() if hosts.is_file() and not hosts.is_symlink() else ""
    if hosts.is_symlink():
        hosts.unlink()
    # Only the names the file lacks: a name listed twice would be answered with its address twice.
    known = {name for line in before.splitlines() for name in line.split("#")[0].split()[1:]}
    added = [line for line in S.HOSTS.splitlines(keepends=True)
             if not known.intersection(line.split()[1:])]
    hosts.write_text(before + ("" if before.endswith("\n") or not before else "\n") + "".join(added))
    resolv = etc / "resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    resolv.write_text(S.RESOLV_CONF)
    return etc


def main(argv):
    ap = argparse.ArgumentParser(prog="tests/oracle/rootfs.py", description=__doc__.splitlines()[1].strip())
    ap.add_argument("--rootfs", required=True, help="the unpacked image (umoci unpack's rootfs/)")
    ap.add_argument("--program", required=True, help="the program's path inside the image")
    ap.add_argument("--out", required=True, help="a work directory (created)")
    args = ap.parse_args(argv)
    why = observe.namespaces_work()
    if why:
        print("cannot run the oracle here: %s" % why, file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="rootfs-", dir=Path(args.out).resolve()))
    etc = runtime_etc(args.rootfs, work)
    program = str(Path(args.rootfs) / args.program.lstrip("/"))
    tasks = [dict(key=name, etc=str(etc), argv=[program, name], env={}, stdin_hold=None) for name in S.NAMES]
    plan = {"work": str(work), "fakedns": str(toolchains.ORACLE_SRC / "fakedns.py"), "nxdomain": [S.FILE_ONLY],
            "lifetime": run.RUNNER_TIMEOUT + 60, "strace": None, "tasks": tasks}
    results = run.run_in_namespace(plan, work, len(tasks))
    answers = {name: observe.answer_of(results[name], name) for name in S.NAMES}
    order, problems = observe.order_from_answers(answers)
    print(json.dumps({"order": order, "answers": answers, "problems": problems,
                      "output": {n: results[n].get("stdout", "") + results[n].get("stderr", "") for n in S.NAMES}}))
    return 0 if order else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
