//! Builds images for the tests, in code: layers from a list of entries (files, directories, symlinks, hard
//! links, whiteouts), compressed with gzip, zstd or not at all, written as a docker archive (legacy, skopeo
//! and crane styles), an OCI layout directory or an OCI archive. No opaque blobs are committed; every image
//! a test uses is made here.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

#[derive(Debug, Clone)]
enum Content {
    File(Vec<u8>),
    Dir,
    Symlink(String),
    Hardlink(String),
}

#[derive(Debug, Clone)]
pub struct LayerSpec {
    entries: Vec<(String, Content, u32)>,
    pub compression: Compression,
}

impl Default for LayerSpec {
    fn default() -> Self {
        LayerSpec::new()
    }
}

impl LayerSpec {
    pub fn new() -> Self {
        LayerSpec {
            entries: Vec::new(),
            compression: Compression::Gzip,
        }
    }
    pub fn compressed(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.entries
            .push((path.into(), Content::File(bytes.into()), 0o644));
        self
    }
    pub fn exe(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.entries
            .push((path.into(), Content::File(bytes.into()), 0o755));
        self
    }
    pub fn dir(mut self, path: &str) -> Self {
        self.entries.push((path.into(), Content::Dir, 0o755));
        self
    }
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.entries
            .push((path.into(), Content::Symlink(target.into()), 0o777));
        self
    }
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        self.entries
            .push((path.into(), Content::Hardlink(target.into()), 0o644));
        self
    }
    /// Deletes `path` of the lower layers (`.wh.NAME` beside it).
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let marker = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&marker, Vec::new())
    }
    /// Hides what the lower layers have below `dir`.
    pub fn opaque(self, dir: &str) -> Self {
        self.file(
            &format!("{}/.wh..wh..opq", dir.trim_end_matches('/')),
            Vec::new(),
        )
    }

    /// The uncompressed tar.
    pub fn tar(&self) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, content, mode) in &self.entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(*mode);
            header.set_mtime(1_700_000_000);
            header.set_uid(0);
            header.set_gid(0);
            match content {
                Content::File(bytes) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(bytes.len() as u64);
                    builder
                        .append_data(&mut header, path, bytes.as_slice())
                        .unwrap();
                }
                Content::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    builder
                        .append_data(&mut header, path, std::io::empty())
                        .unwrap();
                }
                Content::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_size(0);
                    builder.append_link(&mut header, path, target).unwrap();
                }
                Content::Hardlink(target) => {
                    header.set_entry_type(tar::EntryType::Link);
                    header.set_size(0);
                    builder.append_link(&mut header, path, target).unwrap();
                }
            }
        }
        builder.into_inner().unwrap()
    }

    pub fn blob(&self) -> Vec<u8> {
        compress(&self.tar(), self.compression)
    }
}

