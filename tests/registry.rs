//! `docker://` scans against a real registry on loopback (Debian's docker-registry, images pushed with
//! skopeo): OCI and Docker v2 manifests, a two-platform index, zstd layers, basic auth with credentials from
//! a Docker config file and from a credential helper, bearer tokens from a token-auth front (the proxy), TLS
//! with a self-signed certificate,
//! faults injected by a proxy (429 with Retry-After, 503, truncated and corrupted blobs), the layer cache,
//! and the many-image options. See `tests/registry/harness.rs`.

#[path = "registry/harness.rs"]
mod harness;
#[path = "support/seed.rs"]
mod seed;
mod support;

use harness::*;
use std::path::Path;
use support::{images, verdict, ImageSpec, LayerSpec, Verdict};

fn local_verdict() -> Verdict {
    let (_, stdout, stderr) = nsslint(&["scan", "--format", "json", seed::SEED_IMAGE]);
    verdict(&images(&stdout, &stderr)[0])
}

fn docker_archive() -> String {
    format!("docker-archive:{}", seed::SEED_IMAGE)
}

/// An OCI layout holding an artifact (a Helm chart's media types): a config blob `{}` and one layer.
fn write_chart_layout(dir: &Path) -> String {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| {
        let hex = support::sha256(bytes);
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let config = put(b"{}");
    let content = put(b"x");
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"{content}","size":1}}]}}"#
    );
    let manifest_digest = put(manifest.as_bytes());
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"1.0"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    manifest_digest
}

#[test]
fn an_artifact_in_the_registry_is_refused_by_name_and_the_other_images_are_scanned() {
    if !tools_present("artifact") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_chart_layout(dir.path());
    registry.push(
        &format!("oci:{}:1.0", dir.path().display()),
        "charts/app:1",
        &[],
    );
    registry.push(&docker_archive(), "seed/incident:1", &["--format", "oci"]);
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/charts/app:1"),
        &format!("docker://{host}/seed/incident:1"),
    ]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!(
            "docker://{host}/charts/app:1: manifest {manifest}: is not a container image: its config's media type is \"application/vnd.cncf.helm.config.v1+json\""
        )),
        "{stderr}"
    );
    let scanned = images(&stdout, &stderr);
    assert_eq!(scanned.len(), 1, "{stdout}");
    assert_eq!(verdict(&scanned[0]), local_verdict());
}

#[test]
fn oci_and_docker_v2_manifests_give_the_local_verdict() {
    if !tools_present("manifests") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    registry.push(&docker_archive(), "seed/incident:v2", &["--format", "v2s2"]);
    registry.push(&docker_archive(), "seed/incident:oci", &["--format", "oci"]);
    let expected = local_verdict();
    assert!(
        expected.1.iter().any(|(rule, _)| rule == "NSL001"),
        "{expected:?}"
    );
    for tag in ["v2", "oci"] {
        let input = format!("docker://{host}/seed/incident:{tag}");
        let (code, stdout, stderr) = nsslint(&[
            "scan",
            "--format",
            "json",
            "--insecure-registry",
            &host,
            &input,
        ]);
        assert_eq!(code, 1, "{stderr}");
        let image = &images(&stdout, &stderr)[0];
        assert_eq!(verdict(image), expected, "{tag}");
        assert_eq!(image["name"], format!("{host}/seed/incident:{tag}"));
        assert!(image["digest"].as_str().unwrap().starts_with("sha256:"));
    }
    // By digest too.
    let (_, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident:oci"),
    ]);
    let digest = images(&stdout, &stderr)[0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident@{digest}"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);
    // explain reads registry images too.
    let (code, stdout, stderr) = nsslint(&[
        "explain",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident:oci"),
        "/usr/local/bin/lookup",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("predicted order: dns,files"), "{stdout}");
    // Without --insecure-registry the client insists on TLS: a clear error naming the image.
    let (code, _, stderr) = nsslint_env(
        &["scan", &format!("docker://{host}/seed/incident:oci")],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!("docker://{host}/seed/incident:oci")),
        "{stderr}"
    );
    // A tag that does not exist.
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident:nope"),
    ]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("manifest nope") && stderr.contains("ManifestUnknown"),
        "{stderr}"
    );
}

