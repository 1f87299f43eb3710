//! `nsslint scan --k8s`: manifests written here (every kind nsslint reads) and real `kubectl` output
//! (Debian's kubernetes-client, offline `--dry-run=client`), their images in the real registry on loopback:
//! exact findings per workload container, the manifest's line and column in SARIF (validated) and text,
//! the pod's hostAliases (NSL006), env and architecture, and bad manifests that fail alone.

#[path = "registry/harness.rs"]
mod harness;
#[path = "support/seed.rs"]
mod seed;
mod support;

use harness::{tools_present, Registry};
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs nsslint in `dir` (so manifest paths are repository-relative), with `stdin` on standard input.
fn nsslint_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsslint"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", home.path())
        .env("HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Pushes an image made by the test support to `registry` as `dest`.
fn push(registry: &Registry, spec: &support::ImageSpec, dest: &str) {
    let dir = tempfile::tempdir().unwrap();
    support::write_index_layout(dir.path(), std::slice::from_ref(spec));
    registry.push(
        &format!("oci:{}:latest", dir.path().display()),
        dest,
        &["--format", "oci"],
    );
}

/// The registry with the images the tests name: `team/app:1` (Go 1.15, no nsswitch.conf: dns,files),
/// `team/app-fixed:1` (the same with `hosts: files dns`), `team/app-env:1` (as app, with `ENV`
/// `RES_OPTIONS=ndots:2` and `GODEBUG=netdns=go`), `team/multi:1` (arm64 and amd64, both fixed).
fn registry_with_images() -> Registry {
    let registry = Registry::start();
    push(&registry, &seed::unfixed_image("amd64"), "team/app:1");
    push(
        &registry,
        &seed::small_image("amd64", "fixed"),
        "team/app-fixed:1",
    );
    push(
        &registry,
        &seed::unfixed_image("amd64")
            .env("RES_OPTIONS=ndots:2")
            .env("GODEBUG=netdns=go"),
        "team/app-env:1",
    );
    let dir = tempfile::tempdir().unwrap();
    support::write_index_layout(
        dir.path(),
        &[
            seed::unfixed_image("arm64"),
            seed::small_image("amd64", "amd"),
        ],
    );
    registry.push(
        &format!("oci:{}:latest", dir.path().display()),
        "team/multi:1",
        &["--all", "--format", "oci"],
    );
    registry
}

fn scan_json(dir: &Path, host: &str, extra: &[&str], stdin: Option<&[u8]>) -> (i32, Value, String) {
    let mut args = vec!["scan", "--format", "json", "--insecure-registry", host];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = nsslint_in(dir, &args, stdin);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, json, stderr)
}

/// `[(rule, path)]` or `[(path, order)]`.
type Pairs = Vec<(String, String)>;

/// `(kind/name, container, file:line:column, platform, [(rule, path)], [(path, order)])` per workload entry.
type Row = (String, String, String, String, Pairs, Pairs);

