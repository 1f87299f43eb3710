//! Registries (`docker://REGISTRY/REPO:TAG` or `@sha256:…`): the tag resolves to a manifest or an index
//! (OCI and Docker v2 media types), the platform is chosen as for local images, and the config and layers
//! are blobs read through [`Files`], so the layer walk is the same one. References are parsed by
//! `oci-client`; the requests are made here with its `reqwest`, so that the answers' headers are seen.
//!
//! Layer blobs stream: `open` starts the GET on the session's tokio runtime and hands back a `Read` fed
//! through a bounded channel (a few chunks ahead of the walker; no blob on disk, no whole blob in memory).
//! A stream that breaks is resumed where it broke (a `Range` request), a bounded number of times. Requests
//! that fail with 429, 408, 5xx or a broken connection are retried with exponential backoff, waiting at
//! least what `Retry-After` asks (up to a cap). A 401 is answered as its `WWW-Authenticate` asks: a bearer
//! token from the registry's token server, or basic auth. The walker checks each layer's digest and size as
//! it reads; manifests and configs are checked on arrival.
//!
//! - `client`: the session, requests, retries; `auth`: challenges, tokens, scopes; `credentials`: the Docker
//!   config and credential helpers; `fault`: what failed and how it is told;
//! - `blobs`: manifests and streamed blobs as [`Files`]; `listing`: tags and catalog; `push`: the write
//!   side (`nsslint fix --output docker://…`);
//! - here: the transport itself, a reference resolved through (nested) indexes to the platform's images.

mod auth;
mod blobs;
mod client;
pub mod credentials;
mod fault;
mod listing;
pub mod push;

use std::sync::Arc;

use oci_client::Reference;
use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};

use super::files::{Files, METADATA_LIMIT};
use super::oci::{
    check_is_image, is_attestation, layers_of, parse_json, platform_of_descriptor,
    read_verified_blob,
};
use super::platform::{choose, Platform, PlatformChoice};
use super::{parse_sha256, Image, ImageRef, Location};
use crate::error::ImageError;
use blobs::RegistryFiles;
use client::session;

pub use client::{configure, DownloadCounters, RegistryOptions, RetryPolicy, Session};
pub use listing::{catalog, list_tags};

const MAX_INDEX_DEPTH: usize = 4;

/// Parses what follows `docker://`: `REGISTRY/REPO[:TAG][@DIGEST]` (Docker Hub's short names expand as the
/// Docker CLI expands them).
pub fn parse_reference(text: &str) -> Result<Reference, String> {
    let reference: Reference = text.parse().map_err(|e| {
        format!("not an image reference ({e}); write docker://REGISTRY/REPOSITORY:TAG or @sha256:…")
    })?;
    if let Some(digest) = reference.digest() {
        if parse_sha256(digest).is_none() {
            return Err(format!(
                "unsupported or malformed digest {digest:?} (want sha256:<64 hex>)"
            ));
        }
    }
    Ok(reference)
}

fn is_index(media_type: Option<&str>, value: &serde_json::Value) -> bool {
    match media_type {
        Some(m) => matches!(
            m,
            "application/vnd.oci.image.index.v1+json"
                | "application/vnd.docker.distribution.manifest.list.v2+json"
        ),
        None => value.get("manifests").is_some(),
    }
}

/// An image manifest found in the (possibly nested) index, with its bytes once fetched.
struct Candidate {
    digest: String,
    platform: Option<Platform>,
    bytes: Option<Vec<u8>>,
}

/// The transport's parser: `REGISTRY/REPO:TAG` or `@sha256:…`, checked; no path.
pub(super) fn location(rest: &str) -> Result<Location, String> {
    parse_reference(rest)?;
    Ok((std::path::PathBuf::new(), Some(rest.to_string())))
}

/// The transport's opener: the images a registry reference selects for the platform choice.
pub(super) fn open(image: &ImageRef, choice: &PlatformChoice) -> Result<Vec<Image>, ImageError> {
    let input = image.original.as_str();
    let text = image.reference.as_deref().unwrap_or_default();
    let fail = |part: &str, what: String| ImageError::new(input, part, what);
    let reference = parse_reference(text).map_err(|e| fail("", e))?;
    let session = session().map_err(|e| fail("", e))?;
    let registry = reference.resolve_registry().to_string();
    let credential = session
        .credential(&registry)
        .map_err(|e| fail("credentials", e))?;
    let files = Arc::new(RegistryFiles::new(session, &reference, credential));
    let top_part = match reference.digest() {
        Some(d) => format!("manifest {d}"),
        None => format!("manifest {}", reference.tag().unwrap_or("latest")),
    };
    let (bytes, digest) = files.manifest(&reference).map_err(|e| fail(&top_part, e))?;
    let mut candidates = Vec::new();
    collect(input, &files, bytes, digest, None, 0, &mut candidates)?;
    // Candidates whose index entry names no platform get it from their config (and are kept, loaded).
    let mut with_platform = Vec::new();
    for candidate in candidates {
        match candidate.platform.clone() {
            Some(p) => with_platform.push((p, (candidate, None))),
            None => {
                let image = load_manifest(input, &files, &reference, &candidate)?;
                with_platform.push((image.platform.clone(), (candidate, Some(image))));
            }
        }
    }
    let chosen = choose(with_platform, choice).map_err(|what| fail(&top_part, what))?;
    chosen
        .into_iter()
        .map(|(platform, (candidate, loaded))| {
            let mut image = match loaded {
                Some(image) => image,
                None => load_manifest(input, &files, &reference, &candidate)?,
            };
            image.platform = platform;
            Ok(image)
        })
        .collect()
}

