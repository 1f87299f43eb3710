//! The fixed image as data: the source image's layers as they are (by reference: their bytes are copied or
//! mounted by the sink, never recompressed), the new layer on top, and the config and manifest edited to
//! name it. The config keeps every field it had (labels, ENV, entrypoint, unknown keys) and gains the
//! layer's diff ID and one history entry; the manifest keeps its annotations and gains the layer.

use super::layer::NewLayer;
use crate::analyze::LayerSummary;
use crate::error::ImageError;
use crate::source::{sha256_digest, Image, Layer};
use crate::walk::decompress::Compression;
use serde_json::{json, Map, Value};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// A blob of the image as a manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
}

/// The media types the output takes: an OCI layout or archive only OCI ones (skopeo and containerd do not
/// see a Docker manifest in an index.json); a registry or a docker archive those of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Oci,
    AsSource,
}

/// The source's manifest as JSON, its Docker media types turned into OCI ones when the output takes only
/// those (`true` when something was turned).
fn stored_manifest(source: &Image, flavour: Flavour) -> Result<(Option<Value>, bool), ImageError> {
    let Some(bytes) = &source.stored.manifest else {
        return Ok((None, false));
    };
    let mut manifest: Value = serde_json::from_slice(bytes)
        .map_err(|e| ImageError::new(&source.input, "manifest", format!("is not JSON: {e}")))?;
    let converted = flavour == Flavour::Oci && to_oci(&mut manifest);
    Ok((Some(manifest), converted))
}

/// Rewrites a Docker schema 2 manifest's media types as their OCI equivalents (as `skopeo copy` to `oci:`
/// does); the digests and sizes stay. Whether it was a Docker manifest.
fn to_oci(manifest: &mut Value) -> bool {
    if manifest.get("mediaType").and_then(Value::as_str) != Some(DOCKER_MANIFEST) {
        return false;
    }
    manifest["mediaType"] = json!(OCI_MANIFEST);
    if let Some(config) = manifest.get_mut("config") {
        config["mediaType"] = json!(OCI_CONFIG);
    }
    if let Some(layers) = manifest.get_mut("layers").and_then(Value::as_array_mut) {
        for layer in layers {
            let oci = match layer.get("mediaType").and_then(Value::as_str) {
                Some("application/vnd.docker.image.rootfs.diff.tar.gzip") => {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                }
                Some("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") => {
                    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
                }
                Some("application/vnd.docker.image.rootfs.diff.tar") => {
                    "application/vnd.oci.image.layer.v1.tar"
                }
                _ => continue,
            };
            layer["mediaType"] = json!(oci);
        }
    }
    true
}

/// Where a layer's bytes are: in the source image, or the new layer's own ([`FixedImage::layer`]).
#[derive(Debug, Clone, Copy)]
pub enum LayerBytes<'a> {
    Source(&'a Layer),
    New,
}

/// One fixed image (one platform). With several platforms, one that needs no change is carried into the
/// new index as it is: no new layer, its config and manifest byte for byte.
pub struct FixedImage<'a> {
    pub source: &'a Image,
    /// The layer appended; `None` for a platform left as it was.
    pub layer: Option<NewLayer>,
    pub config: Vec<u8>,
    pub config_blob: Blob,
    pub manifest: Vec<u8>,
    pub manifest_blob: Blob,
    /// Every layer bottom first, the new one last, with where its bytes are.
    pub layers: Vec<(Blob, LayerBytes<'a>)>,
}

/// `nsslint fix <version>: <the new hosts line>`: the history entry's `created_by`.
pub fn created_by(hosts_line: &str) -> String {
    format!("nsslint fix {}: {hosts_line}", env!("CARGO_PKG_VERSION"))
}

/// The fixed image of `source` (whose walked layers are `summaries`) with `layer` on top, its history
/// entry naming `hosts_line`.
pub fn build<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    layer: NewLayer,
    hosts_line: &str,
    flavour: Flavour,
) -> Result<FixedImage<'a>, ImageError> {
    assemble(source, summaries, Some((layer, hosts_line)), flavour)
}

/// `source` as it is, for an index that holds it beside fixed platforms.
pub fn unchanged<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    flavour: Flavour,
) -> Result<FixedImage<'a>, ImageError> {
    assemble(source, summaries, None, flavour)
}

