//! skopeo's directory format (`dir:PATH`, containers/image's "Directory Transport"): a `version` file
//! (`Directory Transport Version: 1.x`; when it is missing the directory is still read, as skopeo reads
//! it), `manifest.json` (an image manifest, Docker v2 or OCI; or, after
//! `skopeo copy --all`, an index whose images are `<hex>.manifest.json`), and every blob named by its
//! SHA-256 hex digest alone. The manifests are checked against their digests as an index names them; the
//! config and layers are read through the same [`Files`] names as an OCI layout's, so the rest (layer
//! digests, the walk) is shared.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};

use super::files::{DirFiles, Files, METADATA_LIMIT};
use super::oci::{
    check_is_image, is_attestation, layers_of, parse_json, platform_of_descriptor,
    read_verified_blob, MAX_MANIFESTS,
};
use super::platform::{Platform, PlatformChoice};
use super::{parse_sha256, sha256_digest, Image, ImageRef, Location};
use crate::error::ImageError;

/// What the `version` file starts with; 1.1 is what skopeo writes (1.0 named blobs the same way for sha256).
const VERSION_PREFIX: &str = "Directory Transport Version: 1.";

/// The transport's parser: the whole text is the directory (skopeo's `dir:` takes no reference).
pub(super) fn location(rest: &str) -> Result<Location, String> {
    if rest.is_empty() {
        return Err("no path given".into());
    }
    Ok((PathBuf::from(rest), None))
}

/// Whether a directory looks like skopeo's format (for a bare path): a `version` file that says so, or a
/// `manifest.json` that is one JSON object (an image manifest or index; docker save's is a list).
pub(super) fn is_dir_format(path: &Path) -> bool {
    let versioned = std::fs::read(path.join("version"))
        .is_ok_and(|v| v.len() < 256 && v.starts_with(VERSION_PREFIX.as_bytes()));
    let object_manifest = std::fs::File::open(path.join("manifest.json")).is_ok_and(|f| {
        use std::io::Read;
        let mut head = Vec::new();
        let _ = f.take(4096).read_to_end(&mut head);
        head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    });
    versioned || object_manifest
}

/// The blobs of a `dir:` directory under the names an OCI layout gives them (`blobs/sha256/<hex>` is the
/// file `<hex>`); other names are the directory's own files.
struct DirBlobs(DirFiles);

impl DirBlobs {
    fn file_of(name: &str) -> &str {
        match name.strip_prefix("blobs/sha256/") {
            Some(hex) if parse_sha256(&format!("sha256:{hex}")).is_some() => hex,
            _ => name,
        }
    }
}

impl Files for DirBlobs {
    fn exists(&self, name: &str) -> bool {
        self.0.exists(Self::file_of(name))
    }

    fn open(&self, name: &str) -> std::io::Result<(Box<dyn std::io::Read + Send>, u64)> {
        self.0.open(Self::file_of(name))
    }
}

/// The transport's opener: the image (or, from an index, the images of the chosen platforms).
pub(super) fn open(
    reference: &ImageRef,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    let input = reference.original.as_str();
    let files: Arc<dyn Files> = Arc::new(DirBlobs(DirFiles::new(&reference.path)));
    // skopeo always writes `version`, but its reader needs only manifest.json: a copy without it is read.
    if files.exists("version") {
        check_version(input, files.as_ref())?;
    }
    let top = files
        .read_small("manifest.json", METADATA_LIMIT)
        .map_err(|e| ImageError::new(input, "manifest.json", e.to_string()))?;
    let value: serde_json::Value = parse_json(input, "manifest.json", &top)?;
    if value.get("manifests").is_none() {
        let digest = sha256_digest(&top);
        let image = load(input, &files, "manifest.json", &top, digest)?;
        let platform = image.platform.clone();
        return finish(input, vec![(platform, image)], choice);
    }
    let index: ImageIndex = parse_json(input, "manifest.json", &top)?;
    let mut loaded = Vec::new();
    for descriptor in index.manifests().iter().filter(|d| !is_attestation(d)) {
        if loaded.len() >= MAX_MANIFESTS {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!("lists more than {MAX_MANIFESTS} image manifests"),
            ));
        }
        let digest = descriptor.digest().to_string();
        let Some(hex) = parse_sha256(&digest) else {
            return Err(ImageError::new(
                input,
                "manifest.json",
                format!("unsupported or malformed digest {digest:?} (want sha256:<64 hex>)"),
            ));
        };
        let name = format!("{hex}.manifest.json");
        let bytes = files
            .read_small(&name, METADATA_LIMIT)
            .map_err(|e| ImageError::new(input, &name, e.to_string()))?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(ImageError::new(
                input,
                &name,
                format!("digest mismatch: expected {digest}, content hashes to {actual}"),
            ));
        }
        let image = load(input, &files, &name, &bytes, digest)?;
        let platform = platform_of_descriptor(descriptor).unwrap_or_else(|| image.platform.clone());
        loaded.push((platform, image));
    }
    finish(input, loaded, choice)
}

/// Refuses a `version` file of another format version (blobs may be named differently there).
fn check_version(input: &str, files: &dyn Files) -> Result<(), ImageError> {
    let version = files
        .read_small("version", 256)
        .map_err(|e| ImageError::new(input, "version", e.to_string()))?;
    if version.starts_with(VERSION_PREFIX.as_bytes()) {
        return Ok(());
    }
    let shown = String::from_utf8_lossy(&version).trim().to_string();
    Err(ImageError::new(
        input,
        "version",
        format!(
            "{shown:?} is not a directory transport version nsslint reads (want {VERSION_PREFIX}x)"
        ),
    ))
}

/// One image manifest (`part` names its file in errors) with its config and layers.
fn load(
    input: &str,
    files: &Arc<dyn Files>,
    part: &str,
    bytes: &[u8],
    digest: String,
) -> Result<Image, ImageError> {
    let value: serde_json::Value = parse_json(input, part, bytes)?;
    if value.get("manifests").is_some() {
        return Err(ImageError::new(
            input,
            part,
            "an index inside an index; skopeo writes one level (copy the image again with skopeo)",
        ));
    }
    let manifest: ImageManifest = parse_json(input, part, bytes)?;
    check_is_image(input, part, &manifest)?;
    let config_digest = manifest.config().digest().to_string();
    let config_bytes = read_verified_blob(input, files.as_ref(), &config_digest, "config")?;
    let config: ImageConfiguration =
        parse_json(input, &format!("config {config_digest}"), &config_bytes)?;
    let layers = layers_of(input, part, &manifest, &config)?;
    Ok(Image {
        input: input.to_string(),
        name: None,
        manifest_digest: Some(digest),
        platform: Platform::of_config(&config),
        config,
        config_digest: Some(config_digest),
        layers,
        stored: super::StoredDocuments {
            config: config_bytes,
            manifest: Some(bytes.to_vec()),
        },
        notes: Default::default(),
        files: Arc::clone(files),
    })
}

/// The chosen platforms' images; errors name the top manifest.
fn finish(
    input: &str,
    loaded: Vec<(Platform, Image)>,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, ImageError> {
    super::choose_images(loaded, choice)
        .map_err(|what| ImageError::new(input, "manifest.json", what))
}
