//! The layer walk: one streaming pass over each layer (layers in parallel), offering each entry to the
//! probes that asked for it. The walker knows what a probe wants (a path, a name, "ELF files") but never what
//! it does with the bytes; adding a check means adding a probe, not touching this module.
//!
//! Entries nobody wants are passed over without copying their data; a wanted file is read into one reused
//! buffer, up to a size cap (a file over the cap is reported, not read).

pub mod decompress;
pub mod index;

use crate::error::ImageError;
use crate::probes::{FileFact, Probe};
use crate::source::{Image, Layer};
use decompress::{Compression, Hashing, Sniffed};
use index::{clean_path, EntryKind, LayerIndex};
use rayon::prelude::*;
use std::io::{BufReader, Read};

/// What a probe wants of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Nothing,
    /// The whole file.
    Contents,
    /// The whole file, if it starts with the ELF magic.
    ContentsIfElf,
}

/// What a probe is shown of an entry before it decides.
#[derive(Debug, Clone, Copy)]
pub struct EntryInfo<'a> {
    /// Cleaned path, no leading `/` (`usr/local/bin/app`).
    pub path: &'a str,
    /// The part after the last `/`.
    pub name: &'a str,
    pub size: u64,
    pub mode: u32,
}

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// The largest file read into memory for a probe.
    pub max_file_bytes: u64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            max_file_bytes: 512 * 1024 * 1024,
        }
    }
}

/// One probe's verdict on one entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Observation {
    pub entry: usize,
    pub probe: &'static str,
    pub fact: FileFact,
}

/// Everything one pass over one layer learned.
#[derive(Debug, serde::Serialize)]
pub struct LayerScan {
    pub layer: usize,
    pub index: LayerIndex,
    pub observations: Vec<Observation>,
    pub compression: Option<Compression>,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
    /// Set when the layer could not be walked at all but the scan can go on (an unsupported compression):
    /// whatever it held is unknown.
    pub not_walked: Option<String>,
}

const ELF_MAGIC: &[u8; 4] = b"\x7fELF";

/// Walks every layer of an image, in parallel, bottom layer first in the result.
pub fn scan_image(
    image: &Image,
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<Vec<LayerScan>, ImageError> {
    image
        .layers
        .par_iter()
        .map(|layer| scan_layer(image, layer, probes, options))
        .collect()
}

fn known_layer_media_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
}

