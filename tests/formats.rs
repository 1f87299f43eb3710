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
