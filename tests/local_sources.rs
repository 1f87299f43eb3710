//! Transports that read an image where it already is on this machine. `dir:` is skopeo's directory format,
//! written here by the real `skopeo copy` (Docker v2 and OCI manifests, gzip and zstd layers, a two-platform
//! index with `--all`); each must give the verdict of the same image scanned from its archive. Without
//! skopeo the tests print `SKIPPED:` (and fail when `CI` is set).

#[path = "support/seed.rs"]
mod seed;
mod support;

use std::path::Path;
use std::process::Command;
use support::*;

/// Whether skopeo is here; prints SKIPPED (or fails in CI) when not.
fn skopeo_present(test: &str) -> bool {
    if Command::new("skopeo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    let message = format!("{test}: skopeo not installed (apt-get install skopeo)");
    if std::env::var_os("CI").is_some() {
        panic!("{message}; .ci/run installs it");
    }
    eprintln!("SKIPPED: {message}");
    false
}

fn skopeo_copy(extra: &[&str], from: &str, to: &Path) {
    let output = Command::new("skopeo")
        .args(["copy", "-q", "--insecure-policy"])
        .args(extra)
        .arg(from)
        .arg(format!("dir:{}", to.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo copy {from}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// (code, images of the JSON report, stderr) of `scan --format json` with `args`.
fn scan(args: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = nsslint(&all);
    (code, images(&stdout, &stderr), stderr)
}

#[test]
fn skopeo_dir_copies_give_the_archive_verdict() {
    if !skopeo_present("dir copies") {
        return;
    }
    let (code, expected, stderr) = scan(&[seed::SEED_IMAGE]);
    assert_eq!(code, 1, "{stderr}");
    let expected = verdict(&expected[0]);
    // The example's own finding: the Go 1.15 program asks DNS before /etc/hosts (no nsswitch.conf).
    assert!(
        expected
            .1
            .contains(&("NSL001".into(), "/usr/local/bin/lookup".into())),
        "{expected:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let archive = format!("docker-archive:{}", seed::SEED_IMAGE);
    for (name, extra, compression) in [
        ("v2s2", &[][..], "none"),
        (
            "oci-gzip",
            &[
                "--format",
                "oci",
                "--dest-compress",
                "--dest-compress-format",
                "gzip",
            ][..],
            "gzip",
        ),
        (
            "oci-zstd",
            &[
                "--format",
                "oci",
                "--dest-compress",
                "--dest-compress-format",
                "zstd",
            ][..],
            "zstd",
        ),
    ] {
        let dir = tmp.path().join(name);
        skopeo_copy(extra, &archive, &dir);
        let input = format!("dir:{}", dir.display());
        // Named, and as a bare path (told from an unpacked docker save by its version file).
        for shown in [input.as_str(), dir.to_str().unwrap()] {
            let (code, images, stderr) = scan(&[shown]);
            assert_eq!(code, 1, "{name} {shown}: {stderr}");
            assert_eq!(images.len(), 1);
            assert_eq!(verdict(&images[0]), expected, "{name} {shown}");
            let layers = images[0]["layers"].as_array().unwrap();
            assert!(
                layers.iter().all(|l| l["compression"] == compression),
                "{name}: {layers:?}"
            );
        }
    }
}

#[test]
fn a_two_platform_dir_is_chosen_from_as_an_index() {
    if !skopeo_present("dir index") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    write_index_layout(
        &layout,
        &[
            seed::small_image("arm64", "arm"),
            seed::small_image("amd64", "amd"),
        ],
    );
    let dir = tmp.path().join("both");
    skopeo_copy(
        &["--all"],
        &format!("oci:{}:latest", layout.display()),
        &dir,
    );
    let input = format!("dir:{}", dir.display());
    let (code, images, stderr) = scan(&["--platform", "linux/arm64", &input]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["platform"], "linux/arm64");
    let (code, images, stderr) = scan(&["--all-platforms", &input]);
    assert_eq!(code, 0, "{stderr}");
    let platforms: Vec<&str> = images
        .iter()
        .map(|i| i["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/arm64", "linux/amd64"]);
    let (code, _, stderr) = nsslint(&["scan", "--platform", "linux/s390x", &input]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("manifest.json") && stderr.contains("linux/arm64, linux/amd64"),
        "{stderr}"
    );
}

#[test]
fn broken_dir_copies_are_errors_naming_the_file() {
    if !skopeo_present("broken dir") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let dir = tmp.path().join(name);
        skopeo_copy(&[], &format!("docker-archive:{}", seed::SEED_IMAGE), &dir);
        dir
    };
    let fails = |dir: &Path, wanted: &[&str]| {
        let input = format!("dir:{}", dir.display());
        let (code, stdout, stderr) = nsslint(&["scan", &input]);
        assert_eq!(code, 3, "{stdout}{stderr}");
        assert!(stderr.contains(&input), "{stderr}");
        for w in wanted {
            assert!(stderr.contains(w), "want {w:?} in: {stderr}");
        }
    };
    // A version this reader does not know.
    let dir = fresh("v2");
    std::fs::write(dir.join("version"), "Directory Transport Version: 2.0\n").unwrap();
    fails(&dir, &["version", "2.0"]);
    // No version file: skopeo's reader needs only manifest.json, and so does this one; a bare path is still
    // told from an unpacked docker save (whose manifest.json is a list).
    let dir = fresh("noversion");
    std::fs::remove_file(dir.join("version")).unwrap();
    for input in [format!("dir:{}", dir.display()), dir.display().to_string()] {
        let (code, _, stderr) = nsslint(&["scan", &input]);
        assert_eq!(code, 1, "{input}: {stderr}");
    }
    // A config that does not hash to its digest.
    let dir = fresh("config");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap();
    let hex = config.strip_prefix("sha256:").unwrap();
    std::fs::write(dir.join(hex), b"{}").unwrap();
    fails(&dir, &["config", "digest mismatch"]);
    // A layer blob missing.
    let dir = fresh("layer");
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    std::fs::remove_file(dir.join(layer.strip_prefix("sha256:").unwrap())).unwrap();
    fails(&dir, &[layer]);
    // A manifest that is not JSON: the offset is named.
    let dir = fresh("json");
    std::fs::write(dir.join("manifest.json"), b"{\"schemaVersion\": 2,\n  oops").unwrap();
    fails(&dir, &["manifest.json", "not valid JSON"]);
}
