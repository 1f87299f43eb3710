//! The layer walk: one streaming pass over each layer (layers in parallel), offering each entry to the
//! probes that asked for it. The walker knows what a probe wants (a path, a name, "ELF files") but never what
//! it does with the bytes; adding a check means adding a probe, not touching this module.
//!
//! Entries nobody wants are passed over without copying their data; a wanted file is read into one reused
//! buffer, up to a size cap (a file over the cap is reported, not read).
//!
//! Cost and memory: layers are walked by one worker per core, largest layer first (the largest bounds the
//! wall time, so it must not start last); each layer's stored bytes are read and hashed on a thread of their
//! own while the worker decompresses and walks them. Memory is bounded whatever the image size: per worker a
//! decoder, a few read-ahead chunks and a reused buffer of at most [`SMALL_FILE`] bytes; a larger wanted
//! file goes to the one large buffer of the process (a worker that needs it while another holds it waits)
//! — so the peak is about `workers × SMALL_FILE` plus the largest file read, which `--max-file-size` caps.

pub mod decompress;
pub mod index;
mod probe;

pub use probe::{EntryInfo, Probe, Want};

use crate::error::ImageError;
use crate::facts::file::FileFact;
use crate::source::{Image, Layer};
use crate::tarstream::{Kind as TarKind, Stream, TarReader};
use decompress::{Compression, Hashing, Sniffed};
use index::{clean_path, climbs_out, EntryKind, LayerIndex};
use std::cell::Cell;
use std::io::{BufReader, Read};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

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

/// Files up to this size are read into a worker's reused buffer; larger ones take the one large buffer (see
/// the module notes).
pub const SMALL_FILE: u64 = 4 * 1024 * 1024;

/// What the decompressed stream is read through: tar headers and small reads come out of this buffer, not
/// one decoder call each; reads of file data at least this large go straight through.
const TAR_BUFFER: usize = 64 * 1024;

/// Memory a wanted file is read into. Reused: it keeps its largest size (its bytes stay initialised, so
/// reading a file into it costs no clearing).
#[derive(Default)]
struct FileBuffer {
    bytes: Vec<u8>,
}

impl FileBuffer {
    /// The first `size` bytes, growing the buffer if needed (geometrically, but never past `cap`; a larger
    /// `size` than `cap` gets exactly `size`).
    fn first(&mut self, size: usize, cap: usize) -> &mut [u8] {
        if self.bytes.len() < size {
            let grown = (2 * self.bytes.len()).min(cap).max(size);
            // The old contents are not needed: free them before allocating the new ones.
            self.bytes = Vec::new();
            self.bytes = vec![0; grown];
        }
        &mut self.bytes[..size]
    }
}

/// The one large buffer: at most one file over [`SMALL_FILE`] is held in memory at a time. Kept for the next
/// large file, so that each one does not fault in fresh pages (up to [`KEEP_LARGE`] bytes once a scan ends).
#[derive(Default)]
struct LargeSlot {
    state: Mutex<(bool, FileBuffer)>,
    free: Condvar,
}

impl LargeSlot {
    const fn new() -> Self {
        LargeSlot {
            state: Mutex::new((false, FileBuffer { bytes: Vec::new() })),
            free: Condvar::new(),
        }
    }
}

/// The process's large buffer and its workers' small ones outlive a scan: scanning many images, freeing
/// and reallocating them each time fragmented glibc's heap (the process grew ~1.5 MB per image).
static LARGE: LargeSlot = LargeSlot::new();
static SMALL: Mutex<Vec<FileBuffer>> = Mutex::new(Vec::new());
/// A large buffer bigger than this is freed when its scan ends rather than kept (glibc maps blocks this
/// big on their own, so freeing them gives the memory back).
const KEEP_LARGE: usize = 32 * 1024 * 1024;

struct LargeGuard<'a> {
    slot: &'a LargeSlot,
    buffer: FileBuffer,
}

impl LargeSlot {
    fn take(&self) -> LargeGuard<'_> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.0 {
            state = self.free.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.0 = true;
        LargeGuard {
            slot: self,
            buffer: std::mem::take(&mut state.1),
        }
    }

    /// Frees the kept buffer if it is over `limit` bytes.
    fn trim(&self, limit: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.1.bytes.len() > limit {
            state.1 = FileBuffer::default();
        }
    }
}

