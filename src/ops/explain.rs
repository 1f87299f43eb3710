//! `nsslint explain IMAGE PATH`: what nsslint knows of one Go program of an image and the decisions, step by
//! step, that lead to its predicted lookup order — from the same analysis `scan` makes.

use super::Failure;
use crate::analyze::GoProgram;
use crate::job::{analyze_input, Reading};

/// The explanation of the program at `path` in every image `image` names (one per platform chosen).
pub fn text(image: &str, path: &str, reading: &Reading) -> Result<String, Failure> {
    reading.configure();
    let analyses = analyze_input(image, &reading.choice, &reading.walk, None)
        .map_err(|error| Failure::Unreadable(error.to_string()))?;
    let wanted = format!("/{}", path.trim_start_matches('/'));
    let mut out = String::new();
    let mut found = false;
    for analysis in &analyses {
        let Some(program) = analysis.go_programs.iter().find(|p| p.file.path == wanted) else {
            continue;
        };
        found = true;
        out.push_str(&format!(
            "{} in {} ({})\n",
            program.file.path, analysis.input, analysis.platform
        ));
        describe(program, &mut out);
    }
    if !found {
        let programs: Vec<String> = analyses
            .iter()
            .flat_map(|a| a.go_programs.iter().map(|p| p.file.path.clone()))
            .collect();
        return Err(Failure::Usage(format!(
            "{image} has no Go program at {wanted}; its Go programs: {}",
            if programs.is_empty() {
                "none".into()
            } else {
                programs.join(", ")
            }
        )));
    }
    Ok(out)
}

/// The program's facts and its prediction with the trace of decisions, a line each.
fn describe(program: &GoProgram, out: &mut String) {
    let go = program.go();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "  built with: {}",
        go.version_raw.as_deref().unwrap_or("unknown Go release")
    ));
    line(format!(
        "  cgo: {}, cgo resolver linked: {}, tags: {}",
        opt(go.cgo_enabled),
        opt(go.cgo_resolver),
        if go.tags.is_empty() {
            "none".into()
        } else {
            go.tags.join(",")
        }
    ));
    line(format!(
        "  interpreter: {}",
        program
            .file
            .facts
            .interpreter
            .as_deref()
            .unwrap_or("none (static)")
    ));
    line(format!("  resolver linked: {}", go.resolver_linked));
    match (&program.prediction, &program.unpredictable) {
        (Some(prediction), _) => {
            line(format!("  predicted order: {}", prediction.order));
            line("decisions:".into());
            for step in &prediction.trace {
                line(format!("  {step}"));
            }
        }
        (None, Some(why)) => line(format!("  predicted order: none: {why}")),
        (None, None) if !go.resolver_linked => {
            line("  predicted order: none: the program does not link Go's resolver".into())
        }
        (None, None) => line(format!(
            "  predicted order: none: not a Linux program ({})",
            program.file.facts.os
        )),
    }
}

fn opt(value: Option<bool>) -> String {
    value
        .map(|v| v.to_string())
        .unwrap_or_else(|| "unknown".into())
}