fn rows(json: &Value) -> Vec<Row> {
    json["workloads"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|w| {
            let findings = w["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| (s(&f["rule"]), s(&f["path"])))
                .collect();
            let orders = w["scanned"]["binaries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| (s(&b["path"]), s(&b["order"])))
                .collect();
            (
                format!("{}/{}", s(&w["kind"]), s(&w["name"])),
                s(&w["container"]),
                format!("{}:{}:{}", s(&w["file"]), w["line"], w["column"]),
                s(&w["scanned"]["platform"]),
                findings,
                orders,
            )
        })
        .collect()
}

fn s(value: &Value) -> String {
    value.as_str().unwrap_or("null").to_string()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

const LOOKUP: &str = "/usr/local/bin/lookup";

fn api_deployment(host: &str, image: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  template:
    spec:
      hostAliases:
        - ip: 10.0.0.10
          hostnames: [api.other-cluster.example, other-api]
      containers:
        - name: api
          image: {host}/{image}
"
    )
}

#[test]
fn hostaliases_with_a_go_115_program_on_the_manifest_line_in_sarif_json_and_text() {
    if !tools_present("k8s hostAliases") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("deploy")).unwrap();
    std::fs::write(
        repo.path().join("deploy/api.yaml"),
        api_deployment(&host, "team/app:1"),
    )
    .unwrap();
    std::fs::write(
        repo.path().join("deploy/fixed.yaml"),
        api_deployment(&host, "team/app-fixed:1")
            .replace("name: api\n  namespace", "name: fixed\n  namespace"),
    )
    .unwrap();

    // NSL006 alone (NSL001 folded into it) for the Go 1.15 image; nothing for the fixed one.
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "deploy"], None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rows(&json),
        [
            (
                "Deployment/api".to_string(),
                "api".to_string(),
                "deploy/api.yaml:14:18".to_string(),
                "linux/amd64".to_string(),
                vec![pair("NSL006", LOOKUP)],
                vec![pair(LOOKUP, "dns,files")],
            ),
            (
                "Deployment/fixed".to_string(),
                "api".to_string(),
                "deploy/fixed.yaml:14:18".to_string(),
                "linux/amd64".to_string(),
                vec![],
                vec![pair(LOOKUP, "files,dns")],
            ),
        ]
    );
    assert_eq!(json["images"], serde_json::json!([]));
    let finding = &json["workloads"][0]["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the pod's hostAliases (api.other-cluster.example, other-api) are written to /etc/hosts, but \
             /usr/local/bin/lookup (built with go1.15.15) asks DNS first: lookup order dns,files"
        ),
        "{message}"
    );
    assert_eq!(
        json["workloads"][0]["pod"]["host_aliases"],
        serde_json::json!([{ "ip": "10.0.0.10", "hostnames": ["api.other-cluster.example", "other-api"] }])
    );
    assert!(
        stderr.contains("2 manifest file(s), 2 workload(s)"),
        "{stderr}"
    );

    // SARIF: the result is on the image: value of the manifest, and the document validates.
    let (code, stdout, stderr) = nsslint_in(
        repo.path(),
        &[
            "scan",
            "--format",
            "sarif",
            "--insecure-registry",
            &host,
            "--k8s",
            "deploy",
        ],
        None,
    );
    assert_eq!(code, 1, "{stderr}");
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    let results: Vec<&Value> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|run| run["results"].as_array().unwrap())
        .collect();
    assert_eq!(results.len(), 1, "{stdout}");
    assert_eq!(results[0]["ruleId"], "NSL006");
    let physical = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "deploy/api.yaml");
    assert_eq!(physical["region"]["startLine"], 14);
    assert_eq!(physical["region"]["startColumn"], 18);
    // One run holds every workload's results (GitHub takes at most 20 runs a file).
    let categories: Vec<&str> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|run| run["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(categories, ["nsslint/k8s/"]);
    assert_eq!(
        results[0]["properties"]["workload"], "Deployment/api",
        "{stdout}"
    );
    if let Some(errors) = support::sarif_schema_errors(&sarif) {
        assert!(errors.is_empty(), "{errors:?}");
    }
    let file = repo.path().join("nsslint.sarif");
    std::fs::write(&file, &stdout).unwrap();
    support::validate_sarif(&[&file]);

    // Text: where the image: line is, then where the program is.
    let (code, stdout, _) = nsslint_in(
        repo.path(),
        &[
            "scan",
            "--insecure-registry",
            &host,
            "--k8s",
            "deploy/api.yaml",
        ],
        None,
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("error[NSL006]: the pod's hostAliases"),
        "{stdout}"
    );
    assert_eq!(
        lines[1],
        "  --> deploy/api.yaml:14 Deployment/api (namespace prod) container api"
    );
    assert!(
        lines[2].starts_with(&format!(
            "  --> docker://{host}/team/app:1 (linux/amd64) /usr/local/bin/lookup (layer sha256:"
        )),
        "{stdout}"
    );
}

