//! The image metadata an OCI layout, an OCI archive or a docker archive holds: `index.json` (and nested
//! indexes), manifests, configs, and docker's `manifest.json`. The input is up to four documents separated
//! by NUL bytes: [top, manifest, config, extra]. Each is stored as a blob under its real digest, and the
//! placeholders `@M`, `@C`, `@X` in the documents above it become the digests of the manifest, config and
//! extra blob, so mutations reach past the digest checks. The top document is both `index.json` and
//! `manifest.json` (where `@c` names the config file and `@l` a layer file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::source::files::Files;
use nsslint::source::{docker_archive, oci, sha256_digest, PlatformChoice};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

struct Memory(HashMap<String, Vec<u8>>);

impl Files for Memory {
    fn exists(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let bytes = self
            .0
            .get(name)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_string()))?;
        let len = bytes.len() as u64;
        Ok((Box::new(io::Cursor::new(bytes)), len))
    }
}

fn replace(bytes: &[u8], pairs: &[(&[u8], &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for (from, to) in pairs {
            if bytes[i..].starts_with(from) {
                out.extend_from_slice(to.as_bytes());
                i += from.len();
                continue 'outer;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn blob_name(digest: &str) -> String {
    format!("blobs/sha256/{}", &digest["sha256:".len()..])
}

fuzz_target!(|data: &[u8]| {
    let mut parts: Vec<&[u8]> = data.splitn(4, |b| *b == 0).collect();
    parts.resize(4, b"");
    let extra = parts[3].to_vec();
    let x = sha256_digest(&extra);
    let config = replace(parts[2], &[(b"@X", &x)]);
    let c = sha256_digest(&config);
    let manifest = replace(parts[1], &[(b"@C", &c), (b"@X", &x)]);
    let m = sha256_digest(&manifest);
    let top = replace(
        parts[0],
        &[
            (b"@M", &m),
            (b"@C", &c),
            (b"@X", &x),
            (b"@c", &blob_name(&c)),
            (b"@l", &blob_name(&x)),
        ],
    );
    let mut files = HashMap::new();
    files.insert(blob_name(&x), extra);
    files.insert(blob_name(&c), config);
    files.insert(blob_name(&m), manifest);
    files.insert("index.json".to_string(), top.clone());
    files.insert("manifest.json".to_string(), top);
    files.insert("oci-layout".to_string(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec());
    let files: Arc<dyn Files> = Arc::new(Memory(files));
    for choice in [PlatformChoice::Default, PlatformChoice::All] {
        for images in [
            oci::open("fuzz", Arc::clone(&files), None, &choice),
            oci::open("fuzz", Arc::clone(&files), Some("latest"), &choice),
            docker_archive::open("fuzz", Arc::clone(&files), None, &choice),
        ] {
            for image in images.into_iter().flatten() {
                let _ = image.env();
                let _ = image.layer_history();
                for layer in &image.layers {
                    let _ = image.layer_part(layer);
                }
            }
        }
    }
});
