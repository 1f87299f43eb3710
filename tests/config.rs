//! `.nsslint.yaml`: ignores with reasons and expiry dates, and the `fail-on` default.

#[path = "support/seed.rs"]
mod seed;
mod support;

use support::*;

fn scan_with_config(yaml: &str) -> (i32, serde_json::Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nsslint.yaml");
    std::fs::write(&config, yaml).unwrap();
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "json",
        "--config",
        config.to_str().unwrap(),
        seed::SEED_IMAGE,
    ]);
    let json = if stdout.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap()
    };
    (code, json, stderr)
}

fn rules(json: &serde_json::Value) -> Vec<String> {
    json["images"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_ignore_in_force_removes_the_finding_from_output_and_exit_code() {
    let (code, json, _) = scan_with_config(
        "ignore:\n  - rule: go-dns-before-hosts\n    path: /usr/local/bin/*\n    image: docker.io/nsslint/seed-incident\n    reason: demo image\n    until: 2999-12-31\n",
    );
    assert_eq!(code, 0);
    assert_eq!(rules(&json), Vec::<String>::new());
}

#[test]
fn an_ignore_for_another_path_or_image_does_not_apply() {
    let (code, json, _) =
        scan_with_config("ignore:\n  - rule: NSL001\n    path: /opt/**\n    reason: other path\n");
    assert_eq!((code, rules(&json)), (1, vec!["NSL001".to_string()]));
    let (code, json, _) = scan_with_config(
        "ignore:\n  - rule: NSL001\n    image: docker.io/other/*\n    reason: other image\n",
    );
    assert_eq!((code, rules(&json)), (1, vec!["NSL001".to_string()]));
}

#[test]
fn an_expired_ignore_stops_applying_and_is_reported() {
    let (code, json, stderr) = scan_with_config(
        "ignore:\n  - rule: NSL001\n    reason: was fine last year\n    until: 2020-01-31\n",
    );
    assert_eq!(code, 1);
    assert_eq!(rules(&json), vec!["NSL001".to_string()]);
    assert!(
        stderr.contains("ignore #1 (NSL001) expired on 2020-01-31; it no longer applies"),
        "{stderr}"
    );
}

#[test]
fn bad_configs_are_usage_errors_naming_the_file() {
    let (code, _, stderr) = scan_with_config("ignore:\n  - rule: NSL001\n    reason: \"\"\n");
    assert_eq!(code, 2);
    assert!(
        stderr.contains("nsslint.yaml: ignore #1: a reason is required"),
        "{stderr}"
    );
    let (code, _, stderr) = scan_with_config("ignore:\n  - rule: NSL001\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("missing field `reason`"), "{stderr}");
    let (code, _, stderr) = scan_with_config("ignores: []\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown field `ignores`"), "{stderr}");
    let (code, _, stderr) = scan_with_config("ignore:\n  - rule: NSL999\n    reason: x\n");
    assert_eq!(code, 2);
    assert!(stderr.contains("no rule \"NSL999\""), "{stderr}");
}

#[test]
fn the_config_sets_the_default_fail_on_and_the_command_line_wins() {
    let (code, _, _) = scan_with_config("fail-on: never\n");
    assert_eq!(code, 0);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.yaml");
    std::fs::write(&config, "fail-on: never\n").unwrap();
    let (code, _, _) = nsslint(&[
        "scan",
        "--config",
        config.to_str().unwrap(),
        "--fail-on",
        "error",
        seed::SEED_IMAGE,
    ]);
    assert_eq!(code, 1);
}
