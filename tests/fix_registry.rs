//! `nsslint fix --output docker://…` against the real registry on loopback (Debian's docker-registry, the
//! source pushed by skopeo), through the counting proxy (`tests/registry/harness.rs`): what is uploaded,
//! mounted or left alone, request by request; the source (by tag or by digest) untouched; several
//! platforms into a new index; a registry that refuses the push.

#[path = "registry/harness.rs"]
mod harness;
#[path = "support/seed.rs"]
mod seed;
mod support;

use harness::*;
use std::collections::BTreeMap;

fn raw_manifest(host: &str, reference: &str) -> String {
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{host}/{reference}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "skopeo inspect {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sha256_of(text: &str) -> String {
    format!("sha256:{}", support::sha256(text.as_bytes()))
}

/// Blob uploads that were committed (`PUT …/blobs/uploads/…?digest=D` answered 201), by digest.
fn committed_uploads(proxy: &Proxy) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (method, path, status) in proxy.requests() {
        if method == "PUT" && path.contains("/blobs/uploads/") && status == 201 {
            if let Some((_, digest)) = path.split_once("digest=") {
                let digest = digest.split('&').next().unwrap().replace("%3A", ":");
                *counts.entry(digest).or_default() += 1;
            }
        }
    }
    counts
}

fn fix(host: &str, input: &str, output: &str, extra: &[&str]) -> (i32, String, String) {
    let input = format!("docker://{host}/{input}");
    let output = format!("docker://{host}/{output}");
    let mut args = vec![
        "fix",
        "-q",
        "--insecure-registry",
        host,
        &input,
        "--output",
        &output,
    ];
    args.extend_from_slice(extra);
    nsslint(&args)
}

