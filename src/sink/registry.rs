//! `docker://REGISTRY/REPO:TAG`: a push. Per platform, each layer the repository lacks is mounted from the
//! source repository when the source is on the same registry, else uploaded (the source's stored bytes,
//! as they are); then the config; then the manifest (by digest when several platforms go into an index);
//! the tag is written last, so a push that fails leaves the tag as it was. The source, even when it is
//! the same repository, is never changed: a new tag is.

use super::{copy_layer, top_document, Output, WriteOptions, Written};
use crate::fix::image::{FixedImage, LayerBytes};
use crate::source::registry::push::{BlobOutcome, Pusher};

pub fn write(
    output: &Output,
    images: &[FixedImage],
    options: WriteOptions,
) -> Result<Written, String> {
    let text = output.reference.as_deref().unwrap_or_default();
    let source = images
        .first()
        .and_then(|i| i.source.input.strip_prefix("docker://"));
    let pusher = Pusher::new(text, source)?;
    let tag = pusher.reference.tag().unwrap_or("latest").to_string();
    if !options.force && pusher.has_manifest(&tag)? {
        return Err(format!(
            "{text} exists; --force replaces the tag (the image it names now is not deleted)"
        ));
    }
    let mut written = Written::default();
    let mut count = |outcome: BlobOutcome| match outcome {
        BlobOutcome::Present | BlobOutcome::Mounted => written.blobs_reused += 1,
        BlobOutcome::Uploaded(bytes) => {
            written.blobs_written += 1;
            written.bytes_written += bytes;
        }
    };
    for image in images {
        for (blob, bytes) in &image.layers {
            let mountable = matches!(bytes, LayerBytes::Source(_));
            count(pusher.put_blob(&blob.digest, mountable, |out| {
                copy_layer(image, blob, *bytes, out)
            })?);
        }
        count(pusher.put_blob(&image.config_blob.digest, false, |out| {
            out.write_all(&image.config)
                .map_err(|e| format!("cannot send the config: {e}"))?;
            Ok(image.config.len() as u64)
        })?);
    }
    let (index, _, top) = top_document(images);
    match index {
        Some(bytes) => {
            for image in images {
                pusher.put_manifest(
                    &image.manifest_blob.digest,
                    &image.manifest_blob.media_type,
                    &image.manifest,
                )?;
            }
            pusher.put_manifest(&tag, &top.media_type, &bytes)?;
        }
        None => {
            let [image] = images else {
                unreachable!("one image when there is no index")
            };
            pusher.put_manifest(&tag, &image.manifest_blob.media_type, &image.manifest)?;
        }
    }
    written.digest = Some(top.digest);
    Ok(written)
}