#[test]
fn a_two_platform_index_is_chosen_from_as_locally() {
    if !tools_present("index") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both");
    support::write_index_layout(
        &both,
        &[
            seed::small_image("arm64", "arm"),
            seed::small_image("amd64", "amd"),
        ],
    );
    registry.push(
        &format!("oci:{}:latest", both.display()),
        "multi/app:1",
        &["--all", "--format", "oci"],
    );
    let none_amd = dir.path().join("none-amd");
    support::write_index_layout(
        &none_amd,
        &[
            seed::small_image("arm64", "arm"),
            seed::small_image("s390x", "s"),
        ],
    );
    registry.push(
        &format!("oci:{}:latest", none_amd.display()),
        "multi/app:2",
        &["--all", "--format", "oci"],
    );
    let scan = |extra: &[&str], tag: &str| {
        let input = format!("docker://{host}/multi/app:{tag}");
        let mut args = vec!["scan", "--format", "json", "--insecure-registry", &host];
        args.extend_from_slice(extra);
        args.push(&input);
        let (code, stdout, stderr) = nsslint(&args);
        (code, stdout, stderr)
    };
    let (code, stdout, stderr) = scan(&[], "1");
    assert_eq!(code, 0, "{stderr}");
    let found = images(&stdout, &stderr);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["platform"], "linux/amd64");
    let (_, stdout, stderr) = scan(&["--platform", "linux/arm64"], "1");
    assert_eq!(images(&stdout, &stderr)[0]["platform"], "linux/arm64");
    let (_, stdout, stderr) = scan(&["--all-platforms"], "1");
    let platforms: Vec<_> = images(&stdout, &stderr)
        .iter()
        .map(|i| i["platform"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(platforms, ["linux/arm64", "linux/amd64"]);
    let (code, _, stderr) = scan(&[], "2");
    assert_eq!(code, 3);
    assert!(
        stderr.contains("linux/arm64, linux/s390x") && stderr.contains("--platform"),
        "{stderr}"
    );
}

#[test]
fn zstd_layers_stream_from_the_registry() {
    if !tools_present("zstd") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    registry.push(
        &docker_archive(),
        "seed/zstd:1",
        &["--format", "oci", "--dest-compress-format", "zstd"],
    );
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/zstd:1"),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let image = &images(&stdout, &stderr)[0];
    assert!(image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["compression"] == "zstd"));
    assert_eq!(verdict(image), local_verdict());
}

const USER: &str = "scanner";
const PASSWORD: &str = "pa55-Wr0ng-Not-4-Logs";

fn write_config(dir: &Path, json: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("config.json"), json).unwrap();
}

