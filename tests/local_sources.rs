//! Transports that read an image where it already is on this machine. `rootfs:` is a plain directory tree,
//! here the example image unpacked (its verdict must be the archive's) and trees made in code for the edges
//! (symlinks that point outside, /proc, FIFOs, a file nsslint may not read). `dir:` is skopeo's directory format,
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

/// Unpacks a docker archive's layers, bottom first, into `dir` (the example has no whiteouts).
fn unpack_layers(archive: &str, dir: &Path) {
    let outer = tempfile::tempdir().unwrap();
    tar::Archive::new(std::fs::File::open(archive).unwrap())
        .unpack(outer.path())
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outer.path().join("manifest.json")).unwrap())
            .unwrap();
    for layer in manifest[0]["Layers"].as_array().unwrap() {
        let file = std::fs::File::open(outer.path().join(layer.as_str().unwrap())).unwrap();
        let mut layer = tar::Archive::new(file);
        layer.set_preserve_permissions(true);
        layer.unpack(dir).unwrap();
    }
}

#[test]
fn an_unpacked_image_read_as_rootfs_gives_the_archive_verdict() {
    let (code, expected, stderr) = scan(&[seed::SEED_IMAGE]);
    assert_eq!(code, 1, "{stderr}");
    let tree = tempfile::tempdir().unwrap();
    unpack_layers(seed::SEED_IMAGE, tree.path());
    let input = format!("rootfs:{}", tree.path().display());
    let (code, images, stderr) = scan(&[&input]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images[0]), verdict(&expected[0]));
    assert_eq!(
        verdict(&images[0]).1,
        [("NSL001".to_string(), "/usr/local/bin/lookup".to_string())]
    );
    assert_eq!(images[0]["platform"], "linux/amd64");
    assert_eq!(images[0]["libc"], expected[0]["libc"]);
    // The tree has no config: the report says its ENV is unknown, in every format.
    assert!(images[0]["env"]["unknown"]
        .as_str()
        .unwrap()
        .contains("ENV is unknown"));
    assert!(expected[0]["env"].get("unknown").is_none());
    let (_, text, _) = nsslint(&["scan", &input]);
    assert!(
        text.contains("= note: a root filesystem has no image config: its ENV is unknown"),
        "{text}"
    );
    let (_, sarif, _) = nsslint(&["scan", "--format", "sarif", &input]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let note = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(note["level"], "note");
    assert!(note["message"]["text"]
        .as_str()
        .unwrap()
        .contains("GODEBUG"));
    // A platform asked for that the tree's programs are not: refused, naming what it is.
    let (code, _, stderr) = nsslint(&["scan", "--platform", "linux/arm64", &input]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("linux/amd64"), "{stderr}");
}

#[test]
fn a_rootfs_is_read_inside_its_tree_only() {
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    let binary = seed::seed_binary();
    let put = |path: &str, bytes: &[u8]| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    put("usr/local/bin/lookup", &binary);
    // /etc/nsswitch.conf points at an absolute path that exists only inside the tree: read from there, as
    // the container would, never from this machine's /nsslint-elsewhere.
    put("nsslint-elsewhere/nsswitch.conf", b"hosts: files dns\n");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::os::unix::fs::symlink(
        "/nsslint-elsewhere/nsswitch.conf",
        root.join("etc/nsswitch.conf"),
    )
    .unwrap();
    // A live system's /proc holds programs too (here a copy of the same one): not files of the tree.
    put("proc/1/exe", &binary);
    put("sys/kernel/x", b"");
    // A hard link is the same program once more, under its second name.
    std::fs::hard_link(
        root.join("usr/local/bin/lookup"),
        root.join("usr/local/bin/lookup2"),
    )
    .unwrap();
    let fifo = Command::new("mkfifo")
        .arg(root.join("etc/initctl"))
        .status()
        .unwrap();
    assert!(fifo.success());
    let input = format!("rootfs:{}", root.display());
    let (code, images, stderr) = scan(&[&input]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        verdict(&images[0]),
        (
            vec![
                ("/usr/local/bin/lookup".to_string(), "files,dns".to_string()),
                (
                    "/usr/local/bin/lookup2".to_string(),
                    "files,dns".to_string()
                ),
            ],
            vec![]
        )
    );
    assert_eq!(images[0]["nsswitch"]["hosts"], "files dns");

    // Not a directory, not there, or no program in it: exit 3, naming it.
    let file = root.join("usr/local/bin/lookup").display().to_string();
    for (input, expected) in [
        (
            format!("rootfs:{file}"),
            format!("{file} is not a directory"),
        ),
        (
            "rootfs:/nonexistent-nsslint".into(),
            "cannot read /nonexistent-nsslint".into(),
        ),
        (
            format!("rootfs:{}", root.join("sys").display()),
            "no ELF file found".into(),
        ),
    ] {
        let (code, _, stderr) = nsslint(&["scan", &input]);
        assert_eq!(code, 3, "{input}: {stderr}");
        assert!(stderr.contains(&expected), "{input}: {stderr}");
    }
}

#[test]
fn a_file_rootfs_may_not_read_is_reported() {
    let is_root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if !is_root {
        eprintln!("SKIPPED: a file rootfs may not read: needs root, to run nsslint as nobody");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(root.join("usr/bin/lookup"), seed::seed_binary()).unwrap();
    std::fs::write(root.join("usr/bin/secret"), seed::seed_binary()).unwrap();
    std::fs::set_permissions(
        root.join("usr/bin/secret"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_nsslint"))
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .arg(format!("rootfs:{}", root.display()))
        .env("HOME", root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let images = images(&stdout, &stderr);
    let findings = &images[0]["findings"];
    let unread: Vec<&serde_json::Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NSL900")
        .collect();
    assert_eq!(unread.len(), 1, "{findings}");
    assert_eq!(unread[0]["path"], "/usr/bin/secret");
    assert!(
        unread[0]["message"]
            .as_str()
            .unwrap()
            .contains("not read: Permission denied"),
        "{findings}"
    );
    assert_eq!(unread[0]["layer"], "rootfs");
}