#[test]
fn the_container_env_changes_the_prediction_as_the_image_env_does() {
    if !tools_present("k8s env") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    let repo = tempfile::tempdir().unwrap();
    let pod = |name: &str, image: &str, env: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n  - name: c\n    \
             image: {host}/{image}\n{env}"
        )
    };
    let manifest = [
        pod("plain", "team/app:1", ""),
        pod(
            "with-env",
            "team/app:1",
            "    env:\n    - {name: RES_OPTIONS, value: 'ndots:2'}\n    - {name: GODEBUG, value: netdns=go}\n",
        ),
        pod(
            "unknown",
            "team/app:1",
            "    env:\n    - name: GODEBUG\n      valueFrom: {configMapKeyRef: {name: dns, key: godebug}}\n",
        ),
    ]
    .join("---\n");
    std::fs::write(repo.path().join("pods.yaml"), manifest).unwrap();
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "pods.yaml"], None);
    assert_eq!(code, 1, "{stderr}");
    let found = rows(&json);
    let findings: Vec<(&str, &Pairs, &Pairs)> =
        found.iter().map(|r| (r.0.as_str(), &r.4, &r.5)).collect();
    assert_eq!(
        findings,
        [
            (
                "Pod/plain",
                &vec![pair("NSL001", LOOKUP)],
                &vec![pair(LOOKUP, "dns,files")]
            ),
            ("Pod/with-env", &vec![], &vec![pair(LOOKUP, "files,dns")]),
            (
                "Pod/unknown",
                &vec![pair("NSL001", LOOKUP)],
                &vec![pair(LOOKUP, "dns,files")]
            ),
        ]
    );
    // The same variables in the image's ENV give the same environment and the same trace, step by step.
    let image = format!("docker://{host}/team/app-env:1");
    let (_, image_json, _) = scan_json(repo.path(), &host, &[&image], None);
    let in_image = &image_json["images"][0];
    let in_pod = &json["workloads"][1]["scanned"];
    assert_eq!(in_pod["env"]["res_options"], "ndots:2");
    assert_eq!(in_pod["env"]["godebug"], "netdns=go");
    assert_eq!(
        in_pod["binaries"][0]["trace"],
        in_image["binaries"][0]["trace"]
    );
    assert_eq!(
        in_pod["binaries"][0]["order"],
        in_image["binaries"][0]["order"]
    );
    // valueFrom: unknown, and said so.
    let unknown = &json["workloads"][2]["scanned"]["env"];
    assert_eq!(unknown["godebug"], Value::Null);
    assert!(
        unknown["unknown"]
            .as_str()
            .unwrap()
            .starts_with("the container sets GODEBUG from valueFrom"),
        "{unknown}"
    );
}

