//! `oci-archive:PATH[:TAG]`: an OCI layout in one tar (`oci-layout`, blobs, then `index.json`), as skopeo
//! writes it. A new file: an existing one is refused unless `--force`.

use super::tarball::Tarball;
use super::{blob_path, copy_layer, top_document, Output, WriteOptions, Written};
use crate::fix::image::{FixedImage, OCI_INDEX};
use serde_json::json;

pub fn write(
    output: &Output,
    images: &[FixedImage],
    options: WriteOptions,
) -> Result<Written, String> {
    let mut tar = Tarball::create(&output.path, options.force)?;
    let mut written = Written::default();
    tar.add_bytes("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    for image in images {
        for (blob, bytes) in &image.layers {
            let name = blob_path(&blob.digest);
            if tar.has(&name) {
                written.blobs_reused += 1;
                continue;
            }
            tar.add(&name, blob.size, |out| copy_layer(image, blob, *bytes, out))?;
            written.blobs_written += 1;
            written.bytes_written += blob.size;
        }
        for (blob, bytes) in [
            (&image.config_blob, &image.config),
            (&image.manifest_blob, &image.manifest),
        ] {
            let name = blob_path(&blob.digest);
            if !tar.has(&name) {
                tar.add_bytes(&name, bytes)?;
                written.blobs_written += 1;
                written.bytes_written += blob.size;
            }
        }
    }
    let (document, mut descriptor, blob) = top_document(images);
    if let Some(bytes) = &document {
        tar.add_bytes(&blob_path(&blob.digest), bytes)?;
    }
    if let Some(tag) = &output.reference {
        descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    }
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [descriptor]});
    tar.add_bytes(
        "index.json",
        &serde_json::to_vec(&index).expect("JSON values serialise"),
    )?;
    tar.finish()?;
    written.digest = Some(blob.digest);
    Ok(written)
}
