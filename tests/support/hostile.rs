//! Generators of hostile inputs for `tests/hostile.rs`: tar streams written header by header (so a header
//! can lie), gzip and zstd bombs made of repeated members, ELF files with impossible offsets, and image
//! containers whose metadata points where it must not. Everything is made in code; nothing is committed.
#![allow(dead_code)]

use crate::support::{sha256, FileOrLink};
use std::io::Write;
use std::path::Path;

/// A tar stream built one header at a time: fields are written as given, with a correct checksum unless
/// told otherwise, so sizes and types can lie.
#[derive(Default)]
pub struct RawTar {
    pub bytes: Vec<u8>,
}

/// One header's fields.
#[derive(Clone)]
pub struct RawHeader {
    pub name: Vec<u8>,
    pub typeflag: u8,
    /// The size field as written (octal of this value).
    pub size: u64,
    pub link: Vec<u8>,
    pub mode: u32,
    /// `ustar\0` + `00` when true, else GNU's `ustar  \0`.
    pub ustar: bool,
}

impl RawHeader {
    pub fn new(name: impl AsRef<[u8]>, typeflag: u8, size: u64) -> Self {
        RawHeader {
            name: name.as_ref().to_vec(),
            typeflag,
            size,
            link: Vec::new(),
            mode: 0o644,
            ustar: true,
        }
    }
    pub fn link(mut self, target: impl AsRef<[u8]>) -> Self {
        self.link = target.as_ref().to_vec();
        self
    }
    pub fn gnu(mut self) -> Self {
        self.ustar = false;
        self
    }

    pub fn block(&self) -> [u8; 512] {
        let mut b = [0u8; 512];
        let name = &self.name[..self.name.len().min(100)];
        b[..name.len()].copy_from_slice(name);
        write_octal(&mut b[100..108], self.mode as u64);
        write_octal(&mut b[108..116], 0);
        write_octal(&mut b[116..124], 0);
        if self.size < 0o77777777777 {
            write_octal(&mut b[124..136], self.size);
        } else {
            // base-256
            b[124] = 0x80;
            b[128..136].copy_from_slice(&self.size.to_be_bytes());
        }
        write_octal(&mut b[136..148], 1_700_000_000);
        b[156] = self.typeflag;
        let link = &self.link[..self.link.len().min(100)];
        b[157..157 + link.len()].copy_from_slice(link);
        if self.ustar {
            b[257..263].copy_from_slice(b"ustar\0");
            b[263..265].copy_from_slice(b"00");
        } else {
            b[257..263].copy_from_slice(b"ustar ");
            b[263..265].copy_from_slice(b" \0");
        }
        set_checksum(&mut b);
        b
    }
}

fn write_octal(field: &mut [u8], value: u64) {
    let text = format!("{:0width$o}\0", value, width = field.len() - 1);
    field.copy_from_slice(&text.as_bytes()[text.len() - field.len()..]);
}

pub fn set_checksum(b: &mut [u8; 512]) {
    b[148..156].copy_from_slice(b"        ");
    let sum: u64 = b.iter().map(|&x| x as u64).sum();
    write_octal(&mut b[148..155], sum);
    b[155] = b' ';
}