fn rescan(host: &str, reference: &str) -> serde_json::Value {
    let input = format!("docker://{host}/{reference}");
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--all-platforms",
        "--insecure-registry",
        host,
        &input,
    ]);
    assert_eq!(code, 0, "re-scan of {reference}: {stdout}{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn a_push_uploads_only_what_the_repository_lacks_and_mounts_across_repositories() {
    if !tools_present("fix push") {
        return;
    }
    let registry = Registry::start();
    registry.push(
        &format!("docker-archive:{}", seed::SEED_IMAGE),
        "team/app:1.4",
        &["--format", "v2s2"],
    );
    let proxy = Proxy::start(registry.port, &[]);
    let host = proxy.host();
    let source_before = raw_manifest(&host, "team/app:1.4");
    let source_layers: Vec<String> = serde_json::from_str::<serde_json::Value>(&source_before)
        .unwrap()["layers"]
        .as_array()
        .unwrap_or_else(|| panic!("{source_before}"))
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();

    // The same repository, a new tag: the old layers are there; the new layer and the config go up.
    proxy.clear();
    let (code, stdout, stderr) = fix(&host, "team/app:1.4", "team/app:1.4-nsfix", &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("fixes NSL001 /usr/local/bin/lookup"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 new layer(s); 2 blob(s) written")
            && stdout.contains(&format!("{} already there", source_layers.len())),
        "{stdout}"
    );
    let uploads = committed_uploads(&proxy);
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert!(uploads.values().all(|&n| n == 1), "{uploads:?}");
    for layer in &source_layers {
        assert!(!uploads.contains_key(layer), "{layer} was uploaded again");
    }
    let fixed = raw_manifest(&host, "team/app:1.4-nsfix");
    let fixed_json: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(
        fixed_json["layers"].as_array().unwrap().len(),
        source_layers.len() + 1
    );
    // skopeo pushed a Docker v2 manifest; the fixed one keeps that flavour.
    assert_eq!(
        fixed_json["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    let json = rescan(&host, "team/app:1.4-nsfix");
    assert_eq!(json["images"][0]["findings"], serde_json::json!([]));
    assert_eq!(json["images"][0]["binaries"][0]["order"], "files,dns");
    assert_eq!(
        raw_manifest(&host, "team/app:1.4"),
        source_before,
        "the source tag is untouched"
    );

    // Another repository of the same registry: every old layer is mounted from the source, not sent.
    proxy.clear();
    let (code, stdout, stderr) = fix(&host, "team/app:1.4", "other/app:fixed", &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let requests = proxy.requests();
    for layer in &source_layers {
        let mounted = requests.iter().any(|(method, path, status)| {
            method == "POST"
                && path.contains(&format!("mount={layer}"))
                && path.contains("from=team")
                && *status == 201
        });
        assert!(mounted, "{layer} not mounted: {requests:?}");
    }
    let uploads = committed_uploads(&proxy);
    assert_eq!(
        uploads.len(),
        2,
        "only the new layer and the config: {uploads:?}"
    );
    for layer in &source_layers {
        assert!(!uploads.contains_key(layer));
    }
    // The layers were read once, by the scan; the push mounted them without reading them again.
    let gets = proxy.blob_gets();
    for layer in &source_layers {
        assert_eq!(gets.get(layer), Some(&1), "{layer}: {gets:?}");
    }
    let json = rescan(&host, "other/app:fixed");
    assert_eq!(json["images"][0]["binaries"][0]["order"], "files,dns");

    // The tag exists now: refused without --force, nothing changed.
    let before = raw_manifest(&host, "other/app:fixed");
    let (code, _, stderr) = fix(&host, "team/app:1.4", "other/app:fixed", &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("exists; --force replaces the tag"),
        "{stderr}"
    );
    assert_eq!(raw_manifest(&host, "other/app:fixed"), before);
    let (code, _, stderr) = fix(&host, "team/app:1.4", "other/app:fixed", &["--force"]);
    assert_eq!(code, 0, "{stderr}");
    // The same image fixed again is the same manifest.
    assert_eq!(raw_manifest(&host, "other/app:fixed"), before);

    // A digest-pinned input: fixed into a tag; the pinned manifest and the tag 1.4 stay as they were.
    let digest = sha256_of(&source_before);
    let (code, stdout, stderr) = fix(
        &host,
        &format!("team/app@{digest}"),
        "team/app:pinned-nsfix",
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        raw_manifest(&host, &format!("team/app@{digest}")),
        source_before
    );
    assert_eq!(raw_manifest(&host, "team/app:1.4"), source_before);
    assert_eq!(
        raw_manifest(&host, "team/app:pinned-nsfix"),
        raw_manifest(&host, "team/app:1.4-nsfix")
    );
    // An output named by digest is refused: a push names a tag.
    let (code, _, stderr) = fix(&host, "team/app:1.4", &format!("team/app@{digest}"), &[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("a pushed image is named by a tag"),
        "{stderr}"
    );
}

#[test]
fn every_platform_is_fixed_into_a_new_index_in_the_registry() {
    if !tools_present("fix push index") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("multi");
    support::write_index_layout(
        &layout,
        &[seed::unfixed_image("amd64"), seed::unfixed_image("arm64")],
    );
    registry.push(
        &format!("oci:{}:latest", layout.display()),
        "multi/app:1",
        &["--all", "--format", "oci"],
    );
    let (code, stdout, stderr) = fix(
        &host,
        "multi/app:1",
        "multi/app:1-nsfix",
        &["--all-platforms"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("(index sha256:"), "{stdout}");
    let index: serde_json::Value =
        serde_json::from_str(&raw_manifest(&host, "multi/app:1-nsfix")).unwrap();
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
    let json = rescan(&host, "multi/app:1-nsfix");
    let orders: Vec<(&str, &str)> = json["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["platform"].as_str().unwrap(),
                i["binaries"][0]["order"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        orders,
        [("linux/amd64", "files,dns"), ("linux/arm64", "files,dns")]
    );
}

#[test]
fn a_registry_that_refuses_the_push_gives_exit_3_and_no_tag() {
    if !tools_present("fix push refused") {
        return;
    }
    // Basic auth wanted, no credentials given: every push request is refused.
    let registry = Registry::start_with_auth("pusher", "s3cret");
    let host = registry.host();
    let output = format!("docker://{host}/team/app:nsfix");
    let (code, stdout, stderr) = nsslint(&[
        "fix",
        "-q",
        "--insecure-registry",
        &host,
        seed::SEED_IMAGE,
        "--output",
        &output,
    ]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stderr.contains(&format!("--output {output}")), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stdout.contains("Wrote"), "{stdout}");
    // Nothing is tagged (asked with the credentials).
    let out = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            "--creds",
            "pusher:s3cret",
        ])
        .arg(&output)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the tag exists after a refused push");
}

#[test]
fn files_go_to_the_registry_and_the_registry_to_files_with_the_credentials_scan_uses() {
    if !tools_present("fix push files") {
        return;
    }
    let registry = Registry::start_with_auth("pusher", "s3cret");
    let host = registry.host();
    let config = tempfile::tempdir().unwrap();
    let auth = base64_of("pusher:s3cret");
    std::fs::write(
        config.path().join("config.json"),
        format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .unwrap();
    let docker_config = config.path().display().to_string();
    let env = [("DOCKER_CONFIG", docker_config.as_str())];

    // A docker archive pushed, fixed, with the Docker config's credentials.
    let output = format!("docker://{host}/fromfile/app:nsfix");
    let (code, stdout, stderr) = nsslint_env(
        &[
            "fix",
            "-q",
            "--insecure-registry",
            &host,
            seed::SEED_IMAGE,
            "--output",
            &output,
        ],
        &env,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("(manifest sha256:"), "{stdout}");
    let (code, stdout, stderr) = nsslint_env(
        &[
            "scan",
            "--format",
            "json",
            "--insecure-registry",
            &host,
            &output,
        ],
        &env,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["images"][0]["binaries"][0]["order"], "files,dns");

    // And back: the registry's image fixed into an OCI archive (nothing to fix now: nothing written).
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("app.oci.tar");
    let (code, stdout, stderr) = nsslint_env(
        &[
            "fix",
            "-q",
            "--insecure-registry",
            &host,
            &output,
            "--output",
            &format!("oci-archive:{}", archive.display()),
        ],
        &env,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Nothing to fix"), "{stdout}");
    assert!(!archive.exists());

    // The unfixed image from the registry into an OCI archive: a file skopeo reads, clean on a re-scan.
    registry.push(
        &format!("docker-archive:{}", seed::SEED_IMAGE),
        "team/app:1.4",
        &[],
    );
    let (code, stdout, stderr) = nsslint_env(
        &[
            "fix",
            "-q",
            "--insecure-registry",
            &host,
            &format!("docker://{host}/team/app:1.4"),
            "--output",
            &format!("oci-archive:{}", archive.display()),
        ],
        &env,
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let out = std::process::Command::new("skopeo")
        .args(["inspect", &format!("oci-archive:{}", archive.display())])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, stdout, _) = nsslint(&[
        "scan",
        "--format",
        "json",
        &format!("oci-archive:{}", archive.display()),
    ]);
    assert_eq!(code, 0, "{stdout}");
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
