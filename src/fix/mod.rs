//! `nsslint fix`'s decision: from one image's report, what to write so that its fixable findings go away.
//! The only remedy is the file every resolver involved reads, `/etc/nsswitch.conf`, with `files` first
//! ([`hosts_line`]); a rule says in its doc whether that repairs its findings ([`ImageFix`]). The plan is
//! checked, not assumed: the models run again on the image as it will be ([`ImageAnalysis::with_facts`]),
//! and a fixable finding they still predict is reported as not fixed. Building the layer is [`layer`]'s,
//! writing the image [`crate::sink`]'s.

pub mod hosts_line;
pub mod image;
pub mod layer;

use crate::analyze::ImageAnalysis;
use crate::facts::nsswitch::NsswitchFile;
use crate::report::ImageReport;
use crate::rules::doc::ImageFix;
use crate::rules::Finding;
use hosts_line::{LineChange, Rewrite};
use layer::LayerContents;
use serde::Serialize;

/// The change to one image: the file to write and why each finding is or is not repaired by it.
#[derive(Debug, Clone, Serialize)]
pub struct FixPlan {
    /// The file to write; `None` when nothing is to be written.
    pub change: Option<Change>,
    /// Findings the change repairs (predicted gone once it is applied).
    pub fixed: Vec<Finding>,
    /// Findings left, with the reason.
    pub not_fixed: Vec<NotFixed>,
    /// The findings of the image as written (the image as it is, when nothing is written): what the exit
    /// code is decided on.
    #[serde(skip)]
    pub after: Vec<Finding>,
}

/// `/etc/nsswitch.conf` as the new layer writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The path in the image, `/etc/nsswitch.conf` (or where a symlinked `/etc` leads).
    pub path: String,
    /// The symlink that was at the path (its target), which the file replaces.
    pub replaces_symlink: Option<String>,
    /// The hosts lines as they were and as they become.
    pub lines: Vec<LineChange>,
    #[serde(skip)]
    pub layer: LayerContents,
}

#[derive(Debug, Clone, Serialize)]
pub struct NotFixed {
    pub finding: Finding,
    pub reason: String,
}

/// Whether the rule of `finding` is repaired by the file (its doc's `image-fix`).
fn image_fix(finding: &Finding) -> ImageFix {
    crate::rules::find(&finding.rule)
        .map(|rule| rule.doc.image_fix.clone())
        .unwrap_or_else(|| ImageFix::No(format!("{} is not a rule of this nsslint", finding.rule)))
}

/// Plans the fix of one image. `report` turns an analysis into findings exactly as `scan` does (the
/// config's ignores applied), for the image as it will be.
pub fn plan(before: &ImageReport, report: &dyn Fn(ImageAnalysis) -> Vec<Finding>) -> FixPlan {
    let analysis = &before.analysis;
    let (fixable, mut not_fixed): (Vec<&Finding>, Vec<NotFixed>) = partition(&before.findings);
    let nothing = |not_fixed: Vec<NotFixed>| FixPlan {
        change: None,
        fixed: Vec::new(),
        not_fixed,
        after: before.findings.clone(),
    };
    if fixable.is_empty() {
        return nothing(not_fixed);
    }
    let unfixable = |reason: String, mut not_fixed: Vec<NotFixed>| {
        not_fixed.extend(fixable.iter().map(|&finding| NotFixed {
            finding: finding.clone(),
            reason: reason.clone(),
        }));
        nothing(not_fixed)
    };
    let place = match &analysis.facts.nsswitch_place {
        Ok(place) => place.clone(),
        Err(why) => {
            return unfixable(
                format!("/etc/nsswitch.conf cannot be written: {why}"),
                not_fixed,
            )
        }
    };
    let rewrite: Rewrite = match &analysis.facts.nsswitch {
        NsswitchFile::Present { contents } => hosts_line::files_first(contents),
        // Missing, or a dangling link: nothing is read there today, so the new file starts from nothing.
        NsswitchFile::Missing => hosts_line::new_file(),
        NsswitchFile::Unreadable { reason } => {
            return unfixable(
                format!("its other lines cannot be kept, since the file was not read ({reason})"),
                not_fixed,
            )
        }
    };
    if rewrite.changes.is_empty() {
        return unfixable(
            "/etc/nsswitch.conf already names files first on its hosts lines: the finding comes from \
             something else (the environment, the program)"
                .into(),
            not_fixed,
        );
    }
    let mut facts = analysis.facts.clone();
    facts.nsswitch = NsswitchFile::Present {
        contents: rewrite.contents.clone(),
    };
    let after = report(analysis.with_facts(facts));
    let mut fixed = Vec::new();
    for finding in fixable {
        match after
            .iter()
            .find(|a| a.rule == finding.rule && a.path == finding.path)
        {
            Some(still) => not_fixed.push(NotFixed {
                finding: finding.clone(),
                reason: format!(
                    "still predicted with files first in nsswitch.conf: {}",
                    still.message
                ),
            }),
            None => fixed.push(finding.clone()),
        }
    }
    if fixed.is_empty() {
        // Writing a file that repairs nothing would only change the image's digest.
        return FixPlan {
            change: None,
            fixed,
            not_fixed,
            after: before.findings.clone(),
        };
    }
    FixPlan {
        change: Some(Change {
            path: format!("/{}", place.path),
            replaces_symlink: place.replaces_symlink.clone(),
            lines: rewrite.changes,
            layer: LayerContents {
                dirs: place.missing_dirs.clone(),
                file: place.path.clone(),
                bytes: rewrite.contents.into_bytes(),
            },
        }),
        fixed,
        not_fixed,
        after,
    }
}

/// The findings the file can repair, and the others with the reason it cannot.
fn partition(findings: &[Finding]) -> (Vec<&Finding>, Vec<NotFixed>) {
    let mut fixable = Vec::new();
    let mut not_fixed = Vec::new();
    for finding in findings {
        match image_fix(finding) {
            ImageFix::NsswitchConf => fixable.push(finding),
            ImageFix::No(reason) => not_fixed.push(NotFixed {
                finding: finding.clone(),
                reason,
            }),
        }
    }
    (fixable, not_fixed)
}
