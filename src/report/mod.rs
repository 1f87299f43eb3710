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
