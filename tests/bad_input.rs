//! Bad input gives a clear error naming the input, the part and (where it has one) the offset, with exit code
//! 3 — or an NSL900 finding where the scan can go on. Never a panic, never a silent pass.

mod support;

use support::*;

fn write(spec: &ImageSpec) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    spec.write_oci_layout(dir.path(), true);
    let path = dir.path().to_path_buf();
    (dir, path)
}

fn layer_blob(dir: &std::path::Path, spec: &LayerSpec) -> std::path::PathBuf {
    dir.join("blobs/sha256").join(sha256(&spec.blob()))
}

fn simple_layer() -> LayerSpec {
    LayerSpec::new()
        .file("etc/hosts", "127.0.0.1 localhost\n")
        .file("etc/nsswitch.conf", "hosts: files dns\n")
}

#[test]
fn a_truncated_gzip_layer_is_an_error_naming_the_layer() {
    let layer = simple_layer();
    let (_keep, dir) = write(&ImageSpec::new(vec![layer.clone()]));
    let blob = layer_blob(&dir, &layer);
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let (code, stdout, stderr) = nsslint(&["scan", &format!("oci:{}", dir.display())]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let digest = format!("sha256:{}", sha256(&layer.blob()));
    assert!(
        stderr.contains(&format!("layer {digest} (1 of 1)")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_layer_whose_digest_does_not_match_is_an_error() {
    let layer = simple_layer().compressed(Compression::None);
    let (_keep, dir) = write(&ImageSpec::new(vec![layer.clone()]));
    let blob = layer_blob(&dir, &layer);
    // Same size, one byte different inside a file's data: the tar still reads, only the digest tells.
    let mut bytes = std::fs::read(&blob).unwrap();
    let at = bytes.windows(9).position(|w| w == b"localhost").unwrap();
    bytes[at] = b'L';
    std::fs::write(&blob, &bytes).unwrap();
    let (code, _, stderr) = nsslint(&["scan", &format!("oci:{}", dir.display())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("digest mismatch: the manifest says sha256:"),
        "{stderr}"
    );
}

#[test]
fn a_missing_blob_is_an_error_naming_it() {
    let layer = simple_layer();
    let (_keep, dir) = write(&ImageSpec::new(vec![layer.clone()]));
    std::fs::remove_file(layer_blob(&dir, &layer)).unwrap();
    let (code, _, stderr) = nsslint(&["scan", &format!("oci:{}", dir.display())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains(&format!(
            "cannot open blobs/sha256/{}",
            sha256(&layer.blob())
        )),
        "{stderr}"
    );
}

#[test]
fn garbage_json_is_an_error_with_the_file_and_offset() {
    let (_keep, dir) = write(&ImageSpec::new(vec![simple_layer()]));
    std::fs::write(
        dir.join("index.json"),
        b"{\"schemaVersion\": 2,\n \"manifests\": [oops]}",
    )
    .unwrap();
    let (code, _, stderr) = nsslint(&["scan", &format!("oci:{}", dir.display())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("index.json at byte 36: not valid JSON"),
        "{stderr}"
    );
}

#[test]
fn a_diff_id_mismatch_in_a_docker_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    let mut spec = ImageSpec::new(vec![simple_layer().compressed(Compression::None)]);
    spec.write_docker_archive(&path, DockerStyle::Legacy);
    // Rewrite with a config whose diff ID belongs to another layer.
    let other = ImageSpec::new(vec![LayerSpec::new()
        .file("x", "y")
        .compressed(Compression::None)]);
    let config = other.config();
    spec.layers = vec![simple_layer().compressed(Compression::None)];
    let tar = spec.layers[0].tar();
    let layer_name = format!("{}/layer.tar", sha256(&tar));
    let config_name = format!("{}.json", sha256(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([{ "Config": config_name, "RepoTags": ["x:1"], "Layers": [layer_name] }])).unwrap();
    write_tar(
        &path,
        &[
            (config_name.clone(), FileOrLink::File(config)),
            (layer_name, FileOrLink::File(tar)),
            ("manifest.json".into(), FileOrLink::File(manifest)),
        ],
    );
    let (code, _, stderr) = nsslint(&["scan", path.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("diff ID mismatch: the config says sha256:"),
        "{stderr}"
    );
}

#[test]
fn a_file_with_elf_magic_that_is_not_elf_is_an_nsl900_and_the_scan_goes_on() {
    let spec = ImageSpec::new(vec![simple_layer().exe(
        "usr/bin/fake",
        b"\x7fELF but nothing else of an ELF file, and long enough to be read by the probe"
            .to_vec(),
    )]);
    let (_keep, dir) = write(&spec);
    let (code, json) = scan_json(&format!("oci:{}", dir.display()));
    assert_eq!(
        code, 0,
        "a warning does not fail the default --fail-on error: {json}"
    );
    let findings = json["images"][0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["rule"], "NSL900");
    assert_eq!(findings[0]["path"], "/usr/bin/fake");
    assert_eq!(findings[0]["level"], "warning");
}

#[test]
fn not_an_image_at_all_is_an_error_naming_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "hello").unwrap();
    let (code, _, stderr) = nsslint(&["scan", path.to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains(&format!("{}: not a tar archive", path.display()))
            || stderr.contains("neither manifest.json"),
        "{stderr}"
    );
    let (code, _, stderr) = nsslint(&["scan", "/nonexistent/image.tar"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("/nonexistent/image.tar: cannot read"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, _) = nsslint(&["scan"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = nsslint(&["scan", "--platform", "linux", "x.tar"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = nsslint(&["rules", "NSL999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no rule \"NSL999\""), "{stderr}");
}
