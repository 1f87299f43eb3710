#!/usr/bin/env python3
"""bench/peers.py — the tables of bench/peers.sh: what nsslint, Syft and Trivy found in each image, and how
long each took and how much memory, as Markdown.

Each tool's output is read into the same shape, {Go binary path: Go version}, by one parser per tool (the
functions below; tests/peers checks them against stored real outputs):

- nsslint `scan --format json`: images[].binaries[] path, go_version;
- Syft `-o json`: artifacts[] of type go-module, located at locations[].accessPath (the path the image
  shows), with metadata.goCompiledVersion (Syft writes one artifact per module a binary holds);
- Trivy `--format cyclonedx`: components of type application with the property aquasecurity:trivy:Type =
  gobinary, named by the path without its leading "/"; the Go version is that of the nearest stdlib
  component below the application in the dependency graph (Trivy writes it as v1.N.M).

Usage: peers.py --runs DIR --image NAME PROGRAMS.TSV [--image ...]
  DIR holds times.tsv (tool, size, mode, round, wall, rss_kib) and out/NAME.TOOL.ROUND.json; PROGRAMS.TSV
  lists the Go program paths the generator wrote (path, kind, origin).
Exits 1 when a peer found a Go binary nsslint did not, or a different Go version for one.
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

TOOLS = ("nsslint", "trivy", "syft")
NAMES = {"nsslint": "nsslint", "trivy": "Trivy", "syft": "Syft"}


def nsslint_finds(report):
    """{path: go version} from an nsslint JSON report (every image in it)."""
    found = {}
    for image in report.get("images", []):
        for binary in image.get("binaries", []):
            found[binary["path"]] = binary.get("go_version")
    return found


def syft_finds(document):
    """{path: go version} from a Syft JSON document, its go-module artifacts only."""
    found = {}
    for artifact in document.get("artifacts", []):
        if artifact.get("type") != "go-module":
            continue
        version = (artifact.get("metadata") or {}).get("goCompiledVersion")
        for location in artifact.get("locations", []):
            path = location.get("accessPath") or location["path"]
            found[path] = version or found.get(path)
    return found


def go_version_of_stdlib(version):
    """Trivy's "v1.21.13" as Go writes it, "go1.21.13"."""
    return "go" + version[1:] if version and version.startswith("v") else version


def trivy_finds(bom):
    """{path: go version} from a Trivy CycloneDX BOM: its gobinary applications."""
    components = {c.get("bom-ref"): c for c in bom.get("components", [])}

    def trivy_type(component):
        for prop in component.get("properties", []):
            if prop.get("name") == "aquasecurity:trivy:Type":
                return prop.get("value")
        return None

    depends = {d["ref"]: d.get("dependsOn", []) for d in bom.get("dependencies", [])}
    found = {}
    for ref, component in components.items():
        if component.get("type") != "application" or trivy_type(component) != "gobinary":
            continue
        found["/" + component["name"].lstrip("/")] = nearest_stdlib(ref, components, depends)
    return found


def nearest_stdlib(ref, components, depends):
    """The Go version of the stdlib component nearest below `ref`: Trivy hangs it on the application itself
    when the binary has no main module, else on the main module (application → main module → stdlib)."""
    level, seen = [ref], {ref}
    while level:
        for dep in level:
            library = components.get(dep, {})
            if dep != ref and library.get("name") == "stdlib":
                return go_version_of_stdlib(library.get("version"))
        level = [d for r in level for d in depends.get(r, []) if d not in seen]
        seen.update(level)
    return None


PARSERS = {"nsslint": nsslint_finds, "syft": syft_finds, "trivy": trivy_finds}


def read_programs(path):
    """{path: (kind, origin)} from a generator's programs.tsv (see bench/gen/src/peers.rs)."""
    programs = {}
    if path:
        for line in Path(path).read_text().splitlines():
            if line.strip():
                name, kind, origin = line.split("\t", 2)
                programs[name] = (kind, origin)
    return programs


def compare(finds, programs):
    """The comparison of one image: a row of counts, the defects, and what nsslint alone found, with why."""
    ours = finds["nsslint"]
    defects = []
    only_ours = []
    agree = 0
    for peer in ("syft", "trivy"):
        for path, version in sorted(finds[peer].items()):
            if path not in ours:
                defects.append(f"{path}: {NAMES[peer]} finds it ({version}), nsslint does not")
            elif ours[path] != version:
                defects.append(f"{path}: {NAMES[peer]} says {version}, nsslint {ours[path]}")
            else:
                agree += 1
    for path in sorted(programs):
        if path not in ours:
            defects.append(f"{path}: in the image ({programs[path][1]}), nsslint does not find it")
    for path, version in sorted(ours.items()):
        missed_by = [NAMES[p] for p in ("syft", "trivy") if path not in finds[p]]
        if missed_by:
            only_ours.append((path, version, missed_by, programs.get(path)))
    row = {
        "programs": len(programs),
        "nsslint": len(ours),
        "syft": len(finds["syft"]),
        "trivy": len(finds["trivy"]),
        "agree": agree,
    }
    return row, defects, only_ours