#[test]
fn every_kind_kubectl_output_stdin_and_the_architecture_a_pod_asks_for() {
    if !tools_present("k8s kinds") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    let repo = tempfile::tempdir().unwrap();
    let app = format!("{host}/team/app:1");
    let fixed = format!("{host}/team/app-fixed:1");
    let template = |image: &str| {
        format!(
            "    metadata: {{labels: {{app: x}}}}\n    spec:\n      containers:\n      - name: main\n        image: {image}\n"
        )
    };
    let documents = [
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db}}\nspec:\n  template:\n{}", template(&fixed)),
        format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  template:\n{}", template(&app)),
        format!("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {{name: rs}}\nspec:\n  template:\n{}", template(&fixed)),
        format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: once}}\nspec:\n  template:\n{}", template(&fixed)),
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly}}\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          initContainers:\n          - {{name: init, image: '{fixed}'}}\n          containers:\n          - {{name: main, image: '{app}'}}\n"
        ),
        "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n".to_string(),
        format!(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: arm}}\n  spec:\n    nodeSelector: {{kubernetes.io/arch: arm64}}\n    containers:\n    - {{name: main, image: '{host}/team/multi:1'}}\n- apiVersion: v1\n  kind: Pod\n  metadata: {{name: amd}}\n  spec:\n    containers:\n    - {{name: main, image: '{host}/team/multi:1'}}\n"
        ),
    ];
    std::fs::write(repo.path().join("all.yaml"), documents.join("---\n")).unwrap();
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "all.yaml"], None);
    assert_eq!(code, 1, "{stderr}");
    let summary: Vec<(String, String, String, String, Pairs)> = rows(&json)
        .into_iter()
        .map(|r| (r.0, r.1, r.2, r.3, r.4))
        .collect();
    let row = |w: &str, c: &str, at: &str, platform: &str, findings: Vec<(String, String)>| {
        (
            w.to_string(),
            c.to_string(),
            at.to_string(),
            platform.to_string(),
            findings,
        )
    };
    let nsl001 = || vec![pair("NSL001", LOOKUP)];
    assert_eq!(
        summary,
        [
            row(
                "StatefulSet/db",
                "main",
                "all.yaml:10:16",
                "linux/amd64",
                vec![]
            ),
            row(
                "DaemonSet/agent",
                "main",
                "all.yaml:21:16",
                "linux/amd64",
                nsl001()
            ),
            row(
                "ReplicaSet/rs",
                "main",
                "all.yaml:32:16",
                "linux/amd64",
                vec![]
            ),
            row("Job/once", "main", "all.yaml:43:16", "linux/amd64", vec![]),
            row(
                "CronJob/nightly",
                "init",
                "all.yaml:55:33",
                "linux/amd64",
                vec![]
            ),
            row(
                "CronJob/nightly",
                "main",
                "all.yaml:57:33",
                "linux/amd64",
                nsl001()
            ),
            row("Pod/arm", "main", "all.yaml:72:27", "linux/arm64", nsl001()),
            row("Pod/amd", "main", "all.yaml:78:27", "linux/amd64", vec![]),
        ]
    );
    assert!(
        stderr.contains(
            "1 manifest file(s), 7 workload(s), 1 document(s) of other kinds skipped (Service)"
        ),
        "{stderr}"
    );

    // Real kubectl output (Debian's kubernetes-client, no cluster needed), on standard input.
    let Some(kubectl) = kubectl() else { return };
    let mut stdin = Vec::new();
    for args in [
        vec!["create", "deployment", "web", "--image", &app],
        vec!["create", "job", "batch", "--image", &fixed],
        vec![
            "create",
            "cronjob",
            "tick",
            "--image",
            &app,
            "--schedule",
            "*/5 * * * *",
        ],
    ] {
        let output = Command::new(&kubectl)
            .args(&args)
            .args(["--dry-run=client", "-o", "yaml"])
            .env("KUBECONFIG", "/dev/null")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdin.extend_from_slice(b"---\n");
        stdin.extend_from_slice(&output.stdout);
    }
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "-"], Some(&stdin));
    assert_eq!(code, 1, "{stderr}");
    let found: Vec<(String, String, Pairs)> = rows(&json)
        .into_iter()
        .map(|r| (r.0, r.2.split(':').next().unwrap().to_string(), r.4))
        .collect();
    assert_eq!(
        found,
        [
            ("Deployment/web".to_string(), "null".to_string(), nsl001()),
            ("Job/batch".to_string(), "null".to_string(), vec![]),
            ("CronJob/tick".to_string(), "null".to_string(), nsl001()),
        ]
    );
    let (_, text, _) = nsslint_in(
        repo.path(),
        &["scan", "--insecure-registry", &host, "--k8s", "-"],
        Some(&stdin),
    );
    assert!(text.contains("  --> <stdin>:"), "{text}");
}

/// Debian's kubectl from the fixtures; `None` (skipped) outside CI when it was not fetched.
fn kubectl() -> Option<std::path::PathBuf> {
    let path = support::fixtures_dir().join("debian/kubernetes-client/usr/bin/kubectl");
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} missing; tests/fixtures/fetch.sh fetches it",
            path.display()
        );
    }
    eprintln!("SKIPPED: kubectl fixture not fetched (tests/fixtures/fetch.sh)");
    None
}