#[test]
fn basic_auth_from_a_docker_config_and_a_credential_helper() {
    if !tools_present("auth") {
        return;
    }
    let registry = Registry::start_with_auth(USER, PASSWORD);
    let host = registry.host();
    registry.push(&docker_archive(), "private/app:1", &["--format", "oci"]);
    let input = format!("docker://{host}/private/app:1");
    let args = [
        "scan",
        "--insecure-registry",
        &host,
        "--format",
        "json",
        &input,
    ];
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // No credentials: a clear error that says so.
    let (code, stdout, stderr) = nsslint(&args);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(stderr.contains("no credentials for"), "{stderr}");

    // `auths` with base64 user:password, under the registry's own name only.
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let auths = dir.join("auths");
    write_config(
        &auths,
        &format!(r#"{{"auths":{{"http://{host}":{{"auth":"{encoded}"}}}}}}"#),
    );
    let (code, stdout, stderr) = nsslint_env(&args, &[("DOCKER_CONFIG", auths.to_str().unwrap())]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), local_verdict());

    // Credentials of another registry are not sent here.
    let other = dir.join("other");
    write_config(
        &other,
        &format!(
            r#"{{"auths":{{"127.0.0.2:{}":{{"auth":"{encoded}"}}}}}}"#,
            registry.port
        ),
    );
    let (code, _, stderr) = nsslint_env(&args, &[("DOCKER_CONFIG", other.to_str().unwrap())]);
    assert_eq!(code, 3, "{stderr}");

    // Wrong password: the error names the source and never the secret (nor its base64).
    let wrong = dir.join("wrong");
    let bad_secret = "Sup3r-S3cret-Value-42";
    write_config(
        &wrong,
        &format!(r#"{{"auths":{{"{host}":{{"username":"{USER}","password":"{bad_secret}"}}}}}}"#),
    );
    let (code, stdout, stderr) = nsslint_env(&args, &[("DOCKER_CONFIG", wrong.to_str().unwrap())]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("401") || stderr.contains("Unauthorized"),
        "{stderr}"
    );
    assert!(stderr.contains("were not accepted"), "{stderr}");
    let bad_encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{bad_secret}"));
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains(bad_secret) && !text.contains(&bad_encoded),
            "{text}"
        );
    }

    // A credential helper (credHelpers), run with the registry on standard input.
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-nsstest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r server\nif [ \"$server\" = \"{host}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let helpers = dir.join("helpers");
    write_config(
        &helpers,
        &format!(r#"{{"credHelpers":{{"{host}":"nsstest"}}}}"#),
    );
    let (code, stdout, stderr) = nsslint_env(
        &args,
        &[
            ("DOCKER_CONFIG", helpers.to_str().unwrap()),
            ("PATH", &path),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), local_verdict());
    // The same helper as credsStore; a helper that is missing is an error naming it.
    let store = dir.join("store");
    write_config(&store, r#"{"credsStore":"nsstest"}"#);
    let (code, _, stderr) = nsslint_env(
        &args,
        &[("DOCKER_CONFIG", store.to_str().unwrap()), ("PATH", &path)],
    );
    assert_eq!(code, 1, "{stderr}");
    let missing = dir.join("missing");
    write_config(&missing, r#"{"credsStore":"nosuchhelper"}"#);
    let (code, _, stderr) = nsslint_env(&args, &[("DOCKER_CONFIG", missing.to_str().unwrap())]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("docker-credential-nosuchhelper"),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD));
}

#[test]
fn bearer_tokens_anonymous_and_with_credentials_from_a_docker_config() {
    if !tools_present("bearer") {
        return;
    }
    let registry = Registry::start();
    registry.push(&docker_archive(), "seed/incident:1", &["--format", "oci"]);
    let expected = local_verdict();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let scan = |host: &str, env: &[(&str, &str)]| {
        nsslint_env(
            &[
                "scan",
                "--format",
                "json",
                "--insecure-registry",
                host,
                &format!("docker://{host}/seed/incident:1"),
            ],
            env,
        )
    };
    let is_token = |e: &Logged| e.path.starts_with("/token?");

    // A token server that gives anyone a token: the first request is challenged, a token is fetched without
    // credentials, and every request after that carries it.
    let proxy = Proxy::start(registry.port, &["bearer::".into()]);
    let (code, stdout, stderr) = scan(&proxy.host(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);
    let entries = proxy.entries();
    assert_eq!(
        (entries[0].status, entries[0].auth.as_str()),
        (401, "-"),
        "{entries:?}"
    );
    let tokens: Vec<&Logged> = entries.iter().filter(|e| is_token(e)).collect();
    assert_eq!(tokens.len(), 1, "one token for the repository: {entries:?}");
    assert!(
        tokens[0]
            .path
            .contains("scope=repository%3Aseed%2Fincident%3Apull"),
        "{tokens:?}"
    );
    assert_eq!((tokens[0].status, tokens[0].auth.as_str()), (200, "-"));
    let registry_requests: Vec<&Logged> = entries
        .iter()
        .filter(|e| e.path.starts_with("/v2/seed/incident/"))
        .skip(1)
        .collect();
    assert!(registry_requests.len() >= 4, "{entries:?}");
    assert!(
        registry_requests
            .iter()
            .all(|e| e.status == 200 && e.auth == "bearer-ok"),
        "{entries:?}"
    );

    // A token refused mid-scan (expired) is fetched again, and the refused request made again with it.
    let proxy = Proxy::start(
        registry.port,
        &["bearer::".into(), "expire:1:/blobs/".into()],
    );
    let (code, stdout, stderr) = scan(&proxy.host(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);
    let entries = proxy.entries();
    assert_eq!(
        entries.iter().filter(|e| is_token(e)).count(),
        2,
        "{entries:?}"
    );
    let first_blob: Vec<(u16, &str)> = entries
        .iter()
        .filter(|e| e.path.contains("/blobs/"))
        .take(2)
        .map(|e| (e.status, e.auth.as_str()))
        .collect();
    assert_eq!(
        first_blob,
        [(401, "bearer-ok"), (200, "bearer-ok")],
        "{entries:?}"
    );

    // A token server that wants the user and password: they come from the Docker config, go to the token
    // endpoint only (never to the registry's own paths), and the scan gives the local verdict.
    let proxy = Proxy::start(registry.port, &[format!("bearer:{USER}:{PASSWORD}")]);
    let host = proxy.host();
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let good = dir.join("good");
    write_config(
        &good,
        &format!(r#"{{"auths":{{"{host}":{{"auth":"{encoded}"}}}}}}"#),
    );
    let (code, stdout, stderr) = scan(&host, &[("DOCKER_CONFIG", good.to_str().unwrap())]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);
    let entries = proxy.entries();
    let tokens: Vec<&Logged> = entries.iter().filter(|e| is_token(e)).collect();
    assert_eq!(tokens.len(), 1, "{entries:?}");
    assert_eq!(
        (tokens[0].status, tokens[0].auth.as_str()),
        (200, "basic-ok")
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.auth.starts_with("basic"))
            .all(is_token),
        "the password went elsewhere than the token endpoint: {entries:?}"
    );
    assert!(
        entries
            .iter()
            .filter(|e| !is_token(e) && e.status == 200)
            .all(|e| e.auth == "bearer-ok"),
        "{entries:?}"
    );

    // No credentials for it: the token server's 401, and a message that says none were found.
    proxy.clear();
    let (code, stdout, stderr) = scan(&host, &[]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("HTTP 401 from the token server")
            && stderr.contains(&format!("no credentials for {host} were found")),
        "{stderr}"
    );

    // The wrong password: an authentication error naming where the credentials came from, exit 3, and
    // neither the password nor its base64 anywhere; it too went only to the token endpoint.
    proxy.clear();
    let bad_secret = "Sup3r-S3cret-Value-42";
    let wrong = dir.join("wrong");
    write_config(
        &wrong,
        &format!(r#"{{"auths":{{"{host}":{{"username":"{USER}","password":"{bad_secret}"}}}}}}"#),
    );
    let (code, stdout, stderr) = scan(&host, &[("DOCKER_CONFIG", wrong.to_str().unwrap())]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("HTTP 401 from the token server")
            && stderr.contains(&format!(
                "the credentials for {host} from auths[{host}] in {}",
                wrong.join("config.json").display()
            ))
            && stderr.contains("were not accepted"),
        "{stderr}"
    );
    let bad_encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{bad_secret}"));
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains(bad_secret) && !text.contains(&bad_encoded),
            "{text}"
        );
    }
    let entries = proxy.entries();
    assert!(
        entries.iter().any(|e| is_token(e) && e.auth == "basic-bad"),
        "{entries:?}"
    );
    assert!(
        entries
            .iter()
            .filter(|e| e.auth.starts_with("basic"))
            .all(is_token),
        "{entries:?}"
    );
}

#[test]
fn a_tls_registry_is_trusted_through_registry_ca_or_ssl_cert_file_and_refused_otherwise() {
    if !tools_present_with("tls", &[("openssl", "version", "openssl")]) {
        return;
    }
    let registry = Registry::start_with_tls();
    let host = registry.host();
    // skopeo pushes without checking the certificate (harness: --dest-tls-verify=false).
    registry.push(&docker_archive(), "seed/incident:1", &["--format", "oci"]);
    let cert = registry.cert.clone().unwrap();
    let expected = local_verdict();
    let input = format!("docker://{host}/seed/incident:1");
    let args = ["scan", "--format", "json", &input];

    // Not trusted: a certificate error that says so and what to do, exit 3, no report.
    let (code, stdout, stderr) = nsslint(&args);
    assert_eq!(code, 3, "{stderr}");
    assert!(images(&stdout, &stderr).is_empty());
    assert!(
        stderr.contains("invalid peer certificate: UnknownIssuer")
            && stderr.contains(&format!(
                "the TLS handshake with {host} failed: its certificate is not trusted"
            ))
            && stderr.contains("--registry-ca FILE"),
        "{stderr}"
    );

    // --registry-ca: trusted besides the system's roots; the verdict is the local one. By name too
    // (the certificate is for localhost as well).
    let by_name = format!("docker://localhost:{}/seed/incident:1", registry.port);
    for target in [&input, &by_name] {
        let (code, stdout, stderr) = nsslint(&[
            "scan",
            "--format",
            "json",
            "--registry-ca",
            cert.to_str().unwrap(),
            target,
        ]);
        assert_eq!(code, 1, "{target}: {stderr}");
        assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected, "{target}");
    }

    // SSL_CERT_FILE: the platform's roots are read from that file instead.
    let (code, stdout, stderr) = nsslint_env(&args, &[("SSL_CERT_FILE", cert.to_str().unwrap())]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);

    // A --registry-ca file without a certificate in it is an error that says so.
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--registry-ca",
        registry.dir.path().join("config.yml").to_str().unwrap(),
        &input,
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no certificate in it"), "{stderr}");
}

/// Scans one image through a proxy with fault rules; returns (exit code, stdout, stderr, proxy).
fn through_proxy(registry: &Registry, rules: &[String], tag: &str) -> (i32, String, String, Proxy) {
    let proxy = Proxy::start(registry.port, rules);
    let host = proxy.host();
    let (code, stdout, stderr) = nsslint_env(
        &[
            "scan",
            "--format",
            "json",
            "--insecure-registry",
            &host,
            &format!("docker://{host}/seed/incident:{tag}"),
        ],
        &[],
    );
    (code, stdout, stderr, proxy)
}

/// The largest layer blob of the pushed seed image (where the Go program is).
fn biggest_layer(registry: &Registry, tag: &str) -> String {
    let host = registry.host();
    let (_, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident:{tag}"),
    ]);
    let image = &images(&stdout, &stderr)[0];
    image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|l| l["stored_bytes"].as_u64().unwrap())
        .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn faults_give_a_retry_or_a_clear_error_never_a_wrong_verdict() {
    if !tools_present("faults") {
        return;
    }
    let registry = Registry::start();
    registry.push(&docker_archive(), "seed/incident:1", &["--format", "oci"]);
    let expected = local_verdict();
    let layer = biggest_layer(&registry, "1");

    // 429 on the manifest and on the layer, then 200: retried, same verdict.
    let (code, stdout, stderr, proxy) = through_proxy(
        &registry,
        &["429:1:/manifests/".into(), format!("429:1:{layer}")],
        "1",
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);
    let statuses: Vec<u16> = proxy
        .requests()
        .iter()
        .filter(|(_, p, _)| p.contains(&layer))
        .map(|(_, _, s)| *s)
        .collect();
    assert_eq!(statuses, [429, 200], "{:?}", proxy.requests());

    // A 503 on every manifest request: retried a bounded number of times, then a clear error.
    let (code, _, stderr, proxy) = through_proxy(&registry, &["503:-1:/manifests/".into()], "1");
    assert_eq!(code, 3);
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("attempts"),
        "{stderr}"
    );
    let tries = proxy
        .requests()
        .iter()
        .filter(|(_, p, _)| p.contains("/manifests/"))
        .count();
    assert_eq!(
        tries,
        5,
        "the default policy's attempts: {:?}",
        proxy.requests()
    );
    // Each 503 says Retry-After: 1, which is longer than the first backoff (0.5 s): waited for.
    let manifests = logged(&proxy, "/manifests/");
    let first_wait = manifests[1].arrived - manifests[0].arrived;
    assert!(first_wait >= 1.0, "{first_wait:.3} s: {manifests:?}");

    // A blob cut off once: resumed, same verdict.
    let (code, stdout, stderr, _) = through_proxy(&registry, &[format!("truncate:1:{layer}")], "1");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images(&stdout, &stderr)[0]), expected);

    // Cut off every time: a clear error naming the layer, and no report.
    let (code, stdout, stderr, _) =
        through_proxy(&registry, &[format!("truncate:-1:{layer}")], "1");
    assert_eq!(code, 3, "{stdout}");
    assert!(stderr.contains(&format!("layer {layer}")), "{stderr}");
    assert!(images(&stdout, &stderr).is_empty());

    // Wrong bytes for the layer's digest: an error naming the layer, never a verdict.
    let (code, stdout, stderr, _) = through_proxy(&registry, &[format!("corrupt:-1:{layer}")], "1");
    assert_eq!(code, 3, "{stdout}");
    assert!(stderr.contains(&format!("layer {layer}")), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("digest") || stderr.contains("mismatch"),
        "{stderr}"
    );
    assert!(images(&stdout, &stderr).is_empty());

    // A manifest served with wrong bytes when asked by digest: refused.
    let (_, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &registry.host(),
        &format!("docker://{}/seed/incident:1", registry.host()),
    ]);
    let digest = images(&stdout, &stderr)[0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let proxy = Proxy::start(registry.port, &[format!("corrupt:-1:/manifests/{digest}")]);
    let host = proxy.host();
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident@{digest}"),
    ]);
    assert_eq!(code, 3);
    assert!(stderr.to_lowercase().contains("digest"), "{stderr}");
}

