//! `nsslint fix` end to end: every output format from every input format (the inputs made by the real
//! skopeo from the example image), each result checked by real tools — `skopeo inspect`, `skopeo copy` to
//! another format, `umoci unpack` for the file's exact bytes — and by a re-scan; the plan for an existing
//! nsswitch.conf (only the hosts line changes), symlinks, several platforms, the bad inputs, and the real Go
//! 1.15 program of the fixed image run by the oracle (tests/oracle/rootfs.py).
//!
//! skopeo and umoci come from Debian (`.ci/run` installs them); without them these tests print SKIPPED, and
//! fail when `CI` is set.

#[path = "support/seed.rs"]
mod seed;
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

const SEED: &str = seed::SEED_IMAGE;
const CREATED_BY: &str = concat!(
    "nsslint fix ",
    env!("CARGO_PKG_VERSION"),
    ": hosts: files dns"
);

/// Whether `tool` is installed; SKIPPED (or a failure in CI) when not.
fn have(tool: &str, test: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var_os("CI").is_some() {
            panic!("{test}: {tool} is not installed; .ci/run installs it");
        }
        eprintln!("SKIPPED: {test}: {tool} not installed (apt-get install skopeo umoci)");
    }
    found
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn skopeo_json(args: &[&str]) -> Value {
    serde_json::from_str(&run("skopeo", args)).unwrap()
}

/// The example image in each format scan reads as a file, made by skopeo from the committed tar.
fn inputs(dir: &Path) -> Vec<String> {
    let source = format!("docker-archive:{SEED}");
    let layout = format!("oci:{}:v1", dir.join("layout").display());
    let archive = format!("oci-archive:{}", dir.join("seed.oci.tar").display());
    let skopeo_dir = format!("dir:{}", dir.join("skopeo-dir").display());
    for target in [&layout, &archive, &skopeo_dir] {
        run("skopeo", &["copy", "-q", &source, target]);
    }
    vec![SEED.to_string(), layout, archive, skopeo_dir]
}

/// The example copied by skopeo into an OCI layout at `layout`, tagged `tag`: `oci:LAYOUT:TAG`.
fn seed_layout(layout: &Path, tag: &str) -> String {
    let target = format!("oci:{}:{tag}", layout.display());
    run(
        "skopeo",
        &["copy", "-q", &format!("docker-archive:{SEED}"), &target],
    );
    target
}

/// `umoci unpack`s an OCI layout's tag; the bundle's rootfs.
fn unpack(layout_ref: &str, bundle: &Path) -> PathBuf {
    run(
        "umoci",
        &[
            "unpack",
            "--image",
            layout_ref,
            &bundle.display().to_string(),
        ],
    );
    bundle.join("rootfs")
}

fn config_of(image: &str) -> Value {
    skopeo_json(&["inspect", "--config", image])
}

#[test]
fn every_output_format_from_every_input_format() {
    if !have("skopeo", "fix formats") || !have("umoci", "fix formats") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let before_config = config_of(&format!("docker-archive:{SEED}"));
    let before_layers = skopeo_json(&["inspect", &format!("docker-archive:{SEED}")])["Layers"]
        .as_array()
        .unwrap()
        .len();
    for (i, input) in inputs(dir.path()).iter().enumerate() {
        for output_kind in ["docker-archive", "oci", "oci-archive"] {
            let out_path = dir.path().join(format!("out-{i}-{output_kind}"));
            let output = match output_kind {
                "docker-archive" => format!("docker-archive:{}:fixed/seed:1", out_path.display()),
                kind => format!("{kind}:{}:fixed", out_path.display()),
            };
            let (code, stdout, stderr) = nsslint(&["fix", "-q", input, "--output", &output]);
            let context = format!("{input} -> {output}: {stdout}{stderr}");
            assert_eq!(code, 0, "{context}");
            assert!(
                stdout.contains("  write /etc/nsswitch.conf\n    new line: (none)  ->  hosts: files dns\n  fixes NSL001 /usr/local/bin/lookup\n"),
                "{context}"
            );
            assert!(stdout.contains("Wrote "), "{context}");

            let (code, json) = scan_json(&output);
            assert_eq!(code, 0, "re-scan of {output}: {json}");
            let image = &json["images"][0];
            assert_eq!(image["findings"], serde_json::json!([]), "{output}");
            assert_eq!(image["binaries"][0]["path"], "/usr/local/bin/lookup");
            assert_eq!(image["binaries"][0]["order"], "files,dns", "{output}");

            let inspected = skopeo_json(&["inspect", &output]);
            assert_eq!(
                inspected["Layers"].as_array().unwrap().len(),
                before_layers + 1,
                "{output}: {inspected}"
            );
            let config = config_of(&output);
            for kept in ["Env", "Entrypoint", "Labels", "Cmd", "WorkingDir"] {
                assert_eq!(
                    config["config"][kept], before_config["config"][kept],
                    "{output}: {kept}"
                );
            }
            let history = config["history"].as_array().unwrap();
            assert_eq!(
                history.last().unwrap()["created_by"],
                CREATED_BY,
                "{output}"
            );
            assert_eq!(
                history.len(),
                before_config["history"].as_array().map_or(0, Vec::len) + 1
            );
            assert_eq!(
                config["rootfs"]["diff_ids"].as_array().unwrap().len(),
                before_layers + 1
            );

            // skopeo copies it to another format, and umoci unpacks the file with its exact bytes.
            let copied = dir.path().join(format!("copied-{i}-{output_kind}"));
            let copied_ref = format!("{}:c", copied.display());
            run(
                "skopeo",
                &["copy", "-q", &output, &format!("oci:{copied_ref}")],
            );
            let rootfs = unpack(
                &copied_ref,
                &dir.path().join(format!("bundle-{i}-{output_kind}")),
            );
            assert_eq!(
                std::fs::read(rootfs.join("etc/nsswitch.conf")).unwrap(),
                b"hosts: files dns\n",
                "{output}"
            );
            assert!(rootfs.join("usr/local/bin/lookup").is_file());
            assert_eq!(
                std::fs::read_to_string(rootfs.join("etc/hosts"))
                    .unwrap()
                    .lines()
                    .last(),
                Some("10.1.2.3\tmyhost.test"),
                "{output}: the image's other files are as they were"
            );
        }
    }
}