pub fn scan_layer(
    image: &Image,
    layer: &Layer,
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<LayerScan, ImageError> {
    let part = image.layer_part(layer);
    let fail = |what: String| ImageError::new(&image.input, &part, what);
    let mut scan = LayerScan {
        layer: layer.index,
        index: LayerIndex::default(),
        observations: Vec::new(),
        compression: None,
        stored_bytes: 0,
        tar_bytes: 0,
        not_walked: None,
    };
    let raw = image.open_layer(layer)?;
    let expected = &layer.expected;
    let mut stored = Hashing::new(raw, expected.blob_digest.is_some());
    let mut buffered = BufReader::with_capacity(256 * 1024, &mut stored);
    let head = decompress::peek(&mut buffered).map_err(|e| fail(format!("cannot read: {e}")))?;
    let compression = match decompress::sniff(&head) {
        Sniffed::Known(c) => c,
        Sniffed::Unsupported(name) => {
            scan.not_walked = Some(format!(
                "{name}-compressed layer: nsslint reads gzip, zstd and plain tar layers"
            ));
            return Ok(scan);
        }
    };
    if let Some(media_type) = layer
        .media_type
        .as_deref()
        .filter(|m| !known_layer_media_type(m))
    {
        // Media types lie, and the bytes may still be a layer: walk it, but let the report say so.
        scan.not_walked = Some(format!(
            "unknown layer media type {media_type:?}; walked as {compression:?} by its magic bytes"
        ));
    }
    scan.compression = Some(compression);
    let decoder = decompress::decoder(compression, buffered)
        .map_err(|e| fail(format!("cannot start {compression:?} decoding: {e}")))?;
    // Docker archives are checked by the uncompressed digest; hash it only when no blob digest covers it.
    let hash_tar = expected.blob_digest.is_none() && expected.diff_id.is_some();
    let mut tar_stream = Hashing::new(decoder, hash_tar);
    walk_tar(&mut tar_stream, probes, options, &mut scan)
        .map_err(|(offset, what)| fail(what).at(offset))?;
    tar_stream.drain().map_err(|e| {
        fail(format!(
            "{compression:?} stream broken after the tar's end: {e}"
        ))
        .at(tar_stream.count)
    })?;
    scan.tar_bytes = tar_stream.count;
    let tar_digest = tar_stream.digest();
    drop(tar_stream);
    stored
        .drain()
        .map_err(|e| fail(format!("cannot read: {e}")).at(stored.count))?;
    scan.stored_bytes = stored.count;
    if let (Some(want), Some(got)) = (&expected.blob_digest, stored.digest()) {
        if *want != got {
            return Err(fail(format!(
                "digest mismatch: the manifest says {want}, the blob hashes to {got}"
            )));
        }
    }
    if let Some(size) = expected.blob_size {
        if size != stored.count {
            return Err(fail(format!(
                "size mismatch: the manifest says {size} bytes, the blob has {}",
                stored.count
            )));
        }
    }
    if let (Some(want), Some(got)) = (&expected.diff_id, tar_digest) {
        if *want != got {
            return Err(fail(format!(
                "diff ID mismatch: the config says {want}, the uncompressed layer hashes to {got}"
            )));
        }
    }
    Ok(scan)
}

/// One pass over a tar stream. Errors carry the offset in the uncompressed stream.
fn walk_tar<R: Read>(
    stream: &mut Hashing<R>,
    probes: &[&dyn Probe],
    options: &WalkOptions,
    scan: &mut LayerScan,
) -> Result<(), (u64, String)> {
    let mut archive = tar::Archive::new(&mut *stream);
    let mut buffer: Vec<u8> = Vec::new();
    let mut wants: Vec<Want> = vec![Want::Nothing; probes.len()];
    let entries = archive
        .entries()
        .map_err(|e| (0, format!("not a tar stream: {e}")))?;
    // Where the next header should start: the offset named when the tar reader itself fails.
    let mut next_header_at = 0u64;
    for entry in entries {
        let mut entry = entry.map_err(|e| (next_header_at, format!("bad tar entry: {e}")))?;
        let header_at = entry.raw_header_position();
        next_header_at = entry
            .raw_file_position()
            .saturating_add(entry.size().div_ceil(512) * 512);
        let bad = |what: String| (header_at, what);
        let raw_path = entry.path_bytes();
        let path_text = String::from_utf8_lossy(&raw_path);
        let path = clean_path(&path_text);
        let (dir, name) = match path.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => ("", path.as_ref()),
        };
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let size = entry.size();
        let link_text = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default();
        let entry_type = header.entry_type();
        if name == ".wh..wh..opq" {
            scan.index.push(EntryKind::Opaque, dir, "", 0, mode);
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if !hidden.starts_with(".wh.") && !hidden.is_empty() {
                let target = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                scan.index.push(EntryKind::Whiteout, &target, "", 0, mode);
            }
            continue;
        }
        let kind = match entry_type {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                EntryKind::File
            }
            tar::EntryType::Directory => EntryKind::Dir,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink => continue,
            _ => EntryKind::Other,
        };
        if path.is_empty() && kind != EntryKind::Dir {
            return Err(bad(format!(
                "entry {path_text:?} names the root but is not a directory"
            )));
        }
        let link = match kind {
            EntryKind::Hardlink => clean_path(&link_text).into_owned(),
            _ => link_text,
        };
        let id = scan.index.push(kind, &path, &link, size, mode);
        if kind != EntryKind::File {
            continue;
        }
        let info = EntryInfo {
            path: &path,
            name,
            size,
            mode,
        };
        let mut any = false;
        let mut only_if_elf = true;
        for (slot, probe) in wants.iter_mut().zip(probes) {
            *slot = probe.wants(&info);
            any |= *slot != Want::Nothing;
            only_if_elf &= *slot != Want::Contents;
        }
        if !any {
            continue;
        }
        // Only wanted entries get their own copy of the path; the borrowed one ends here, so the data can be read.
        let path = path.into_owned();
        let name = path.rsplit('/').next().unwrap_or(&path);
        let info = EntryInfo {
            path: &path,
            name,
            size,
            mode,
        };
        buffer.clear();
        let is_elf = if size >= 4 {
            let mut magic = [0u8; 4];
            entry
                .read_exact(&mut magic)
                .map_err(|e| bad(format!("{path}: cannot read data: {e}")))?;
            buffer.extend_from_slice(&magic);
            &magic == ELF_MAGIC
        } else {
            false
        };
        if only_if_elf && !is_elf {
            continue;
        }
        let interested =
            |want: Want| want == Want::Contents || (want == Want::ContentsIfElf && is_elf);
        if size > options.max_file_bytes {
            for (want, probe) in wants.iter().zip(probes) {
                if interested(*want) {
                    scan.observations.push(Observation {
                        entry: id,
                        probe: probe.name(),
                        fact: FileFact::TooLarge {
                            size,
                            limit: options.max_file_bytes,
                        },
                    });
                }
            }
            continue;
        }
        let data_at = entry.raw_file_position();
        (&mut entry)
            .take(size - buffer.len() as u64)
            .read_to_end(&mut buffer)
            .map_err(|e| {
                (
                    data_at,
                    format!("{path}: cannot read its {size} bytes: {e}"),
                )
            })?;
        if (buffer.len() as u64) < size {
            return Err((
                data_at,
                format!(
                    "{path}: the layer ends inside this file ({} of {size} bytes)",
                    buffer.len()
                ),
            ));
        }
        for (want, probe) in wants.iter().zip(probes) {
            if interested(*want) {
                let fact = probe.analyze(&info, &buffer);
                scan.observations.push(Observation {
                    entry: id,
                    probe: probe.name(),
                    fact,
                });
            }
        }
    }
    Ok(())
}