#[test]
fn bad_manifests_fail_alone_with_file_and_line_and_the_others_are_scanned() {
    if !tools_present("k8s bad input") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    let repo = tempfile::tempdir().unwrap();
    let deploy = repo.path().join("deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    std::fs::write(
        deploy.join("a-good.yaml"),
        api_deployment(&host, "team/app:1"),
    )
    .unwrap();
    // Malformed: a flow sequence never closed, on line 3.
    std::fs::write(
        deploy.join("b-malformed.yaml"),
        "kind: Pod\nmetadata: {name: broken}\nspec: {containers: [{name: c, image: x}\n",
    )
    .unwrap();
    // A bomb: nine levels of nine aliases each expand to 9^9 (387 million) values.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..=9 {
        let previous = format!("*a{}", level - 1);
        bomb.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            [previous.as_str(); 9].join(", ")
        ));
    }
    std::fs::write(deploy.join("c-bomb.yaml"), &bomb).unwrap();
    // 100 MB: a comment line repeated (more than nsslint reads from one manifest).
    let line = format!("# {}\n", "x".repeat(1022));
    std::fs::write(deploy.join("d-huge.yaml"), line.repeat(100 * 1024)).unwrap();
    // An image reference that does not parse, next to one that does.
    std::fs::write(
        deploy.join("e-badref.yaml"),
        format!(
            "kind: Pod\nmetadata: {{name: mixed}}\nspec:\n  containers:\n  - name: bad\n    image: 'Team/App::1'\n  \
             - name: good\n    image: {host}/team/app-fixed:1\n"
        ),
    )
    .unwrap();
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "deploy"], None);
    assert_eq!(code, 3, "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("nsslint: error: "))
        .collect();
    assert_eq!(errors.len(), 4, "{stderr}");
    assert!(
        errors[0].starts_with("nsslint: error: deploy/b-malformed.yaml:4: column 1: "),
        "{stderr}"
    );
    assert!(
        errors[1].starts_with("nsslint: error: deploy/c-bomb.yaml:")
            && errors[1].contains("refused as a YAML bomb"),
        "{stderr}"
    );
    assert_eq!(
        errors[2],
        "nsslint: error: deploy/d-huge.yaml: larger than 64 MiB; nsslint reads manifests up to that size \
         (split it, e.g. one `kubectl get pods -n NAMESPACE` a file)"
    );
    assert!(
        errors[3].starts_with(
            "nsslint: error: deploy/e-badref.yaml:6: column 12: Pod/mixed bad: image \"Team/App::1\": \
             not an image reference"
        ),
        "{stderr}"
    );
    // The good file and the good container of the mixed one are scanned and reported all the same.
    let found: Vec<(String, String, Pairs)> =
        rows(&json).into_iter().map(|r| (r.0, r.1, r.4)).collect();
    assert_eq!(
        found,
        [
            (
                "Deployment/api".to_string(),
                "api".to_string(),
                vec![pair("NSL006", LOOKUP)]
            ),
            ("Pod/mixed".to_string(), "good".to_string(), vec![]),
        ]
    );
    assert!(
        stderr.contains(
            "5 manifest file(s), 2 workload(s), 0 document(s) of other kinds skipped, 3 unreadable"
        ),
        "{stderr}"
    );
}

#[test]
fn an_ignore_can_name_the_workload_and_then_applies_to_it_alone() {
    if !tools_present("k8s ignores") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    let repo = tempfile::tempdir().unwrap();
    let manifest = [
        api_deployment(&host, "team/app:1"),
        api_deployment(&host, "team/app:1").replace(
            "name: api\n  namespace: prod",
            "name: api\n  namespace: staging",
        ),
    ]
    .join("---\n");
    std::fs::write(repo.path().join("api.yaml"), manifest).unwrap();
    std::fs::write(
        repo.path().join(".nsslint.yaml"),
        "ignore:\n  - rule: hostaliases-bypassed\n    workload: staging/Deployment/*\n    reason: staging pins nothing that matters\n",
    )
    .unwrap();
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "api.yaml"], None);
    assert_eq!(code, 1, "{stderr}");
    let namespaces: Vec<(String, usize)> = json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (s(&w["namespace"]), w["findings"].as_array().unwrap().len()))
        .collect();
    assert_eq!(
        namespaces,
        [("prod".to_string(), 1), ("staging".to_string(), 0)]
    );
    // An ignore that names a workload does not touch an image scanned as itself.
    std::fs::write(
        repo.path().join(".nsslint.yaml"),
        "ignore:\n  - rule: NSL001\n    workload: '**'\n    reason: only in workloads\n",
    )
    .unwrap();
    let image = format!("docker://{host}/team/app:1");
    let (code, json, _) = scan_json(repo.path(), &host, &[&image], None);
    assert_eq!(code, 1);
    assert_eq!(json["images"][0]["findings"][0]["rule"], "NSL001");
}

