//! NSL005 missing-interpreter: a dynamically linked ELF program whose loader is not in the image.

use super::{Finding, Rule};
use crate::analyze::ImageAnalysis;
use crate::facts::elf::TargetOs;
use crate::rules::doc::RuleDoc;

pub fn check(analysis: &ImageAnalysis, doc: &RuleDoc) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in &analysis.facts.elf_files {
        if file.interpreter_present != Some(false) || file.facts.os != TargetOs::Linux {
            continue;
        }
        let interpreter = file.facts.interpreter.as_deref().unwrap_or_default();
        let go_hint = if file.facts.go.is_some() {
            " It is a Go program: build it with CGO_ENABLED=0 to make it static."
        } else {
            ""
        };
        let message = format!(
            "{} is dynamically linked against {interpreter}, which is not in the image: it cannot start (\"no such file or directory\").{go_hint}",
            file.path
        );
        let fix = format!("Install {interpreter} in the image, build the program statically, or build it against the image's C library ({:?}).", analysis.facts.libc.kind);
        out.push(Rule::finding(
            doc,
            file.path.clone(),
            Some(file.layer.clone()),
            message,
            fix,
        ));
    }
    out
}