impl Drop for LargeGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.slot.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 = false;
        state.1 = std::mem::take(&mut self.buffer);
        drop(state);
        self.slot.free.notify_one();
    }
}

/// What a worker keeps from one layer to the next.
struct Worker<'a> {
    /// Holds wanted files up to [`SMALL_FILE`] bytes; reused, never larger.
    buffer: FileBuffer,
    large: &'a LargeSlot,
}

/// Walks every layer of an image, in parallel, bottom layer first in the result.
pub fn scan_image(
    image: &Image,
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<Vec<LayerScan>, ImageError> {
    let all: Vec<usize> = (0..image.layers.len()).collect();
    scan_layers(image, &all, probes, options)
}

/// [`scan_image`] for some of the image's layers (those not in the layer cache), in layer order.
pub fn scan_layers(
    image: &Image,
    wanted: &[usize],
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<Vec<LayerScan>, ImageError> {
    let layers = &image.layers;
    // Largest first (by stored size, where the manifest gives it; otherwise in order).
    let mut order: Vec<usize> = wanted
        .iter()
        .copied()
        .filter(|&i| i < layers.len())
        .collect();
    order.sort_by_key(|&i| std::cmp::Reverse(layers[i].expected.blob_size.unwrap_or(0)));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(order.len()).max(1);
    let large = &LARGE;
    let next = AtomicUsize::new(0);
    // The lowest layer that failed: layers above it need not be walked, those below it must (one of them may
    // fail too, and the error reported is the lowest layer's, whatever order the layers were walked in).
    let failed_at = AtomicUsize::new(usize::MAX);
    let budget = IndexBudget::new(MAX_INDEX_BYTES);
    let results: Mutex<Vec<Option<Result<LayerScan, ImageError>>>> =
        Mutex::new((0..layers.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut worker = Worker {
                    buffer: SMALL
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .pop()
                        .unwrap_or_default(),
                    large,
                };
                while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if i > failed_at.load(Ordering::Relaxed) {
                        continue;
                    }
                    let result =
                        scan_layer_with(image, &layers[i], probes, options, &mut worker, &budget);
                    if result.is_err() {
                        failed_at.fetch_min(i, Ordering::Relaxed);
                    }
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                }
                let mut spare = SMALL.lock().unwrap_or_else(|e| e.into_inner());
                if spare.len() < cores {
                    spare.push(std::mem::take(&mut worker.buffer));
                }
            });
        }
    });
    large.trim(KEEP_LARGE);
    let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    // The lowest failing layer names the error.
    if let Some(error) = results.iter().find_map(|r| r.as_ref()?.as_ref().err()) {
        return Err(error.clone());
    }
    Ok(results.into_iter().flatten().flatten().collect())
}

/// Walks one layer held in memory, as stored (gzip, zstd or plain, told by its magic), with nothing to verify
/// it against: for fuzzing and tests. Errors carry the offset in the decompressed stream.
pub fn scan_stored_bytes(
    bytes: &[u8],
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<LayerScan, (u64, String)> {
    let mut scan = LayerScan {
        layer: 0,
        index: LayerIndex::default(),
        observations: Vec::new(),
        compression: None,
        stored_bytes: bytes.len() as u64,
        tar_bytes: 0,
        not_walked: None,
    };
    let compression = match decompress::sniff(bytes) {
        Sniffed::Known(c) => c,
        Sniffed::Unsupported(name) => {
            scan.not_walked = Some(format!("{name}-compressed layer"));
            return Ok(scan);
        }
    };
    let stored_read = Cell::new(0u64);
    let cut = Cell::new(false);
    let decoder = decompress::decoder(compression, decompress::Counted::new(bytes, &stored_read))
        .map_err(|e| (0, format!("cannot start {compression:?} decoding: {e}")))?;
    let decoder: Box<dyn Read + '_> = match compression {
        Compression::None => decoder,
        _ => Box::new(decompress::Expansion::new(decoder, &stored_read, &cut)),
    };
    let mut worker = Worker {
        buffer: FileBuffer::default(),
        large: &LARGE,
    };
    let mut stream = Hashing::new(decoder, false);
    let budget = IndexBudget::new(MAX_INDEX_BYTES);
    let walked = walk_tar(
        &mut stream,
        probes,
        options,
        &mut worker,
        &mut scan,
        &budget,
    );
    scan.tar_bytes = stream.count;
    scan.compression = Some(compression);
    if cut.get() {
        scan.index
            .push(EntryKind::Problem, "", "decompression bomb cut off", 0, 0);
        return Ok(scan);
    }
    walked.map(|()| scan)
}

