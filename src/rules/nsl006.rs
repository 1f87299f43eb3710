//! NSL006 hostaliases-bypassed: the pod declares `hostAliases`, and a Go program of the container asks DNS
//! before the `/etc/hosts` the kubelet writes them to. It takes the place of NSL001 for those programs.

use super::nsl001::{dns_first, fix_for};
use super::{Finding, Rule};
use crate::analyze::ImageAnalysis;
use crate::rules::doc::RuleDoc;

/// The most alias names a message lists; the rest are counted.
const NAMES_SHOWN: usize = 5;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let Some(pod) = analysis.pod.as_ref().filter(|p| !p.host_aliases.is_empty()) else {
        return Vec::new();
    };
    let names = pod.alias_names();
    let mut shown = names
        .iter()
        .take(NAMES_SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMES_SHOWN {
        shown.push_str(&format!(" and {} more", names.len() - NAMES_SHOWN));
    }
    dns_first(analysis)
        .into_iter()
        .map(|hit| {
            let message = format!(
                "the pod's hostAliases ({shown}) are written to /etc/hosts, but {} (built with {}) asks DNS \
                 first: lookup order {} via {}, so a name the pod pins is sent to DNS and the alias applies \
                 only when DNS has no answer.{}",
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