impl RawTar {
    pub fn new() -> Self {
        RawTar::default()
    }
    pub fn header(mut self, header: &RawHeader) -> Self {
        self.bytes.extend_from_slice(&header.block());
        self
    }
    /// Data and its padding to the next block.
    pub fn data(mut self, data: &[u8]) -> Self {
        self.bytes.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.bytes.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    /// A regular file, honest.
    pub fn file(self, name: &str, data: &[u8]) -> Self {
        self.header(&RawHeader::new(name, b'0', data.len() as u64))
            .data(data)
    }
    /// A PAX extended header (`x`) with these records, for the next entry.
    pub fn pax(self, records: &[(&str, &[u8])]) -> Self {
        let data = pax_records(records);
        self.header(&RawHeader::new("PaxHeaders/x", b'x', data.len() as u64))
            .data(&data)
    }
    /// The end-of-archive marker (two zero blocks).
    pub fn end(mut self) -> Vec<u8> {
        self.bytes.extend(std::iter::repeat_n(0u8, 1024));
        self.bytes
    }
}

/// `"%d %s=%s\n"` records, each length counting itself.
pub fn pax_records(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in records {
        let body = key.len() + value.len() + 3; // ' ', '=', '\n'
        let mut len = body + 1;
        while len != body + len.to_string().len() {
            len = body + len.to_string().len();
        }
        out.extend_from_slice(format!("{len} {key}=").as_bytes());
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out
}

/// A gzip stream that decompresses to `prefix` followed by `zeros` zero bytes, made of one member per
/// 16 MiB of zeros, all the same: small to store, cheap to make, as large as asked once decompressed.
pub fn gzip_bomb(prefix: &[u8], zeros: u64) -> Vec<u8> {
    const CHUNK: u64 = 16 << 20;
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let mut out = gz(prefix);
    let member = gz(&vec![0u8; CHUNK as usize]);
    let mut left = zeros;
    while left >= CHUNK {
        out.extend_from_slice(&member);
        left -= CHUNK;
    }
    if left > 0 {
        out.extend_from_slice(&gz(&vec![0u8; left as usize]));
    }
    out
}

/// The zstd frame header of a frame that asks for a window of `2^window_log` bytes, then raw blocks with
/// `content` and, when `zeros` is set, RLE blocks of that many zero bytes (128 KiB each).
pub fn zstd_frame(window_log: u8, content: &[u8], zeros: u64) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    out.push(0x00); // frame header descriptor: no content size, no checksum, no dictionary, window follows
    out.push((window_log - 10) << 3); // window descriptor: exponent, no mantissa
    let block_header = |last: bool, kind: u32, size: u32| {
        let v = (last as u32) | (kind << 1) | (size << 3);
        [v as u8, (v >> 8) as u8, (v >> 16) as u8]
    };
    let mut chunks: Vec<&[u8]> = content.chunks(128 * 1024).collect();
    if chunks.is_empty() && zeros == 0 {
        chunks.push(&[]);
    }
    let rle_blocks = zeros.div_ceil(128 * 1024);
    for (i, chunk) in chunks.iter().enumerate() {
        let last = rle_blocks == 0 && i + 1 == chunks.len();
        out.extend_from_slice(&block_header(last, 0, chunk.len() as u32));
        out.extend_from_slice(chunk);
    }
    let mut left = zeros;
    for i in 0..rle_blocks {
        let n = left.min(128 * 1024);
        left -= n;
        out.extend_from_slice(&block_header(i + 1 == rle_blocks, 1, n as u32));
        out.push(0);
    }
    out
}

/// A plain OCI layout whose single layer is `blob` as stored (media type as given), with a config whose
/// diff ID is `diff_id` (the digest of the uncompressed tar, where the test knows it; OCI layers are checked
/// by their blob digest, so any well-formed digest does).
pub fn oci_layout_with_blobs(
    dir: &Path,
    layers: &[(Vec<u8>, &str)],
    config_extra: serde_json::Value,
) {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for (blob, media_type) in layers {
        let hex = sha256(blob);
        descriptors.push(serde_json::json!({ "mediaType": media_type, "digest": format!("sha256:{hex}"), "size": blob.len() }));
        diff_ids.push(format!("sha256:{hex}"));
        files.push((format!("blobs/sha256/{hex}"), blob.clone()));
    }
    let mut config = serde_json::json!({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    });
    if let (Some(c), Some(extra)) = (config.as_object_mut(), config_extra.as_object()) {
        for (k, v) in extra {
            c.insert(k.clone(), v.clone());
        }
    }
    let config = serde_json::to_vec(&config).unwrap();
    let config_hex = sha256(&config);
    files.push((format!("blobs/sha256/{config_hex}"), config.clone()));
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{config_hex}"), "size": config.len() },
        "layers": descriptors,
    }))
    .unwrap();
    let manifest_hex = sha256(&manifest);
    files.push((format!("blobs/sha256/{manifest_hex}"), manifest.clone()));
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{ "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{manifest_hex}"), "size": manifest.len() }],
    }))
    .unwrap();
    files.push(("index.json".into(), index));
    files.push((
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    ));
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Writes a blob under its digest in a layout directory; returns `sha256:<hex>`.
pub fn put_blob(dir: &Path, bytes: &[u8]) -> String {
    let hex = sha256(bytes);
    let path = dir.join("blobs/sha256").join(&hex);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    format!("sha256:{hex}")
}

pub fn unused(_: FileOrLink) {}
