//! Layer bytes to tar bytes: compression is told by magic bytes (media types lie), and the stored bytes and
//! the uncompressed bytes are hashed as they stream so a layer is checked without a second read.

use sha2::{Digest, Sha256};
use std::io::{self, BufRead, BufReader, Read};

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

/// Wraps stored bytes in the decoder their magic calls for.
pub fn decoder<'a, R: BufRead + 'a>(
    compression: Compression,
    reader: R,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(reader)?),
        Compression::None => Box::new(reader),
    })
}

/// Peeks at the start of a stream without consuming it.
pub fn peek<R: Read>(reader: &mut BufReader<R>) -> io::Result<Vec<u8>> {
    Ok(reader.fill_buf()?.iter().take(8).copied().collect())
}