/// Expands a manifest or index into image manifests, following nested indexes.
fn collect(
    input: &str,
    files: &RegistryFiles,
    bytes: Vec<u8>,
    digest: String,
    platform: Option<Platform>,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<(), ImageError> {
    let part = format!("manifest {digest}");
    let value: serde_json::Value = parse_json(input, &part, &bytes)?;
    let media_type = value.get("mediaType").and_then(|m| m.as_str());
    if value.get("schemaVersion").and_then(|v| v.as_i64()) == Some(1) {
        return Err(ImageError::new(
            input,
            part,
            "a Docker schema 1 manifest; nsslint reads schema 2 and OCI images (push it again with a current client)",
        ));
    }
    if !is_index(media_type, &value) {
        out.push(Candidate {
            digest,
            platform,
            bytes: Some(bytes),
        });
        return Ok(());
    }
    if depth >= MAX_INDEX_DEPTH {
        return Err(ImageError::new(
            input,
            part,
            format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
        ));
    }
    let index: ImageIndex = parse_json(input, &format!("index {digest}"), &bytes)?;
    for descriptor in index.manifests() {
        if is_attestation(descriptor) {
            continue;
        }
        let child = descriptor.digest().to_string();
        if parse_sha256(&child).is_none() {
            return Err(ImageError::new(
                input,
                format!("index {digest}"),
                format!("unsupported or malformed digest {child:?} (want sha256:<64 hex>)"),
            ));
        }
        let child_platform = platform_of_descriptor(descriptor);
        let nested = matches!(
            descriptor.media_type().to_string().as_str(),
            "application/vnd.oci.image.index.v1+json"
                | "application/vnd.docker.distribution.manifest.list.v2+json"
        );
        if nested {
            let reference = files.reference().clone_with_digest(child.clone());
            let (bytes, child) = files
                .manifest(&reference)
                .map_err(|e| ImageError::new(input, format!("index {child}"), e))?;
            collect(input, files, bytes, child, child_platform, depth + 1, out)?;
        } else {
            out.push(Candidate {
                digest: child,
                platform: child_platform,
                bytes: None,
            });
        }
    }
    Ok(())
}

fn load_manifest(
    input: &str,
    files: &Arc<RegistryFiles>,
    reference: &Reference,
    candidate: &Candidate,
) -> Result<Image, ImageError> {
    let digest = &candidate.digest;
    let part = format!("manifest {digest}");
    let bytes = match &candidate.bytes {
        Some(b) => b.clone(),
        None => {
            files
                .manifest(&reference.clone_with_digest(digest.clone()))
                .map_err(|e| ImageError::new(input, &part, e))?
                .0
        }
    };
    let manifest: ImageManifest = parse_json(input, &part, &bytes)?;
    check_is_image(input, &part, &manifest)?;
    let config_digest = manifest.config().digest().to_string();
    files.expect_size(&config_digest, manifest.config().size().min(METADATA_LIMIT));
    for layer in manifest.layers() {
        files.expect_size(layer.digest().as_ref(), layer.size());
    }
    let config_bytes = read_verified_blob(input, files.as_ref(), &config_digest, "config")?;
    let config: ImageConfiguration =
        parse_json(input, &format!("config {config_digest}"), &config_bytes)?;
    let layers = layers_of(input, &part, &manifest, &config)?;
    let platform = Platform::of_config(&config);
    let files: Arc<dyn Files> = files.clone();
    Ok(Image {
        input: input.to_string(),
        name: Some(display_name(reference)),
        manifest_digest: Some(digest.clone()),
        platform,
        config,
        config_digest: Some(config_digest),
        layers,
        stored: crate::source::StoredDocuments {
            config: config_bytes,
            manifest: Some(bytes),
        },
        notes: Default::default(),
        files,
    })
}

/// `registry/repository:tag` (or `@digest`), as users write it.
fn display_name(reference: &Reference) -> String {
    let base = format!("{}/{}", reference.registry(), reference.repository());
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => format!("{base}:{tag}"),
        (None, Some(digest)) => format!("{base}@{digest}"),
        (None, None) => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_tags_digests_and_ports() {
        let r = parse_reference("127.0.0.1:5000/team/app:1.4").unwrap();
        assert_eq!(r.resolve_registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(display_name(&r), "127.0.0.1:5000/team/app:1.4");
        let d = format!("reg.example/app@sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_reference(&d).unwrap().digest().map(str::len),
            Some(71)
        );
        assert!(parse_reference("reg.example/app@sha256:abc").is_err());
        assert!(parse_reference("UPPER/Case:x").is_err());
    }
}
