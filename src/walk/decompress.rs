//! Layer bytes to tar bytes: compression is told by magic bytes (media types lie), and the stored bytes and
//! the uncompressed bytes are hashed as they stream so a layer is checked without a second read.

use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::sync::mpsc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    Zstd,
    /// A plain tar (or something we read as one).
    None,
}

/// What the first bytes of a layer say it is.
pub enum Sniffed {
    Known(Compression),
    /// A compression we do not read (bzip2, xz) — named, so the report can say which.
    Unsupported(&'static str),
}

pub fn sniff(head: &[u8]) -> Sniffed {
    match head {
        [0x1f, 0x8b, ..] => Sniffed::Known(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Sniffed::Known(Compression::Zstd),
        [b'B', b'Z', b'h', ..] => Sniffed::Unsupported("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Sniffed::Unsupported("xz"),
        _ => Sniffed::Known(Compression::None),
    }
}

/// Counts and (optionally) hashes the bytes that pass through.
pub struct Hashing<R> {
    inner: R,
    hasher: Option<Sha256>,
    pub count: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R, hash: bool) -> Self {
        Hashing {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
        }
    }

    /// Reads what is left, so the digest covers the whole stream (tar padding, trailing blocks).
    pub fn drain(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink()).map(|_| ())
    }

    /// `sha256:<hex>` of everything read so far, if hashing.
    pub fn digest(&self) -> Option<String> {
        self.hasher
            .as_ref()
            .map(|h| format!("sha256:{}", crate::source::hex(&h.clone().finalize())))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.count += n as u64;
        Ok(n)
    }
}

/// The largest zstd window a layer may ask for: 2^27 bytes (128 MiB).
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Wraps stored bytes in the decoder their magic calls for.
pub fn decoder<'a, R: BufRead + 'a>(
    compression: Compression,
    reader: R,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => {
            let mut decoder = zstd::stream::read::Decoder::with_buffer(reader)?;
            // zstd's own default, stated: a frame that asks for a window over 128 MiB is refused, not
            // given the memory (what `zstd -d` does without `--memory`).
            decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(decoder)
        }
        Compression::None => Box::new(reader),
    })
}

/// What a compressed layer may decompress to: this many bytes plus [`EXPANSION_RATIO`] times the compressed
/// bytes read so far. Real layers expand 2 to 10 times; a gzip or zstd bomb (a little compressed data that
/// expands a thousandfold and more) is cut off here, its layer reported, not decompressed for minutes.
pub const EXPANSION_FLOOR: u64 = 256 * 1024 * 1024;
pub const EXPANSION_RATIO: u64 = 100;

/// Passes a buffered reader through, counting what is consumed into `count`.
pub struct Counted<'a, R> {
    inner: R,
    count: &'a Cell<u64>,
}

impl<'a, R> Counted<'a, R> {
    pub fn new(inner: R, count: &'a Cell<u64>) -> Self {
        Counted { inner, count }
    }
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<'_, R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.count.set(self.count.get() + amt as u64);
        self.inner.consume(amt);
    }
}

/// A decoder's output, cut off (with an error, and `cut` set) once it is more than the compressed bytes
/// read so far (`stored`) may expand to; see [`EXPANSION_FLOOR`].
pub struct Expansion<'a, R> {
    inner: R,
    out: u64,
    stored: &'a Cell<u64>,
    cut: &'a Cell<bool>,
}

impl<'a, R> Expansion<'a, R> {
    pub fn new(inner: R, stored: &'a Cell<u64>, cut: &'a Cell<bool>) -> Self {
        Expansion {
            inner,
            out: 0,
            stored,
            cut,
        }
    }
}

impl<R: Read> Read for Expansion<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let over = || io::Error::other("decompressed past the expansion limit");
        if self.cut.get() {
            return Err(over());
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let limit =
            EXPANSION_FLOOR.saturating_add(self.stored.get().saturating_mul(EXPANSION_RATIO));
        if self.out > limit {
            self.cut.set(true);
            return Err(over());
        }
        Ok(n)
    }
}

/// Peeks at the start of a stream without consuming it.
pub fn peek<R: BufRead>(reader: &mut R) -> io::Result<Vec<u8>> {
    Ok(reader.fill_buf()?.iter().take(8).copied().collect())
}

/// How much of a layer's stored bytes one hand-over carries (as much as the reader buffered before).
pub const CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the decompressor, at most.
const CHUNKS_AHEAD: usize = 4;

/// Chunks kept for the next layers rather than allocated for each (as the walk's file buffers are, to keep
/// glibc's heap from fragmenting over many images).
static SPARE_CHUNKS: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
/// Most chunks kept: the read-ahead of a few layers at a time (4 MiB).
const SPARE_LIMIT: usize = 16;

fn spare_chunk() -> Vec<u8> {
    let spare = SPARE_CHUNKS.lock().unwrap_or_else(|e| e.into_inner()).pop();
    spare.unwrap_or_else(|| vec![0u8; CHUNK])
}