pub fn compress(tar: &[u8], compression: Compression) -> Vec<u8> {
    match compression {
        Compression::None => tar.to_vec(),
        Compression::Gzip => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(tar).unwrap();
            encoder.finish().unwrap()
        }
        Compression::Zstd => zstd::stream::encode_all(tar, 3).unwrap(),
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a docker archive is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerStyle {
    /// `docker save` before Docker 25: `<id>/layer.tar`, `<hex>.json`, uncompressed.
    Legacy,
    /// skopeo: `<hex>.tar` blobs plus `<id>/layer.tar` symlinks to them.
    SkopeoSymlinks,
    /// `crane pull`: gzip `<hex>.tar.gz` layers, config named `sha256:<hex>`.
    Crane,
    /// Docker 25+: an OCI layout (`blobs/sha256/…`) with a `manifest.json` pointing into it.
    Docker25,
}

#[derive(Debug, Clone)]
pub struct ImageSpec {
    pub layers: Vec<LayerSpec>,
    pub env: Vec<String>,
    pub os: String,
    pub architecture: String,
    pub tag: String,
}

impl ImageSpec {
    pub fn new(layers: Vec<LayerSpec>) -> Self {
        ImageSpec {
            layers,
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            os: "linux".into(),
            architecture: "amd64".into(),
            tag: "test/image:1.0".into(),
        }
    }
    pub fn env(mut self, item: &str) -> Self {
        self.env.push(item.into());
        self
    }
    pub fn platform(mut self, os: &str, architecture: &str) -> Self {
        self.os = os.into();
        self.architecture = architecture.into();
        self
    }

    pub fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self
            .layers
            .iter()
            .map(|l| format!("sha256:{}", sha256(&l.tar())))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "architecture": self.architecture,
            "os": self.os,
            "config": { "Env": self.env },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
        }))
        .unwrap()
    }

    pub fn write_docker_archive(&self, path: &Path, style: DockerStyle) {
        let config = self.config();
        let config_hex = sha256(&config);
        let mut files: Vec<(String, FileOrLink)> = Vec::new();
        if style == DockerStyle::Docker25 {
            let mut files = self.oci_files(true);
            let layers: Vec<String> = self
                .layers
                .iter()
                .map(|l| format!("blobs/sha256/{}", sha256(&l.blob())))
                .collect();
            let manifest = serde_json::to_vec(&serde_json::json!([{
                "Config": format!("blobs/sha256/{config_hex}"), "RepoTags": [self.tag], "Layers": layers,
            }]))
            .unwrap();
            files.push(("manifest.json".into(), FileOrLink::File(manifest)));
            write_tar(path, &files);
            return;
        }
        let config_name = match style {
            DockerStyle::Crane => format!("sha256:{config_hex}"),
            _ => format!("{config_hex}.json"),
        };
        files.push((config_name.clone(), FileOrLink::File(config)));
        let mut layer_names = Vec::new();
        for layer in &self.layers {
            let tar = layer.tar();
            let hex = sha256(&tar);
            match style {
                DockerStyle::Legacy => {
                    let name = format!("{hex}/layer.tar");
                    files.push((
                        name.clone(),
                        FileOrLink::File(compress(&tar, layer.compression)),
                    ));
                    layer_names.push(name);
                }
                DockerStyle::SkopeoSymlinks => {
                    files.push((
                        format!("{hex}.tar"),
                        FileOrLink::File(compress(&tar, layer.compression)),
                    ));
                    files.push((
                        format!("{hex}/layer.tar"),
                        FileOrLink::Symlink(format!("../{hex}.tar")),
                    ));
                    layer_names.push(format!("{hex}/layer.tar"));
                }
                DockerStyle::Docker25 => unreachable!("written as an OCI layout above"),
                DockerStyle::Crane => {
                    let blob = compress(&tar, Compression::Gzip);
                    let name = format!("{}.tar.gz", sha256(&blob));
                    files.push((name.clone(), FileOrLink::File(blob)));
                    layer_names.push(name);
                }
            }
        }
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": config_name, "RepoTags": [self.tag], "Layers": layer_names,
        }]))
        .unwrap();
        files.push(("manifest.json".into(), FileOrLink::File(manifest)));
        write_tar(path, &files);
    }

    /// The OCI layout's files (`oci-layout`, `index.json`, blobs), for a directory or an archive.
    fn oci_files(&self, with_manifest_media_type: bool) -> Vec<(String, FileOrLink)> {
        let config = self.config();
        let mut files = Vec::new();
        let mut layer_descriptors = Vec::new();
        for layer in &self.layers {
            let blob = layer.blob();
            let media_type = match layer.compression {
                Compression::None => "application/vnd.oci.image.layer.v1.tar",
                Compression::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                Compression::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            };
            let hex = sha256(&blob);
            layer_descriptors.push(serde_json::json!({ "mediaType": media_type, "digest": format!("sha256:{hex}"), "size": blob.len() }));
            files.push((format!("blobs/sha256/{hex}"), FileOrLink::File(blob)));
        }
        let config_hex = sha256(&config);
        let mut manifest = serde_json::json!({
            "schemaVersion": 2,
            "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len() },
            "layers": layer_descriptors,
        });
        if with_manifest_media_type {
            manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json".into();
        }
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let manifest_hex = sha256(&manifest);
        files.push((
            format!("blobs/sha256/{config_hex}"),
            FileOrLink::File(config),
        ));
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{manifest_hex}"),
                "size": manifest.len(),
                "annotations": { "org.opencontainers.image.ref.name": self.tag.rsplit(':').next().unwrap() },
            }],
        }))
        .unwrap();
        files.push((
            format!("blobs/sha256/{manifest_hex}"),
            FileOrLink::File(manifest),
        ));
        files.push(("index.json".into(), FileOrLink::File(index)));
        files.push((
            "oci-layout".into(),
            FileOrLink::File(br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
        ));
        files
    }

    pub fn write_oci_layout(&self, dir: &Path, with_manifest_media_type: bool) {
        for (name, content) in self.oci_files(with_manifest_media_type) {
            let path = dir.join(&name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if let FileOrLink::File(bytes) = content {
                std::fs::write(path, bytes).unwrap();
            }
        }
    }

    pub fn write_oci_archive(&self, path: &Path) {
        write_tar(path, &self.oci_files(true));
    }
}

