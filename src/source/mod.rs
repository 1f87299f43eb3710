//! Where image bytes come from. A source turns an input (`./app.tar`, `oci:./layout:v1`,
//! `oci-archive:./x.tar`, `docker-archive:./x.tar`, `dir:./x`, `rootfs:/mnt/x`, `docker-daemon:app:dev`,
//! `podman:app:dev`) into one or more [`Image`]s: the image configuration and,
//! per layer, its digests, media type and a way to open its bytes. Nothing here looks inside a layer.
//!
//! Registries (`docker://REGISTRY/REPO:TAG`, see [`registry`]) are another [`files::Files`] blob store behind
//! the same [`Image`].
//!
//! One module per transport; [`TRANSPORTS`] lists them with their prefixes, and [`sniff`] tells the format of
//! a bare path.

pub mod bare;
pub mod dir;
pub mod docker_archive;
pub mod engine;
pub mod files;
pub mod oci;
pub mod platform;
pub mod registry;
pub mod rootfs;

use crate::error::ImageError;
use files::{Files, TarFiles};
pub use platform::{Platform, PlatformChoice};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a transport's text puts the image: a path (empty for registries) and a reference within it.
pub type Location = (PathBuf, Option<String>);

/// One way of naming where an image is: the prefix users write (skopeo's transport names), how the text
/// after it names a place, and how the image is opened from there.
pub struct Transport {
    /// `oci`, as messages name it.
    pub name: &'static str,
    /// `oci:`.
    pub prefix: &'static str,
    /// Splits (and checks) what follows the prefix into a path and a reference.
    pub parse: fn(&str) -> Result<Location, String>,
    pub open: fn(&ImageRef, &PlatformChoice) -> Result<Vec<Image>, ImageError>,
    /// Its images come over the network: a scan of even one reports what was downloaded.
    pub downloads: bool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Transport {
    fn eq(&self, other: &Transport) -> bool {
        self.name == other.name
    }
}

impl Eq for Transport {}

/// Every transport. Adding one is a module with its `open` and a line here.
pub static TRANSPORTS: &[Transport] = &[
    Transport {
        name: "docker-archive",
        prefix: "docker-archive:",
        parse: path_and_reference,
        open: docker_archive::open_input,
        downloads: false,
    },
    Transport {
        name: "oci",
        prefix: "oci:",
        parse: path_and_reference,
        open: oci::open_layout,
        downloads: false,
    },
    Transport {
        name: "oci-archive",
        prefix: "oci-archive:",
        parse: path_and_reference,
        open: oci::open_archive,
        downloads: false,
    },
    Transport {
        name: "dir",
        prefix: "dir:",
        parse: dir::location,
        open: dir::open,
        downloads: false,
    },
    Transport {
        name: "rootfs",
        prefix: "rootfs:",
        parse: rootfs::location,
        open: rootfs::open,
        downloads: false,
    },
    Transport {
        name: "docker-daemon",
        prefix: "docker-daemon:",
        parse: engine::location,
        open: engine::open_docker,
        downloads: false,
    },
    Transport {
        name: "podman",
        prefix: "podman:",
        parse: engine::location,
        open: engine::open_podman,
        downloads: false,
    },
    Transport {
        name: "docker",
        prefix: "docker://",
        parse: registry::location,
        open: registry::open,
        downloads: true,
    },
];

/// A name that is neither a path nor prefixed by a transport: looked up in the engines, then the registry
/// ([`bare`]). Not in [`TRANSPORTS`]: it has no prefix.
pub static BARE_NAME: Transport = Transport {
    name: "name",
    prefix: "",
    parse: bare_name,
    open: bare::open,
    downloads: false,
};

fn bare_name(rest: &str) -> Result<Location, String> {
    Ok((PathBuf::from(rest), Some(rest.to_string())))
}

/// Whether an input names a transport whose images come over the network (by its prefix; a bare path is
/// local, and is not sniffed here).
pub fn downloads(input: &str) -> bool {
    TRANSPORTS
        .iter()
        .any(|t| t.downloads && input.starts_with(t.prefix))
}

/// The transport of this name (one of [`TRANSPORTS`]).
fn transport(name: &str) -> &'static Transport {
    TRANSPORTS
        .iter()
        .find(|t| t.name == name)
        .expect("a transport of the table")
}

