//! The per-layer facts cache (`--cache-dir`): what one walk of a layer learned ([`LayerScan`]: its entry
//! index and the probes' observations), stored under the layer's digest, so a layer shared by many images
//! is downloaded and walked once. Findings are always recomputed from the facts, so a rule or model change
//! never needs a new download; a probe change does, and it changes the key.
//!
//! Key: the layer's blob digest (its diff ID for docker archives, which have no blob digest), within a
//! directory named by a version that covers the crate version, every probe's name and version, and the walk
//! options that change what a walk reports (`--max-file-size`). Only verified layers are stored: a scan
//! returns only after the layer's digest checked out.
//!
//! Encoding, compressed with zstd (level 3): a magic and the format number, the scan without its entry
//! index as length-prefixed JSON (the facts use internally tagged enums, which compact non-self-describing
//! formats such as bincode cannot read back), then the entry index in its own fixed-width binary form
//! ([`LayerIndex::encode`]): the index is most of an entry, and reading it back as JSON took a warm re-scan
//! of a 70,000-entry image most of its time.
//!
//! Several processes may share a directory: an entry is written to a temporary file in the same directory
//! and renamed into place, so a reader sees a whole entry or none; two writers of the same layer write the
//! same facts, and the last rename wins. An entry that cannot be read back is treated as missing.

use crate::facts::file::FileFact;
use crate::source::{parse_sha256, Layer};
use crate::walk::decompress::Compression;
use crate::walk::index::LayerIndex;
use crate::walk::Observation;
use crate::walk::{LayerScan, Probe, WalkOptions};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

/// Bumped when the stored format changes (the layout of [`LayerScan`] and what it holds).
const FORMAT: u32 = 2;
const MAGIC: &[u8; 4] = b"NSLC";
/// The largest entry read back (a layer index of a million entries is well under this).
const MAX_ENTRY: u64 = 256 * 1024 * 1024;

pub struct LayerCache {
    dir: PathBuf,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Layers being walked by an image of this process right now: another image that needs one waits for
    /// its facts instead of downloading it too (`--jobs`).
    in_flight: Mutex<HashSet<String>>,
    landed: Condvar,
}

/// What the cache has for a layer.
pub enum Lookup<'a> {
    Hit(LayerScan),
    /// Not cached: the caller walks it and stores the facts; the claim ends when this is dropped.
    Claimed(Claim<'a>),
    /// Another image of this process is walking it: [`LayerCache::wait`] for it (holding no claim).
    Busy,
}

/// A layer this image walks; others wait for it until it is dropped.
pub struct Claim<'a> {
    cache: &'a LayerCache,
    key: Option<String>,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut set = self
                .cache
                .in_flight
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            set.remove(&key);
            drop(set);
            self.cache.landed.notify_all();
        }
    }
}

/// The version part of the key: the crate version, the format, every probe's name and version, and the
/// walk options that change the facts.
pub fn version(probes: &[&dyn Probe], options: &WalkOptions) -> String {
    let mut text = format!(
        "nsslint {} format {FORMAT} max-file-bytes {}",
        env!("CARGO_PKG_VERSION"),
        options.max_file_bytes
    );
    for probe in probes {
        text.push_str(&format!(" {}:{}", probe.name(), probe.version()));
    }
    let digest = crate::source::sha256_digest(text.as_bytes());
    let hex = digest.trim_start_matches("sha256:");
    format!("v{FORMAT}-{}", &hex[..16])
}

impl LayerCache {
    /// Uses (and creates) `dir`; entries go to `dir/<version>/`.
    pub fn open(dir: &Path, probes: &[&dyn Probe], options: &WalkOptions) -> Result<Self, String> {
        let dir = dir.join(version(probes, options));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("--cache-dir {}: cannot create: {e}", dir.display()))?;
        Ok(LayerCache {
            dir,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            in_flight: Mutex::new(HashSet::new()),
            landed: Condvar::new(),
        })
    }

    /// The cached facts, or a claim to walk the layer, or word that another image is walking it.
    pub fn lookup(&self, layer: &Layer) -> Lookup<'_> {
        if let Some(scan) = self.get(layer) {
            return Lookup::Hit(scan);
        }
        let Some(key) = Self::key(layer) else {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Claimed(Claim {
                cache: self,
                key: None,
            });
        };
        let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if set.insert(key.to_string()) {
            drop(set);
            // It may have landed between the read above and the claim.
            if let Some(scan) = self.get(layer) {
                let _ = Claim {
                    cache: self,
                    key: Some(key.to_string()),
                };
                return Lookup::Hit(scan);
            }
            self.misses.fetch_add(1, Ordering::Relaxed);
            Lookup::Claimed(Claim {
                cache: self,
                key: Some(key.to_string()),
            })
        } else {
            Lookup::Busy
        }
    }

    /// Waits until no image of this process is walking the layer, then looks again: the facts, or (when the
    /// other walk failed) a claim to walk it here.
    pub fn wait(&self, layer: &Layer) -> Lookup<'_> {
        if let Some(key) = Self::key(layer) {
            let mut set = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            while set.contains(key) {
                set = self.landed.wait(set).unwrap_or_else(|e| e.into_inner());
            }
        }
        match self.lookup(layer) {
            Lookup::Busy => self.wait(layer),
            other => other,
        }
    }

    /// The digest a layer is cached under: the verified blob digest, else the verified diff ID.
    fn key(layer: &Layer) -> Option<&str> {
        let digest = layer
            .expected
            .blob_digest
            .as_deref()
            .or(layer.expected.diff_id.as_deref())?;
        parse_sha256(digest)
    }

    fn path(&self, hex: &str) -> PathBuf {
        self.dir.join(format!("{hex}.zst"))
    }

    /// The cached scan of a layer, renumbered for its place in this image.
    fn get(&self, layer: &Layer) -> Option<LayerScan> {
        let mut scan = Self::key(layer).and_then(|hex| read(&self.path(hex)))?;
        scan.layer = layer.index;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(scan)
    }

    /// Stores a scan; failures only cost a later walk, so they are reported by the caller, not fatal.
    pub fn put(&self, layer: &Layer, scan: &LayerScan) -> Result<(), String> {
        let Some(hex) = Self::key(layer) else {
            return Ok(());
        };
        let path = self.path(hex);
        // In one call, so that the frame records its decompressed size: reading it back is then one allocation.
        let packed = zstd::bulk::compress(&encode_entry(scan)?, 3).map_err(|e| e.to_string())?;
        let mut temp = tempfile_in(&self.dir)?;
        temp.1
            .write_all(&packed)
            .and_then(|_| temp.1.sync_all())
            .map_err(|e| format!("{}: {e}", temp.0.display()))?;
        let result = std::fs::rename(&temp.0, &path)
            .map_err(|e| format!("{}: cannot rename into place: {e}", path.display()));
        if result.is_err() {
            let _ = std::fs::remove_file(&temp.0);
        }
        result
    }
}