/// Blobs of one image: (manifest descriptor JSON, files to write).
fn image_blobs(spec: &ImageSpec) -> (serde_json::Value, Vec<(String, FileOrLink)>) {
    let files = spec.oci_files(true);
    let index: serde_json::Value = files
        .iter()
        .find_map(|(n, c)| match (n.as_str(), c) {
            ("index.json", FileOrLink::File(bytes)) => Some(serde_json::from_slice(bytes).unwrap()),
            _ => None,
        })
        .unwrap();
    let mut descriptor = index["manifests"][0].clone();
    descriptor.as_object_mut().unwrap().remove("annotations");
    descriptor["platform"] =
        serde_json::json!({ "os": spec.os, "architecture": spec.architecture });
    let blobs = files
        .into_iter()
        .filter(|(n, _)| n.starts_with("blobs/"))
        .collect();
    (descriptor, blobs)
}

/// A multi-platform OCI layout: `index.json` → an image index blob → one manifest per image, plus an
/// attestation manifest (platform unknown/unknown) as BuildKit writes them.
pub fn write_multi_platform_layout(dir: &Path, images: &[ImageSpec]) {
    let mut files = Vec::new();
    let mut manifests = Vec::new();
    for spec in images {
        let (descriptor, blobs) = image_blobs(spec);
        manifests.push(descriptor);
        files.extend(blobs);
    }
    let attestation = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.in-toto+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":0},"layers":[]}"#.to_vec();
    manifests.push(serde_json::json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": format!("sha256:{}", sha256(&attestation)),
        "size": attestation.len(),
        "platform": { "os": "unknown", "architecture": "unknown" },
        "annotations": { "vnd.docker.reference.type": "attestation-manifest" },
    }));
    files.push((
        format!("blobs/sha256/{}", sha256(&attestation)),
        FileOrLink::File(attestation),
    ));
    let image_index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests,
    }))
    .unwrap();
    let top = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{}", sha256(&image_index)),
            "size": image_index.len(),
            "annotations": { "org.opencontainers.image.ref.name": "latest" },
        }],
    }))
    .unwrap();
    files.push((
        format!("blobs/sha256/{}", sha256(&image_index)),
        FileOrLink::File(image_index),
    ));
    files.push(("index.json".into(), FileOrLink::File(top)));
    files.push((
        "oci-layout".into(),
        FileOrLink::File(br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()),
    ));
    for (name, content) in files {
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if let FileOrLink::File(bytes) = content {
            std::fs::write(path, bytes).unwrap();
        }
    }
}

pub enum FileOrLink {
    File(Vec<u8>),
    Symlink(String),
}

pub fn write_tar(path: &Path, files: &[(String, FileOrLink)]) {
    let mut builder = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        match content {
            FileOrLink::File(bytes) => {
                header.set_size(bytes.len() as u64);
                builder
                    .append_data(&mut header, name, bytes.as_slice())
                    .unwrap();
            }
            FileOrLink::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                builder.append_link(&mut header, name, target).unwrap();
            }
        }
    }
    builder.finish().unwrap();
}

/// Where `tests/fixtures/fetch.sh` puts real third-party binaries.
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("NSSLINT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/nsslint-fixtures"))
}

/// A fixture's bytes; `None` (after a loud SKIPPED line) when it was not fetched, except in CI, where a
/// missing fixture fails the test.
pub fn fixture(relative: &str) -> Option<Vec<u8>> {
    let path = fixtures_dir().join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!(
                "fixture {} missing in CI ({e}); .ci/run must run tests/fixtures/fetch.sh",
                path.display()
            )
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: fixture {} missing; run tests/fixtures/fetch.sh",
                path.display()
            );
            None
        }
    }
}

/// Runs the built `nsslint` binary; returns (exit code, stdout, stderr).
pub fn nsslint(args: &[&str]) -> (i32, String, String) {
    nsslint_with(args, &[])
}

/// [`nsslint`] with these environment variables set.
pub fn nsslint_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nsslint"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `nsslint scan --format json` on one input; returns the exit code and the parsed document.
pub fn scan_json(input: &str) -> (i32, serde_json::Value) {
    let (code, stdout, stderr) = nsslint(&["scan", "--format", "json", input]);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, json)
}

