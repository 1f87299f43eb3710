"""The parsers and the comparison of bench/peers.py, on stored real outputs of nsslint, Syft and Trivy
(samples/, written by capture.py from an image whose contents are known; see capture.py's docstring)."""

import json
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "bench"))
import peers  # noqa: E402  (bench/peers.py)

# What the sample image holds (capture.py), path → Go version.
API = ("/app/api", "go1.21.13")
ALIAS = ("/usr/bin/api-alias", "go1.21.13")
OLD = ("/usr/local/bin/old", "go1.15.15")
ESBUILD = ("/opt/esbuild/esbuild", "go1.26.5")
PROGRAMS = {
    API[0]: ("module", "go1.21.13"),
    ALIAS[0]: ("hardlink", "hard link to /app/api"),
    OLD[0]: ("gopath", "go1.15.15"),
    ESBUILD[0]: ("fixture", "/fixtures/esbuild-0.28.2/esbuild"),
}


def sample(tool):
    with open(HERE / "samples" / f"{tool}.json") as f:
        return json.load(f)


class Parsers(unittest.TestCase):
    def test_nsslint_reports_every_path_with_its_version(self):
        self.assertEqual(peers.nsslint_finds(sample("nsslint")), dict([API, ALIAS, OLD, ESBUILD]))

    def test_syft_reports_the_module_build_only(self):
        # Syft 1.18.1 writes go-module artifacts for binaries with a main module; the GOPATH build, the hard
        # link and the binary without .go.buildinfo get none.
        self.assertEqual(peers.syft_finds(sample("syft")), dict([API]))

    def test_trivy_reports_both_builds_with_their_stdlib_version(self):
        # Trivy 0.59.1: the module build's stdlib hangs under its main module, the GOPATH build's under the
        # application itself; the hard link and the binary without .go.buildinfo are not reported.
        self.assertEqual(peers.trivy_finds(sample("trivy")), dict([API, OLD]))

    def test_trivy_stdlib_version_is_written_as_go_writes_it(self):
        self.assertEqual(peers.go_version_of_stdlib("v1.21.13"), "go1.21.13")
        self.assertEqual(peers.go_version_of_stdlib(None), None)

    def test_syft_takes_the_path_the_image_shows(self):
        doc = {"artifacts": [
            {"type": "go-module", "metadata": {"goCompiledVersion": "go1.22.1"},
             "locations": [{"path": "/real/bin/x", "accessPath": "/usr/bin/x"}]},
            {"type": "binary", "metadata": {}, "locations": [{"path": "/other"}]},
        ]}
        self.assertEqual(peers.syft_finds(doc), {"/usr/bin/x": "go1.22.1"})


class Comparison(unittest.TestCase):
    def finds(self):
        return {tool: peers.PARSERS[tool](sample(tool)) for tool in peers.TOOLS}

    def test_the_sample_has_no_defect_and_lists_what_only_nsslint_finds(self):
        row, defects, only_ours = peers.compare(self.finds(), PROGRAMS)
        self.assertEqual(defects, [])
        self.assertEqual(row, {"programs": 4, "nsslint": 4, "syft": 1, "trivy": 2, "agree": 3})
        self.assertEqual(
            [(path, version, missed_by) for path, version, missed_by, _ in only_ours],
            [(ESBUILD[0], ESBUILD[1], ["Syft", "Trivy"]),
             (ALIAS[0], ALIAS[1], ["Syft", "Trivy"]),
             (OLD[0], OLD[1], ["Syft"])])
        reasons = [peers.why(program) for *_, program in only_ours]
        self.assertIn("no .go.buildinfo section", reasons[0])
        self.assertIn("a second path to the same file", reasons[1])
        self.assertIn("GOPATH mode", reasons[2])

    def test_a_peer_find_nsslint_lacks_is_a_defect(self):
        finds = self.finds()
        del finds["nsslint"][OLD[0]]
        _, defects, _ = peers.compare(finds, PROGRAMS)
        self.assertEqual(defects, [
            f"{OLD[0]}: Trivy finds it (go1.15.15), nsslint does not",
            f"{OLD[0]}: in the image (go1.15.15), nsslint does not find it",
        ])

    def test_a_different_version_is_a_defect(self):
        finds = self.finds()
        finds["nsslint"][API[0]] = "go1.21.12"
        _, defects, _ = peers.compare(finds, PROGRAMS)
        self.assertEqual(defects, [f"{API[0]}: Syft says go1.21.13, nsslint go1.21.12",
                                   f"{API[0]}: Trivy says go1.21.13, nsslint go1.21.12"])


class Timings(unittest.TestCase):
    def test_median_wall_and_largest_rss_per_cell(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "times.tsv"
            path.write_text("tool\tsize\tmode\tround\twall\trss_kib\n"
                            "nsslint\tlarge\tcold\t1\t1.5\t40000\n"
                            "nsslint\tlarge\tcold\t2\t9.0\t41000\n"
                            "nsslint\tlarge\tcold\t3\t1.2\t39000\n"
                            "trivy\tlarge\tcold\t1\t6.0\t160000\n")
            cells = peers.median_cells(path)
        self.assertEqual(cells[("nsslint", "large", "cold")], (1.5, 41000, 3))
        self.assertEqual(cells[("trivy", "large", "cold")], (6.0, 160000, 1))


if __name__ == "__main__":
    unittest.main()