/// The requests through the proxy whose path contains `needle`, in order.
fn logged(proxy: &Proxy, needle: &str) -> Vec<Logged> {
    proxy
        .entries()
        .into_iter()
        .filter(|e| e.path.contains(needle))
        .collect()
}

/// A 429 answered first, then the same request again, at least `wait` seconds later, answered 200.
fn assert_retried_after(requests: &[Logged], wait: f64) {
    assert!(requests.len() >= 2, "{requests:?}");
    let (refused, retried) = (&requests[0], &requests[1]);
    assert_eq!(
        (refused.status, retried.status, &refused.path),
        (429, 200, &retried.path),
        "{requests:?}"
    );
    let waited = retried.arrived - refused.arrived;
    assert!(
        waited >= wait,
        "{}: retried {waited:.3} s after the 429, want >= {wait} s",
        refused.path
    );
}

#[test]
fn retry_after_is_waited_for_in_seconds_or_as_a_date_and_too_long_a_wait_gives_up() {
    if !tools_present("retry-after") {
        return;
    }
    let registry = Registry::start();
    registry.push(&docker_archive(), "seed/incident:1", &["--format", "oci"]);
    let expected = local_verdict();
    let layer = biggest_layer(&registry, "1");

    // One 429 each for the tags list, the manifest and the first blob (the config) with Retry-After: 2, and
    // for the layer with an HTTP-date 3 s ahead (whole seconds: 2 s and more by the time it is read). The
    // backoff alone would retry after 0.5 s.
    let proxy = Proxy::start(
        registry.port,
        &[
            "429=2:1:/tags/list".into(),
            "429=2:1:/manifests/".into(),
            "429=2:1:/blobs/".into(),
            format!("429=date+3:1:{layer}"),
        ],
    );
    let host = proxy.host();
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        "--repository",
        &format!("{host}/seed/incident"),
        "--all-tags",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let found = images(&stdout, &stderr);
    assert_eq!(found.len(), 1);
    assert_eq!(verdict(&found[0]), expected);
    assert_retried_after(&logged(&proxy, "/tags/list"), 2.0);
    assert_retried_after(&logged(&proxy, "/manifests/"), 2.0);
    let blobs = logged(&proxy, "/blobs/");
    let config: Vec<Logged> = blobs
        .iter()
        .filter(|e| e.path == blobs[0].path)
        .cloned()
        .collect();
    assert!(!config[0].path.contains(&layer));
    assert_retried_after(&config, 2.0);
    assert_retried_after(&logged(&proxy, &layer), 2.0);

    // A wait over the cap (60 s) is not waited for: the image is given up at once, with the registry and the
    // wait asked for named, and the request is not made again.
    let proxy = Proxy::start(registry.port, &["429=120:-1:/manifests/".into()]);
    let host = proxy.host();
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &format!("docker://{host}/seed/incident:1"),
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(images(&stdout, &stderr).is_empty());
    assert!(
        stderr.contains(&format!(
            "the registry {host} asked to wait 120 s before trying again (Retry-After), more than the 60 s nsslint waits, so it gave up without waiting"
        )),
        "{stderr}"
    );
    assert_eq!(logged(&proxy, "/manifests/").len(), 1);
}