/// The JSON part of an entry: [`LayerScan`] without its index.
#[derive(serde::Serialize)]
struct ScanFacts<'a> {
    observations: &'a [Observation],
    compression: Option<Compression>,
    stored_bytes: u64,
    tar_bytes: u64,
    not_walked: Option<&'a str>,
}

/// [`ScanFacts`] read back: probe names come back as owned strings and are mapped to the probes' own
/// `&'static str` names.
#[derive(serde::Deserialize)]
struct StoredScan {
    observations: Vec<StoredObservation>,
    compression: Option<Compression>,
    stored_bytes: u64,
    tar_bytes: u64,
    not_walked: Option<String>,
}

/// An entry before compression: magic, format, the JSON's length, the JSON, the index.
pub fn encode_entry(scan: &LayerScan) -> Result<Vec<u8>, String> {
    let facts = ScanFacts {
        observations: &scan.observations,
        compression: scan.compression,
        stored_bytes: scan.stored_bytes,
        tar_bytes: scan.tar_bytes,
        not_walked: scan.not_walked.as_deref(),
    };
    let json = serde_json::to_vec(&facts).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(16 + json.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    scan.index.encode(&mut bytes);
    Ok(bytes)
}

/// What [`encode_entry`] wrote, or `None` when it is not that (a cache directory may be shared, so an entry
/// is read as untrusted input: the fuzz target `cache_entry` feeds this).
pub fn decode_entry(bytes: Vec<u8>) -> Option<LayerScan> {
    if bytes.get(..4)? != MAGIC || bytes.get(4..8)? != FORMAT.to_le_bytes() {
        return None;
    }
    let json_len = usize::try_from(u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?)).ok()?;
    let json_end = json_len.checked_add(16)?;
    let stored: StoredScan = serde_json::from_slice(bytes.get(16..json_end)?).ok()?;
    let index = LayerIndex::decode(bytes, json_end)?;
    stored.into_scan(index)
}

#[derive(serde::Deserialize)]
struct StoredObservation {
    entry: usize,
    probe: String,
    fact: FileFact,
}

impl StoredScan {
    /// `None` when an observation names a probe that no longer exists (the entry is then walked again).
    fn into_scan(self, index: LayerIndex) -> Option<LayerScan> {
        let probes = crate::probes::all();
        let observations = self
            .observations
            .into_iter()
            .map(|o| {
                let probe = probes.iter().map(|p| p.name()).find(|n| *n == o.probe)?;
                (o.entry < index.len()).then_some(Observation {
                    entry: o.entry,
                    probe,
                    fact: o.fact,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(LayerScan {
            layer: 0, // renumbered by the caller for its image
            index,
            observations,
            compression: self.compression,
            stored_bytes: self.stored_bytes,
            tar_bytes: self.tar_bytes,
            not_walked: self.not_walked,
        })
    }
}

fn read(path: &Path) -> Option<LayerScan> {
    if std::fs::metadata(path).ok()?.len() > MAX_ENTRY {
        return None;
    }
    let packed = std::fs::read(path).ok()?;
    // Entries record their size (see `put`); one that does not is not ours.
    let size = zstd::zstd_safe::get_frame_content_size(&packed).ok()??;
    if size > 4 * MAX_ENTRY {
        return None;
    }
    decode_entry(zstd::bulk::decompress(&packed, usize::try_from(size).ok()?).ok()?)
}

/// A new file in `dir` with a name no other process uses (pid, time and a counter).
fn tempfile_in(dir: &Path) -> Result<(PathBuf, std::fs::File), String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    for _ in 0..16 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            ".tmp-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: cannot create: {e}", path.display())),
        }
    }
    Err(format!("{}: cannot create a temporary file", dir.display()))
}
