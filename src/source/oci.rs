//! OCI image layouts (a directory) and OCI archives (the same layout in a tar): `index.json`, nested indexes,
//! manifests (with or without their optional `mediaType`), configs and layer blobs, each blob checked against
//! its digest before it is believed.

use super::files::{Files, METADATA_LIMIT};
use super::platform::{Platform, PlatformChoice};
use super::{parse_sha256, sha256_digest, Expected, Image, Layer};
use crate::error::ImageError;
use oci_spec::image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest};
use std::sync::Arc;

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME: &str = "io.containerd.image.name";
const MAX_INDEX_DEPTH: usize = 4;
/// The most image manifests an index (with its nested indexes) may list: real multi-platform indexes list
/// a dozen or two; each one listed is read and parsed before the platform is chosen.
pub const MAX_MANIFESTS: usize = 256;
/// Config media types of container images; a manifest whose config is anything else is an artifact (a Helm
/// chart, a signature, a WebAssembly module), not an image.
const IMAGE_CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

pub fn blob_name(digest: &str) -> Option<String> {
    parse_sha256(digest).map(|hex| format!("blobs/sha256/{hex}"))
}

/// Refuses a manifest whose config is not an image config (an OCI artifact: a Helm chart, a signature).
/// `part` names the manifest in the error.
pub(super) fn check_is_image(
    input: &str,
    part: &str,
    manifest: &ImageManifest,
) -> Result<(), ImageError> {
    let config_type = manifest.config().media_type().to_string();
    if IMAGE_CONFIG_TYPES.contains(&config_type.as_str()) {
        return Ok(());
    }
    Err(ImageError::new(
        input,
        part,
        format!("is not a container image: its config's media type is {config_type:?}"),
    ))
}