fn shared_base_image(top: &str) -> ImageSpec {
    ImageSpec::new(vec![
        LayerSpec::new()
            .file("etc/os-release", "ID=test\n")
            .file("lib/ld-musl-x86_64.so.1", vec![0u8; 64]),
        LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary()),
        LayerSpec::new().file("etc/top", top),
    ])
}

#[test]
fn the_layer_cache_downloads_shared_layers_once_and_is_shared_by_processes() {
    if !tools_present("cache") {
        return;
    }
    let registry = Registry::start();
    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        let layout = dir.path().join(name);
        shared_base_image(name).write_oci_layout(&layout, true);
        registry.push(
            &format!("oci:{}:1.0", layout.display()),
            &format!("shared/{name}:1"),
            &["--format", "oci"],
        );
    }
    let proxy = Proxy::start(registry.port, &[]);
    let host = proxy.host();
    let cache = dir.path().join("cache");
    let a = format!("docker://{host}/shared/a:1");
    let b = format!("docker://{host}/shared/b:1");
    let scan = |inputs: &[&str]| {
        let mut args = vec![
            "scan",
            "--format",
            "json",
            "--insecure-registry",
            &host,
            "--cache-dir",
            cache.to_str().unwrap(),
        ];
        args.extend_from_slice(inputs);
        nsslint(&args)
    };
    let (code, stdout, stderr) = scan(&[&a, &b]);
    assert_eq!(code, 1, "{stderr}");
    let found = images(&stdout, &stderr);
    assert_eq!(found.len(), 2);
    let layers = |i: usize| -> Vec<String> {
        found[i]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_string())
            .collect()
    };
    let (la, lb) = (layers(0), layers(1));
    assert_eq!(la[..2], lb[..2]);
    assert_ne!(la[2], lb[2]);
    let gets = proxy.blob_gets();
    for layer in la.iter().chain(&lb) {
        assert_eq!(gets.get(layer), Some(&1), "{layer}: {gets:?}");
    }
    assert!(
        stderr.contains("layer cache: 2 hit(s), 4 miss(es)"),
        "{stderr}"
    );
    // The summary counts what came over the wire: every blob GET the proxy saw (2 configs, 4 layers).
    assert_eq!(gets.values().sum::<usize>(), 6, "{gets:?}");
    assert!(
        stderr.contains(" downloaded in 6 blob request(s)"),
        "{stderr}"
    );
    assert_eq!(verdict(&found[0]), verdict(&found[1]));
    // Warm: no layer is downloaded at all (only the configs), and the verdict is the same.
    proxy.clear();
    let (code, stdout, stderr) = scan(&[&a, &b]);
    assert_eq!(code, 1, "{stderr}");
    let gets = proxy.blob_gets();
    assert!(
        la.iter().chain(&lb).all(|l| !gets.contains_key(l)),
        "{gets:?}"
    );
    assert!(
        stderr.contains(" downloaded in 2 blob request(s)"),
        "{stderr}"
    );
    assert_eq!(
        images(&stdout, &stderr)
            .iter()
            .map(verdict)
            .collect::<Vec<_>>(),
        found.iter().map(verdict).collect::<Vec<_>>()
    );

    // Two processes on one fresh cache directory at once: both succeed with the same report.
    let shared = dir.path().join("shared-cache");
    let run = |cache: std::path::PathBuf, host: String, a: String, b: String| {
        std::thread::spawn(move || {
            nsslint(&[
                "scan",
                "--format",
                "json",
                "--jobs",
                "2",
                "--insecure-registry",
                &host,
                "--cache-dir",
                cache.to_str().unwrap(),
                &a,
                &b,
            ])
        })
    };
    let first = run(shared.clone(), host.clone(), a.clone(), b.clone());
    let second = run(shared.clone(), host.clone(), a.clone(), b.clone());
    let (first, second) = (first.join().unwrap(), second.join().unwrap());
    assert_eq!(first.0, 1, "{}", first.2);
    assert_eq!(second.0, 1, "{}", second.2);
    assert_eq!(first.1, second.1);
    let entries = std::fs::read_dir(&shared)
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .filter(|e| !e.file_name().to_string_lossy().starts_with(".tmp"))
        .count();
    assert_eq!(entries, 4, "one entry per distinct layer");
}

