//! `oci:PATH[:TAG]`: an OCI image layout directory, new or existing. Blobs it already holds are not written
//! again (fixing `oci:./layout:v1` into `oci:./layout:v1-fixed` writes three small blobs); `index.json` is
//! replaced last, in one rename, so a failure leaves the layout as it was. A tag the layout already has is
//! refused unless `--force`.

use super::{blob_path, copy_layer, top_document, AtomicFile, Output, WriteOptions, Written};
use crate::fix::image::{FixedImage, OCI_INDEX};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

pub fn write(
    output: &Output,
    images: &[FixedImage],
    options: WriteOptions,
) -> Result<Written, String> {
    let dir = &output.path;
    let shown = dir.display();
    if dir.exists()
        && !dir.join("index.json").is_file()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!(
            "{shown} is not an OCI layout (no index.json) and not empty; name a new directory or an existing layout"
        ));
    }
    std::fs::create_dir_all(dir.join("blobs/sha256"))
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    let mut index: Value = match std::fs::read(dir.join("index.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("{shown}/index.json: is not JSON: {e}"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
        }
        Err(e) => return Err(format!("cannot read {shown}/index.json: {e}")),
    };
    let tag = output.reference.as_deref();
    let manifests = index
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| format!("{shown}/index.json: has no manifests list"))?;
    let tagged = |m: &Value| {
        tag.is_some()
            && m.get("annotations")
                .and_then(|a| a.get(REF_NAME))
                .and_then(Value::as_str)
                == tag
    };
    if !options.force && manifests.iter().any(tagged) {
        return Err(format!(
            "{shown} already has an image tagged {:?}; --force replaces it",
            tag.unwrap_or_default()
        ));
    }
    let mut written = Written::default();
    for image in images {
        for (blob, bytes) in &image.layers {
            put_blob(dir, &blob.digest, &mut written, |out| {
                copy_layer(image, blob, *bytes, out)
            })?;
        }
        put_small(dir, &image.config_blob.digest, &image.config, &mut written)?;
        put_small(
            dir,
            &image.manifest_blob.digest,
            &image.manifest,
            &mut written,
        )?;
    }
    let (document, mut descriptor, blob) = top_document(images);
    if let Some(bytes) = &document {
        put_small(dir, &blob.digest, bytes, &mut written)?;
    }
    if let Some(tag) = tag {
        descriptor["annotations"] = json!({ REF_NAME: tag });
    }
    manifests.retain(|m| !tagged(m));
    manifests.push(descriptor);
    if !dir.join("oci-layout").is_file() {
        std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
            .map_err(|e| format!("cannot write {shown}/oci-layout: {e}"))?;
    }
    let mut file = AtomicFile::create(&dir.join("index.json"), true)?;
    file.writer()
        .write_all(&serde_json::to_vec(&index).expect("JSON values serialise"))
        .map_err(|e| format!("cannot write {shown}/index.json: {e}"))?;
    file.commit()?;
    written.digest = Some(blob.digest);
    Ok(written)
}

/// Writes a blob the layout lacks (through a temporary file, renamed when complete).
fn put_blob(
    dir: &Path,
    digest: &str,
    written: &mut Written,
    fill: impl FnOnce(&mut dyn Write) -> Result<u64, String>,
) -> Result<(), String> {
    let path = dir.join(blob_path(digest));
    if path.is_file() {
        written.blobs_reused += 1;
        return Ok(());
    }
    let mut file = AtomicFile::create(&path, true)?;
    let bytes = fill(file.writer())?;
    file.commit()?;
    written.blobs_written += 1;
    written.bytes_written += bytes;
    Ok(())
}

fn put_small(dir: &Path, digest: &str, bytes: &[u8], written: &mut Written) -> Result<(), String> {
    put_blob(dir, digest, written, |out| {
        out.write_all(bytes)
            .map_err(|e| format!("cannot write blob {digest}: {e}"))?;
        Ok(bytes.len() as u64)
    })
}