fn assemble<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    new: Option<(NewLayer, &str)>,
    flavour: Flavour,
) -> Result<FixedImage<'a>, ImageError> {
    let fail = |part: &str, what: String| ImageError::new(&source.input, part, what);
    let Some((layer, hosts_line)) = new else {
        return as_stored(source, summaries, flavour);
    };
    let mut config: Value = serde_json::from_slice(&source.stored.config)
        .map_err(|e| fail("config", format!("is not JSON: {e}")))?;
    let object = config
        .as_object_mut()
        .ok_or_else(|| fail("config", "is not a JSON object".into()))?;
    let created = object.get("created").cloned();
    push(object, "rootfs", "diff_ids", json!(layer.diff_id));
    let mut entry = Map::new();
    // The image's own creation time, not now: the same image fixed twice is the same image.
    if let Some(created) = created {
        entry.insert("created".into(), created);
    }
    entry.insert("created_by".into(), json!(created_by(hosts_line)));
    entry.insert(
        "comment".into(),
        json!("/etc/nsswitch.conf with files first: Go's resolver and glibc's read /etc/hosts before DNS"),
    );
    object
        .entry("history")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .ok_or_else(|| fail("config", "history is not a list".into()))?
        .push(Value::Object(entry));
    let config = serde_json::to_vec(&config).expect("JSON values serialise");
    let (stored_manifest, _) = stored_manifest(source, flavour)?;
    let docker_flavour = stored_manifest
        .as_ref()
        .and_then(|m| m.get("mediaType"))
        .and_then(Value::as_str)
        == Some(DOCKER_MANIFEST);
    let config_blob = Blob {
        digest: sha256_digest(&config),
        size: config.len() as u64,
        media_type: if docker_flavour {
            DOCKER_CONFIG
        } else {
            OCI_CONFIG
        }
        .to_string(),
    };
    let mut layers = source_layers(source, summaries, stored_manifest.as_ref())?;
    let new_blob = Blob {
        digest: layer.digest.clone(),
        size: layer.blob.len() as u64,
        media_type: if docker_flavour {
            layer.docker_media_type()
        } else {
            layer.oci_media_type()
        }
        .to_string(),
    };
    layers.push((new_blob.clone(), LayerBytes::New));

    let manifest = match stored_manifest {
        Some(mut manifest) => {
            let object = manifest
                .as_object_mut()
                .ok_or_else(|| fail("manifest", "is not a JSON object".into()))?;
            object.insert("config".into(), descriptor(&config_blob));
            object
                .entry("layers")
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .ok_or_else(|| fail("manifest", "layers is not a list".into()))?
                .push(descriptor(&new_blob));
            manifest
        }
        // A docker archive has no image manifest: an OCI one is made of what the archive holds.
        None => json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(&config_blob),
            "layers": layers.iter().map(|(blob, _)| descriptor(blob)).collect::<Vec<_>>(),
        }),
    };
    let manifest = serde_json::to_vec(&manifest).expect("JSON values serialise");
    let manifest_blob = Blob {
        digest: sha256_digest(&manifest),
        size: manifest.len() as u64,
        media_type: if docker_flavour {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        }
        .to_string(),
    };
    Ok(FixedImage {
        source,
        layer: Some(layer),
        config,
        config_blob,
        manifest,
        manifest_blob,
        layers,
    })
}

/// The image as its source stores it: config and manifest byte for byte (a docker archive's manifest,
/// which it does not store, made as [`assemble`] makes it).
fn as_stored<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    flavour: Flavour,
) -> Result<FixedImage<'a>, ImageError> {
    let (stored_manifest, converted) = stored_manifest(source, flavour)?;
    let layers = source_layers(source, summaries, stored_manifest.as_ref())?;
    let field = |key: &str| {
        stored_manifest
            .as_ref()
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let media_type = field("mediaType").unwrap_or_else(|| OCI_MANIFEST.to_string());
    let config_media_type = stored_manifest
        .as_ref()
        .and_then(|m| m.get("config"))
        .and_then(|c| c.get("mediaType"))
        .and_then(Value::as_str)
        .unwrap_or(OCI_CONFIG)
        .to_string();
    let config = source.stored.config.clone();
    let config_blob = Blob {
        digest: sha256_digest(&config),
        size: config.len() as u64,
        media_type: config_media_type,
    };
    let manifest = match (&source.stored.manifest, &stored_manifest) {
        (Some(bytes), _) if !converted => bytes.clone(),
        (Some(_), Some(value)) => serde_json::to_vec(value).expect("JSON values serialise"),
        _ => serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(&config_blob),
            "layers": layers.iter().map(|(blob, _)| descriptor(blob)).collect::<Vec<_>>(),
        }))
        .expect("JSON values serialise"),
    };
    let manifest_blob = Blob {
        digest: sha256_digest(&manifest),
        size: manifest.len() as u64,
        media_type,
    };
    Ok(FixedImage {
        source,
        layer: None,
        config,
        config_blob,
        manifest,
        manifest_blob,
        layers,
    })
}

