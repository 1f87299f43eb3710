//! Names the build for `nsslint --version`: the commit and the target it was built for.
//!
//! The commit comes from `NSSLINT_COMMIT` (release builds set it), else from the git checkout being built,
//! else from `.cargo_vcs_info.json` (what `cargo package` records, so `cargo install nsslint` knows it too),
//! else it is `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=NSSLINT_COMMIT");
    let commit = std::env::var("NSSLINT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .or_else(packaged_commit)
        .map(|c| c.chars().take(12).collect::<String>())
        .unwrap_or_else(|| "unknown".into());
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!(
        "cargo:rustc-env=NSSLINT_VERSION_LINE={} (commit {commit}, {target})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
}

/// `git rev-parse HEAD` of the crate's own checkout; rebuilt when HEAD or the branch it names moves.
fn git_commit() -> Option<String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = Path::new(&manifest_dir).join(".git");
    if !git.exists() {
        return None;
    }
    println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed={}", git.join(reference).display());
            println!(
                "cargo:rerun-if-changed={}",
                git.join("packed-refs").display()
            );
        }
    }
    let output = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(&manifest_dir)
        .output()
        .ok()?;
    let commit = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && commit.len() >= 12).then_some(commit)
}

/// The commit `cargo package` wrote into the packaged crate.
fn packaged_commit() -> Option<String> {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    let text =
        std::fs::read_to_string(Path::new(&manifest_dir).join(".cargo_vcs_info.json")).ok()?;
    let at = text.find("\"sha1\"")?;
    let rest = &text[at + 6..];
    let start = rest.find('"')? + 1;
    let end = start + rest[start..].find('"')?;
    Some(rest[start..end].to_string())
}
