//! The pipeline's modules depend one way only: no module of `src/` names (through `crate::` or `super::`
//! paths) a module that names it back, at the top level or among the children of any module. Test code
//! (`#[cfg(test)] mod tests`) and comments are left out: a test may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `src/walk/probe.rs` → `["walk", "probe"]`; `mod.rs` and `lib.rs` name their directory.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without its test module and its comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `PREFIX::a::b` path in the code, as its segments.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            continue;
        }
        let rest = &code[from..];
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let segments: Vec<String> = rest[..end]
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !segments.is_empty() {
            out.push(segments);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module → the modules it names, every path as full segments from the crate root.
fn dependencies(src: &Path) -> Vec<(Vec<String>, Vec<String>)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut edges = Vec::new();
    for file in files {
        let module = module_path(src, &file);
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for target in paths_after(&code, "crate::") {
            edges.push((module.clone(), target));
        }
        let parent = &module[..module.len().saturating_sub(1)];
        for target in paths_after(&code, "super::") {
            let mut full = parent.to_vec();
            full.extend(target);
            edges.push((module.clone(), full));
        }
    }
    edges
}

/// Cycles among the children of `prefix`: pairs of children that reach each other.
fn cycles_under(edges: &[(Vec<String>, Vec<String>)], prefix: &[String]) -> Vec<String> {
    let n = prefix.len();
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in edges {
        let inside = from.len() > n && to.len() > n && from[..n] == *prefix && to[..n] == *prefix;
        if inside && from[n] != to[n] {
            graph.entry(&from[n]).or_default().insert(&to[n]);
        }
    }
    let reaches = |a: &str, b: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![a];
        while let Some(node) = stack.pop() {
            for &next in graph.get(node).into_iter().flatten() {
                if next == b {
                    return true;
                }
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        false
    };
    let mut found = Vec::new();
    for (&a, targets) in &graph {
        for &b in targets {
            if a < b && reaches(b, a) {
                found.push(format!("{}: {a} <-> {b}", prefix.join("::")));
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = dependencies(&src);
    assert!(
        edges
            .iter()
            .any(|(from, to)| from == &["analyze"] && to[0] == "walk"),
        "the dependency reader found analyze's use of the walk; it reads nothing if not"
    );
    let mut prefixes: BTreeSet<Vec<String>> = BTreeSet::new();
    for (module, _) in &edges {
        for k in 0..module.len() {
            prefixes.insert(module[..k].to_vec());
        }
    }
    let cycles: Vec<String> = prefixes
        .iter()
        .flat_map(|p| cycles_under(&edges, p))
        .collect();
    assert_eq!(cycles, Vec::<String>::new(), "import cycles in src/");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let edge = |a: &[&str], b: &[&str]| {
        (
            a.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            b.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    };
    let edges = vec![
        edge(&["walk"], &["probes", "Probe"]),
        edge(&["probes", "elf"], &["rootfs"]),
        edge(&["rootfs"], &["walk", "LayerScan"]),
        edge(&["facts"], &["model"]),
    ];
    assert_eq!(
        cycles_under(&edges, &[]),
        vec![": probes <-> rootfs", ": rootfs <-> walk"]
    );
    assert_eq!(
        paths_after("use crate::walk::{Probe};\nnot_crate::x", "crate::"),
        vec![vec!["walk".to_string()]]
    );
}