#[test]
fn the_layer_cache_serves_local_archives_by_diff_id_with_the_same_report() {
    // No registry needed: docker archives are cached by diff ID.
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = [
        "scan",
        "--format",
        "json",
        "--cache-dir",
        cache.to_str().unwrap(),
        seed::SEED_IMAGE,
    ];
    let (code, cold, stderr) = nsslint(&args);
    assert_eq!(code, 1, "{stderr}");
    let (code, warm, stderr) = nsslint(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(cold, warm);
    let (_, plain, _) = nsslint(&["scan", "--format", "json", seed::SEED_IMAGE]);
    assert_eq!(cold, plain);
    // A damaged entry is walked again, not trusted.
    for version in std::fs::read_dir(&cache).unwrap().flatten() {
        for entry in std::fs::read_dir(version.path()).unwrap().flatten() {
            std::fs::write(entry.path(), b"\x28\xb5\x2f\xfd garbage").unwrap();
        }
    }
    let (code, again, stderr) = nsslint(&args);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(again, plain);
}

#[test]
fn many_images_from_a_file_a_repository_and_the_catalog_in_shards() {
    if !tools_present("many") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    for (repo, tags) in [
        ("team/app", &["1", "2", "3"][..]),
        ("team/tool", &["x"][..]),
    ] {
        for tag in tags {
            let layout = dir.path().join(format!("{}-{tag}", repo.replace('/', "-")));
            shared_base_image(tag).write_oci_layout(&layout, true);
            registry.push(
                &format!("oci:{}:1.0", layout.display()),
                &format!("{repo}:{tag}"),
                &["--format", "oci"],
            );
            expected.push(format!("docker://{host}/{repo}:{tag}"));
        }
    }
    expected.sort();
    let inputs_of = |stdout: &str| -> Vec<String> {
        let mut inputs: Vec<String> = stdout
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["input"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        inputs.sort();
        inputs
    };
    let base = [
        "scan",
        "--format",
        "jsonl",
        "--insecure-registry",
        &host,
        "-j",
        "3",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        nsslint(&args)
    };
    // The catalog: every tag of every repository.
    let (code, stdout, stderr) = with(&["--catalog", &host]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(inputs_of(&stdout), expected);
    assert!(
        stderr.contains("4 image(s): 4 scanned, 4 with findings, 0 failed"),
        "{stderr}"
    );
    // One repository's tags.
    let (_, stdout, _) = with(&["--repository", &format!("{host}/team/app"), "--all-tags"]);
    assert_eq!(inputs_of(&stdout), expected[..3]);
    // Shards split the catalog: each image in exactly one.
    let mut union = Vec::new();
    for shard in ["0/3", "1/3", "2/3"] {
        let (_, stdout, _) = with(&["--catalog", &host, "--shard", shard]);
        union.extend(inputs_of(&stdout));
    }
    union.sort();
    assert_eq!(union, expected);
    // A file, with comments and a missing image that fails alone.
    let list = dir.path().join("images.txt");
    std::fs::write(
        &list,
        format!(
            "# nightly\n{}\n\n{}  # the tool\ndocker://{host}/team/gone:1\n",
            expected[0], expected[3]
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = with(&["--images-from", list.to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.iter().filter(|l| l.get("error").is_some()).count(), 1);
    assert!(
        stderr.contains("3 image(s): 2 scanned, 2 with findings, 1 failed"),
        "{stderr}"
    );
    // jsonl lines are the json format's images entries.
    let (_, json_out, json_err) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--insecure-registry",
        &host,
        &expected[0],
    ]);
    let (_, jsonl_out, _) = nsslint(&[
        "scan",
        "--format",
        "jsonl",
        "--insecure-registry",
        &host,
        &expected[0],
    ]);
    assert_eq!(
        images(&json_out, &json_err)[0],
        serde_json::from_str::<serde_json::Value>(jsonl_out.trim()).unwrap()
    );
}

/// The closing figures: a 100-image job whose images share their base layers, scanned with a cold and then
/// a warm layer cache (and without one). Not part of the test run (it takes a minute); run it with
/// `cargo test --release --test registry -- --ignored --nocapture hundred_images`.
#[test]
#[ignore]
fn hundred_images_cold_and_warm_cache() {
    if !tools_present("bench") {
        return;
    }
    use std::time::Instant;
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    // A base like a small distro layer (incompressible filler: ~8 MiB stored), the Go program, and one small
    // layer of its own per image.
    let mut filler = Vec::with_capacity(8 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while filler.len() < 8 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        filler.extend_from_slice(&x.to_le_bytes());
    }
    let base = LayerSpec::new()
        .file("etc/os-release", "ID=bench\n")
        .file("usr/share/filler.bin", filler);
    let program = LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary());
    let pushed = Instant::now();
    let mut inputs = Vec::new();
    for n in 0..100 {
        let spec = ImageSpec::new(vec![
            base.clone(),
            program.clone(),
            LayerSpec::new().file("etc/build-id", format!("{n}\n")),
        ]);
        let layout = dir.path().join(format!("img{n}"));
        spec.write_oci_layout(&layout, true);
        // Ten repositories of ten tags.
        let target = format!("bench/app{}:{}", n % 10, n / 10);
        registry.push(
            &format!("oci:{}:1.0", layout.display()),
            &target,
            &["--format", "oci"],
        );
        inputs.push(format!("docker://{host}/{target}"));
    }
    eprintln!(
        "pushed 100 images in {:.1}s",
        pushed.elapsed().as_secs_f64()
    );
    let list_file = dir.path().join("images.txt");
    std::fs::write(&list_file, inputs.join("\n")).unwrap();
    let cache = dir.path().join("cache");
    let run = |label: &str, with_cache: bool| {
        let mut args = vec![
            "scan",
            "--format",
            "jsonl",
            "--fail-on",
            "never",
            "--jobs",
            "4",
            "--insecure-registry",
            &host,
            "--images-from",
            list_file.to_str().unwrap(),
        ];
        if with_cache {
            args.extend(["--cache-dir", cache.to_str().unwrap()]);
        }
        let start = Instant::now();
        let (code, stdout, stderr) = nsslint(&args);
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout.lines().count(), 100);
        let summary = stderr.lines().last().unwrap_or_default().to_string();
        println!(
            "{label}: 100 images in {seconds:.2}s = {:.1} images/s; {summary}",
            100.0 / seconds
        );
    };
    run("no cache  ", false);
    run("cold cache", true);
    run("warm cache", true);
}

#[test]
fn a_bare_name_no_engine_has_is_pulled_unless_no_pull() {
    if !tools_present("bare names") {
        return;
    }
    let registry = Registry::start();
    let host = registry.host();
    registry.push(&docker_archive(), "seed/incident:bare", &[]);
    let nowhere = tempfile::tempdir().unwrap();
    let docker = format!("unix://{}", nowhere.path().join("docker.sock").display());
    let podman = format!("unix://{}", nowhere.path().join("podman.sock").display());
    let engines = [
        ("DOCKER_HOST", docker.as_str()),
        ("CONTAINER_HOST", podman.as_str()),
    ];
    let name = format!("{host}/seed/incident:bare");
    let (code, stdout, stderr) = nsslint_env(
        &[
            "scan",
            "--format",
            "json",
            "--insecure-registry",
            &host,
            &name,
        ],
        &engines,
    );
    assert_eq!(code, 1, "{stderr}");
    let image = &images(&stdout, &stderr)[0];
    assert_eq!(verdict(image), local_verdict());
    assert_eq!(image["input"], name.as_str());
    // --no-pull: the registry is not asked; the error lists each place tried, in order.
    let (code, _, stderr) = nsslint_env(
        &["scan", "--no-pull", "--insecure-registry", &host, &name],
        &engines,
    );
    assert_eq!(code, 3, "{stderr}");
    let places = [
        format!("./{name}: no such file or directory"),
        format!("no Docker engine answers ({docker} (DOCKER_HOST): no socket at"),
        format!("no Podman engine answers ({podman} (CONTAINER_HOST): no socket at"),
        format!("docker://{name}: not tried (--no-pull)"),
    ];
    let mut at = 0;
    for place in &places {
        let found = stderr[at..].find(place.as_str());
        assert!(found.is_some(), "{place:?} (in order) in {stderr}");
        at += found.unwrap();
    }
}