/// Like skopeo: `PATH[:REFERENCE]`, split at the first colon.
fn path_and_reference(rest: &str) -> Result<Location, String> {
    let (path, reference) = match rest.split_once(':') {
        Some((path, reference)) if !reference.is_empty() => (path, Some(reference.to_string())),
        Some((path, _)) => (path, None),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err("no path given".into());
    }
    Ok((PathBuf::from(path), reference))
}

/// A parsed input: transport, path and optional reference within it (a tag or `name:tag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub original: String,
    pub transport: &'static Transport,
    pub path: PathBuf,
    pub reference: Option<String>,
}

impl ImageRef {
    /// Parses skopeo-style transport names; a bare path is sniffed (see [`sniff`]).
    pub fn parse(input: &str) -> Result<ImageRef, ImageError> {
        let fail = |what: String| ImageError::new(input, "", what);
        let named = TRANSPORTS
            .iter()
            .find_map(|t| input.strip_prefix(t.prefix).map(|rest| (t, rest)));
        let (transport, path, reference) = match named {
            Some((transport, rest)) => {
                let (path, reference) = (transport.parse)(rest).map_err(fail)?;
                (transport, path, reference)
            }
            None => {
                if input.is_empty() {
                    return Err(fail("no path given".into()));
                }
                let path = PathBuf::from(input);
                if !path.exists() && bare::is_image_name(input) {
                    let (path, reference) = bare_name(input).map_err(fail)?;
                    (&BARE_NAME, path, reference)
                } else {
                    (sniff(&path).map_err(fail)?, path, None)
                }
            }
        };
        Ok(ImageRef {
            original: input.to_string(),
            transport,
            path,
            reference,
        })
    }
}

/// Tells the format of a bare path: a directory with `index.json` is an OCI layout, one with skopeo's
/// `version` file a `dir:` directory, one with `manifest.json` an unpacked `docker save`; a tar with `manifest.json` is a docker archive (Docker 25+ archives also hold an
/// OCI layout; their `manifest.json` is read), a tar with only `oci-layout` an OCI archive.
pub fn sniff(path: &Path) -> Result<&'static Transport, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_dir() {
        if path.join("index.json").is_file() {
            return Ok(transport("oci"));
        }
        // skopeo's dir: has a manifest.json too (an image manifest, not docker save's list): its version
        // file tells them apart.
        if dir::is_dir_format(path) {
            return Ok(transport("dir"));
        }
        if path.join("manifest.json").is_file() {
            return Ok(transport("docker-archive"));
        }
        return Err(
            "a directory with neither index.json (OCI layout), a version file (skopeo dir:) nor manifest.json (docker save)"
                .into(),
        );
    }
    let files = TarFiles::index(path).map_err(|e| format!("not a tar archive: {e}"))?;
    if files.exists("manifest.json") {
        Ok(transport("docker-archive"))
    } else if files.exists("oci-layout") || files.exists("index.json") {
        Ok(transport("oci-archive"))
    } else {
        Err(
            "a tar archive with neither manifest.json (docker save) nor oci-layout (OCI archive)"
                .into(),
        )
    }
}

/// What a layer's bytes must hash to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Digest of the blob as stored (OCI layouts and archives: the manifest's layer digest).
    pub blob_digest: Option<String>,
    pub blob_size: Option<u64>,
    /// Digest of the uncompressed tar (the config's `rootfs.diff_ids`, what docker archives are checked by).
    pub diff_id: Option<String>,
}

/// One layer of an image, bottom first.
#[derive(Debug, Clone)]
pub struct Layer {
    /// 0-based position, bottom layer first.
    pub index: usize,
    /// The name users know the layer by: the manifest's blob digest, else the diff ID.
    pub digest: String,
    pub media_type: Option<String>,
    /// Where its bytes are, for [`Image::open_layer`].
    pub location: String,
    pub expected: Expected,
}

