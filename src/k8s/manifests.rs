//! The manifests `scan --k8s` reads: files, directories (every `.yaml`, `.yml` and `.json` file under
//! them, in name order; symlinked directories are not followed) and standard input (`-`, read once).
//! Each file is read whole, up to [`MAX_MANIFEST_BYTES`], and parsed into workloads. A file's problem
//! (unreadable, not YAML, a YAML bomb, too big) is an error naming the file and line, and the other
//! files are still read.

use super::workload::{self, Workload};
use super::yaml::{self, Limits, Position};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest manifest file read: `kubectl get pods -A -o json` of a few thousand pods is tens of MiB.
pub const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// Where a manifest file is, as reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFile {
    /// As found (`deploy/api.yaml`), or `<stdin>`.
    pub shown: String,
    /// Relative to the current directory with `/` separators, as SARIF URIs want it; `None` for standard
    /// input.
    pub uri: Option<String>,
}

/// A document of a kind without a pod template (a Service, a ConfigMap, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedDocument {
    pub file: String,
    pub kind: String,
    pub at: Position,
}

/// What the `--k8s` paths held.
#[derive(Debug, Default)]
pub struct Manifests {
    /// Files read (standard input counts as one).
    pub files: usize,
    /// Each workload with the file it came from.
    pub workloads: Vec<(ManifestFile, Workload)>,
    pub skipped: Vec<SkippedDocument>,
    /// One sentence per file that could not be read.
    pub errors: Vec<String>,
}

impl Manifests {
    /// `3 manifest file(s), 5 workload(s), 2 document(s) of other kinds skipped (ConfigMap, Service)`.
    pub fn summary(&self) -> String {
        let mut kinds: Vec<&str> = self.skipped.iter().map(|s| s.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let mut line = format!(
            "{} manifest file(s), {} workload(s), {} document(s) of other kinds skipped",
            self.files,
            self.workloads.len(),
            self.skipped.len()
        );
        if !kinds.is_empty() {
            line.push_str(&format!(" ({})", kinds.join(", ")));
        }
        if !self.errors.is_empty() {
            line.push_str(&format!(", {} unreadable", self.errors.len()));
        }
        line
    }
}

/// Reads every manifest the paths name (`-` is standard input).
pub fn read(paths: &[PathBuf]) -> Manifests {
    let mut out = Manifests::default();
    let mut stdin_read = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_read, true) {
                continue;
            }
            let mut bytes = Vec::new();
            let read = std::io::stdin()
                .lock()
                .take(MAX_MANIFEST_BYTES + 1)
                .read_to_end(&mut bytes);
            let file = ManifestFile {
                shown: "<stdin>".into(),
                uri: None,
            };
            match read {
                Ok(_) => parse_into(&file, bytes, &mut out),
                Err(e) => out
                    .errors
                    .push(format!("--k8s -: cannot read standard input: {e}")),
            }
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                if let Err(e) = manifests_under(path, &mut files) {
                    out.errors.push(e);
                }
                files.sort();
                for file in files {
                    read_file(&file, &mut out);
                }
            }
            Ok(_) => read_file(path, &mut out),
            Err(e) => out
                .errors
                .push(format!("--k8s {}: cannot read: {e}", path.display())),
        }
    }
    out
}

/// Every `.yaml`, `.yml` and `.json` file under `dir`.
fn manifests_under(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("--k8s {}: cannot read: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("--k8s {}: cannot read: {e}", dir.display()))?;
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            manifests_under(&path, files)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            files.push(path);
        }
    }
    Ok(())
}

fn read_file(path: &Path, out: &mut Manifests) {
    let shown = path.display().to_string();
    let file = ManifestFile {
        uri: Some(repository_relative(path)),
        shown: shown.clone(),
    };
    let bytes = std::fs::File::open(path).and_then(|f| {
        let mut bytes = Vec::new();
        f.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes)?;
        Ok(bytes)
    });
    match bytes {
        Ok(bytes) => parse_into(&file, bytes, out),
        Err(e) => out.errors.push(format!("{shown}: cannot read: {e}")),
    }
}

fn parse_into(file: &ManifestFile, bytes: Vec<u8>, out: &mut Manifests) {
    out.files += 1;
    let shown = &file.shown;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        out.errors.push(format!(
            "{shown}: larger than {} MiB; nsslint reads manifests up to that size (split it, e.g. one \
             `kubectl get pods -n NAMESPACE` a file)",
            MAX_MANIFEST_BYTES >> 20
        ));
        return;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            out.errors.push(format!(
                "{shown}:{line}: not UTF-8 text (byte offset {offset}); a manifest is YAML or JSON"
            ));
            return;
        }
    };
    let documents = match yaml::documents(&text, Limits::default()) {
        Ok(documents) => documents,
        Err(e) => {
            out.errors.push(format!(
                "{shown}:{}: column {}: {}",
                e.at.line, e.at.column, e.what
            ));
            return;
        }
    };
    let read = workload::read(shown, &documents);
    out.skipped
        .extend(read.skipped.into_iter().map(|(kind, at)| SkippedDocument {
            file: shown.clone(),
            kind,
            at,
        }));
    out.workloads
        .extend(read.workloads.into_iter().map(|w| (file.clone(), w)));
}

/// The path relative to the current directory, `/`-separated, without a leading `./`.
pub fn repository_relative(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_read_in_name_order_and_each_file_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(
            root.join("b/pod.yml"),
            "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: app:1}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("a.yaml"),
            "kind: ConfigMap\n---\nkey: [unclosed\n",
        )
        .unwrap();
        std::fs::write(root.join("notes.txt"), "kind: Pod\n").unwrap();
        let read = read(&[root.to_path_buf()]);
        assert_eq!(read.files, 2);
        assert_eq!(read.errors.len(), 1, "{:?}", read.errors);
        assert!(
            read.errors[0].starts_with(&format!("{}:4: column 1: ", root.join("a.yaml").display())),
            "{:?}",
            read.errors
        );
        let [(file, workload)] = read.workloads.as_slice() else {
            panic!("{:?}", read.workloads)
        };
        assert_eq!(file.shown, root.join("b/pod.yml").display().to_string());
        assert_eq!(
            (workload.kind.as_str(), workload.name.as_str()),
            ("Pod", "p")
        );
        assert_eq!(
            read.summary(),
            "2 manifest file(s), 1 workload(s), 0 document(s) of other kinds skipped, 1 unreadable"
        );
    }
}
