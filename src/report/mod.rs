//! Reports render findings; they decide nothing. One [`ImageReport`] per scanned image, in three formats.

pub mod json;
pub mod sarif;
pub mod text;

use crate::analyze::ImageAnalysis;
use crate::rules::Finding;

/// An image's analysis and the findings the rules made of it.
pub struct ImageReport {
    pub analysis: ImageAnalysis,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Compiler-style text for people.
    Text,
    /// One JSON document; its shape is documented in the README.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

pub fn render(format: Format, reports: &[ImageReport], color: bool) -> String {
    match format {
        Format::Text => text::render(reports, color),
        Format::Json => json::render(reports),
        Format::Sarif => sarif::render(reports),
    }
}