/// The layers a manifest lists, each with the digest, size and diff ID the walk checks it against; the
/// manifest and its config must agree on how many there are. `part` names the manifest in errors.
pub(super) fn layers_of(
    input: &str,
    part: &str,
    manifest: &ImageManifest,
    config: &ImageConfiguration,
) -> Result<Vec<Layer>, ImageError> {
    let diff_ids = config.rootfs().diff_ids();
    let descriptors = manifest.layers();
    if diff_ids.len() != descriptors.len() {
        return Err(ImageError::new(
            input,
            part,
            format!(
                "lists {} layers but its config lists {} diff IDs",
                descriptors.len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(descriptors.len());
    for (index, (descriptor, diff_id)) in descriptors.iter().zip(diff_ids).enumerate() {
        let digest = descriptor.digest().to_string();
        let location = blob_name(&digest).ok_or_else(|| {
            ImageError::new(
                input,
                part,
                format!("layer {} has an unsupported digest {digest:?}", index + 1),
            )
        })?;
        layers.push(Layer {
            index,
            digest: digest.clone(),
            media_type: Some(descriptor.media_type().to_string()),
            location,
            expected: Expected {
                blob_digest: Some(digest),
                blob_size: Some(descriptor.size()),
                diff_id: Some(diff_id.clone()),
            },
        });
    }
    Ok(layers)
}

/// Reads a metadata blob whole and checks it against its digest.
pub fn read_verified_blob(
    input: &str,
    files: &dyn Files,
    digest: &str,
    what: &str,
) -> Result<Vec<u8>, ImageError> {
    let name = blob_name(digest).ok_or_else(|| {
        ImageError::new(
            input,
            what,
            format!("unsupported or malformed digest {digest:?} (want sha256:<64 hex>)"),
        )
    })?;
    let bytes = files
        .read_small(&name, METADATA_LIMIT)
        .map_err(|e| ImageError::new(input, format!("{what} {name}"), e.to_string()))?;
    let actual = sha256_digest(&bytes);
    if actual != digest {
        return Err(ImageError::new(
            input,
            format!("{what} {name}"),
            format!("digest mismatch: expected {digest}, content hashes to {actual}"),
        ));
    }
    Ok(bytes)
}

pub fn parse_json<T: serde::de::DeserializeOwned>(
    input: &str,
    part: &str,
    bytes: &[u8],
) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let line_start: usize = bytes
            .split(|b| *b == b'\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum();
        ImageError::new(input, part, format!("not valid JSON for this file: {e}"))
            .at((line_start + e.column().saturating_sub(1)) as u64)
    })
}

fn is_index(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.index.v1+json"
            | "application/vnd.docker.distribution.manifest.list.v2+json"
    )
}

/// BuildKit attestation manifests (annotated, or platform unknown/unknown): not images to scan.
pub(crate) fn is_attestation(descriptor: &Descriptor) -> bool {
    let annotated = descriptor
        .annotations()
        .as_ref()
        .and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest");
    let unknown_platform = descriptor.platform().as_ref().is_some_and(|p| {
        p.os().to_string() == "unknown" && p.architecture().to_string() == "unknown"
    });
    annotated || unknown_platform
}

pub(crate) fn platform_of_descriptor(descriptor: &Descriptor) -> Option<Platform> {
    descriptor.platform().as_ref().map(|p| Platform {
        os: p.os().to_string(),
        architecture: p.architecture().to_string(),
        variant: p.variant().clone(),
    })
}

/// The image's name, where the layout records one: containerd's full name, or a `ref.name` that is a full
/// reference. A `ref.name` that is only a tag (`1.0`, as skopeo and umoci write it) names no repository.
fn name_of(descriptor: &Descriptor) -> Option<String> {
    let annotations = descriptor.annotations().as_ref()?;
    annotations
        .get(CONTAINERD_NAME)
        .or_else(|| {
            annotations
                .get(REF_NAME)
                .filter(|r| r.contains('/') || r.contains(':'))
        })
        .cloned()
}

/// Every name an index entry answers to, for listing what a layout holds.
fn ref_names(descriptor: &Descriptor) -> Option<String> {
    let annotations = descriptor.annotations().as_ref()?;
    annotations
        .get(CONTAINERD_NAME)
        .or_else(|| annotations.get(REF_NAME))
        .cloned()
}

fn matches_reference(descriptor: &Descriptor, reference: &str) -> bool {
    let Some(annotations) = descriptor.annotations().as_ref() else {
        return false;
    };
    annotations.get(REF_NAME).is_some_and(|r| r == reference)
        || annotations.get(CONTAINERD_NAME).is_some_and(|n| {
            n == reference
                || n.strip_suffix(reference)
                    .is_some_and(|head| head.ends_with('/') || head.ends_with(':'))
        })
}

struct Candidate {
    descriptor: Descriptor,
    name: Option<String>,
}

/// Expands index entries to image manifests, following nested indexes.
fn collect_manifests(
    input: &str,
    files: &dyn Files,
    entries: Vec<Descriptor>,
    inherited_name: Option<String>,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<(), ImageError> {
    for descriptor in entries {
        if is_attestation(&descriptor) {
            continue;
        }
        let media_type = descriptor.media_type().to_string();
        let name = name_of(&descriptor).or_else(|| inherited_name.clone());
        if is_index(&media_type) {
            if depth >= MAX_INDEX_DEPTH {
                return Err(ImageError::new(
                    input,
                    "index",
                    format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
                ));
            }
            let digest = descriptor.digest().to_string();
            let bytes = read_verified_blob(input, files, &digest, "index")?;
            let index: ImageIndex = parse_json(input, &format!("index {digest}"), &bytes)?;
            collect_manifests(
                input,
                files,
                index.manifests().clone(),
                name,
                depth + 1,
                out,
            )?;
        } else {
            if out.len() >= MAX_MANIFESTS {
                return Err(ImageError::new(
                    input,
                    "index",
                    format!("lists more than {MAX_MANIFESTS} image manifests"),
                ));
            }
            out.push(Candidate { descriptor, name });
        }
    }
    Ok(())
}

/// `oci:DIR[:REF]`: an OCI image layout directory.
pub fn open_layout(
    reference: &super::ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let files = Arc::new(super::files::DirFiles::new(&reference.path));
    open(
        &reference.original,
        files,
        reference.reference.as_deref(),
        choice,
    )
}

/// `oci-archive:PATH[:REF]`: an OCI image layout packed in a tar.
pub fn open_archive(
    reference: &super::ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let files = super::tar_files(reference)?;
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
    let index_bytes = files
        .read_small("index.json", METADATA_LIMIT)
        .map_err(|e| ImageError::new(input, "index.json", e.to_string()))?;
    let index: ImageIndex = parse_json(input, "index.json", &index_bytes)?;
    let mut entries = index.manifests().clone();
    if let Some(reference) = reference {
        let names: Vec<String> = entries.iter().filter_map(ref_names).collect();
        entries.retain(|d| matches_reference(d, reference));
        if entries.is_empty() {
            return Err(ImageError::new(
                input,
                "index.json",
                format!(
                    "no image named {reference:?}; the layout names: {}",
                    if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
    }
    // Several tagged images in one layout: the user must say which (platforms are chosen within one image).
    let distinct_names: std::collections::BTreeSet<String> =
        entries.iter().filter_map(ref_names).collect();
    if reference.is_none() && distinct_names.len() > 1 {
        let listing = distinct_names
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        let first = distinct_names.iter().next().cloned().unwrap_or_default();
        return Err(ImageError::new(
            input,
            "index.json",
            format!("the layout holds several images ({listing}); name one, e.g. oci:PATH:{first}"),
        ));
    }
    let mut candidates = Vec::new();
    collect_manifests(input, files.as_ref(), entries, None, 0, &mut candidates)?;

    // A manifest whose descriptor carries no platform gets it from its config.
    let mut loaded = Vec::new();
    for candidate in candidates {
        let image = load_manifest(input, &files, &candidate)?;
        let platform =
            platform_of_descriptor(&candidate.descriptor).unwrap_or_else(|| image.platform.clone());
        loaded.push((platform, image));
    }
    super::choose_images(loaded, choice).map_err(|what| ImageError::new(input, "index.json", what))
}

fn load_manifest(
    input: &str,
    files: &Arc<dyn Files>,
    candidate: &Candidate,
) -> Result<Image, ImageError> {
    let manifest_digest = candidate.descriptor.digest().to_string();
    let bytes = read_verified_blob(input, files.as_ref(), &manifest_digest, "manifest")?;
    let manifest: ImageManifest =
        parse_json(input, &format!("manifest {manifest_digest}"), &bytes)?;
    check_is_image(input, &format!("manifest {manifest_digest}"), &manifest)?;
    let config_digest = manifest.config().digest().to_string();
    let config_bytes = read_verified_blob(input, files.as_ref(), &config_digest, "config")?;
    let config: ImageConfiguration =
        parse_json(input, &format!("config {config_digest}"), &config_bytes)?;
    let layers = layers_of(
        input,
        &format!("manifest {manifest_digest}"),
        &manifest,
        &config,
    )?;
    let platform = Platform::of_config(&config);
    Ok(Image {
        input: input.to_string(),
        name: candidate.name.clone(),
        manifest_digest: Some(manifest_digest),
        platform,
        config,
        config_digest: Some(config_digest),
        layers,
        stored: super::StoredDocuments {
            config: config_bytes,
            manifest: Some(bytes),
        },
        notes: Default::default(),
        files: Arc::clone(files),
    })
}
