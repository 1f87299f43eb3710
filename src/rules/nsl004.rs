//! NSL004 glibc-default-dns-first: glibc older than 2.35 with no nsswitch.conf or no hosts line.

use super::{Finding, Rule, NSSWITCH_FIX};
use crate::analyze::ImageAnalysis;
use crate::facts::image::LibcKind;
use crate::facts::libc::GlibcVersion;
use crate::facts::nsswitch::NsswitchView;
use crate::rules::doc::RuleDoc;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let facts = &analysis.facts;
    if !matches!(facts.libc.kind, LibcKind::Glibc | LibcKind::Both) {
        return Vec::new();
    }
    let Some(Ok(prediction)) = &analysis.libc_prediction else {
        return Vec::new();
    };
    let Ok(view) = &analysis.nsswitch_view else {
        return Vec::new();
    };
    if !matches!(
        view,
        NsswitchView::Missing | NsswitchView::NoHostsLine | NsswitchView::Unreadable
    ) {
        return Vec::new();
    }
    if !prediction.order.dns_before_files() {
        return Vec::new();
    }
    let version = facts
        .libc
        .glibc_version
        .map(|v| v.to_string())
        .unwrap_or_else(|| "unknown".into());
    let state = match view {
        NsswitchView::Missing => "has no /etc/nsswitch.conf",
        NsswitchView::Unreadable => "has an unreadable /etc/nsswitch.conf",
        _ => "has an /etc/nsswitch.conf without a hosts line",
    };
    // The effective order is `dns` (glibc's `dns [!UNAVAIL=return] files`, DNS answering): /etc/hosts is
    // read only when no DNS server answers, and not even then without a files module (before 2.34).
    let files_loadable = facts
        .libc
        .glibc_version
        .is_some_and(|v| v >= GlibcVersion::new(2, 34))
        || facts.nss_modules.contains_key("files");
    let what = if prediction.order.consults_files() {
        format!(
            "it asks DNS before reading /etc/hosts (effective order {})",
            prediction.order
        )
    } else if files_loadable {
        "it asks DNS and reads /etc/hosts only when no DNS server answers".to_string()
    } else {
        "it asks DNS and never reads /etc/hosts (the image has no libnss_files.so.2)".to_string()
    };
    let message = format!(
        "The image's glibc is {version} and it {state}: glibc falls back to its built-in `dns [!UNAVAIL=return] files`, so {what} (the default became `files dns` in glibc 2.35)."
    );
    let fix = format!("Ship an explicit hosts line: {NSSWITCH_FIX}");
    vec![Rule::finding(
        doc,
        "/etc/nsswitch.conf",
        facts.nsswitch_layer.clone(),
        message,
        fix,
    )
    .fixed_by_nsswitch_line()]
}