fn known_layer_media_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
}

/// The most stored bytes read past a failed walk to check the blob's digest.
const DRAIN_LIMIT: u64 = 256 << 20;

pub fn scan_layer(
    image: &Image,
    layer: &Layer,
    probes: &[&dyn Probe],
    options: &WalkOptions,
) -> Result<LayerScan, ImageError> {
    let mut worker = Worker {
        buffer: FileBuffer::default(),
        large: &LARGE,
    };
    let budget = IndexBudget::new(MAX_INDEX_BYTES);
    let scan = scan_layer_with(image, layer, probes, options, &mut worker, &budget);
    LARGE.trim(KEEP_LARGE);
    scan
}

fn scan_layer_with(
    image: &Image,
    layer: &Layer,
    probes: &[&dyn Probe],
    options: &WalkOptions,
    worker: &mut Worker,
    budget: &IndexBudget,
) -> Result<LayerScan, ImageError> {
    let raw = image.open_layer(layer)?;
    let expected = &layer.expected;
    // Docker archives are checked by the uncompressed digest; hash it only when no blob digest covers it.
    let hash_tar = expected.blob_digest.is_none() && expected.diff_id.is_some();
    let hash_blob = expected.blob_digest.is_some();
    std::thread::scope(|scope| {
        // Made in here so that a panic in the walk drops the stream on its way out, and the producer, which
        // the scope waits for, is not left blocked on a full channel.
        let (mut stored, chunks, recycle) = decompress::stored_channel();
        let producer = scope.spawn(move || {
            // A plain tar's stored bytes are its tar bytes: its diff ID is hashed here too, off the walk.
            let hash = move |first: &[u8]| {
                hash_blob
                    || (hash_tar
                        && matches!(decompress::sniff(first), Sniffed::Known(Compression::None)))
            };
            decompress::read_stored(raw, hash, chunks, recycle)
        });
        let result = walk_layer(
            image,
            layer,
            probes,
            options,
            worker,
            &mut stored,
            hash_tar,
            budget,
        );
        // A walk that failed on a blob whose digest is known reads the rest of it (stored bytes only, when at
        // most DRAIN_LIMIT are left), so that a blob that is not what its digest promises is reported as
        // such: bytes damaged on the way (a registry download is hashed only here) break the decompression
        // before the end, where the digest would have told.
        let left = expected
            .blob_size
            .map_or(u64::MAX, |size| size.saturating_sub(stored.count));
        let drained = result.is_err() && hash_blob && left <= DRAIN_LIMIT && stored.drain().is_ok();
        // Whatever happened, the producer stops once the stream is gone.
        drop(stored);
        let summary = match producer.join() {
            Ok(summary) => summary,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        if let (true, Err(walk), Some(want), Some(got)) =
            (drained, &result, &expected.blob_digest, &summary.digest)
        {
            if want != got {
                return Err(ImageError::new(
                    &image.input,
                    image.layer_part(layer),
                    format!(
                        "digest mismatch: the manifest says {want}, the blob hashes to {got} (the walk stopped at: {})",
                        walk.what
                    ),
                ));
            }
        }
        let (mut scan, tar_digest) = result?;
        if scan.compression.is_none() {
            // Not walked (unsupported compression): nothing was checked, as nothing was read.
            return Ok(scan);
        }
        scan.stored_bytes = summary.count;
        let tar_digest = match scan.compression {
            Some(Compression::None) if hash_tar => summary.digest.clone(),
            _ => tar_digest,
        };
        verify(image, layer, &scan, summary.digest, tar_digest)?;
        Ok(scan)
    })
}

/// Compares what was read with what the manifest or config promise.
fn verify(
    image: &Image,
    layer: &Layer,
    scan: &LayerScan,
    blob_digest: Option<String>,
    tar_digest: Option<String>,
) -> Result<(), ImageError> {
    let part = image.layer_part(layer);
    let fail = |what: String| ImageError::new(&image.input, &part, what);
    let expected = &layer.expected;
    if let (Some(want), Some(got)) = (&expected.blob_digest, blob_digest) {
        if *want != got {
            return Err(fail(format!(
                "digest mismatch: the manifest says {want}, the blob hashes to {got}"
            )));
        }
    }
    if let Some(size) = expected.blob_size {
        if size != scan.stored_bytes {
            return Err(fail(format!(
                "size mismatch: the manifest says {size} bytes, the blob has {}",
                scan.stored_bytes
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
    Ok(())
}

/// Decompresses and walks one layer's stored bytes; returns the scan and (when asked to hash the
/// decompressed stream and it was compressed) the tar's digest. A layer that cannot be walked comes back with
/// no compression set.
#[allow(clippy::too_many_arguments)]
fn walk_layer(
    image: &Image,
    layer: &Layer,
    probes: &[&dyn Probe],
    options: &WalkOptions,
    worker: &mut Worker,
    stored: &mut decompress::StoredStream,
    hash_tar: bool,
    budget: &IndexBudget,
) -> Result<(LayerScan, Option<String>), ImageError> {
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
    let head = decompress::peek(stored).map_err(|e| fail(format!("cannot read: {e}")))?;
    let compression = match decompress::sniff(&head) {
        Sniffed::Known(c) => c,
        Sniffed::Unsupported(name) => {
            scan.not_walked = Some(format!(
                "{name}-compressed layer: nsslint reads gzip, zstd and plain tar layers"
            ));
            return Ok((scan, None));
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
    // Compressed bytes read so far, and whether the decompressed stream outgrew what they may expand to.
    let stored_read = Cell::new(0u64);
    let cut = Cell::new(false);
    let counted = decompress::Counted::new(&mut *stored, &stored_read);
    let decoder = decompress::decoder(compression, counted)
        .map_err(|e| fail(format!("cannot start {compression:?} decoding: {e}")))?;
    // A plain tar is read straight from the stored chunks; a decoder's output is checked against its
    // compressed size (a bomb is cut off) and buffered for the tar reader.
    let decoder: Box<dyn Read + '_> = match compression {
        Compression::None => decoder,
        _ => Box::new(BufReader::with_capacity(
            TAR_BUFFER,
            decompress::Expansion::new(decoder, &stored_read, &cut),
        )),
    };
    // A plain tar's digest, if wanted, is the stored bytes' digest, computed by the reading thread.
    let mut tar_stream = Hashing::new(decoder, hash_tar && compression != Compression::None);
    let walked = walk_tar(&mut tar_stream, probes, options, worker, &mut scan, budget)
        .map_err(|(offset, what)| fail(what).at(offset))
        .and_then(|()| {
            tar_stream.drain().map_err(|e| {
                fail(format!(
                    "{compression:?} stream broken after the tar's end: {e}"
                ))
                .at(tar_stream.count)
            })
        });
    scan.tar_bytes = tar_stream.count;
    let mut tar_digest = tar_stream.digest();
    drop(tar_stream);
    if cut.get() {
        // What was walked stands; the rest is unknown, and so is the digest of the whole tar.
        let what = format!(
            "the layer decompresses to more than {} bytes ({} bytes plus {} times the {} compressed bytes read): a decompression bomb, or a layer of mostly zeros; the rest of it was not read{}",
            scan.tar_bytes,
            decompress::EXPANSION_FLOOR,
            decompress::EXPANSION_RATIO,
            stored_read.get(),
            if hash_tar { ", and its diff ID could not be checked" } else { "" }
        );
        scan.index.push(EntryKind::Problem, "", &what, 0, 0);
        tar_digest = None;
    } else {
        walked?;
    }
    stored
        .drain()
        .map_err(|e| fail(format!("cannot read: {e}")).at(stored.count))?;
    scan.compression = Some(compression);
    Ok((scan, tar_digest))
}

/// Linux's `PATH_MAX`: no runtime can create an entry whose path or symlink target is longer.
pub const PATH_MAX: usize = 4096;

/// The most memory the entry indexes of one image's layers may take (paths, link targets and a record per
/// entry, and the probes' facts): over a million entries of ordinary paths. Past it the scan stops with an error rather than
/// grow without bound (a layer of a million entries with 4 KiB names compresses to almost nothing).
pub const MAX_INDEX_BYTES: u64 = 128 * 1024 * 1024;

/// What one probe's fact about one file is charged against [`MAX_INDEX_BYTES`]: the record and a typical
/// fact (ELF facts with their build info run to a few hundred bytes; a bad ELF's message to fewer).
const OBSERVATION_COST: u64 = 512;

/// What one image's walks may still hold in their entry indexes, shared by its layers' walks.
pub struct IndexBudget {
    left: AtomicU64,
}

impl IndexBudget {
    pub fn new(bytes: u64) -> Self {
        IndexBudget {
            left: AtomicU64::new(bytes),
        }
    }

    /// Takes `cost` bytes; false when there are not that many left.
    fn take(&self, cost: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(cost)
            })
            .is_ok()
    }
}

/// A whiteout marker's name that names no entry: `.wh.` (empty), `.wh..`, `.wh...`. Docker would delete the
/// marker's own directory (or its parent); containerd refuses the layer. Neither is a deletion of one entry.
fn bad_whiteout(hidden: &str) -> bool {
    matches!(hidden, "" | "." | "..")
}

/// One pass over a tar stream. Errors carry the offset in the uncompressed stream.
fn walk_tar<R: Read>(
    stream: &mut Hashing<R>,
    probes: &[&dyn Probe],
    options: &WalkOptions,
    worker: &mut Worker,
    scan: &mut LayerScan,
    budget: &IndexBudget,
) -> Result<(), (u64, String)> {
    let mut archive = TarReader::new(Stream::new(&mut *stream));
    let mut wants: Vec<Want> = vec![Want::Nothing; probes.len()];
    let entry_cost = std::mem::size_of::<index::Entry>() as u64;
    // Observations are charged too (a million 64-byte files with the ELF magic make a million facts).
    let mut charged = 0usize;
    let mut charge = |scan: &LayerScan, at: u64| -> Result<(), (u64, String)> {
        let new = (scan.observations.len() - charged) as u64;
        charged = scan.observations.len();
        if new > 0 && !budget.take(new * OBSERVATION_COST) {
            return Err((at, format!(
                "the image's layers list more entries than nsslint holds (their paths, records and facts pass {MAX_INDEX_BYTES} bytes; this layer has {} entries and {} facts so far)",
                scan.index.len(),
                scan.observations.len()
            )));
        }
        Ok(())
    };
    loop {
        charge(scan, archive.position())?;
        let entry = match archive.next_entry() {
            Ok(Some(entry)) => entry,
            Ok(None) => return charge(scan, archive.position()),
            Err(e) => return Err((e.at, e.what)),
        };
        let header_at = entry.header_at;
        let bad = |what: String| (header_at, what);
        let (kind, size, mode, sparse, data_at) = (
            entry.kind,
            entry.size,
            entry.mode,
            entry.sparse,
            entry.data_at,
        );
        let path_text = String::from_utf8_lossy(entry.path);
        let shown = || -> String {
            let mut text: String = path_text.chars().take(200).collect();
            if text.len() < path_text.len() {
                text.push('…');
            }
            text
        };
        if entry.path.len() > PATH_MAX {
            return Err(bad(format!(
                "entry {:?} has a path of {} bytes, longer than Linux's PATH_MAX ({PATH_MAX}): no runtime can create it",
                shown(),
                entry.path.len()
            )));
        }
        if entry.link.len() > PATH_MAX {
            return Err(bad(format!(
                "entry {:?} links to a target of {} bytes, longer than Linux's PATH_MAX ({PATH_MAX}): no runtime can create it",
                shown(),
                entry.link.len()
            )));
        }
        let path = clean_path(&path_text);
        if !budget.take(entry_cost + (path.len() + entry.link.len()) as u64) {
            return Err(bad(format!(
                "the image's layers list more entries than nsslint holds (their paths, records and facts pass {MAX_INDEX_BYTES} bytes; this layer has {} entries so far)",
                scan.index.len()
            )));
        }
        if climbs_out(&path_text) {
            let what = format!(
                "entry {:?} climbs out of the image's root: placed at /{path}, as containerd places it (Docker refuses such a layer)",
                shown()
            );
            scan.index.push(EntryKind::Problem, &path, &what, 0, 0);
        }
        let (dir, name) = match path.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => ("", path.as_ref()),
        };
        if name == ".wh..wh..opq" {
            scan.index.push(EntryKind::Opaque, dir, "", 0, mode);
            continue;
        }
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if bad_whiteout(hidden) {
                let what = format!(
                    "whiteout {name:?} names no entry (Docker would delete /{dir} itself, containerd refuses the layer); ignored"
                );
                scan.index.push(EntryKind::Problem, &path, &what, 0, 0);
            } else if !hidden.starts_with(".wh.") {
                // (`.wh..wh.*` other than the opaque marker is AUFS bookkeeping, which runtimes skip too.)
                let target = if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                };
                scan.index.push(EntryKind::Whiteout, &target, "", 0, mode);
            }
            continue;
        }
        let kind = match kind {
            TarKind::File => EntryKind::File,
            TarKind::Dir => EntryKind::Dir,
            TarKind::Symlink => EntryKind::Symlink,
            TarKind::Hardlink => EntryKind::Hardlink,
            TarKind::GlobalHeader => continue,
            TarKind::Special | TarKind::Other(_) => EntryKind::Other,
        };
        if path.is_empty() && kind != EntryKind::Dir {
            return Err(bad(format!(
                "entry {:?} names the root but is not a directory",
                shown()
            )));
        }
        let link_text = String::from_utf8_lossy(entry.link);
        let link = match kind {
            EntryKind::Hardlink => clean_path(&link_text),
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
        if sparse {
            // Its data is a map of chunks and holes; nsslint does not expand it. Docker and BuildKit never
            // write sparse entries, so one is worth a word.
            for (want, probe) in wants.iter().zip(probes) {
                if *want != Want::Nothing {
                    scan.observations.push(Observation {
                        entry: id,
                        probe: probe.name(),
                        fact: FileFact::Unread {
                            what: format!("a sparse tar entry ({size} bytes once expanded); nsslint does not read sparse entries, so this file was not analysed"),
                        },
                    });
                }
            }
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
        let mut magic = [0u8; 4];
        let is_elf = if size >= 4 {
            let mut got = 0;
            while got < 4 {
                match archive.read(&mut magic[got..]) {
                    Ok(0) => {
                        return Err((
                            data_at,
                            format!(
                                "{path}: the layer ends inside this file ({got} of {size} bytes)"
                            ),
                        ))
                    }
                    Ok(n) => got += n,
                    Err(e) => return Err(bad(format!("{path}: cannot read data: {e}"))),
                }
            }
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
        // A small file goes to the worker's buffer; a large one waits for the scan's one large buffer.
        let mut large;
        let buffer = if size <= SMALL_FILE {
            worker.buffer.first(size as usize, SMALL_FILE as usize)
        } else {
            large = worker.large.take();
            large.buffer.first(size as usize, size as usize)
        };
        let mut filled = 0;
        if size >= 4 {
            buffer[..4].copy_from_slice(&magic);
            filled = 4;
        }
        while filled < buffer.len() {
            match archive.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err((
                        data_at,
                        format!("{path}: cannot read its {size} bytes: {e}"),
                    ))
                }
            }
        }
        if filled < buffer.len() {
            return Err((
                data_at,
                format!("{path}: the layer ends inside this file ({filled} of {size} bytes)"),
            ));
        }
        let buffer = &*buffer;
        for (want, probe) in wants.iter().zip(probes) {
            if interested(*want) {
                let fact = probe.analyze(&info, buffer);
                scan.observations.push(Observation {
                    entry: id,
                    probe: probe.name(),
                    fact,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// Wants every file whole; says how long it was and what its bytes sum to.
    struct Everything;

    impl Probe for Everything {
        fn name(&self) -> &'static str {
            "everything"
        }
        fn version(&self) -> u32 {
            1
        }
        fn wants(&self, _entry: &EntryInfo) -> Want {
            Want::Contents
        }
        fn analyze(&self, _entry: &EntryInfo, bytes: &[u8]) -> FileFact {
            FileFact::Text {
                text: summary(bytes),
            }
        }
    }

    fn summary(bytes: &[u8]) -> String {
        let sum = bytes.iter().enumerate().fold(0u64, |s, (i, &b)| {
            s.wrapping_mul(31).wrapping_add(b as u64 ^ i as u64)
        });
        format!("{} {sum:x}", bytes.len())
    }

    fn content(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u64).wrapping_mul(0x9e37_79b9) as u8 ^ seed)
            .collect()
    }

    fn tar_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o755);
            builder.append_data(&mut header, path, &bytes[..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn walk(tar: Vec<u8>, large: &LargeSlot) -> Result<LayerScan, (u64, String)> {
        let mut scan = LayerScan {
            layer: 0,
            index: LayerIndex::default(),
            observations: Vec::new(),
            compression: None,
            stored_bytes: 0,
            tar_bytes: 0,
            not_walked: None,
        };
        let mut worker = Worker {
            buffer: FileBuffer::default(),
            large,
        };
        let mut stream = Hashing::new(Cursor::new(tar), false);
        walk_tar(
            &mut stream,
            &[&Everything],
            &WalkOptions::default(),
            &mut worker,
            &mut scan,
            &IndexBudget::new(MAX_INDEX_BYTES),
        )?;
        Ok(scan)
    }

    #[test]
    fn small_and_large_files_are_read_whole_whatever_buffer_they_use() {
        let mib = 1024 * 1024;
        let files = vec![
            ("tiny", b"ab".to_vec()),
            ("small", content(100, 1)),
            ("medium", content(5 * mib, 2)),
            ("large", content(9 * mib, 3)),
            ("after-large", content(3 * mib, 4)),
            // Larger than the retained large buffer, then smaller than it again.
            ("larger", content(12 * mib, 5)),
            ("large-again", content(SMALL_FILE as usize + 1, 6)),
        ];
        let large = LargeSlot::default();
        let scan = walk(tar_of(&files), &large).unwrap();
        let seen: Vec<String> = scan
            .observations
            .iter()
            .map(|o| match &o.fact {
                FileFact::Text { text } => text.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        let want: Vec<String> = files.iter().map(|(_, b)| summary(b)).collect();
        assert_eq!(seen, want);
        // The large buffer was given back, and kept for the next large file.
        assert!(!large.state.lock().unwrap().0);
        assert!(large.state.lock().unwrap().1.bytes.len() >= 12 * mib);
    }

    #[test]
    fn a_layer_ending_inside_a_wanted_file_is_an_error_naming_it() {
        let size = SMALL_FILE as usize + 1000;
        let mut tar = tar_of(&[("big", content(size, 7))]);
        tar.truncate(512 + 4096);
        let error = walk(tar, &LargeSlot::default()).unwrap_err();
        assert_eq!(
            error,
            (
                512,
                format!("big: the layer ends inside this file (4096 of {size} bytes)")
            )
        );
    }

    #[test]
    fn one_large_buffer_at_a_time() {
        let slot = LargeSlot::default();
        let holders = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let _guard = slot.take();
                        assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0);
                        std::thread::yield_now();
                        holders.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
    }

    /// Hands out its bytes a few at a time, then fails if told to.
    struct Dribble {
        bytes: Vec<u8>,
        at: usize,
        fail_at_end: bool,
    }

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.at == self.bytes.len() && self.fail_at_end {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.bytes.len() - self.at).min(7919);
            buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn read_through_stream(bytes: &[u8], fail: bool) -> (Vec<u8>, Option<String>, u64, u64) {
        let (mut stream, chunks, recycle) = decompress::stored_channel();
        let raw = Dribble {
            bytes: bytes.to_vec(),
            at: 0,
            fail_at_end: fail,
        };
        std::thread::scope(|scope| {
            let producer =
                scope.spawn(move || decompress::read_stored(raw, |_| true, chunks, recycle));
            let mut out = Vec::new();
            let mut buf = [0u8; 1000];
            let error = loop {
                match stream.read(&mut buf) {
                    Ok(0) => break None,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => break Some(e.to_string()),
                }
            };
            let consumed = stream.count;
            drop(stream);
            let summary = producer.join().unwrap();
            (out, error, consumed, summary.count)
        })
    }

    #[test]
    fn stored_bytes_come_through_the_reading_thread_unchanged_and_hashed() {
        use sha2::Digest;
        let bytes = content(3 * decompress::CHUNK + 12345, 9);
        let (mut stream, chunks, recycle) = decompress::stored_channel();
        let raw = Cursor::new(bytes.clone());
        let (out, summary) = std::thread::scope(|scope| {
            let producer =
                scope.spawn(move || decompress::read_stored(raw, |_| true, chunks, recycle));
            let mut out = Vec::new();
            stream.read_to_end(&mut out).unwrap();
            (out, producer.join().unwrap())
        });
        assert_eq!(out, bytes);
        assert_eq!(summary.count, bytes.len() as u64);
        assert_eq!(
            summary.digest.unwrap(),
            format!(
                "sha256:{}",
                crate::source::hex(&sha2::Sha256::digest(&bytes))
            )
        );

        let (out, error, consumed, produced) = read_through_stream(&bytes, false);
        assert_eq!(
            (out.len(), error, consumed, produced),
            (bytes.len(), None, bytes.len() as u64, bytes.len() as u64)
        );
    }

    /// An OCI layout of one image whose layers are the given blobs (stored as they are).
    fn oci_layout(dir: &std::path::Path, blobs: &[Vec<u8>]) -> Image {
        let write_blob = |bytes: &[u8]| {
            let digest = crate::source::sha256_digest(bytes);
            let path = dir.join("blobs/sha256").join(&digest["sha256:".len()..]);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
            (digest, bytes.len())
        };
        let mut diff_ids = Vec::new();
        let layers: Vec<String> = blobs
            .iter()
            .map(|b| {
                let (digest, size) = write_blob(b);
                // OCI layers are checked by their blob digest; these only have to be there.
                diff_ids.push(format!("\"{digest}\""));
                format!(r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{digest}","size":{size}}}"#)
            })
            .collect();
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
            diff_ids.join(",")
        );
        let (config_digest, config_size) = write_blob(config.as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{}]}}"#,
            layers.join(",")
        );
        let (digest, size) = write_blob(manifest.as_bytes());
        std::fs::write(
            dir.join("index.json"),
            format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{size}}}]}}"#),
        )
        .unwrap();
        std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let reference = crate::source::ImageRef::parse(&format!("oci:{}", dir.display())).unwrap();
        crate::source::open(&reference, &Default::default())
            .unwrap()
            .remove(0)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn layers_come_back_in_order_whatever_order_they_were_walked_in() {
        let dir = tempfile::tempdir().unwrap();
        // Sizes out of order, so that largest-first differs from layer order.
        let tars: Vec<Vec<u8>> = [1000, 300_000, 10, 50_000, 2_000_000]
            .iter()
            .enumerate()
            .map(|(i, &n)| tar_of(&[(&format!("layer{i}"), content(n, i as u8))]))
            .collect();
        let blobs: Vec<Vec<u8>> = tars.iter().map(|t| gzip(t)).collect();
        let image = oci_layout(dir.path(), &blobs);
        let scans = scan_image(&image, &[&Everything], &WalkOptions::default()).unwrap();
        let got: Vec<(usize, String, u64, u64)> = scans
            .iter()
            .map(|s| {
                (
                    s.layer,
                    s.index.path(0).to_string(),
                    s.stored_bytes,
                    s.tar_bytes,
                )
            })
            .collect();
        let want: Vec<(usize, String, u64, u64)> = (0..5)
            .map(|i| {
                (
                    i,
                    format!("layer{i}"),
                    blobs[i].len() as u64,
                    tars[i].len() as u64,
                )
            })
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_first_bad_layer_in_layer_order_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = gzip(&tar_of(&[("a", content(10, 1))]));
        let mut bad1 = gzip(&tar_of(&[("b", content(100_000, 2))]));
        bad1.truncate(bad1.len() / 2);
        let mut bad2 = gzip(&tar_of(&[("c", content(900_000, 3))]));
        bad2.truncate(bad2.len() / 2);
        let image = oci_layout(dir.path(), &[good, bad1, bad2]);
        let error = scan_image(&image, &[&Everything], &WalkOptions::default()).unwrap_err();
        assert!(error.to_string().contains("(2 of 3)"), "{error}");
    }

    /// Panics on the first file it is shown.
    struct Panics;

    impl Probe for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }
        fn version(&self) -> u32 {
            1
        }
        fn wants(&self, _entry: &EntryInfo) -> Want {
            Want::Contents
        }
        fn analyze(&self, _entry: &EntryInfo, _bytes: &[u8]) -> FileFact {
            panic!("a probe's bug");
        }
    }

    #[test]
    fn a_panicking_probe_is_a_panic_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        // Far more than the read-ahead, so that the reading thread is blocked on a full channel.
        let big = content(16 * decompress::CHUNK, 5);
        let image = oci_layout(
            dir.path(),
            &[tar_of(&[("first", b"x".to_vec()), ("big", big)])],
        );
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scan_image(&image, &[&Panics], &WalkOptions::default())
        }));
        assert!(result.is_err());
    }

    #[test]
    fn a_read_error_reaches_the_walk_after_the_bytes_before_it() {
        let bytes = content(600_000, 3);
        let (out, error, consumed, _) = read_through_stream(&bytes, true);
        assert_eq!(out, bytes);
        assert_eq!(error.as_deref(), Some("disk on fire"));
        assert_eq!(consumed, bytes.len() as u64);
    }
}