#[test]
fn single_request_on_a_musl_image_is_a_note_and_go_s_own_resolver_honours_it() {
    if !tools_present("k8s single-request") {
        return;
    }
    let registry = registry_with_images();
    let host = registry.host();
    // The example image: Alpine's musl, and the Go 1.15 program (Go's own resolver, no cgo).
    registry.push(
        &format!("docker-archive:{}", seed::SEED_IMAGE),
        "team/alpine-app:1",
        &["--format", "v2s2"],
    );
    let repo = tempfile::tempdir().unwrap();
    let pod = |name: &str, image: &str, option: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  dnsConfig:\n    options:\n    \
             - name: {option}\n  containers:\n  - name: c\n    image: {host}/{image}\n"
        )
    };
    let manifest = [
        pod("alpine", "team/alpine-app:1", "single-request-reopen"),
        pod("alpine-ndots", "team/alpine-app:1", "ndots"),
        pod("static", "team/app-fixed:1", "single-request"),
    ]
    .join("---\n");
    std::fs::write(repo.path().join("pods.yaml"), manifest).unwrap();
    let (code, json, stderr) = scan_json(repo.path(), &host, &["--k8s", "pods.yaml"], None);
    assert_eq!(code, 1, "{stderr}");
    let found: Vec<(String, Pairs)> = rows(&json).into_iter().map(|r| (r.0, r.4)).collect();
    assert_eq!(
        found,
        [
            (
                "Pod/alpine".to_string(),
                vec![
                    pair("NSL007", "/lib/ld-musl-x86_64.so.1"),
                    pair("NSL001", LOOKUP)
                ]
            ),
            ("Pod/alpine-ndots".to_string(), vec![pair("NSL001", LOOKUP)]),
            ("Pod/static".to_string(), vec![]),
        ]
    );
    let alpine = &json["workloads"][0];
    assert_eq!(alpine["findings"][0]["level"], "note");
    assert_eq!(
        alpine["pod"]["dns_options"],
        serde_json::json!(["single-request-reopen"])
    );
    assert_eq!(alpine["scanned"]["libc"]["single_request"], "ignored");
    assert_eq!(
        alpine["scanned"]["binaries"][0]["single_request"],
        "honoured"
    );
}

/// Pushes `images` distinct images to `registry` as `fleet/appN:1`: even N without nsswitch.conf (Go 1.15:
/// dns,files), odd N with `hosts: files dns`.
fn push_fleet(registry: &Registry, images: usize) {
    for n in 0..images {
        let spec = if n % 2 == 0 {
            seed::unfixed_image("amd64").env(&format!("BUILD={n}"))
        } else {
            seed::small_image("amd64", &n.to_string())
        };
        push(registry, &spec, &format!("fleet/app{n}:1"));
    }
}

