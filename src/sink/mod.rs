//! Where fixed images go: the formats `scan` reads as files (`docker-archive:`, `oci:`, `oci-archive:`) and
//! registries (`docker://`). A sink takes the fixed images ([`FixedImage`], one per platform) and writes
//! them whole or not at all: archives are written beside their final name and renamed into place, an OCI
//! layout gets its blobs first and its `index.json` last, a registry its blobs, then the config, then the
//! manifest. Existing layers are copied as stored (checked against their digest on the way) or, where the
//! target already has them, not copied at all.
//!
//! One module per format; [`SINKS`] lists them with their prefixes. Adding one is a module and a line.

pub mod docker_archive;
pub mod oci;
pub mod oci_archive;
pub mod registry;
mod tarball;

use crate::fix::image::{Blob, FixedImage, Flavour, LayerBytes};
use std::io::Write;
use std::path::PathBuf;

/// An output as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub original: String,
    pub sink: &'static Sink,
    /// The file or directory (empty for registries).
    pub path: PathBuf,
    /// The tag (or `name:tag` for a docker archive, the whole reference for a registry).
    pub reference: Option<String>,
}

/// How a sink may treat what is already there.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Replace an existing file, or an existing tag of a layout.
    pub force: bool,
}

/// What a sink wrote, for the command's summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// The digest users pull by: the manifest's, or the index's for several platforms (none for a
    /// docker archive, which has no manifest).
    pub digest: Option<String>,
    /// Blobs copied (or uploaded), and bytes.
    pub blobs_written: u64,
    pub bytes_written: u64,
    /// Blobs the target already had (or mounted from the source repository).
    pub blobs_reused: u64,
}

pub struct Sink {
    /// `oci`, as messages name it.
    pub name: &'static str,
    pub prefix: &'static str,
    /// Whether it can hold several platforms (an index).
    pub multi_platform: bool,
    /// The manifests' media types it takes.
    pub flavour: Flavour,
    pub write: fn(&Output, &[FixedImage], WriteOptions) -> Result<Written, String>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Sink {
    fn eq(&self, other: &Sink) -> bool {
        self.name == other.name
    }
}

impl Eq for Sink {}

/// Every output format.
pub static SINKS: &[Sink] = &[
    Sink {
        name: "docker-archive",
        prefix: "docker-archive:",
        multi_platform: false,
        flavour: Flavour::AsSource,
        write: docker_archive::write,
    },
    Sink {
        name: "oci",
        prefix: "oci:",
        multi_platform: true,
        flavour: Flavour::Oci,
        write: oci::write,
    },
    Sink {
        name: "oci-archive",
        prefix: "oci-archive:",
        multi_platform: true,
        flavour: Flavour::Oci,
        write: oci_archive::write,
    },
    Sink {
        name: "docker",
        prefix: "docker://",
        multi_platform: true,
        flavour: Flavour::AsSource,
        write: registry::write,
    },
];

impl Output {
    /// `docker-archive:PATH[:NAME:TAG]`, `oci:PATH[:TAG]`, `oci-archive:PATH[:TAG]`, `docker://REF`; a path
    /// without a prefix is refused (its format would be a guess).
    pub fn parse(text: &str) -> Result<Output, String> {
        let Some((sink, rest)) = SINKS
            .iter()
            .find_map(|s| text.strip_prefix(s.prefix).map(|rest| (s, rest)))
        else {
            let names: Vec<&str> = SINKS.iter().map(|s| s.prefix).collect();
            return Err(format!(
                "--output {text:?}: name the format, one of {} (e.g. docker-archive:./app-fixed.tar)",
                names.join(" ")
            ));
        };
        if sink.name == "docker" {
            return Ok(Output {
                original: text.to_string(),
                sink,
                path: PathBuf::new(),
                reference: Some(rest.to_string()),
            });
        }
        let (path, reference) = match rest.split_once(':') {
            Some((path, reference)) if !reference.is_empty() => (path, Some(reference.to_string())),
            Some((path, _)) => (path, None),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(format!("--output {text:?}: no path given"));
        }
        Ok(Output {
            original: text.to_string(),
            sink,
            path: PathBuf::from(path),
            reference,
        })
    }
}

/// Copies a layer's stored bytes to `out`, checking that they are the blob the manifest names.
pub fn copy_layer(
    image: &FixedImage,
    blob: &Blob,
    bytes: LayerBytes,
    out: &mut dyn Write,
) -> Result<u64, String> {
    match bytes {
        LayerBytes::New => {
            let layer = image
                .layer
                .as_ref()
                .ok_or("an image left as it was has no new layer")?;
            out.write_all(&layer.blob)
                .map_err(|e| format!("cannot write the new layer: {e}"))?;
            Ok(layer.blob.len() as u64)
        }
        LayerBytes::Source(layer) => {
            let source = image.source;
            let part = source.layer_part(layer);
            let stored = source.open_layer(layer).map_err(|e| e.to_string())?;
            let mut reader = crate::walk::decompress::Hashing::new(stored, true);
            let copied = std::io::copy(&mut reader, out).map_err(|e| {
                format!(
                    "{}: {part} at byte {}: cannot copy: {e}",
                    source.input, reader.count
                )
            })?;
            let digest = reader.digest().expect("hashing was asked for");
            if digest != blob.digest || copied != blob.size {
                return Err(format!(
                    "{}: {part}: its bytes hash to {digest} ({copied} bytes), the manifest says {} ({} bytes)",
                    source.input, blob.digest, blob.size
                ));
            }
            Ok(copied)
        }
    }
}

/// `blobs/sha256/<hex>` of a digest.
pub fn blob_path(digest: &str) -> String {
    format!("blobs/sha256/{}", digest.trim_start_matches("sha256:"))
}

/// A file written next to `path` and renamed onto it when complete: an error leaves nothing behind.
pub struct AtomicFile {
    path: PathBuf,
    temporary: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl AtomicFile {
    /// Refuses an existing `path` unless `force`.
    pub fn create(path: &std::path::Path, force: bool) -> Result<AtomicFile, String> {
        if !force && path.symlink_metadata().is_ok() {
            return Err(format!("{} exists; --force replaces it", path.display()));
        }
        let name = path
            .file_name()
            .ok_or_else(|| format!("{}: not a file name", path.display()))?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".nsslint-{}.tmp", std::process::id()));
        let temporary = path.with_file_name(temporary_name);
        let file = std::fs::File::create(&temporary)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temporary,
            file: Some(std::io::BufWriter::with_capacity(1 << 20, file)),
        })
    }

    pub fn writer(&mut self) -> &mut std::io::BufWriter<std::fs::File> {
        self.file.as_mut().expect("open until committed")
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> Result<(), String> {
        let file = self.file.take().expect("open until committed");
        let path = self.path.clone();
        let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let file = file.into_inner().map_err(|e| fail(e.into_error()))?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&self.temporary, &self.path).map_err(fail)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.temporary);
        }
    }
}

