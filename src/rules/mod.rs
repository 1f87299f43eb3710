//! Rules turn an [`ImageAnalysis`] into findings. One rule, one file; each rule's id, name, default level and
//! help come from `rules/<ID>.md` ([`doc`]), never from the code.

pub mod doc;
mod nsl001;
mod nsl002;
mod nsl003;
mod nsl004;
mod nsl005;
mod nsl006;
mod nsl007;
mod nsl900;

use crate::analyze::ImageAnalysis;
use doc::RuleDoc;
use serde::Serialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One finding about one image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub level: Level,
    /// The path in the image the finding is about (`/usr/local/bin/app`, `/etc/nsswitch.conf`).
    pub path: String,
    /// Digest of the layer that brought the file, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// What is wrong and why, in one or two sentences.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    /// A line that, added to the final stage of the Dockerfile, fixes it mechanically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_fix: Option<String>,
    /// The Dockerfile line the finding maps to (set by `--dockerfile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<crate::dockerfile::DockerfileLine>,
}

/// What every rule's `check` is: the analysis and the rule's own doc in, findings out.
type Check = fn(&ImageAnalysis, &RuleDoc) -> Vec<Finding>;

/// Appended to the fix of every finding that `/etc/nsswitch.conf` repairs (the rule's `image-fix`).
pub const NO_REBUILD_FIX: &str =
    " Without a rebuild: `nsslint fix IMAGE --output FORMAT:PATH` adds the file to \
     the image you have as one new layer (`--dry-run` shows the change first).";

/// A rule: its documentation and its check.
pub struct Rule {
    pub doc: RuleDoc,
    check: Check,
}

impl Rule {
    fn finding(
        doc: &RuleDoc,
        path: impl Into<String>,
        layer: Option<String>,
        message: String,
        mut fix: String,
    ) -> Finding {
        // Where the file repairs the finding, the way without a rebuild goes with the fix, in every format.
        if doc.image_fix == doc::ImageFix::NsswitchConf {
            fix.push_str(NO_REBUILD_FIX);
        }
        Finding {
            rule: doc.id.clone(),
            level: doc.level,
            path: path.into(),
            layer,
            message,
            fix,
            dockerfile_fix: None,
            dockerfile: None,
        }
    }
}

/// Every rule, in id order. The docs are parsed once; a malformed doc is a build defect caught by the tests.
pub fn all() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        let checks: [(&str, Check); 8] = [
            ("NSL001", nsl001::check),
            ("NSL002", nsl002::check),
            ("NSL003", nsl003::check),
            ("NSL004", nsl004::check),
            ("NSL005", nsl005::check),
            ("NSL006", nsl006::check),
            ("NSL007", nsl007::check),
            ("NSL900", nsl900::check),
        ];
        doc::FILES
            .iter()
            .map(|(file, text)| {
                let doc =
                    RuleDoc::parse(file, text).unwrap_or_else(|e| panic!("embedded rule doc: {e}"));
                let check = checks
                    .iter()
                    .find(|(id, _)| *id == doc.id)
                    .unwrap_or_else(|| panic!("{file}: no check implements {}", doc.id))
                    .1;
                Rule { doc, check }
            })
            .collect()
    })
}

pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    all()
        .iter()
        .find(|r| r.doc.id.eq_ignore_ascii_case(id_or_name) || r.doc.name == id_or_name)
}

/// Runs every rule; findings come sorted by path, then rule.
pub fn check(analysis: &ImageAnalysis) -> Vec<Finding> {
    let mut findings: Vec<Finding> = all()
        .iter()
        .flat_map(|rule| (rule.check)(analysis, &rule.doc))
        .collect();
    findings.sort_by(|a, b| {
        (a.path.as_str(), a.rule.as_str()).cmp(&(b.path.as_str(), b.rule.as_str()))
    });
    findings
}

/// The line to add to a Dockerfile that settles the order for every program: glibc, Go, and cgo alike.
pub const NSSWITCH_FIX: &str = "RUN echo 'hosts: files dns' > /etc/nsswitch.conf";

impl Finding {
    /// Marks the finding as fixed by adding [`NSSWITCH_FIX`] to the Dockerfile.
    pub fn fixed_by_nsswitch_line(mut self) -> Self {
        self.dockerfile_fix = Some(NSSWITCH_FIX.to_string());
        self
    }
}
