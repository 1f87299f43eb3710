//! NSL003 nsswitch-dns-first: the image's hosts line puts a network source before `files`.

use super::{Finding, Rule, NSSWITCH_FIX};
use crate::analyze::ImageAnalysis;
use crate::facts::nsswitch::NsswitchView;
use crate::rules::doc::RuleDoc;

/// Sources that answer from the network rather than from the machine itself.
fn is_network_source(name: &str) -> bool {
    matches!(
        name,
        "dns" | "resolve" | "nis" | "nisplus" | "ldap" | "wins" | "hesiod" | "sss" | "winbind"
    ) || name.starts_with("mdns")
}

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    // glibc's reading is the one C programs obey; Go reads the same line the same way for these sources.
    let Ok(NsswitchView::Hosts(line)) = &analysis.nsswitch_view else {
        return Vec::new();
    };
    let names: Vec<&str> = line.sources.iter().map(|s| s.name.as_str()).collect();
    let files_at = names.iter().position(|n| *n == "files");
    let Some(first_network) = names.iter().position(|n| is_network_source(n)) else {
        return Vec::new();
    };
    if files_at.is_some_and(|f| f < first_network) {
        return Vec::new();
    }
    let message = format!(
        "/etc/nsswitch.conf has `hosts: {line}`: {} is consulted before {}, so programs that obey the file ask the network for names pinned in /etc/hosts.",
        names[first_network],
        if files_at.is_some() { "files" } else { "files (which is not listed at all)" }
    );
    let fix = format!("List files first: {NSSWITCH_FIX}");
    vec![Rule::finding(
        doc,
        "/etc/nsswitch.conf",
        analysis.facts.nsswitch_layer.clone(),
        message,
        fix,
    )
    .fixed_by_nsswitch_line()]
}
