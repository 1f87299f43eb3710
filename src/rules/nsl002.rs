//! NSL002 go-hosts-ignored: the predicted order never consults `/etc/hosts`.

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
        let order = match &prediction.order {
            GoOrder::Go(order) | GoOrder::Cgo(order) => order,
            GoOrder::CgoUnknownLibc => continue,
        };
        if order.consults_files() {
            continue;
        }
        let message = format!(
            "{} will never read /etc/hosts: lookup order {}; names pinned in /etc/hosts or by hostAliases are ignored.",
            program.file.path, prediction.order
        );
        let fix =
            format!("Put files first on the hosts line of /etc/nsswitch.conf ({NSSWITCH_FIX}).");
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