/// An OCI layout whose `latest` is an image index of the given images (no attestation manifests, which
/// skopeo would try to copy).
pub fn write_index_layout(dir: &Path, specs: &[ImageSpec]) {
    let mut manifests = Vec::new();
    for spec in specs {
        spec.write_oci_layout(dir, true);
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        let mut descriptor = index["manifests"][0].clone();
        descriptor.as_object_mut().unwrap().remove("annotations");
        descriptor["platform"] =
            serde_json::json!({ "os": spec.os, "architecture": spec.architecture });
        manifests.push(descriptor);
    }
    let image_index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests,
    }))
    .unwrap();
    let hex = sha256(&image_index);
    std::fs::write(dir.join(format!("blobs/sha256/{hex}")), &image_index).unwrap();
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": format!("sha256:{hex}"),
            "size": image_index.len(),
            "annotations": { "org.opencontainers.image.ref.name": "latest" },
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
}

/// The `images` of a `--format json` document.
pub fn images(stdout: &str, stderr: &str) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    doc["images"].as_array().unwrap().clone()
}

/// What a verdict is made of: per program (path, order) and the findings' (rule, path).
pub type Verdict = (Vec<(String, String)>, Vec<(String, String)>);

pub fn verdict(image: &serde_json::Value) -> Verdict {
    let programs = image["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["path"].as_str().unwrap().to_string(),
                b["order"].as_str().unwrap_or("null").to_string(),
            )
        })
        .collect();
    let findings = image["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (programs, findings)
}

/// Validates a SARIF document with the official 2.1.0 schema (Python's `jsonschema`); `None` when the validator is not installed (outside CI).
pub fn sarif_schema_errors(document: &serde_json::Value) -> Option<Vec<String>> {
    let schema = fixtures_dir().join("schemas/sarif-2.1.0.json");
    fixture("schemas/sarif-2.1.0.json")?;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    std::fs::write(&file, serde_json::to_vec(document).unwrap()).unwrap();
    let script = "import json,sys\n\
        import jsonschema\n\
        schema=json.load(open(sys.argv[1])); doc=json.load(open(sys.argv[2]))\n\
        for e in jsonschema.Draft4Validator(schema).iter_errors(doc): print('/'.join(map(str,e.absolute_path)), e.message)\n";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&schema)
        .arg(&file)
        .output();
    match output {
        Ok(out) if out.status.success() => Some(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect(),
        ),
        Ok(out)
            if std::env::var_os("CI").is_none()
                && String::from_utf8_lossy(&out.stderr)
                    .contains("No module named 'jsonschema'") =>
        {
            eprintln!("SKIPPED: Python jsonschema not installed (pip install jsonschema)");
            None
        }
        Ok(out) => panic!("validator failed: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => panic!("cannot run python3: {e}"),
    }
}

/// A missing tool: `None` after a loud SKIPPED line, except in CI, where the test fails.
pub fn missing(what: &str, how: &str) -> Option<PathBuf> {
    if std::env::var_os("CI").is_some() {
        panic!("{what} missing in CI; {how}");
    }
    eprintln!("SKIPPED: {what} missing; {how}");
    None
}

/// A tool installed by `tests/fixtures/fetch.sh` under the fixtures directory.
pub fn fixture_tool(relative: &str) -> Option<PathBuf> {
    let path = fixtures_dir().join(relative);
    if path.exists() {
        Some(path)
    } else {
        missing(
            &path.display().to_string(),
            "run tests/fixtures/fetch.sh (tools/npm, tools/pypi)",
        )
    }
}

/// A program on PATH.
pub fn host_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    found.or_else(|| missing(name, "install it (.ci/run does)"))
}

/// Validates SARIF files with the schema, sarif-multitool (with its GitHub rules) and upload-sarif's own
/// checks; panics on any error-level problem and prints the warnings. `false` when the validators are not
/// installed (outside CI).
pub fn validate_sarif(files: &[&Path]) -> bool {
    let (Some(schema), Some(multitool), Some(python)) = (
        fixture_tool("schemas/sarif-2.1.0.json"),
        fixture_tool("tools/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"),
        host_tool("python3"),
    ) else {
        return false;
    };
    let out = std::process::Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/action/validate_sarif.py"))
        .arg("--schema")
        .arg(schema)
        .arg("--multitool")
        .arg(multitool)
        .args(files)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "validate_sarif.py could not validate: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for (file, entry) in report["files"].as_object().unwrap() {
        for warning in entry["warnings"].as_array().unwrap() {
            eprintln!("SARIF warning ({file}): {}", warning.as_str().unwrap());
        }
        let errors = entry["errors"].as_array().unwrap();
        assert!(
            errors.is_empty(),
            "{file} is not valid for GitHub: {errors:#?}"
        );
    }
    assert_eq!(out.status.code(), Some(0));
    true
}