/// One image, ready to walk: its platform, configuration and layers.
pub struct Image {
    pub input: String,
    /// The repository and tag the archive names, where it names one.
    pub name: Option<String>,
    pub manifest_digest: Option<String>,
    pub platform: Platform,
    pub config: oci_spec::image::ImageConfiguration,
    pub config_digest: Option<String>,
    pub layers: Vec<Layer>,
    /// The config and manifest as stored, byte for byte: what `nsslint fix` edits.
    pub stored: StoredDocuments,
    /// What this source could not show (nothing, for every source but `rootfs:`).
    pub notes: SourceNotes,
    files: Arc<dyn Files>,
}

/// An image's config and manifest exactly as its source holds them (their digests are the image's
/// `config_digest` and `manifest_digest`). A docker archive has no image manifest, a root filesystem
/// neither.
#[derive(Debug, Clone, Default)]
pub struct StoredDocuments {
    pub config: Vec<u8>,
    pub manifest: Option<Vec<u8>>,
}

/// What a source could not show the analysis: a root filesystem has no config (so no ENV) and may hold files
/// that cannot be read. The unread files are known only once the layer has been walked.
#[derive(Debug, Clone, Default)]
pub struct SourceNotes {
    /// Why the image's environment is unknown, when it is.
    pub env_unknown: Option<String>,
    pub unread: Arc<std::sync::Mutex<Vec<Unread>>>,
}

/// A file the source could not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    /// Path in the image (`/etc/shadow`).
    pub path: String,
    pub what: String,
}

impl Image {
    /// The layer's stored bytes (still compressed); the walker decompresses and verifies them.
    pub fn open_layer(&self, layer: &Layer) -> Result<Box<dyn Read + Send>, ImageError> {
        self.files
            .open(&layer.location)
            .map(|(reader, _)| reader)
            .map_err(|e| {
                ImageError::new(
                    &self.input,
                    self.layer_part(layer),
                    format!("cannot open {}: {e}", layer.location),
                )
            })
    }

    /// `layer sha256:ab12… (2 of 5)`, as errors name it.
    pub fn layer_part(&self, layer: &Layer) -> String {
        format!(
            "layer {} ({} of {})",
            layer.digest,
            layer.index + 1,
            self.layers.len()
        )
    }

    /// Each layer's `created_by` from the config's history (entries marked `empty_layer` made no layer);
    /// all `None` when the history does not line up with the layers.
    pub fn layer_history(&self) -> Vec<Option<String>> {
        let entries: Vec<Option<String>> = self
            .config
            .history()
            .iter()
            .flatten()
            .filter(|h| h.empty_layer() != Some(true))
            .map(|h| h.created_by().clone())
            .collect();
        if entries.len() == self.layers.len() {
            entries
        } else {
            vec![None; self.layers.len()]
        }
    }

    /// The image's environment (`ENV`), as `KEY=VALUE` strings in config order.
    pub fn env(&self) -> Vec<String> {
        self.config
            .config()
            .as_ref()
            .and_then(|c| c.env().clone())
            .unwrap_or_default()
    }
}

/// Opens every image an input selects for the platform choice.
pub fn open(reference: &ImageRef, platform: &PlatformChoice) -> Result<Vec<Image>, ImageError> {
    (reference.transport.open)(reference, platform)
}

/// The images of the platforms chosen among those loaded, each labelled with the platform it was chosen as
/// (an index entry's, which may be more precise than its config's).
fn choose_images(
    loaded: Vec<(Platform, Image)>,
    choice: &PlatformChoice,
) -> Result<Vec<Image>, String> {
    Ok(platform::choose(loaded, choice)?
        .into_iter()
        .map(|(platform, mut image)| {
            image.platform = platform;
            image
        })
        .collect())
}

/// The files of a tar archive, indexed once; errors name the input.
pub(crate) fn tar_files(reference: &ImageRef) -> Result<Arc<dyn Files>, ImageError> {
    Ok(Arc::new(TarFiles::index(&reference.path).map_err(|e| {
        ImageError::new(
            &reference.original,
            "",
            format!("cannot read as a tar archive: {e}"),
        )
    })?))
}

/// Digests we accept: `sha256:` + 64 lower-case hex digits (what every format here writes).
pub fn parse_sha256(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then_some(hex)
}

/// The SHA-256 digest of bytes, as `sha256:<hex>`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex(&sha2::Sha256::digest(bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
