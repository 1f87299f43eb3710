//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning wants it. Every rule with its help from
//! `rules/<ID>.md`; every result with a rule index, a level, a message carrying the fix, a location, and our own
//! stable `partialFingerprints` (rule + repository without tag or digest + platform + path in the image), so an
//! alert survives a rebuild under a new tag. A location is the Dockerfile line the finding maps to (with
//! `--dockerfile`), or, for a container of a Kubernetes workload (`--k8s`), the line and column of its
//! manifest's `image:` value; else a repository-relative pseudo path `<repository>/<path in image>`: a URI
//! with a scheme would make GitHub reject the whole upload. One run per image, with one category per image
//! and platform; one more run holds every workload container's results ([`WORKLOADS_CATEGORY`]).

use super::{ImageReport, WorkloadRef};
use crate::rules::{all, Finding, Level};
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, Fix, Invocation, Location, LogicalLocation,
    Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region,
    Replacement, ReportingConfiguration, ReportingDescriptor, Result as SarifResult, ResultLevel,
    Run, RunAutomationDetails, Sarif, Tool, ToolComponent,
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

/// The image's repository, without tag or digest, as a path segment (`docker.io/team/app`); for an image
/// that records no name, the input's file name.
pub fn image_label(report: &ImageReport) -> String {
    let a = &report.analysis;
    let name = a.name.clone().unwrap_or_else(|| {
        let input = a
            .input
            .rsplit_once(':')
            .filter(|(t, _)| matches!(*t, "oci" | "oci-archive" | "docker-archive"))
            .map(|(_, p)| p)
            .unwrap_or(&a.input);
        let path = input.split(':').next().unwrap_or(input);
        std::path::Path::new(path.trim_end_matches('/'))
            .file_name()
            .map(|s| s.to_string_lossy().trim_end_matches(".tar").to_string())
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

/// Stable across tags and rebuilds: what the finding is about, not where the bytes came from; for a
/// workload's container, which container of which workload too.
pub fn fingerprint(
    finding: &Finding,
    repository: &str,
    platform: &str,
    workload: Option<&WorkloadRef>,
) -> String {
    let mut key = format!(
        "{}\0{repository}\0{platform}\0{}",
        finding.rule, finding.path
    );
    if let Some(w) = workload {
        key.push_str(&format!(
            "\0{}\0{}\0{}",
            w.namespace.as_deref().unwrap_or(""),
            w.label(),
            w.container
        ));
    }
    crate::source::sha256_digest(key.as_bytes())
        .trim_start_matches("sha256:")
        .to_string()
}

fn rule_descriptors() -> Vec<ReportingDescriptor> {
    all()
        .iter()
        .map(|rule| {
            let doc = &rule.doc;
            let mut properties = BTreeMap::new();
            properties.insert("precision".to_string(), json!("high"));
            if let Some(severity) = &doc.security_severity {
                properties.insert("security-severity".to_string(), json!(severity));
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
                        .level(json!(doc.level.as_str()))
                        .build(),
                )
                .properties(
                    PropertyBag::builder()
                        .tags(vec![
                            "dns".to_string(),
                            "container".to_string(),
                            "reliability".to_string(),
                        ])
                        .additional_properties(properties)
                        .build(),
                )
                .build()
        })
        .collect()
}

fn physical(uri: &str, line: Option<usize>) -> PhysicalLocation {
    physical_at(uri, line, None)
}

fn physical_at(uri: &str, line: Option<usize>, column: Option<usize>) -> PhysicalLocation {
    let artifact = ArtifactLocation::builder().uri(uri.to_string()).build();
    match (line, column) {
        (Some(line), Some(column)) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(
                Region::builder()
                    .start_line(line as i64)
                    .start_column(column as i64)
                    .build(),
            )
            .build(),
        (Some(line), None) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .region(Region::builder().start_line(line as i64).build())
            .build(),
        (None, _) => PhysicalLocation::builder()
            .artifact_location(artifact)
            .build(),
    }
}

/// Inserting the fix line right after `after_line` of the Dockerfile.
fn insertion_fix(dockerfile: &str, after_line: usize, line: &str) -> Fix {
    let at = (after_line + 1) as i64;
    let replacement = Replacement::builder()
        .deleted_region(
            Region::builder()
                .start_line(at)
                .start_column(1)
                .end_line(at)
                .end_column(1)
                .build(),
        )
        .inserted_content(ArtifactContent::builder().text(format!("{line}\n")).build())
        .build();
    Fix::builder()
        .description(
            Message::builder()
                .text(format!("Add `{line}` to the final stage"))
                .build(),
        )
        .artifact_changes(vec![ArtifactChange::builder()
            .artifact_location(
                ArtifactLocation::builder()
                    .uri(dockerfile.to_string())
                    .build(),
            )
            .replacements(vec![replacement])
            .build()])
        .build()
}

fn result(report: &ImageReport, finding: &Finding, repository: &str) -> SarifResult {
    let analysis = &report.analysis;
    let platform = analysis.platform.to_string();
    let pseudo_path = format!("{repository}{}", finding.path);
    let workload_file = report
        .workload
        .as_ref()
        .and_then(|w| w.file.as_ref().map(|file| (w, file)));
    let location = match (&report.dockerfile, &finding.dockerfile) {
        _ if workload_file.is_some() => {
            let (workload, file) = workload_file.expect("matched above");
            Location::builder()
                .physical_location(physical_at(
                    file,
                    Some(workload.line),
                    Some(workload.column),
                ))
                .logical_locations(vec![LogicalLocation::builder()
                    .fully_qualified_name(pseudo_path.clone())
                    .kind("file")
                    .build()])
                .build()
        }
        (Some(dockerfile), Some(mapped)) => Location::builder()
            .physical_location(physical(&dockerfile.uri, Some(mapped.line)))
            .logical_locations(vec![LogicalLocation::builder()
                .fully_qualified_name(pseudo_path.clone())
                .kind("file")
                .build()])
            .build(),
        _ => Location::builder()
            .physical_location(physical(&pseudo_path, None))
            .build(),
    };
    let mut properties = BTreeMap::new();
    properties.insert("image".to_string(), json!(analysis.input));
    properties.insert("platform".to_string(), json!(platform));
    properties.insert("pathInImage".to_string(), json!(finding.path));
    if let Some(digest) = &analysis.manifest_digest {
        properties.insert("imageDigest".to_string(), json!(digest));
    }
    if let Some(layer) = &finding.layer {
        properties.insert("layer".to_string(), json!(layer));
    }
    let in_workload = report
        .workload
        .as_ref()
        .map(|w| format!(", {}", w.describe()))
        .unwrap_or_default();
    let where_ = match &finding.layer {
        Some(layer) => format!(
            " [image {}, {platform}, layer {}{in_workload}]",
            analysis.input,
            super::text::short(layer)
        ),
        None => format!(" [image {}, {platform}{in_workload}]", analysis.input),
    };
    if let Some(w) = &report.workload {
        properties.insert("workload".to_string(), json!(w.label()));
        properties.insert("container".to_string(), json!(w.container));
        if let Some(namespace) = &w.namespace {
            properties.insert("namespace".to_string(), json!(namespace));
        }
    }
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(
        "nsslint/v1".to_string(),
        fingerprint(finding, repository, &platform, report.workload.as_ref()),
    );
    let mut result = SarifResult::builder()
        .rule_id(finding.rule.clone())
        .level(level(finding.level))
        .message(
            Message::builder()
                .text(format!("{} Fix: {}{where_}", finding.message, finding.fix))
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            PropertyBag::builder()
                .additional_properties(properties)
                .build(),
        )
        .build();
    result.rule_index = all()
        .iter()
        .position(|r| r.doc.id == finding.rule)
        .map(|i| i as i64);
    if let (Some(dockerfile), Some(line)) = (&report.dockerfile, &finding.dockerfile_fix) {
        result.fixes = Some(vec![insertion_fix(
            &dockerfile.uri,
            dockerfile.fix_after_line,
            line,
        )]);
    }
    result
}

/// The category (`automationDetails.id` up to its last `/`) of the run that holds every workload
/// container's results: GitHub takes at most 20 runs a file and refuses two runs of one tool with the same
/// category, so workloads share one run, their results told apart by location and fingerprint.
pub const WORKLOADS_CATEGORY: &str = "nsslint/k8s/";

pub fn render(reports: &[ImageReport]) -> String {
    let rules = rule_descriptors();
    let mut runs = Vec::new();
    let (workloads, images): (Vec<&ImageReport>, Vec<&ImageReport>) =
        reports.iter().partition(|r| r.workload.is_some());
    for report in images {
        let repository = image_label(report);
        let platform = report.analysis.platform.to_string();
        runs.push(run(
            &rules,
            &[report],
            format!("nsslint/{repository}/{platform}/"),
        ));
    }
    if !workloads.is_empty() {
        runs.push(run(&rules, &workloads, WORKLOADS_CATEGORY.to_string()));
    }
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(json!("2.1.0"))
        .runs(runs)
        .build();
    let mut out = serde_json::to_string_pretty(&sarif).expect("SARIF types always serialise");
    out.push('\n');
    out
}

/// One run of the reports' results, under `category`.
fn run(rules: &[ReportingDescriptor], reports: &[&ImageReport], category: String) -> Run {
    let mut results = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for report in reports {
        let repository = image_label(report);
        results.extend(
            report
                .findings
                .iter()
                .map(|f| result(report, f, &repository)),
        );
        // What the analysis could not see about the whole image (a root filesystem's ENV, a variable from
        // a ConfigMap) is a notification, not a result: no line of any file is at fault.
        if let Some(why) = &report.analysis.facts.env.unknown {
            let note = match &report.workload {
                Some(w) => format!("{}: {why}", w.describe()),
                None => why.clone(),
            };
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    let driver = ToolComponent::builder()
        .name("nsslint")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules.to_vec())
        .build();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .automation_details(RunAutomationDetails::builder().id(category).build())
        .build();
    if !notes.is_empty() {
        let notifications: Vec<Notification> = notes
            .into_iter()
            .map(|note| {
                Notification::builder()
                    .level(json!("note"))
                    .message(Message::builder().text(note).build())
                    .build()
            })
            .collect();
        run.invocations = Some(vec![Invocation::builder()
            .execution_successful(true)
            .tool_execution_notifications(notifications)
            .build()]);
    }
    run
}
