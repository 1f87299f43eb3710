//! `--format json`: one document, `{"version", "images": [...], "workloads": [...]}`: an image scanned as
//! given is an entry of `images`; a container of a Kubernetes workload (`--k8s`) is an entry of
//! `workloads`, the image as that container runs it under `scanned`. Tests and other tools rely on its shape
//! (documented in the README); new fields may be added, existing ones keep their meaning.

use super::ImageReport;
use crate::facts::nsswitch::{NsswitchFile, NsswitchView};
use serde_json::{json, Value};

pub fn render(reports: &[ImageReport]) -> String {
    let (workloads, images): (Vec<&ImageReport>, Vec<&ImageReport>) =
        reports.iter().partition(|r| r.workload.is_some());
    let images: Vec<Value> = images.into_iter().map(image).collect();
    let workloads: Vec<Value> = workloads.into_iter().map(entry).collect();
    let document = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "images": images,
        "workloads": workloads,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values always serialise");
    text.push('\n');
    text
}

/// One image (or workload container) as a line of `--format jsonl`: the same object as an entry of
/// `images` (or `workloads`).
pub fn line(report: &ImageReport) -> String {
    let mut text = serde_json::to_string(&entry(report)).expect("JSON values always serialise");
    text.push('\n');
    text
}

/// A line of `--format jsonl` for an input that could not be read.
pub fn error_line(input: &str, error: &str) -> String {
    let mut text = serde_json::to_string(&json!({ "input": input, "error": error }))
        .expect("JSON values always serialise");
    text.push('\n');
    text
}

/// `images[].libc`: what the C library is and what it does for programs that resolve through it.
/// `order` is glibc's or musl's effective order for an ordinary name with DNS reachable (`files,dns`, `dns`,
/// ...; `null` without a C library or when it cannot be predicted, `trace` then says why); `nss_modules`
/// the image's `libnss_*.so.2` that glibc can load.
fn libc(report: &ImageReport) -> Value {
    let a = &report.analysis;
    let facts = &a.facts;
    let (order, trace) = match &a.libc_prediction {
        Some(Ok(p)) => (Value::String(p.order.to_string()), p.trace.clone()),
        Some(Err(why)) => (Value::Null, vec![why.clone()]),
        None => (Value::Null, Vec::new()),
    };
    json!({
        "kind": facts.libc.kind,
        "version": facts.libc.version,
        "evidence": facts.libc.evidence,
        "order": order,
        "trace": trace,
        "nss_modules": facts.nss_modules.values().collect::<Vec<_>>(),
        "single_request": a.libc_single_request,
    })
}

/// An entry of `images`, or of `workloads` for a workload's container.
fn entry(report: &ImageReport) -> Value {
    let Some(workload) = &report.workload else {
        return image(report);
    };
    let mut scanned = image(report);
    let findings = scanned
        .as_object_mut()
        .and_then(|o| o.remove("findings"))
        .unwrap_or(Value::Array(Vec::new()));
    let pod = report.analysis.pod.as_ref();
    json!({
        "kind": workload.kind,
        "namespace": workload.namespace,
        "name": workload.name,
        "container": workload.container,
        "container_kind": workload.container_kind,
        "file": workload.file,
        "line": workload.line,
        "column": workload.column,
        "image": workload.image,
        "pod": pod.map(|p| json!({
            "host_aliases": p.host_aliases,
            "dns_policy": p.dns_policy,
            "dns_options": p.dns_options,
        })),
        "scanned": scanned,
        "findings": findings,
    })
}

fn image(report: &ImageReport) -> Value {
    let a = &report.analysis;
    let facts = &a.facts;
    let hosts = match &a.nsswitch_view {
        Ok(NsswitchView::Hosts(line)) => Value::String(line.to_string()),
        _ => Value::Null,
    };
    let binaries: Vec<Value> = a
        .go_programs
        .iter()
        .map(|p| {
            let go = p.go();
            json!({
                "path": p.file.path,
                "layer": p.file.layer,
                "go_version": go.version_raw,
                "cgo": go.cgo_enabled,
                "static": p.file.facts.interpreter.is_none(),
                "os": p.file.facts.os.to_string(),
                "resolver_linked": go.resolver_linked,
                "order": p.prediction.as_ref().map(|pr| pr.order.to_string()),
                "trace": p.prediction.as_ref().map(|pr| pr.trace.clone()).unwrap_or_default(),
                "single_request": p.single_request,
            })
        })
        .collect();
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let dockerfile = match (&report.dockerfile, &f.dockerfile) {
                (Some(file), Some(mapped)) => json!({ "file": file.uri, "line": mapped.line, "reason": mapped.reason }),
                _ => Value::Null,
            };
            json!({ "rule": f.rule, "level": f.level, "path": f.path, "layer": f.layer, "message": f.message, "fix": f.fix, "dockerfile": dockerfile })
        })
        .collect();
    json!({
        "input": a.input,
        "name": a.name,
        "digest": a.manifest_digest,
        "platform": a.platform.to_string(),
        "libc": libc(report),
        "nsswitch": {
            "present": !matches!(facts.nsswitch, NsswitchFile::Missing),
            "hosts": hosts,
            "layer": facts.nsswitch_layer,
        },
        "env": facts.env,
        "layers": a.layers,
        "binaries": binaries,
        "findings": findings,
    })
}
