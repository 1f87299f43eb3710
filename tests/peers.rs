//! The parsers `bench/peers.py` reads Syft's, Trivy's and nsslint's outputs with, checked on stored real
//! outputs (tests/peers/samples, written by tests/peers/capture.py). The peers themselves are not run here:
//! timing them is `bench/peers.sh`'s job, and CI does not install them.

use std::path::Path;
use std::process::Command;

#[test]
fn peer_output_parsers() {
    let python = Command::new("python3").arg("--version").output();
    if !python.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is missing in CI: .ci/run must provide it"
        );
        eprintln!("SKIPPED: bench/peers.py parser tests: no python3");
        return;
    }
    let out = Command::new("python3")
        .args(["-m", "unittest", "-v", "tests/peers/test_parsers.py"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/peers/test_parsers.py failed:\n{log}"
    );
    // Every test ran: a parser test that was skipped or not collected would be a silent pass.
    assert!(
        log.contains("Ran 9 tests"),
        "expected 9 parser tests:\n{log}"
    );
}
