//! Reports render findings; they decide nothing. One [`ImageReport`] per scanned image, in three formats.

pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::analyze::ImageAnalysis;
use crate::rules::Finding;

/// An image's analysis and the findings the rules made of it (after the config's ignores).
pub struct ImageReport {
    pub analysis: ImageAnalysis,
    pub findings: Vec<Finding>,
    /// Findings an ignore of the config removed.
    pub suppressed: usize,
    /// The Dockerfile findings were mapped to, if one was given.
    pub dockerfile: Option<DockerfileRef>,
    /// The workload container the report is about (`scan --k8s`): the image as that container runs it.
    pub workload: Option<WorkloadRef>,
}

/// A container of a Kubernetes workload, as reports name it: the workload, the container, and where its
/// `image:` is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkloadRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub container: String,
    pub container_kind: crate::k8s::workload::ContainerKind,
    /// The manifest, repository-relative as SARIF URIs want it; `None` for standard input.
    pub file: Option<String>,
    /// Where the `image:` value starts (1-based).
    pub line: usize,
    pub column: usize,
    /// The image as the spec writes it.
    pub image: String,
}

impl WorkloadRef {
    /// `Deployment/api`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }

    /// `deploy/api.yaml:20` (`<stdin>:20` for standard input).
    pub fn place(&self) -> String {
        format!(
            "{}:{}",
            self.file.as_deref().unwrap_or("<stdin>"),
            self.line
        )
    }

    /// `deploy/api.yaml:20 Deployment/api container api`, with the namespace when there is one.
    pub fn describe(&self) -> String {
        let namespace = self
            .namespace
            .as_deref()
            .map(|ns| format!(" (namespace {ns})"))
            .unwrap_or_default();
        let kind = match self.container_kind {
            crate::k8s::workload::ContainerKind::Regular => "container",
            crate::k8s::workload::ContainerKind::Init => "init container",
            crate::k8s::workload::ContainerKind::Ephemeral => "ephemeral container",
        };
        format!(
            "{} {}{namespace} {kind} {}",
            self.place(),
            self.label(),
            self.container
        )
    }
}

/// A Dockerfile as reports name it.
pub struct DockerfileRef {
    /// Repository-relative path (`docker/app/Dockerfile`), as SARIF URIs want it.
    pub uri: String,
    /// The line after which a mechanical fix is inserted: the final stage's `FROM`, or the last instruction
    /// of the final stage that writes /etc/nsswitch.conf.
    pub fix_after_line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style text for people.
    Text,
    /// One JSON document; its shape is documented in the README.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JSON lines: one object per image (an entry of the json format's `images`), written as each image
    /// finishes; an image that could not be read is `{"input", "error"}`.
    Jsonl,
}

pub fn render(format: Format, reports: &[ImageReport], color: bool) -> String {
    match format {
        Format::Text => text::render(reports, color),
        Format::Json => json::render(reports),
        Format::Sarif => sarif::render(reports),
        Format::Jsonl => reports.iter().map(json::line).collect(),
    }
}
