//! Human text, compiler-style: one block per finding (level, rule, message, where, fix), then a summary line
//! per image (per workload container with `--k8s`, which also says where its `image:` line is).

use super::ImageReport;
use crate::facts::nsswitch::{NsswitchFile, NsswitchView};
use crate::rules::Level;
use std::fmt::Write;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn render(reports: &[ImageReport], color: bool) -> String {
    let mut out = String::new();
    for report in reports {
        let a = &report.analysis;
        let where_ = format!("{} ({})", a.input, a.platform);
        for f in &report.findings {
            let (code, label) = match f.level {
                Level::Error => ("1;31", "error"),
                Level::Warning => ("1;33", "warning"),
                Level::Note => ("1;36", "note"),
            };
            let rule_name = crate::rules::find(&f.rule)
                .map(|r| r.doc.name.as_str())
                .unwrap_or("");
            let _ = writeln!(
                out,
                "{}: {}",
                paint(color, code, &format!("{label}[{}]", f.rule)),
                f.message
            );
            if let Some(workload) = &report.workload {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    paint(color, "1;34", "-->"),
                    workload.describe()
                );
            }
            let layer = f
                .layer
                .as_deref()
                .map(|l| format!(" (layer {})", short(l)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {where_} {}{layer}",
                paint(color, "1;34", "-->"),
                f.path
            );
            if let (Some(file), Some(mapped)) = (&report.dockerfile, &f.dockerfile) {
                let _ = writeln!(
                    out,
                    "  {} {}:{} ({})",
                    paint(color, "1;34", "-->"),
                    file.uri,
                    mapped.line,
                    mapped.reason
                );
            }
            let _ = writeln!(out, "  {} {}", paint(color, "1;34", "= fix:"), f.fix);
            let _ = writeln!(
                out,
                "  {} nsslint rules {} ({rule_name})",
                paint(color, "1;34", "= help:"),
                f.rule
            );
            out.push('\n');
        }
        let facts = &a.facts;
        let nsswitch = match (&facts.nsswitch, &a.nsswitch_view) {
            (NsswitchFile::Missing, _) => "no nsswitch.conf".to_string(),
            (_, Ok(NsswitchView::Hosts(line))) => format!("nsswitch.conf hosts: {line}"),
            (_, Ok(NsswitchView::NoHostsLine)) => "nsswitch.conf without a hosts line".to_string(),
            _ => "unreadable nsswitch.conf".to_string(),
        };
        let libc = match &facts.libc.version {
            Some(v) => format!("{:?} {v}", facts.libc.kind).to_lowercase(),
            None => format!("{:?}", facts.libc.kind).to_lowercase(),
        };
        let count = |level| report.findings.iter().filter(|f| f.level == level).count();
        let predicted: Vec<String> = a
            .go_programs
            .iter()
            .filter_map(|p| {
                p.prediction
                    .as_ref()
                    .map(|pr| format!("{} {}", p.file.path, pr.order))
            })
            .collect();
        let subject = match &report.workload {
            Some(workload) => format!("{}: {where_}", workload.describe()),
            None => where_.clone(),
        };
        let _ = writeln!(
            out,
            "{subject}: libc {libc}, {nsswitch}, {} Go program(s){}; {} error(s), {} warning(s)",
            a.go_programs.len(),
            if predicted.is_empty() {
                String::new()
            } else {
                format!(" [{}]", predicted.join("; "))
            },
            count(Level::Error),
            count(Level::Warning),
        );
        if let Some(why) = &facts.env.unknown {
            let _ = writeln!(out, "  {} {why}", paint(color, "1;34", "= note:"));
        }
    }
    out
}

/// `sha256:0123456789ab` — enough of a digest to recognise it.
pub fn short(digest: &str) -> &str {
    let end = digest
        .find(':')
        .map(|i| i + 13)
        .unwrap_or(12)
        .min(digest.len());
    &digest[..end]
}
