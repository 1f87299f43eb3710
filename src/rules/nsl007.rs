//! NSL007 single-request-ignored: the pod's dnsConfig asks for `single-request(-reopen)` and a resolver of
//! the container ignores it (musl's: the image's C library, and cgo lookups that reach it).

use super::{Finding, Rule};
use crate::analyze::ImageAnalysis;
use crate::model::queries::SingleRequest;
use crate::rules::doc::RuleDoc;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let Some(pod) = &analysis.pod else {
        return Vec::new();
    };
    let Some(option) = pod
        .dns_options
        .iter()
        .find(|o| matches!(o.as_str(), "single-request" | "single-request-reopen"))
    else {
        return Vec::new();
    };
    let fix = "Do not rely on single-request for musl: use NodeLocal DNSCache (or a node-local resolver), a \
               lower ndots, or Go's own resolver (CGO_ENABLED=0); or a glibc base image."
        .to_string();
    let mut out = Vec::new();
    if analysis.libc_single_request == Some(SingleRequest::Ignored) {
        let path = analysis
            .facts
            .libc
            .evidence
            .first()
            .cloned()
            .unwrap_or_else(|| "/".into());
        out.push(Rule::finding(
            doc,
            path,
            None,
            format!(
                "the pod sets {option} (dnsConfig.options), but the image's C library is musl, which ignores \
                 it: its programs (and cgo lookups) still send A and AAAA at once from one socket, so the \
                 conntrack race the option works around stays."
            ),
            fix.clone(),
        ));
    }
    for program in &analysis.go_programs {
        if program.single_request != Some(SingleRequest::Ignored) {
            continue;
        }
        out.push(Rule::finding(
            doc,
            program.file.path.clone(),
            Some(program.file.layer.clone()),
            format!(
                "the pod sets {option} (dnsConfig.options), but {} hands its lookups to musl (cgo), which \
                 ignores it and sends A and AAAA at once from one socket.",
                program.file.path
            ),
            fix.clone(),
        ));
    }
    out
}
