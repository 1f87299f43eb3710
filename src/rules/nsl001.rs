//! NSL001 go-dns-before-hosts: a Go program that links the resolver will ask DNS before `/etc/hosts`.

use super::{Finding, Rule, NSSWITCH_FIX};
use crate::analyze::ImageAnalysis;
use crate::model::go::GoOrder;
use crate::rules::doc::RuleDoc;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let mut out = Vec::new();
    for program in &analysis.go_programs {
        let Some(prediction) = &program.prediction else {
            continue;
        };
        let (order, via) = match &prediction.order {
            GoOrder::Go(order) => (order, "Go's own resolver"),
            GoOrder::Cgo(order) => (order, "the C library (cgo)"),
            GoOrder::CgoUnknownLibc => continue,
        };
        if !(order.dns_before_files() && order.consults_files()) {
            continue;
        }
        let version = program
            .go()
            .version_raw
            .clone()
            .unwrap_or_else(|| "an unknown Go release".into());
        // The decisive step is the last one that cites a Go release (or, for cgo, the C library's own).
        let reason = prediction
            .trace
            .iter()
            .rev()
            .find(|l| l.starts_with("go1.") || l.starts_with("glibc") || l.starts_with("musl"))
            .map(|l| format!(" Why: {l}."))
            .unwrap_or_default();
        let message = format!(
            "{} (built with {version}) will ask DNS before /etc/hosts: lookup order {} via {via}.{reason}",
            program.file.path, prediction.order
        );
        let fix = match &prediction.order {
            GoOrder::Go(_) if matches!(analysis.facts.nsswitch, crate::facts::nsswitch::NsswitchFile::Missing) => format!(
                "Add an nsswitch.conf to the image ({NSSWITCH_FIX}), or rebuild with Go 1.16 or later."
            ),
            _ => format!("Put files before dns on the hosts line of /etc/nsswitch.conf ({NSSWITCH_FIX})."),
        };
        out.push(
            Rule::finding(
                doc,
                program.file.path.clone(),
                Some(program.file.layer.clone()),
                message,
                fix,
            )
            .fixed_by_nsswitch_line(),
        );
    }
    out
}
