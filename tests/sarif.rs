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

/// Validates with the schema; `None` when the validator is not installed (outside CI).
fn schema_errors(document: &Value) -> Option<Vec<String>> {
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

#[test]
fn the_example_images_sarif_validates_against_the_schema() {
    let document = sarif_of_example();
    if let Some(errors) = schema_errors(&document) {
        assert_eq!(errors, Vec::<String>::new());
    }
}

#[test]
fn a_schema_violation_is_caught_by_the_validator() {
    // The validator itself must be able to fail: break one required field and expect an error.
    let mut document = sarif_of_example();
    document["runs"][0]["results"][0]["message"] = Value::String("not an object".into());
    if let Some(errors) = schema_errors(&document) {
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
        ["NSL001", "NSL002", "NSL003", "NSL004", "NSL005", "NSL900"]
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
        "nsslint/docker.io/nsslint/seed-incident/"
    );
}
