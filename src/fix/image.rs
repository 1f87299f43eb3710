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

/// Where a layer's bytes are: in the source image, or the new layer's own.
#[derive(Debug, Clone, Copy)]
pub enum LayerBytes<'a> {
    Source(&'a Layer),
    New,
}

/// One fixed image (one platform).
pub struct FixedImage<'a> {
    pub source: &'a Image,
    pub layer: NewLayer,
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

/// The fixed image of `source` (whose walked layers are `summaries`) with `layer` on top.
pub fn build<'a>(
    source: &'a Image,
    summaries: &[LayerSummary],
    layer: NewLayer,
    hosts_line: &str,
) -> Result<FixedImage<'a>, ImageError> {
    let fail = |part: &str, what: String| ImageError::new(&source.input, part, what);
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

    let stored_manifest: Option<Value> = match &source.stored.manifest {
        Some(bytes) => Some(
            serde_json::from_slice(bytes)
                .map_err(|e| fail("manifest", format!("is not JSON: {e}")))?,
        ),
        None => None,
    };
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
    let mut layers = Vec::with_capacity(source.layers.len() + 1);
    for (i, source_layer) in source.layers.iter().enumerate() {
        let summary = summaries
            .iter()
            .find(|s| s.digest == source_layer.digest)
            .ok_or_else(|| fail(&source.layer_part(source_layer), "was not walked".into()))?;
        let listed = stored_manifest
            .as_ref()
            .and_then(|m| m.get("layers"))
            .and_then(|l| l.get(i));
        layers.push((
            source_blob(source, source_layer, summary, listed)?,
            LayerBytes::Source(source_layer),
        ));
    }
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
        layer,
        config,
        config_blob,
        manifest,
        manifest_blob,
        layers,
    })
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
