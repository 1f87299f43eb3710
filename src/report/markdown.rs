//! `--markdown-summary FILE`: a short Markdown table of the findings per image, appended to FILE (GitHub's
//! `$GITHUB_STEP_SUMMARY` is such a file).

use super::ImageReport;
use std::fmt::Write;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn render(reports: &[ImageReport]) -> String {
    let mut out = String::from("## nsslint\n\n");
    for report in reports {
        let a = &report.analysis;
        let subject = match &report.workload {
            Some(workload) => format!("{} ({})", workload.describe(), a.input),
            None => a.input.clone(),
        };
        let _ = writeln!(
            out,
            "**{}** ({}): {} finding(s){}\n",
            cell(&subject),
            a.platform,
            report.findings.len(),
            if report.suppressed > 0 {
                format!(", {} ignored by the config", report.suppressed)
            } else {
                String::new()
            }
        );
        if report.findings.is_empty() {
            continue;
        }
        out.push_str("| Level | Rule | Path | Finding |\n|---|---|---|---|\n");
        for f in &report.findings {
            let rule = crate::rules::find(&f.rule)
                .map(|r| format!("{} {}", f.rule, r.doc.name))
                .unwrap_or_else(|| f.rule.clone());
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} |",
                f.level.as_str(),
                rule,
                cell(&f.path),
                cell(&f.message)
            );
        }
        out.push('\n');
    }
    out
}
