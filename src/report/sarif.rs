//! `--format sarif`: SARIF 2.1.0. Every rule with its help from `rules/<ID>.md`; every result with a rule
//! index, a level, a message carrying the fix, and a location. Locations are repository-relative pseudo paths
//! (`<image>/usr/local/bin/app`): a URI with a scheme would make GitHub reject the whole upload.

use super::ImageReport;
use crate::rules::{all, Level};
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag,
    ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel, Run,
    RunAutomationDetails, Sarif, Tool, ToolComponent,
};
use std::collections::BTreeMap;

fn level(level: Level) -> ResultLevel {
    match level {
        Level::Error => ResultLevel::Error,
        Level::Warning => ResultLevel::Warning,
        Level::Note => ResultLevel::Note,
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder()
        .text(s.to_string())
        .build()
}

/// The image's name without tag or digest, as a path segment: `nsslint/seed-incident`.
pub fn image_label(report: &ImageReport) -> String {
    let a = &report.analysis;
    let name = a.name.clone().unwrap_or_else(|| {
        std::path::Path::new(&a.input)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into())
    });
    let without_digest = name.split('@').next().unwrap_or(&name);
    let last_slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let without_tag = match without_digest[last_slash..].rfind(':') {
        Some(colon) => &without_digest[..last_slash + colon],
        None => without_digest,
    };
    let cleaned: String = without_tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "/._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches(['/', '.']);
    if trimmed.is_empty() {
        "image".into()
    } else {
        trimmed.to_string()
    }
}

fn rule_descriptors() -> Vec<ReportingDescriptor> {
    all()
        .iter()
        .map(|rule| {
            let doc = &rule.doc;
            let mut properties = BTreeMap::new();
            properties.insert("precision".to_string(), serde_json::json!("high"));
            if let Some(severity) = &doc.security_severity {
                properties.insert("security-severity".to_string(), serde_json::json!(severity));
            }
            let help = MultiformatMessageString::builder()
                .text(format!(
                    "{}\n\n{}",
                    doc.section("What it does"),
                    doc.section("Fix")
                ))
                .markdown(doc.body.clone())
                .build();
            ReportingDescriptor::builder()
                .id(doc.id.clone())
                .name(doc.name.clone())
                .short_description(text(&doc.summary))
                .full_description(text(doc.section("What it does")))
                .help(help)
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(doc.level.as_str()))
                        .build(),
                )
                .properties(
                    PropertyBag::builder()
                        .tags(vec!["dns".to_string(), "container".to_string()])
                        .additional_properties(properties)
                        .build(),
                )
                .build()
        })
        .collect()
}

pub fn render(reports: &[ImageReport]) -> String {
    let rules = rule_descriptors();
    let mut runs = Vec::new();
    for report in reports {
        let label = image_label(report);
        let results: Vec<SarifResult> = report
            .findings
            .iter()
            .map(|f| {
                let rule_index = all()
                    .iter()
                    .position(|r| r.doc.id == f.rule)
                    .map(|i| i as i64);
                let uri = format!("{label}{}", f.path);
                let location = Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(ArtifactLocation::builder().uri(uri).build())
                            .build(),
                    )
                    .build();
                let mut properties = BTreeMap::new();
                properties.insert(
                    "image".to_string(),
                    serde_json::json!(report.analysis.input),
                );
                properties.insert(
                    "platform".to_string(),
                    serde_json::json!(report.analysis.platform.to_string()),
                );
                properties.insert("pathInImage".to_string(), serde_json::json!(f.path));
                if let Some(layer) = &f.layer {
                    properties.insert("layer".to_string(), serde_json::json!(layer));
                }
                let mut builder = SarifResult::builder()
                    .rule_id(f.rule.clone())
                    .level(level(f.level))
                    .message(
                        Message::builder()
                            .text(format!("{} Fix: {}", f.message, f.fix))
                            .build(),
                    )
                    .locations(vec![location])
                    .properties(
                        PropertyBag::builder()
                            .additional_properties(properties)
                            .build(),
                    )
                    .build();
                builder.rule_index = rule_index;
                builder
            })
            .collect();
        let driver = ToolComponent::builder()
            .name("nsslint")
            .semantic_version(env!("CARGO_PKG_VERSION"))
            .information_uri(env!("CARGO_PKG_REPOSITORY"))
            .rules(rules.clone())
            .build();
        let run = Run::builder()
            .tool(Tool::builder().driver(driver).build())
            .results(results)
            .automation_details(
                RunAutomationDetails::builder()
                    .id(format!("nsslint/{label}/"))
                    .build(),
            )
            .build();
        runs.push(run);
    }
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(serde_json::json!("2.1.0"))
        .runs(runs)
        .build();
    let mut out = serde_json::to_string_pretty(&sarif).expect("SARIF types always serialise");
    out.push('\n');
    out
}