# Fixtures a peer is known to miss, and why (tests/fixtures/README.md says what each fixture is).
FIXTURE_WITHOUT_BUILD_INFO = "esbuild-0.28.2"


def why(program):
    """Why a peer misses a binary, from how the generator made it ((kind, origin), or None: the example)."""
    if program is None:
        return "not in the image's programs.tsv"
    kind, origin = program
    if kind == "hardlink":
        return f"a second path to the same file ({origin})"
    if kind == "gopath":
        return f"built in GOPATH mode by {origin}: its build info holds the Go release and no module lines"
    if kind == "fixture" and FIXTURE_WITHOUT_BUILD_INFO in origin:
        return "no .go.buildinfo section (its Go version is read from the runtime's own string)"
    return f"{kind}: {origin}"


def median_cells(times_path):
    """{(tool, size, mode): (median wall s, max RSS KiB, runs)}."""
    walls, rss = defaultdict(list), defaultdict(int)
    lines = Path(times_path).read_text().splitlines()[1:]
    for line in lines:
        tool, size, mode, _round, wall, kib = line.split("\t")
        walls[(tool, size, mode)].append(float(wall))
        rss[(tool, size, mode)] = max(rss[(tool, size, mode)], int(kib))
    return {k: (statistics.median(v), rss[k], len(v)) for k, v in walls.items()}


def fmt_s(s):
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def fmt_mib(kib):
    return f"{kib / 1024:.0f} MiB"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", required=True, type=Path)
    parser.add_argument("--image", nargs=2, action="append", metavar=("NAME", "PROGRAMS"), required=True)
    args = parser.parse_args(argv)
    cells = median_cells(args.runs / "times.tsv")
    sizes = [name for name, _ in args.image]

    print("Wall time (median) and peak RSS (largest), cold: no cache for anyone")
    print()
    print("| image | nsslint | Trivy | Syft | Trivy ÷ nsslint, time | Syft ÷ nsslint, time"
          " | Trivy ÷ nsslint, memory | Syft ÷ nsslint, memory |")
    print("|---|---|---|---|---|---|---|---|")
    ahead = True
    for size in sizes:
        n, t, s = (cells[(tool, size, "cold")] for tool in TOOLS)
        ahead &= n[0] < t[0] and n[0] < s[0] and n[1] < t[1] and n[1] < s[1]
        print(f"| {size} | {fmt_s(n[0])}, {fmt_mib(n[1])} | {fmt_s(t[0])}, {fmt_mib(t[1])}"
              f" | {fmt_s(s[0])}, {fmt_mib(s[1])} | {t[0] / n[0]:.1f}× | {s[0] / n[0]:.1f}×"
              f" | {t[1] / n[1]:.1f}× | {s[1] / n[1]:.1f}× |")
    print()
    print("Warm: nsslint's --cache-dir and Trivy's cache primed by one run (Syft has no cache: its cold figure"
          " stands)")
    print()
    print("| image | nsslint | Trivy | Trivy ÷ nsslint, time | Trivy ÷ nsslint, memory | Syft (cold) ÷ nsslint, time |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        n, t = cells[("nsslint", size, "warm")], cells[("trivy", size, "warm")]
        s = cells[("syft", size, "cold")]
        print(f"| {size} | {fmt_s(n[0])}, {fmt_mib(n[1])} | {fmt_s(t[0])}, {fmt_mib(t[1])}"
              f" | {t[0] / n[0]:.1f}× | {t[1] / n[1]:.1f}× | {s[0] / n[0]:.1f}× |")
    print()

    print("What each found (round 1's outputs): Go binary paths, and how many a peer reports with the same Go"
          " version as nsslint")
    print()
    print("| image | Go program paths written | nsslint | Syft | Trivy | peer finds with nsslint's version"
          " | found by a peer, missed by nsslint |")
    print("|---|---|---|---|---|---|---|")
    all_defects, all_only = [], []
    for size, programs_tsv in args.image:
        finds = {}
        for tool in TOOLS:
            with open(args.runs / "out" / f"{size}.{tool}.1.json") as f:
                finds[tool] = PARSERS[tool](json.load(f))
        programs = read_programs(programs_tsv)
        row, defects, only_ours = compare(finds, programs)
        written = row["programs"]
        print(f"| {size} | {written} | {row['nsslint']} | {row['syft']} | {row['trivy']}"
              f" | {row['agree']} of {row['syft'] + row['trivy']} | {len(defects)} |")
        all_defects += [f"{size}: {d}" for d in defects]
        all_only += [(size, *o) for o in only_ours]
    print()
    if all_only:
        print("Found by nsslint and not by a peer:")
        print()
        for size, path, version, missed_by, program in all_only:
            print(f"- {size}: `{path}` ({version}), not by {' nor '.join(missed_by)}: {why(program)}")
        print()
    if all_defects:
        print("DEFECTS (a peer's find nsslint lacks or disagrees with):")
        for d in all_defects:
            print(f"- {d}")
        return 1
    print(f"No Go binary a peer found is missed by nsslint; nsslint ahead of both, cold, on every image:"
          f" {'yes' if ahead else 'NO'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
