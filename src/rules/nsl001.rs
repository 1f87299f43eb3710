//! NSL001 go-dns-before-hosts: a Go program that links the resolver will ask DNS before `/etc/hosts`.

use super::{Finding, Rule, NSSWITCH_FIX};
use crate::analyze::{GoProgram, ImageAnalysis};
use crate::model::go::GoOrder;
use crate::model::LookupOrder;
use crate::rules::doc::RuleDoc;

/// A program that will ask DNS before `/etc/hosts`, and how it gets there.
pub(super) struct DnsFirst<'a> {
    pub program: &'a GoProgram,
    pub order: &'a GoOrder,
    /// `Go's own resolver` or `the C library (cgo)`.
    pub via: &'static str,
    /// ` Why: <the decisive step of the trace>.`, or nothing.
    pub reason: String,
    /// `go1.15.15`, or `an unknown Go release`.
    pub version: String,
}

/// Every Go program of the analysis whose predicted order sends a DNS query before reading `/etc/hosts`
/// and reads it afterwards (one that never reads it is NSL002's).
pub(super) fn dns_first(analysis: &ImageAnalysis) -> Vec<DnsFirst<'_>> {
    let mut out = Vec::new();
    for program in &analysis.go_programs {
        let Some(prediction) = &program.prediction else {
            continue;
        };
        let (order, via): (&LookupOrder, _) = match &prediction.order {
            GoOrder::Go(order) => (order, "Go's own resolver"),
            GoOrder::Cgo(order) => (order, "the C library (cgo)"),
            GoOrder::CgoUnknownLibc => continue,
        };
        if !(order.dns_before_files() && order.consults_files()) {
            continue;
        }
        // The decisive step is the last one that cites a Go release (or, for cgo, the C library's own).
        let reason = prediction
            .trace
            .iter()
            .rev()
            .find(|l| l.starts_with("go1.") || l.starts_with("glibc") || l.starts_with("musl"))
            .map(|l| format!(" Why: {l}."))
            .unwrap_or_default();
        out.push(DnsFirst {
            program,
            order: &prediction.order,
            via,
            reason,
            version: program
                .go()
                .version_raw
                .clone()
                .unwrap_or_else(|| "an unknown Go release".into()),
        });
    }
    out
}

/// What to do about a program that asks DNS first.
pub(super) fn fix_for(analysis: &ImageAnalysis, order: &GoOrder) -> String {
    match order {
        GoOrder::Go(_)
            if matches!(
                analysis.facts.nsswitch,
                crate::facts::nsswitch::NsswitchFile::Missing
            ) =>
        {
            format!("Add an nsswitch.conf to the image ({NSSWITCH_FIX}), or rebuild with Go 1.16 or later.")
        }
        _ => format!(
            "Put files before dns on the hosts line of /etc/nsswitch.conf ({NSSWITCH_FIX})."
        ),
    }
}

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    // In a pod with hostAliases, NSL006 reports the same programs and names the aliases they bypass.
    if analysis
        .pod
        .as_ref()
        .is_some_and(|pod| !pod.host_aliases.is_empty())
    {
        return Vec::new();
    }
    dns_first(analysis)
        .into_iter()
        .map(|hit| {
            let message = format!(
                "{} (built with {}) will ask DNS before /etc/hosts: lookup order {} via {}.{}",
                hit.program.file.path, hit.version, hit.order, hit.via, hit.reason
            );
            Rule::finding(
                doc,
                hit.program.file.path.clone(),
                Some(hit.program.file.layer.clone()),
                message,
                fix_for(analysis, hit.order),
            )
            .fixed_by_nsswitch_line()
        })
        .collect()
}
