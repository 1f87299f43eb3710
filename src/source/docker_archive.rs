//! `docker save` output in its variants: the legacy layout (uncompressed `<id>/layer.tar`, which skopeo
//! writes as symlinks to blobs), `crane pull` tarballs (gzip `.tar.gz` layers, `sha256:<hex>` config name) and
//! Docker 25+ archives (an OCI layout inside; `manifest.json` points into `blobs/`). The same files unpacked
//! into a directory work too. Layers are checked against the config's `rootfs.diff_ids`.

use super::files::{clean_member_name, Files, METADATA_LIMIT};
use super::oci::parse_json;
use super::platform::{choose, Platform, PlatformChoice};
use super::{parse_sha256, sha256_digest, Expected, Image, Layer};
use crate::error::ImageError;
use oci_spec::image::ImageConfiguration;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// The digest a file's name promises, if its name is a digest (`<hex>.json`, `sha256:<hex>`,
/// `blobs/sha256/<hex>`).
fn digest_in_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next().unwrap_or(name);
    if name.contains("blobs/sha256/") && parse_sha256(&format!("sha256:{base}")).is_some() {
        return Some(format!("sha256:{base}"));
    }
    let stem = base.strip_suffix(".json").unwrap_or(base);
    let candidate = if stem.starts_with("sha256:") {
        stem.to_string()
    } else {
        format!("sha256:{stem}")
    };
    parse_sha256(&candidate).is_some().then_some(candidate)
}

/// Whether a tag names the requested reference (`app:1.0` matches `docker.io/library/app:1.0` too).
fn tag_matches(tag: &str, reference: &str) -> bool {
    tag == reference
        || tag.strip_prefix("docker.io/library/") == Some(reference)
        || tag.strip_prefix("docker.io/") == Some(reference)
        || reference.strip_prefix("docker.io/library/") == Some(tag)
}

/// `docker-archive:PATH[:NAME:TAG]`: a `docker save` tarball, or such a tarball unpacked into a directory.
pub fn open_input(
    reference: &super::ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let files: Arc<dyn Files> = if reference.path.is_dir() {
        Arc::new(super::files::DirFiles::new(&reference.path))
    } else {
        super::tar_files(reference)?
    };
    open(
        &reference.original,
        files,
        reference.reference.as_deref(),
        choice,
    )
}

pub fn open(
    input: &str,
    files: Arc<dyn Files>,
    reference: Option<&str>,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let bytes = files
        .read_small("manifest.json", METADATA_LIMIT)
        .map_err(|e| ImageError::new(input, "manifest.json", e.to_string()))?;
    let mut entries: Vec<ManifestEntry> = parse_json(input, "manifest.json", &bytes)?;
    let all_tags = |entries: &[ManifestEntry]| -> String {
        let tags: Vec<String> = entries
            .iter()
            .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect();
        if tags.is_empty() {
            "none".into()
        } else {
            tags.join(", ")
        }
    };
    if let Some(reference) = reference {
        let listing = all_tags(&entries);
        entries.retain(|e| {
            e.repo_tags
                .iter()
                .flatten()
                .any(|t| tag_matches(t, reference))
        });
        if entries.is_empty() {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!("no image tagged {reference:?}; the archive has: {listing}"),
            ));
        }
    }
    match entries.len() {
        0 => return Err(ImageError::new(input, "manifest.json", "lists no images")),
        1 => {}
        _ => {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!(
                    "holds several images ({}); name one with docker-archive:PATH:NAME:TAG",
                    all_tags(&entries)
                ),
            ))
        }
    }
    let entry = entries.remove(0);
    let image = load(input, &files, entry)?;
    let chosen = choose(vec![(image.platform.clone(), image)], choice)
        .map_err(|what| ImageError::new(input, "manifest.json", what))?;
    Ok(chosen.into_iter().map(|(_, image)| image).collect())
}

fn load(input: &str, files: &Arc<dyn Files>, entry: ManifestEntry) -> Result<Image, ImageError> {
    let config_name = clean_member_name(&entry.config);
    let config_bytes = files
        .read_small(&config_name, METADATA_LIMIT)
        .map_err(|e| {
            ImageError::new(
                input,
                config_name.clone(),
                format!("cannot read the image config: {e}"),
            )
        })?;
    let config_digest = sha256_digest(&config_bytes);
    if let Some(promised) = digest_in_name(&config_name) {
        if promised != config_digest {
            return Err(ImageError::new(input, config_name, format!("digest mismatch: the name promises {promised}, content hashes to {config_digest}")));
        }
    }
    let config: ImageConfiguration = parse_json(input, &config_name, &config_bytes)?;
    let diff_ids = config.rootfs().diff_ids();
    if diff_ids.len() != entry.layers.len() {
        return Err(ImageError::new(
            input,
            "manifest.json",
            format!(
                "lists {} layers but the config lists {} diff IDs",
                entry.layers.len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(entry.layers.len());
    for (index, (path, diff_id)) in entry.layers.iter().zip(diff_ids).enumerate() {
        let location = clean_member_name(path);
        if !files.exists(&location) {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!("layer {} ({path:?}) is not in the archive", index + 1),
            ));
        }
        // Docker 25+ names layers by their blob digest; older layouts only by position.
        let blob_digest = location
            .contains("blobs/sha256/")
            .then(|| digest_in_name(&location))
            .flatten();
        layers.push(Layer {
            index,
            digest: blob_digest.clone().unwrap_or_else(|| diff_id.clone()),
            media_type: None,
            location,
            expected: Expected {
                blob_digest,
                blob_size: None,
                diff_id: Some(diff_id.clone()),
            },
        });
    }
    let platform = Platform::of_config(&config);
    Ok(Image {
        input: input.to_string(),
        name: entry.repo_tags.and_then(|t| t.into_iter().next()),
        manifest_digest: None,
        platform,
        config,
        config_digest: Some(config_digest),
        layers,
        stored: super::StoredDocuments {
            config: config_bytes,
            manifest: None,
        },
        notes: Default::default(),
        files: Arc::clone(files),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_read_from_every_naming_style() {
        let hex = "a".repeat(64);
        assert_eq!(
            digest_in_name(&format!("{hex}.json")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_in_name(&format!("sha256:{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(
            digest_in_name(&format!("blobs/sha256/{hex}")),
            Some(format!("sha256:{hex}"))
        );
        assert_eq!(digest_in_name("config.json"), None);
    }

    #[test]
    fn tags_match_with_and_without_the_default_registry() {
        assert!(tag_matches("docker.io/library/app:1.0", "app:1.0"));
        assert!(tag_matches("app:1.0", "app:1.0"));
        assert!(!tag_matches("app:1.0", "app:2.0"));
    }
}
