//! NSL900 analysis-incomplete: anything skipped that could hide a finding is reported, not dropped.

use super::{Finding, Rule};
use crate::analyze::ImageAnalysis;
use crate::facts::nsswitch::NsswitchFile;
use crate::rules::doc::RuleDoc;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let mut out = Vec::new();
    for skipped in &analysis.facts.skipped {
        let path = skipped.path.clone().unwrap_or_else(|| "/".into());
        let message = format!("{path}: {}", skipped.what);
        out.push(Rule::finding(
            doc,
            path,
            skipped.layer.clone(),
            message,
            "See the message; nsslint could not look at this.".into(),
        ));
    }
    for program in &analysis.go_programs {
        if let Some(why) = &program.unpredictable {
            let message = format!(
                "{}: Go program whose lookup order was not predicted: {why}.",
                program.file.path
            );
            let fix = "Rebuild with a Go release that records build information (1.18+), or check the program by hand with GODEBUG=netdns=2.".into();
            out.push(Rule::finding(
                doc,
                program.file.path.clone(),
                Some(program.file.layer.clone()),
                message,
                fix,
            ));
        }
    }
    if let NsswitchFile::Unreadable { reason } = &analysis.facts.nsswitch {
        out.push(Rule::finding(
            doc,
            "/etc/nsswitch.conf",
            analysis.facts.nsswitch_layer.clone(),
            format!("/etc/nsswitch.conf could not be read: {reason}."),
            "Make /etc/nsswitch.conf a regular file.".into(),
        ));
    }
    if let Some(Err(why)) = &analysis.libc_prediction {
        out.push(Rule::finding(
            doc,
            "/etc/nsswitch.conf",
            analysis.facts.nsswitch_layer.clone(),
            format!("glibc's lookup order could not be predicted: {why}."),
            "Ship an explicit hosts line in /etc/nsswitch.conf.".into(),
        ));
    }
    out
}