/// The document a reference names: the manifest of one image, or an OCI index of several (one per
/// platform). Its bytes (`None` for one image: the manifest is already a blob) and descriptor.
pub fn top_document(images: &[FixedImage]) -> (Option<Vec<u8>>, serde_json::Value, Blob) {
    if let [image] = images {
        let mut descriptor = crate::fix::image::descriptor(&image.manifest_blob);
        descriptor["platform"] = platform_json(&image.source.platform);
        return (None, descriptor, image.manifest_blob.clone());
    }
    let manifests: Vec<serde_json::Value> = images
        .iter()
        .map(|image| {
            let mut descriptor = crate::fix::image::descriptor(&image.manifest_blob);
            descriptor["platform"] = platform_json(&image.source.platform);
            descriptor
        })
        .collect();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": crate::fix::image::OCI_INDEX,
        "manifests": manifests,
    });
    let bytes = serde_json::to_vec(&index).expect("JSON values serialise");
    let blob = Blob {
        digest: crate::source::sha256_digest(&bytes),
        size: bytes.len() as u64,
        media_type: crate::fix::image::OCI_INDEX.to_string(),
    };
    (Some(bytes), crate::fix::image::descriptor(&blob), blob)
}

fn platform_json(platform: &crate::source::Platform) -> serde_json::Value {
    let mut value = serde_json::json!({"architecture": platform.architecture, "os": platform.os});
    if let Some(variant) = &platform.variant {
        value["variant"] = serde_json::json!(variant);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_name_their_format_path_and_reference() {
        let out = Output::parse("docker-archive:./app.tar:team/app:1.4").unwrap();
        assert_eq!(
            (out.sink.name, out.path, out.reference),
            (
                "docker-archive",
                PathBuf::from("./app.tar"),
                Some("team/app:1.4".to_string())
            )
        );
        let out = Output::parse("oci:./layout").unwrap();
        assert_eq!((out.sink.name, out.reference), ("oci", None));
        let out = Output::parse("docker://registry.example.com:5000/team/app:fixed").unwrap();
        assert_eq!(out.sink.name, "docker");
        assert_eq!(
            out.reference.as_deref(),
            Some("registry.example.com:5000/team/app:fixed")
        );
        assert!(Output::parse("./fixed.tar")
            .unwrap_err()
            .contains("name the format"));
        assert!(Output::parse("oci-archive:")
            .unwrap_err()
            .contains("no path"));
    }

    #[test]
    fn an_atomic_file_is_there_only_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.tar");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.writer().write_all(b"half").unwrap();
        drop(file);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.writer().write_all(b"whole").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert!(AtomicFile::create(&path, false)
            .err()
            .unwrap()
            .contains("exists; --force replaces it"));
        assert!(AtomicFile::create(&path, true).is_ok());
    }
}