#[test]
fn oci_layout_in_place_writes_only_the_new_blobs_and_is_deterministic() {
    if !have("skopeo", "fix in place") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    seed_layout(&layout, "v1");
    let blobs_before = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .count();
    let input = format!("oci:{}:v1", layout.display());
    let output = format!("oci:{}:v1-fixed", layout.display());
    let (code, stdout, stderr) = nsslint(&["fix", "-q", &input, "--output", &output]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The new layer, the config and the manifest; every old layer is already there.
    assert!(
        stdout.contains("1 new layer(s); 3 blob(s) written"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_dir(layout.join("blobs/sha256"))
            .unwrap()
            .count(),
        blobs_before + 3
    );
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let tags: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(tags, ["v1", "v1-fixed"]);
    let (code, json) = scan_json(&input);
    assert_eq!(code, 1, "the input's own tag is untouched: {json}");

    // Again, into another tag: the same manifest (no clock, no random name in the layer).
    let (code, stdout, _) = nsslint(&[
        "fix",
        "-q",
        &input,
        "--output",
        &format!("oci:{}:v1-again", layout.display()),
    ]);
    assert_eq!(code, 0);
    // The example's two layers, the new one, the config and the manifest: all there already.
    assert!(
        stdout.contains("0 blob(s) written (0 bytes), 5 already there"),
        "{stdout}"
    );
    let manifest_of = |tag: &str| {
        skopeo_json(&[
            "inspect",
            "--raw",
            &format!("oci:{}:{tag}", layout.display()),
        ])
    };
    assert_eq!(manifest_of("v1-fixed"), manifest_of("v1-again"));
}

/// An image with the seed program and `etc` as given.
fn seed_with_etc(etc: LayerSpec) -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new()
            .file("lib/ld-musl-x86_64.so.1", "musl loader stand-in")
            .file("etc/hosts", "10.1.2.3 myhost.test\n"),
        etc.exe("usr/local/bin/lookup", seed::seed_binary()),
    ])
}

#[test]
fn an_existing_file_keeps_every_line_but_the_hosts_line() {
    if !have("umoci", "fix existing file") {
        return;
    }
    let original = "# /etc/nsswitch.conf: written by hand\n\
                    #\n\
                    passwd:     files [NOTFOUND=return] systemd\n\
                    group:\t\tfiles systemd\n\
                    hosts:      dns   mdns4_minimal [NOTFOUND=return]   files # the order matters\n\
                    networks:   files\n\
                    \n\
                    netgroup:   nis\n";
    let expected = original.replace(
        "hosts:      dns   mdns4_minimal [NOTFOUND=return]   files # the order matters",
        "hosts:      files dns mdns4_minimal [NOTFOUND=return] # the order matters",
    );
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    seed_with_etc(LayerSpec::new().file("etc/nsswitch.conf", original))
        .write_oci_layout(&layout, true);
    let input = format!("oci:{}", layout.display());
    let (code, before) = scan_json(&input);
    assert_eq!(code, 1, "{before}");
    let rules: Vec<&str> = before["images"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"NSL001"), "{before}");

    let (code, stdout, stderr) = nsslint(&["fix", "--dry-run", &input]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("    line 5: hosts:      dns   mdns4_minimal [NOTFOUND=return]   files # the order matters  ->  hosts:      files dns mdns4_minimal [NOTFOUND=return] # the order matters\n"),
        "{stdout}"
    );
    assert!(stdout.ends_with("Dry run: nothing written.\n"), "{stdout}");

    let output = format!("oci:{}:fixed", dir.path().join("out").display());
    let (code, stdout, stderr) = nsslint(&["fix", "-q", &input, "--output", &output]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let rootfs = unpack(
        &format!("{}:fixed", dir.path().join("out").display()),
        &dir.path().join("bundle"),
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("etc/nsswitch.conf")).unwrap(),
        expected
    );
    let (code, after) = scan_json(&output);
    assert_eq!(code, 0, "{after}");
    assert_eq!(after["images"][0]["binaries"][0]["order"], "files,dns");
}

