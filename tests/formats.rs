//! The same image in every container format nsslint reads gives the same answer: docker archives in the
//! legacy, skopeo-symlink and crane styles, OCI layouts with and without the manifest's optional mediaType,
//! OCI archives; bare paths are sniffed.

#[path = "support/seed.rs"]
mod seed;
mod support;

use support::*;

fn seed_spec() -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new()
            .file("lib/ld-musl-x86_64.so.1", "musl loader stand-in")
            .file("etc/hosts", "10.1.2.3 myhost.test\n"),
        LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary()),
    ])
}

fn assert_seed_answer(input: &str) {
    let (code, json) = scan_json(input);
    assert_eq!(code, 1, "{input}: {json}");
    let image = &json["images"][0];
    assert_eq!(image["platform"], "linux/amd64", "{input}");
    assert_eq!(image["libc"]["kind"], "musl", "{input}");
    assert_eq!(
        image["binaries"][0]["path"], "/usr/local/bin/lookup",
        "{input}"
    );
    assert_eq!(image["binaries"][0]["order"], "dns,files", "{input}");
    assert_eq!(image["findings"][0]["rule"], "NSL001", "{input}");
    assert_eq!(
        image["findings"].as_array().unwrap().len(),
        1,
        "{input}: {json}"
    );
}

#[test]
fn docker_archives_in_every_style() {
    let dir = tempfile::tempdir().unwrap();
    for (style, name) in [
        (DockerStyle::Legacy, "legacy.tar"),
        (DockerStyle::SkopeoSymlinks, "skopeo.tar"),
        (DockerStyle::Crane, "crane.tar"),
    ] {
        let path = dir.path().join(name);
        seed_spec().write_docker_archive(&path, style);
        assert_seed_answer(&format!("docker-archive:{}", path.display()));
        assert_seed_answer(path.to_str().unwrap());
    }
}

#[test]
fn oci_layouts_with_and_without_manifest_media_type() {
    for with_media_type in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        seed_spec().write_oci_layout(dir.path(), with_media_type);
        assert_seed_answer(&format!("oci:{}", dir.path().display()));
        assert_seed_answer(&format!("oci:{}:1.0", dir.path().display()));
        assert_seed_answer(dir.path().to_str().unwrap());
    }
}

#[test]
fn oci_archives_explicit_and_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image-oci.tar");
    seed_spec().write_oci_archive(&path);
    assert_seed_answer(&format!("oci-archive:{}", path.display()));
    assert_seed_answer(path.to_str().unwrap());
}

#[test]
fn the_committed_example_image_reproduces_the_seed_incident() {
    assert_seed_answer(seed::SEED_IMAGE);
}

#[test]
fn an_unknown_reference_lists_what_the_layout_has() {
    let dir = tempfile::tempdir().unwrap();
    seed_spec().write_oci_layout(dir.path(), true);
    let (code, _, stderr) = nsslint(&["scan", &format!("oci:{}:2.0", dir.path().display())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("no image named \"2.0\"; the layout names: 1.0"),
        "{stderr}"
    );
}

fn platform_image(arch: &str, nsswitch: &str) -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new()
            .file("lib/ld-musl-x86_64.so.1", "musl loader stand-in")
            .file("etc/nsswitch.conf", nsswitch),
        LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary()),
    ])
    .platform("linux", arch)
}

fn platforms_and_orders(json: &serde_json::Value) -> Vec<(String, String)> {
    json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["platform"].as_str().unwrap().to_string(),
                i["binaries"][0]["order"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn multi_platform_indexes_pick_linux_amd64_or_the_platform_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    // Each platform's image gets a different hosts line, so the answer shows which one was scanned.
    write_multi_platform_layout(
        dir.path(),
        &[
            platform_image("arm64", "hosts: dns\n"),
            platform_image("amd64", "hosts: files dns\n"),
        ],
    );
    let input = format!("oci:{}", dir.path().display());
    let (_, json) = scan_json(&input);
    assert_eq!(
        platforms_and_orders(&json),
        vec![("linux/amd64".to_string(), "files,dns".to_string())]
    );
    let (_, stdout, _) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--platform",
        "linux/arm64",
        &input,
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        platforms_and_orders(&json),
        vec![("linux/arm64".to_string(), "dns".to_string())]
    );
    let (code, stdout, _) = nsslint(&["scan", "--format", "json", "--all-platforms", &input]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        platforms_and_orders(&json),
        vec![
            ("linux/arm64".to_string(), "dns".to_string()),
            ("linux/amd64".to_string(), "files,dns".to_string())
        ]
    );
    assert_eq!(code, 1, "the arm64 image's program never reads /etc/hosts");
    let (code, _, stderr) = nsslint(&["scan", "--platform", "linux/s390x", &input]);
    assert_eq!(code, 3);
    assert!(
        stderr
            .contains("no image for platform linux/s390x; the index has: linux/arm64, linux/amd64"),
        "{stderr}"
    );
}

#[test]
fn an_index_without_linux_amd64_asks_for_a_platform() {
    let dir = tempfile::tempdir().unwrap();
    write_multi_platform_layout(
        dir.path(),
        &[
            platform_image("arm64", "hosts: dns\n"),
            platform_image("s390x", "hosts: dns\n"),
        ],
    );
    let (code, _, stderr) = nsslint(&["scan", &format!("oci:{}", dir.path().display())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("the index holds several platforms (linux/arm64, linux/s390x); choose one with --platform"),
        "{stderr}"
    );
}
