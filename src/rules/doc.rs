//! Rule documentation, read from `rules/<ID>.md` (embedded at build time): front matter with the id, name,
//! default level and summary, then the sections "What it does", "Why it matters", "Example" and "Fix".
//! This text is the one source for `nsslint rules`, the SARIF rule help and the README table.

use super::Level;

#[derive(Debug, Clone)]
pub struct RuleDoc {
    pub id: String,
    pub name: String,
    pub level: Level,
    pub summary: String,
    /// CVSS-like score GitHub uses to show a rule as a security alert, when the rule has one.
    pub security_severity: Option<String>,
    /// Whether `nsslint fix` can repair the finding in the image (front matter `image-fix`).
    pub image_fix: ImageFix,
    /// The markdown body after the front matter.
    pub body: String,
}

/// What `nsslint fix` can do about a rule's findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageFix {
    /// Writing `/etc/nsswitch.conf` with `files` first repairs it (`image-fix: nsswitch.conf`).
    NsswitchConf,
    /// Nothing; why (`image-fix: no, REASON`).
    No(String),
}

impl RuleDoc {
    pub fn parse(file: &str, text: &str) -> Result<RuleDoc, String> {
        let rest = text
            .strip_prefix("---\n")
            .ok_or(format!("{file}: no front matter"))?;
        let (front, body) = rest
            .split_once("\n---\n")
            .ok_or(format!("{file}: front matter not closed"))?;
        let field = |key: &str| -> Option<String> {
            front.lines().find_map(|line| {
                let (k, v) = line.split_once(':')?;
                (k.trim() == key).then(|| v.trim().to_string())
            })
        };
        let required = |key: &str| field(key).ok_or(format!("{file}: front matter has no {key}"));
        let level = match required("level")?.as_str() {
            "error" => Level::Error,
            "warning" => Level::Warning,
            "note" => Level::Note,
            other => return Err(format!("{file}: unknown level {other:?}")),
        };
        let fix = required("image-fix")?;
        let image_fix = match fix.as_str() {
            "nsswitch.conf" => ImageFix::NsswitchConf,
            other => match other.strip_prefix("no, ") {
                Some(reason) if !reason.trim().is_empty() => {
                    ImageFix::No(reason.trim().to_string())
                }
                _ => {
                    return Err(format!(
                    "{file}: image-fix {other:?} is neither \"nsswitch.conf\" nor \"no, REASON\""
                ))
                }
            },
        };
        let doc = RuleDoc {
            id: required("id")?,
            name: required("name")?,
            level,
            summary: required("summary")?,
            security_severity: field("security-severity"),
            image_fix,
            body: body.trim().to_string(),
        };
        for heading in [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## Fix",
        ] {
            if !doc.body.contains(heading) {
                return Err(format!("{file}: no section {heading:?}"));
            }
        }
        Ok(doc)
    }

    /// The text of one `## ` section, without its heading.
    pub fn section(&self, heading: &str) -> &str {
        let marker = format!("## {heading}\n");
        let Some(start) = self.body.find(&marker) else {
            return "";
        };
        let rest = &self.body[start + marker.len()..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        rest[..end].trim()
    }
}

/// The embedded rule files, in id order.
pub const FILES: &[(&str, &str)] = &[
    ("NSL001.md", include_str!("../../rules/NSL001.md")),
    ("NSL002.md", include_str!("../../rules/NSL002.md")),
    ("NSL003.md", include_str!("../../rules/NSL003.md")),
    ("NSL004.md", include_str!("../../rules/NSL004.md")),
    ("NSL005.md", include_str!("../../rules/NSL005.md")),
    ("NSL006.md", include_str!("../../rules/NSL006.md")),
    ("NSL007.md", include_str!("../../rules/NSL007.md")),
    ("NSL900.md", include_str!("../../rules/NSL900.md")),
];
