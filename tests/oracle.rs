//! The differential oracle (tests/oracle/README.md): real Go toolchains, real Go programs built by others,
//! glibc 2.36 (with and without real NSS modules), glibc 2.31 and musl, each run in private namespaces with a
//! chosen /etc, against `nsslint scan --format json` on images holding the same binaries and /etc. Every
//! cell must agree.
//!
//! It needs root (unshare -m) and fetches toolchains on a cold run, so it runs only as root with `CI` or
//! `NSSLINT_ORACLE=1` set (`.ci/run` sets CI); otherwise it says SKIPPED, loudly, and passes. The harness's
//! own unit tests need neither root nor network and run whenever python3 is there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Written past libtest's output capture: what the oracle found belongs in the test log even when it passes.
fn say(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
    let _ = err.flush();
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn have_python() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn oracle_harness_unit_tests() {
    if !have_python() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is missing in CI: .ci/run must provide it"
        );
        say("SKIPPED: oracle harness unit tests: no python3");
        return;
    }
    let out = Command::new("python3")
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "tests/oracle",
            "-p",
            "test_*.py",
        ])
        .current_dir(repo())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tests/oracle unit tests failed:\n{text}"
    );
}

#[test]
fn every_prediction_agrees_with_the_real_runtimes() {
    let asked =
        std::env::var_os("CI").is_some() || std::env::var("NSSLINT_ORACLE").is_ok_and(|v| v == "1");
    if !asked {
        say(
            "SKIPPED: oracle (tests/oracle/run.py): set NSSLINT_ORACLE=1 (or CI) and run as root to compare \
             every prediction with the real Go, glibc and musl runtimes",
        );
        return;
    }
    if !is_root() {
        say(
            "SKIPPED: oracle (tests/oracle/run.py): not root; it needs unshare -m for a private /etc and \
             network namespace",
        );
        return;
    }
    let out_dir: PathBuf = repo().join("target/oracle");
    let nsslint = env!("CARGO_BIN_EXE_nsslint");
    say(&format!(
        "oracle: python3 tests/oracle/run.py --nsslint {nsslint} --out {}",
        out_dir.display()
    ));
    // Progress (stderr) goes straight to the log; the matrix (stdout) is printed below as one block.
    let out = Command::new("python3")
        .args(["tests/oracle/run.py", "--nsslint", nsslint, "--out"])
        .arg(&out_dir)
        .current_dir(repo())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("python3 runs tests/oracle/run.py");
    let matrix = String::from_utf8_lossy(&out.stdout);
    say(&format!(
        "---- oracle matrix (also {}/oracle.md) ----\n{matrix}---- end of oracle matrix ----",
        out_dir.display()
    ));
    assert!(
        out.status.success(),
        "tests/oracle/run.py exited with {}: a cell disagreed or errored, or a default subject was skipped \
         (see the matrix above and {}/oracle.json)",
        out.status,
        out_dir.display()
    );
}
