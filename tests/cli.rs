//! The command line as users meet it: `rules`, `explain`, `--fail-on`, `--output`, and the README's rule table,
//! which must say what `rules/` says.

#[path = "support/seed.rs"]
mod seed;
mod support;

use support::*;

#[test]
fn rules_prints_every_rule_with_its_sections() {
    let (code, stdout, _) = nsslint(&["rules"]);
    assert_eq!(code, 0);
    for id in [
        "NSL001 go-dns-before-hosts (error)",
        "NSL002",
        "NSL003",
        "NSL004",
        "NSL005",
        "NSL006 hostaliases-bypassed (error)",
        "NSL007 single-request-ignored (note)",
        "NSL900 analysis-incomplete (warning)",
    ] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert_eq!(stdout.matches("## Why it matters").count(), 8);
    let (code, one, _) = nsslint(&["rules", "go-hosts-ignored"]);
    assert_eq!(code, 0);
    assert!(
        one.starts_with("NSL002 go-hosts-ignored (error): A Go program will never read /etc/hosts"),
        "{one}"
    );
    assert!(!one.contains("NSL001"));
}

#[test]
fn the_readme_rule_table_is_the_rules_folder() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| NSL") && l.matches(" | ").count() == 3)
        .map(str::to_string)
        .collect();
    let mut expected = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}: ")))
                .unwrap()
                .to_string()
        };
        expected.push(format!(
            "| {} | {} | {} | {} |",
            field("id"),
            field("name"),
            field("level"),
            field("summary")
        ));
    }
    assert_eq!(rows, expected);
}

#[test]
fn explain_prints_the_decisions_for_one_program() {
    let (code, stdout, _) = nsslint(&["explain", seed::SEED_IMAGE, "/usr/local/bin/lookup"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("built with: go1.15.15"), "{stdout}");
    assert!(stdout.contains("predicted order: dns,files"), "{stdout}");
    assert!(
        stdout.contains("go package net: hostLookupOrder(myhost.test) = dns,files"),
        "{stdout}"
    );
    let (code, _, stderr) = nsslint(&["explain", seed::SEED_IMAGE, "/bin/nothing"]);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("has no Go program at /bin/nothing; its Go programs: /usr/local/bin/lookup"),
        "{stderr}"
    );
}

#[test]
fn fail_on_changes_only_the_exit_code() {
    let (code, json_error, _) = nsslint(&["scan", "--format", "json", seed::SEED_IMAGE]);
    assert_eq!(code, 1);
    let (code, json_never, _) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--fail-on",
        "never",
        seed::SEED_IMAGE,
    ]);
    assert_eq!(code, 0);
    assert_eq!(json_error, json_never);
    // An image whose only finding is a warning passes by default and fails with --fail-on warning.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("warn.tar");
    ImageSpec::new(vec![
        LayerSpec::new().file("etc/nsswitch.conf", "hosts: dns files\n")
    ])
    .write_docker_archive(&path, DockerStyle::Legacy);
    let path = path.to_str().unwrap();
    assert_eq!(nsslint(&["scan", path]).0, 0);
    assert_eq!(nsslint(&["scan", "--fail-on", "warning", path]).0, 1);
}

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let (code, stdout, _) = nsslint(&[
        "scan",
        "--format",
        "sarif",
        "--output",
        out.to_str().unwrap(),
        seed::SEED_IMAGE,
    ]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    let sarif: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "NSL001");
}

#[test]
fn one_unreadable_image_does_not_hide_the_others() {
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "/nonexistent.tar",
        seed::SEED_IMAGE,
    ]);
    assert_eq!(code, 3);
    assert!(stderr.contains("/nonexistent.tar: cannot read"), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["images"][0]["binaries"][0]["order"], "dns,files");
}

#[test]
fn text_and_json_name_the_dockerfile_line_and_the_summary_is_markdown() {
    let dockerfile = "examples/seed-incident/Dockerfile";
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_nsslint"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "scan",
                "--format",
                format,
                "--dockerfile",
                dockerfile,
                "--markdown-summary",
                summary.to_str().unwrap(),
                "examples/seed-incident.tar",
            ])
            .output()
            .unwrap()
    };
    let text = String::from_utf8(run("text").stdout).unwrap();
    assert!(text.contains("--> examples/seed-incident/Dockerfile:15 (the COPY --from=build that writes /usr/local/bin/lookup)"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&run("json").stdout).unwrap();
    assert_eq!(
        json["images"][0]["findings"][0]["dockerfile"],
        serde_json::json!({"file": dockerfile, "line": 15, "reason": "the COPY --from=build that writes /usr/local/bin/lookup"})
    );
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.starts_with("# earlier step\n## nsslint\n"),
        "appends: {markdown}"
    );
    assert!(
        markdown.contains("| error | NSL001 go-dns-before-hosts | `/usr/local/bin/lookup` |"),
        "{markdown}"
    );
    assert_eq!(
        markdown.matches("## nsslint").count(),
        2,
        "one block per run"
    );
}
