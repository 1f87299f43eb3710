//! `--format sarif` is SARIF 2.1.0: validated against the official JSON schema (fetched by
//! `tests/fixtures/fetch.sh`, checked with Python's `jsonschema`), plus the rules GitHub adds: a location per
//! result, no URI with a scheme, every rule with its help from `rules/`.

#[path = "support/seed.rs"]
mod seed;
mod support;

use serde_json::Value;
use support::*;

fn sarif_of_example() -> Value {
    let (code, stdout, stderr) = nsslint(&["scan", "--format", "sarif", seed::SEED_IMAGE]);
    assert_eq!(code, 1, "{stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn the_example_images_sarif_validates_against_the_schema() {
    let document = sarif_of_example();
    if let Some(errors) = sarif_schema_errors(&document) {
        assert_eq!(errors, Vec::<String>::new());
    }
}

#[test]
fn a_schema_violation_is_caught_by_the_validator() {
    // The validator itself must be able to fail: break one required field and expect an error.
    let mut document = sarif_of_example();
    document["runs"][0]["results"][0]["message"] = Value::String("not an object".into());
    if let Some(errors) = sarif_schema_errors(&document) {
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("runs/0/results/0/message")),
            "{errors:?}"
        );
    }
}

#[test]
fn results_carry_rule_level_message_and_a_scheme_less_location() {
    let document = sarif_of_example();
    assert_eq!(document["version"], "2.1.0");
    let run = &document["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["NSL001", "NSL002", "NSL003", "NSL004", "NSL005", "NSL006", "NSL007", "NSL900"]
    );
    for rule in rules {
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## Fix"),
            "{rule}"
        );
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result["ruleId"], "NSL001");
    assert_eq!(result["ruleIndex"], 0);
    assert_eq!(result["level"], "error");
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert_eq!(uri, "docker.io/nsslint/seed-incident/usr/local/bin/lookup");
    assert!(
        !uri.contains(':'),
        "a scheme or tag in {uri} would make GitHub reject the upload"
    );
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("Fix: Add an nsswitch.conf"));
    assert_eq!(
        run["automationDetails"]["id"],
        "nsslint/docker.io/nsslint/seed-incident/linux/amd64/"
    );
}

#[test]
fn with_a_dockerfile_results_land_on_the_copy_line_with_a_fix_after_the_final_from() {
    let dockerfile = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/seed-incident/Dockerfile"
    );
    let text = std::fs::read_to_string(dockerfile).unwrap();
    let copy_line = text
        .lines()
        .position(|l| l.starts_with("COPY --from=build"))
        .unwrap()
        + 1;
    let from_line = text
        .lines()
        .position(|l| l.starts_with("FROM alpine"))
        .unwrap()
        + 1;
    let (code, stdout, stderr) = nsslint(&[
        "scan",
        "--format",
        "sarif",
        "--dockerfile",
        dockerfile,
        seed::SEED_IMAGE,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let document: Value = serde_json::from_str(&stdout).unwrap();
    let result = &document["runs"][0]["results"][0];
    let physical = &result["locations"][0]["physicalLocation"];
    assert!(physical["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("examples/seed-incident/Dockerfile"));
    assert_eq!(physical["region"]["startLine"], copy_line);
    assert_eq!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "docker.io/nsslint/seed-incident/usr/local/bin/lookup"
    );
    let replacement = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["deletedRegion"]["startLine"], from_line + 1);
    assert_eq!(
        replacement["insertedContent"]["text"],
        "RUN echo 'hosts: files dns' > /etc/nsswitch.conf\n"
    );
    if let Some(errors) = sarif_schema_errors(&document) {
        assert_eq!(errors, Vec::<String>::new());
    }
}

#[test]
fn fingerprints_and_categories_do_not_change_with_the_tag() {
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![
        LayerSpec::new().file("lib/ld-musl-x86_64.so.1", "musl loader stand-in"),
        LayerSpec::new().exe("usr/local/bin/lookup", seed::seed_binary()),
    ];
    let mut ids = Vec::new();
    for (tag, extra) in [
        ("registry.example.com/team/app:1.0", "a"),
        ("registry.example.com/team/app:2.0", "b"),
    ] {
        let mut spec = ImageSpec::new(layers.clone());
        spec.tag = tag.into();
        // A second build differs in its bytes too, not only in its tag.
        spec.layers
            .push(LayerSpec::new().file("etc/build-id", extra));
        let path = dir.path().join(format!("{extra}.tar"));
        spec.write_docker_archive(&path, DockerStyle::Legacy);
        let (_, stdout, _) = nsslint(&["scan", "--format", "sarif", path.to_str().unwrap()]);
        let document: Value = serde_json::from_str(&stdout).unwrap();
        let run = &document["runs"][0];
        ids.push((
            run["automationDetails"]["id"].clone(),
            run["results"][0]["partialFingerprints"].clone(),
        ));
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(
        ids[0].0,
        "nsslint/registry.example.com/team/app/linux/amd64/"
    );
    assert_eq!(ids[0].1["nsslint/v1"].as_str().unwrap().len(), 64);
}