#[test]
fn a_symlinked_file_is_replaced_and_a_symlinked_etc_followed() {
    if !have("umoci", "fix symlinks") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // /etc/nsswitch.conf -> ../usr/share/nss/nsswitch.conf, which says dns first.
    let linked_file = seed_with_etc(
        LayerSpec::new()
            .file("usr/share/nss/nsswitch.conf", "hosts: dns files\n")
            .symlink("etc/nsswitch.conf", "../usr/share/nss/nsswitch.conf"),
    );
    let layout = dir.path().join("file-link");
    linked_file.write_oci_layout(&layout, true);
    let output_dir = dir.path().join("file-link-out");
    let (code, stdout, stderr) = nsslint(&[
        "fix",
        "-q",
        &format!("oci:{}", layout.display()),
        "--output",
        &format!("oci:{}:fixed", output_dir.display()),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("  write /etc/nsswitch.conf (replacing the symlink to ../usr/share/nss/nsswitch.conf)\n    line 1: hosts: dns files  ->  hosts: files dns\n"),
        "{stdout}"
    );
    let rootfs = unpack(
        &format!("{}:fixed", output_dir.display()),
        &dir.path().join("bundle-file-link"),
    );
    let written = rootfs.join("etc/nsswitch.conf");
    assert!(written.symlink_metadata().unwrap().file_type().is_file());
    assert_eq!(std::fs::read(&written).unwrap(), b"hosts: files dns\n");
    assert_eq!(
        std::fs::read(rootfs.join("usr/share/nss/nsswitch.conf")).unwrap(),
        b"hosts: dns files\n",
        "the link's target is left alone"
    );

    // /etc -> private/etc: the file goes where the runtime would read it.
    let linked_etc = ImageSpec::new(vec![
        LayerSpec::new()
            .file("lib/ld-musl-x86_64.so.1", "musl loader stand-in")
            .file("private/etc/hosts", "10.1.2.3 myhost.test\n")
            .symlink("etc", "private/etc"),
        LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary()),
    ]);
    let layout = dir.path().join("etc-link");
    linked_etc.write_oci_layout(&layout, true);
    let output_dir = dir.path().join("etc-link-out");
    let output = format!("oci:{}:fixed", output_dir.display());
    let (code, stdout, stderr) = nsslint(&[
        "fix",
        "-q",
        &format!("oci:{}", layout.display()),
        "--output",
        &output,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("  write /private/etc/nsswitch.conf\n"),
        "{stdout}"
    );
    let rootfs = unpack(
        &format!("{}:fixed", output_dir.display()),
        &dir.path().join("bundle-etc-link"),
    );
    assert!(rootfs
        .join("etc")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(rootfs.join("private/etc/nsswitch.conf")).unwrap(),
        b"hosts: files dns\n"
    );
    let (code, after) = scan_json(&output);
    assert_eq!(code, 0, "{after}");
}

#[test]
fn several_platforms_each_fixed_into_a_new_index_or_one_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("multi");
    write_multi_platform_layout(
        &layout,
        &[seed::unfixed_image("amd64"), seed::unfixed_image("arm64")],
    );
    let input = format!("oci:{}", layout.display());

    let output = format!("oci:{}:all", dir.path().join("out").display());
    let (code, stdout, stderr) =
        nsslint(&["fix", "-q", &input, "--all-platforms", "--output", &output]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{input} (linux/amd64)\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{input} (linux/arm64)\n")),
        "{stdout}"
    );
    assert!(stdout.contains("(index sha256:"), "{stdout}");
    let (code, stdout, stderr) = nsslint(&["scan", "--all-platforms", "--format", "json", &output]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let platforms: Vec<&str> = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    for image in json["images"].as_array().unwrap() {
        assert_eq!(image["binaries"][0]["order"], "files,dns");
    }

    // Without --all-platforms: the default platform only, and the output says so.
    let output = format!("oci:{}:one", dir.path().join("out").display());
    let (code, stdout, _) = nsslint(&["fix", "-q", &input, "--output", &output]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("Only 1 of the source's 2 platforms chosen; --all-platforms fixes each"),
        "{stdout}"
    );
    assert!(stdout.contains("(manifest sha256:"), "{stdout}");

    // A docker archive holds one platform.
    let (code, _, stderr) = nsslint(&[
        "fix",
        &input,
        "--all-platforms",
        "--output",
        &format!("docker-archive:{}", dir.path().join("x.tar").display()),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("a docker-archive holds one platform and 2 were chosen"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.tar").exists());
}

#[test]
fn nothing_fixable_writes_nothing_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("fine");
    seed::small_image("amd64", "fine").write_oci_layout(&layout, true);
    let out = dir.path().join("out.tar");
    let (code, stdout, stderr) = nsslint(&[
        "fix",
        &format!("oci:{}", layout.display()),
        "--output",
        &format!("docker-archive:{}", out.display()),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("  no change\nNothing to fix: no finding that /etc/nsswitch.conf repairs. Nothing written.\n"),
        "{stdout}"
    );
    assert!(!out.exists());
}

#[test]
fn bad_outputs_are_refused_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // An output that exists: refused (exit 3), untouched; --force replaces it.
    let existing = dir.path().join("exists.tar");
    std::fs::write(&existing, b"precious").unwrap();
    let output = format!("docker-archive:{}", existing.display());
    let (code, stdout, stderr) = nsslint(&["fix", "-q", SEED, "--output", &output]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} exists; --force replaces it",
            existing.display()
        )),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    let (code, _, stderr) = nsslint(&["fix", "-q", "--force", SEED, "--output", &output]);
    assert_eq!(code, 0, "{stderr}");
    let (code, json) = scan_json(&output);
    assert_eq!(code, 0, "{json}");

    // An output that cannot be written: a path under a regular file.
    let unwritable = existing.join("out.tar");
    let (code, _, stderr) = nsslint(&[
        "fix",
        "-q",
        SEED,
        "--output",
        &format!("oci-archive:{}", unwritable.display()),
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", unwritable.display())),
        "{stderr}"
    );

    // A format not named, and no output at all.
    let (code, _, stderr) = nsslint(&["fix", SEED, "--output", "./fixed.tar"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("name the format"), "{stderr}");
    let (code, _, stderr) = nsslint(&["fix", SEED]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--output"), "{stderr}");

    // Nothing but the two outputs asked for was left in the directory (no temporary file).
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["exists.tar"]);
}

/// The real Go 1.15 program of the example, run by the oracle from the original and the fixed image as
/// umoci unpacks them: DNS first before, /etc/hosts first after.
#[test]
fn the_fixed_program_really_reads_hosts_first() {
    if !have("skopeo", "fix oracle") || !have("umoci", "fix oracle") {
        return;
    }
    let root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false);
    if !root || (std::env::var_os("CI").is_none() && std::env::var_os("NSSLINT_ORACLE").is_none()) {
        eprintln!("SKIPPED: fix oracle: needs root and CI or NSSLINT_ORACLE=1 (unshare -m)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    seed_layout(&layout, "before");
    let (code, stdout, stderr) = nsslint(&[
        "fix",
        "-q",
        &format!("oci:{}:before", layout.display()),
        "--output",
        &format!("oci:{}:after", layout.display()),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut observed = Vec::new();
    for tag in ["before", "after"] {
        let rootfs = unpack(
            &format!("{}:{tag}", layout.display()),
            &dir.path().join(format!("bundle-{tag}")),
        );
        let out = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/rootfs.py"))
            .args(["--rootfs", &rootfs.display().to_string()])
            .args(["--program", "/usr/local/bin/lookup"])
            .args(["--out", &dir.path().display().to_string()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{tag}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_str(&text).unwrap();
        eprintln!("fix oracle: {tag}: {}", result["order"]);
        observed.push(result["order"].as_str().unwrap().to_string());
    }
    assert_eq!(observed, ["dns,files", "files,dns"]);
}

#[test]
fn a_root_filesystem_is_refused_with_what_to_do_instead() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    let input = format!("rootfs:{}", dir.path().display());
    let (code, stdout, stderr) = nsslint(&["fix", &input, "--dry-run"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("a root filesystem has no image config or manifest to add a layer to"),
        "{stderr}"
    );
    assert_eq!(stdout, "");
}