/// A `kubectl get pods -A -o json`-style List of `pods` pods over the fleet's `images` images at `host`;
/// every third pod declares a hostAlias.
fn pod_list(host: &str, pods: usize, images: usize) -> String {
    let items: Vec<Value> = (0..pods)
        .map(|p| {
            let image = format!("{host}/fleet/app{}:1", p % images);
            let mut spec = serde_json::json!({
                "containers": [{ "name": "main", "image": image }],
            });
            if p % 3 == 0 {
                spec["hostAliases"] =
                    serde_json::json!([{ "ip": "10.0.0.1", "hostnames": ["db.internal"] }]);
            }
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": format!("pod-{p}"), "namespace": format!("ns{}", p % 7) },
                "spec": spec,
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &serde_json::json!({ "apiVersion": "v1", "kind": "List", "items": items }),
    )
    .unwrap()
}

/// Runs nsslint, sampling its resident memory every 20 ms; (exit code, stderr, seconds, the highest RSS in
/// KiB in each quarter of the run).
fn run_sampled(dir: &Path, args: &[&str]) -> (i32, String, f64, [u64; 4]) {
    let home = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsslint"))
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", home.path())
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
            {
                samples.push((start.elapsed().as_secs_f64(), kib));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let seconds = start.elapsed().as_secs_f64();
    let mut quarters = [0u64; 4];
    for (at, kib) in samples {
        let q = ((at / seconds * 4.0) as usize).min(3);
        quarters[q] = quarters[q].max(kib);
    }
    (code, reader.join().unwrap(), seconds, quarters)
}

/// For each pod count, scans a pod list over the same `images` images through the counting proxy, with
/// an empty layer cache and then with it warm; asserts the findings, that each image's manifest is fetched
/// once and each blob at most once (no layer when warm); returns (seconds, RSS quarters) of each run.
fn pod_list_job(pod_counts: &[usize], images: usize, jobs: &str) -> Vec<[(f64, [u64; 4]); 2]> {
    let registry = Registry::start();
    push_fleet(&registry, images);
    let proxy = harness::Proxy::start(registry.port, &[]);
    let host = proxy.host();
    let repo = tempfile::tempdir().unwrap();
    let mut all = Vec::new();
    for (k, &pods) in pod_counts.iter().enumerate() {
        std::fs::write(repo.path().join("pods.json"), pod_list(&host, pods, images)).unwrap();
        let cache = repo.path().join(format!("cache{k}"));
        let out = repo.path().join("out.jsonl");
        let args = [
            "scan",
            "--k8s",
            "pods.json",
            "--format",
            "jsonl",
            "--output",
            "out.jsonl",
            "--jobs",
            jobs,
            "--insecure-registry",
            &host,
            "--cache-dir",
            cache.to_str().unwrap(),
            "--fail-on",
            "never",
        ];
        let mut figures = [(0.0, [0u64; 4]); 2];
        for (run, figure) in figures.iter_mut().enumerate() {
            proxy.clear();
            let (code, stderr, seconds, rss) = run_sampled(repo.path(), &args);
            assert_eq!(code, 0, "{stderr}");
            let lines: Vec<Value> = std::fs::read_to_string(&out)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), pods);
            let mut rules: std::collections::BTreeMap<String, usize> = Default::default();
            for line in &lines {
                for f in line["findings"].as_array().unwrap() {
                    *rules.entry(s(&f["rule"])).or_default() += 1;
                }
            }
            // Pods of even images ask DNS first: every third of them with a hostAlias (NSL006), the rest NSL001.
            let even: Vec<usize> = (0..pods)
                .filter(|p| (p % images).is_multiple_of(2))
                .collect();
            let with_alias = even.iter().filter(|p| *p % 3 == 0).count();
            assert_eq!(
                rules.get("NSL006").copied().unwrap_or(0),
                with_alias,
                "{rules:?}"
            );
            assert_eq!(
                rules.get("NSL001").copied().unwrap_or(0),
                even.len() - with_alias,
                "{rules:?}"
            );
            // Each image is pulled once: one manifest GET per image, each blob at most once (no layer when
            // warm).
            let mut manifests: std::collections::BTreeMap<String, usize> = Default::default();
            for (method, path, _) in proxy.requests() {
                if method == "GET" && path.contains("/manifests/") {
                    *manifests.entry(path).or_default() += 1;
                }
            }
            assert_eq!(manifests.len(), images.min(pods), "{manifests:?}");
            assert!(manifests.values().all(|&n| n == 1), "{manifests:?}");
            let blobs = proxy.blob_gets();
            assert!(blobs.values().all(|&n| n == 1), "{blobs:?}");
            if run == 0 {
                // (What the warm run's check below rests on: the cold run's layer GETs are recognised.)
                assert!(
                    blobs.keys().any(|d| layer_digest(&registry, d)),
                    "{blobs:?}"
                );
            } else {
                assert!(
                    blobs.keys().all(|d| !layer_digest(&registry, d)),
                    "a warm run fetched a layer again: {blobs:?}"
                );
            }
            *figure = (seconds, rss);
        }
        all.push(figures);
    }
    all
}

/// Whether a blob of the registry is a layer (its first bytes are gzip or tar), not a config.
fn layer_digest(registry: &Registry, digest: &str) -> bool {
    let hex = digest.trim_start_matches("sha256:");
    let path = registry
        .dir
        .path()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    std::fs::read(path)
        .map(|bytes| !bytes.starts_with(b"{"))
        .unwrap_or(false)
}

/// 500 and then 2,000 pods over the same 150 images, each with an empty layer cache (cold) and then warm:
/// every image pulled once at the proxy and every pod reported (asserted in [`pod_list_job`]), and the
/// closing figures printed, not asserted (a benchmark's figures): pods/s and the peak RSS in each quarter of
/// the job. About 30 s, most of it pushing the images; the figures with
/// `cargo test --release --test k8s two_thousand -- --nocapture`.
#[test]
fn two_thousand_pods_over_150_images() {
    if !tools_present("k8s pod list") {
        return;
    }
    let counts = [500, 2000];
    let figures = pod_list_job(&counts, 150, "8");
    for (pods, runs) in counts.iter().zip(&figures) {
        for ((seconds, rss), label) in runs.iter().zip(["cold", "warm"]) {
            println!(
                "{pods} pods (150 images), {label}: {seconds:.2} s = {:.0} pods/s; peak RSS by quarter of the job: {} MiB",
                *pods as f64 / seconds,
                rss.iter()
                    .map(|kib| format!("{:.1}", *kib as f64 / 1024.0))
                    .collect::<Vec<_>>()
                    .join(" / ")
            );
        }
    }
}
