//! `docker-archive:PATH[:NAME:TAG]`: what `docker save` writes and `docker load` reads — `manifest.json`
//! naming the config and the layers, blobs under `blobs/sha256/` (Docker 25's names). Layers are stored as
//! the source has them (docker load and skopeo read compressed layers there too). One platform only. The
//! image keeps the source's name unless the output names one.

use super::tarball::Tarball;
use super::{blob_path, copy_layer, Output, WriteOptions, Written};
use crate::fix::image::FixedImage;
use serde_json::json;

pub fn write(
    output: &Output,
    images: &[FixedImage],
    options: WriteOptions,
) -> Result<Written, String> {
    let [image] = images else {
        return Err(format!(
            "{}: a docker archive holds one platform and {} were fixed; write them to oci: or oci-archive:, or choose one with --platform",
            output.original,
            images.len()
        ));
    };
    let name = output
        .reference
        .clone()
        .or_else(|| image.source.name.clone().filter(|n| !n.contains('@')));
    let mut tar = Tarball::create(&output.path, options.force)?;
    let mut written = Written::default();
    let mut layer_names = Vec::new();
    for (blob, bytes) in &image.layers {
        let member = blob_path(&blob.digest);
        if !tar.has(&member) {
            tar.add(&member, blob.size, |out| {
                copy_layer(image, blob, *bytes, out)
            })?;
            written.blobs_written += 1;
            written.bytes_written += blob.size;
        }
        layer_names.push(member);
    }
    let config_name = blob_path(&image.config_blob.digest);
    tar.add_bytes(&config_name, &image.config)?;
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": name.map(|n| vec![n]).unwrap_or_default(),
        "Layers": layer_names,
    }]);
    tar.add_bytes(
        "manifest.json",
        &serde_json::to_vec(&manifest).expect("JSON values serialise"),
    )?;
    tar.finish()?;
    Ok(written)
}