fn keep_chunk(chunk: Vec<u8>) {
    if chunk.len() == CHUNK {
        let mut spare = SPARE_CHUNKS.lock().unwrap_or_else(|e| e.into_inner());
        if spare.len() < SPARE_LIMIT {
            spare.push(chunk);
        }
    }
}

/// What the reading thread learned of the stored bytes once they were all read.
#[derive(Debug, Default)]
pub struct StoredSummary {
    pub count: u64,
    /// `sha256:<hex>` of every stored byte, when it was hashed.
    pub digest: Option<String>,
}

/// The consuming end of a layer's stored bytes, read (and hashed) on a thread of its own by
/// [`read_stored`]: the layer's decompression and walk go on while its digest is computed, so a single large
/// layer keeps two cores busy. Hands out the producer's chunks as they come (the first chunk is what
/// [`peek`] sees, just as with a `BufReader` of the same capacity).
pub struct StoredStream {
    chunks: mpsc::Receiver<io::Result<(Vec<u8>, usize)>>,
    recycle: mpsc::SyncSender<Vec<u8>>,
    current: Vec<u8>,
    len: usize,
    pos: usize,
    done: bool,
    /// Bytes handed out so far.
    pub count: u64,
}

/// The producing end: reads `raw` in [`CHUNK`]s, hashes them when `hash(first_chunk)` says so, and sends them
/// to `stream`. Returns when everything was read, a read failed (the error is passed on), or the consumer
/// went away.
pub fn read_stored(
    mut raw: impl Read,
    hash: impl FnOnce(&[u8]) -> bool,
    chunks: mpsc::SyncSender<io::Result<(Vec<u8>, usize)>>,
    recycle: mpsc::Receiver<Vec<u8>>,
) -> StoredSummary {
    let mut summary = StoredSummary::default();
    let mut hasher: Option<Sha256> = None;
    let mut hash = Some(hash);
    loop {
        let mut buf = recycle.try_recv().unwrap_or_else(|_| spare_chunk());
        let n = loop {
            match raw.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    keep_chunk(buf);
                    let _ = chunks.send(Err(e));
                    return summary;
                }
            }
        };
        if let Some(decide) = hash.take() {
            hasher = decide(&buf[..n]).then(Sha256::new);
        }
        if let Some(h) = &mut hasher {
            h.update(&buf[..n]);
        }
        summary.count += n as u64;
        if n == 0 {
            keep_chunk(buf);
            break;
        }
        if let Err(unsent) = chunks.send(Ok((buf, n))) {
            // The walk stopped reading: nothing more to do.
            if let Ok((chunk, _)) = unsent.0 {
                keep_chunk(chunk);
            }
            return summary;
        }
    }
    while let Ok(chunk) = recycle.try_recv() {
        keep_chunk(chunk);
    }
    summary.digest = hasher.map(|h| format!("sha256:{}", crate::source::hex(&h.finalize())));
    summary
}

/// A connected [`StoredStream`] and the channel ends [`read_stored`] needs.
#[allow(clippy::type_complexity)]
pub fn stored_channel() -> (
    StoredStream,
    mpsc::SyncSender<io::Result<(Vec<u8>, usize)>>,
    mpsc::Receiver<Vec<u8>>,
) {
    let (chunk_tx, chunk_rx) = mpsc::sync_channel(CHUNKS_AHEAD);
    let (recycle_tx, recycle_rx) = mpsc::sync_channel(CHUNKS_AHEAD + 2);
    let stream = StoredStream {
        chunks: chunk_rx,
        recycle: recycle_tx,
        current: Vec::new(),
        len: 0,
        pos: 0,
        done: false,
        count: 0,
    };
    (stream, chunk_tx, recycle_rx)
}

impl Drop for StoredStream {
    fn drop(&mut self) {
        keep_chunk(std::mem::take(&mut self.current));
        while let Ok(Ok((chunk, _))) = self.chunks.try_recv() {
            keep_chunk(chunk);
        }
    }
}

impl StoredStream {
    /// Reads what is left, so the producer reaches the end of the stored bytes.
    pub fn drain(&mut self) -> io::Result<()> {
        loop {
            let n = self.fill_buf()?.len();
            if n == 0 {
                return Ok(());
            }
            self.consume(n);
        }
    }
}

impl BufRead for StoredStream {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len && !self.done {
            if !self.current.is_empty() {
                // Back to the producer for reuse; dropped if it has enough.
                let _ = self.recycle.try_send(std::mem::take(&mut self.current));
            }
            self.pos = 0;
            self.len = 0;
            match self.chunks.recv() {
                Ok(Ok((buf, n))) => {
                    self.current = buf;
                    self.len = n;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The producer finished (or died: its thread's result says which).
                Err(_) => self.done = true,
            }
        }
        Ok(&self.current[self.pos..self.len])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.len - self.pos);
        self.pos += amt;
        self.count += amt as u64;
    }
}

impl Read for StoredStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}