/// The source's layers as the new manifest lists them, bottom first.
fn source_layers<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    stored_manifest: Option<&Value>,
) -> Result<Vec<(Blob, LayerBytes<'a>)>, ImageError> {
    let mut layers = Vec::with_capacity(source.layers.len() + 1);
    for (i, source_layer) in source.layers.iter().enumerate() {
        let summary = summaries
            .iter()
            .find(|s| s.digest == source_layer.digest)
            .ok_or_else(|| {
                ImageError::new(
                    &source.input,
                    source.layer_part(source_layer),
                    "was not walked",
                )
            })?;
        let listed = stored_manifest
            .and_then(|m| m.get("layers"))
            .and_then(|l| l.get(i));
        layers.push((
            source_blob(source, source_layer, summary, listed)?,
            LayerBytes::Source(source_layer),
        ));
    }
    Ok(layers)
}

/// `{"mediaType", "digest", "size"}`.
pub fn descriptor(blob: &Blob) -> Value {
    json!({"mediaType": blob.media_type, "digest": blob.digest, "size": blob.size})
}

/// Appends `value` to `object[outer][inner]`, creating both when absent.
fn push(object: &mut Map<String, Value>, outer: &str, inner: &str, value: Value) {
    let outer = object
        .entry(outer)
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(outer) = outer.as_object_mut() {
        if let Some(list) = outer
            .entry(inner)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(value);
        }
    }
}

/// A source layer as a manifest lists it: the stored manifest's descriptor when there is one; for a docker
/// archive, its digest (a plain tar's is its diff ID; a compressed one not named by digest is hashed).
fn source_blob(
    image: &Image,
    layer: &Layer,
    summary: &LayerSummary,
    listed: Option<&Value>,
) -> Result<Blob, ImageError> {
    if let Some(listed) = listed {
        let field = |key: &str| listed.get(key).and_then(Value::as_str).map(str::to_string);
        if let (Some(digest), Some(size), Some(media_type)) = (
            field("digest"),
            listed.get("size").and_then(Value::as_u64),
            field("mediaType"),
        ) {
            return Ok(Blob {
                digest,
                size,
                media_type,
            });
        }
    }
    let compression = summary.compression.unwrap_or(Compression::None);
    let media_type = super::layer::oci_media_type(compression).to_string();
    let digest = match (&layer.expected.blob_digest, &layer.expected.diff_id) {
        (Some(digest), _) => digest.clone(),
        (None, Some(diff_id)) if compression == Compression::None => diff_id.clone(),
        _ => hash_stored(image, layer)?,
    };
    Ok(Blob {
        digest,
        size: summary.stored_bytes,
        media_type,
    })
}

/// The digest of a layer's stored bytes, read once.
fn hash_stored(image: &Image, layer: &Layer) -> Result<String, ImageError> {
    let mut reader = crate::walk::decompress::Hashing::new(image.open_layer(layer)?, true);
    reader.drain().map_err(|e| {
        ImageError::new(
            &image.input,
            image.layer_part(layer),
            format!("cannot read: {e}"),
        )
        .at(reader.count)
    })?;
    Ok(reader.digest().expect("hashing was asked for"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_manifest_gets_oci_media_types_and_keeps_digests_and_sizes() {
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": "sha256:c", "size": 3},
            "layers": [
                {"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "sha256:a", "size": 1},
                {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": "sha256:b", "size": 2, "urls": ["https://x"]},
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": "sha256:d", "size": 4},
            ],
        });
        assert!(to_oci(&mut manifest));
        assert_eq!(
            manifest,
            json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": "sha256:c", "size": 3},
                "layers": [
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:a", "size": 1},
                    {"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "digest": "sha256:b", "size": 2, "urls": ["https://x"]},
                    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": "sha256:d", "size": 4},
                ],
            })
        );
        let mut oci = json!({"mediaType": OCI_MANIFEST, "layers": []});
        assert!(!to_oci(&mut oci));
        assert_eq!(oci, json!({"mediaType": OCI_MANIFEST, "layers": []}));
    }

    #[test]
    fn push_creates_what_is_missing_and_appends() {
        let mut object = Map::new();
        push(&mut object, "rootfs", "diff_ids", json!("sha256:a"));
        push(&mut object, "rootfs", "diff_ids", json!("sha256:b"));
        assert_eq!(
            Value::Object(object),
            json!({"rootfs": {"diff_ids": ["sha256:a", "sha256:b"]}})
        );
        assert_eq!(
            created_by("hosts: files dns"),
            format!(
                "nsslint fix {}: hosts: files dns",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
