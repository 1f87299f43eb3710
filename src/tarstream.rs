//! A tar reader for hostile streams. It reads the format the way Go's `archive/tar` does — the reader that
//! Docker and containerd unpack layers with — so that nsslint sees the same entries a runtime would, and it
//! bounds everything an archive can make it hold: an extension record (PAX `x`/`g`, GNU long name or long
//! link) of more than [`MAX_SPECIAL`] bytes is an error, as it is in Go, never a buffer of the size the
//! header claims. Data of entries nobody reads is skipped, never held.
//!
//! Differences from the `tar` crate that matter for hostile input, all taken from Go: entries of the types
//! that carry no data (links, directories, devices, FIFOs) have none whatever their size field says; a PAX
//! `path`/`linkpath`/`size` overrides the header, a GNU long name or link overrides both; a typeflag NUL with
//! a name ending in `/` is a directory; a zero block followed by anything but a second zero block is an
//! error; an archive that ends at a header boundary without the two zero blocks is complete.
//!
//! Errors carry the offset (in the stream given to [`TarReader::new`]) of the header or data they concern.

use std::io::{self, Read, Seek, SeekFrom};

/// One tar block.
pub const BLOCK: u64 = 512;
/// The largest PAX extended header or GNU long name/link read, as Go's `archive/tar` (`maxSpecialFileSize`).
pub const MAX_SPECIAL: u64 = 1 << 20;

/// Where the bytes come from, and how to pass over the ones nobody reads.
pub trait TarSource: Read {
    /// Passes over `n` bytes; returns how many there were (fewer only at the end of the stream).
    fn skip(&mut self, n: u64) -> io::Result<u64>;
}

/// A stream that can only be read: skipped bytes are read (in large reads) and dropped.
pub struct Stream<R> {
    inner: R,
    scratch: Vec<u8>,
}

impl<R> Stream<R> {
    pub fn new(inner: R) -> Self {
        Stream {
            inner,
            scratch: Vec::new(),
        }
    }
}

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Read> TarSource for Stream<R> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        if self.scratch.is_empty() {
            self.scratch = vec![0; 64 * 1024];
        }
        let mut done = 0u64;
        while done < n {
            let want = (n - done).min(self.scratch.len() as u64) as usize;
            match self.inner.read(&mut self.scratch[..want]) {
                Ok(0) => break,
                Ok(got) => done += got as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// A file: skipped bytes are sought over (the end of the file still ends the archive).
pub struct Seekable<R> {
    inner: R,
    pos: u64,
    len: u64,
}

impl<R: Read + Seek> Seekable<R> {
    pub fn new(mut inner: R) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        inner.seek(SeekFrom::Start(0))?;
        Ok(Seekable { inner, pos: 0, len })
    }
}

impl<R: Read + Seek> Read for Seekable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> TarSource for Seekable<R> {
    fn skip(&mut self, n: u64) -> io::Result<u64> {
        let n = n.min(self.len.saturating_sub(self.pos));
        self.pos += n;
        self.inner.seek(SeekFrom::Start(self.pos))?;
        Ok(n)
    }
}

/// What kind of entry a header describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `0`, NUL (without a trailing `/`), `7` (contiguous), and sparse files (see [`Entry::sparse`]).
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Character and block devices, FIFOs.
    Special,
    /// A PAX global header (`g`): Go returns it as an entry; nothing here applies it.
    GlobalHeader,
    /// Any other typeflag (Solaris ACLs, volume labels, ...).
    Other(u8),
}

/// One entry, as the headers before it describe it. Borrowed from the reader until the next call.
#[derive(Debug)]
pub struct Entry<'a> {
    pub kind: Kind,
    /// As the archive spells it (no cleaning); not UTF-8 checked.
    pub path: &'a [u8],
    pub link: &'a [u8],
    /// The file's size: for sparse files, the size once expanded; 0 for types without data.
    pub size: u64,
    /// Bytes of data in the archive ([`TarReader::read`] gives at most these).
    pub data_len: u64,
    pub mode: u32,
    /// A GNU or PAX sparse file: its data is a map of chunks, not the file's bytes.
    pub sparse: bool,
    /// Offset of the first header of this entry (its extension headers included).
    pub header_at: u64,
    /// Offset of its data.
    pub data_at: u64,
}

/// A format error or a read failure, at a stream offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarError {
    pub at: u64,
    pub what: String,
}

fn err<T>(at: u64, what: impl Into<String>) -> Result<T, TarError> {
    Err(TarError {
        at,
        what: what.into(),
    })
}

pub struct TarReader<R> {
    inner: R,
    /// Bytes consumed from `inner`.
    pos: u64,
    /// Data of the current entry not yet read, and the padding after it.
    remaining: u64,
    padding: u64,
    /// Set after the end (or an error): no more entries.
    done: bool,
    block: [u8; BLOCK as usize],
    path: Vec<u8>,
    link: Vec<u8>,
    pax: Vec<u8>,
    long_name: Vec<u8>,
    long_link: Vec<u8>,
    current_data_at: u64,
}

/// Header fields (offsets into a block).
const NAME: (usize, usize) = (0, 100);
const MODE: (usize, usize) = (100, 108);
const SIZE: (usize, usize) = (124, 136);
const CHKSUM: (usize, usize) = (148, 156);
const TYPEFLAG: usize = 156;
const LINKNAME: (usize, usize) = (157, 257);
const MAGIC: (usize, usize) = (257, 263);
const VERSION: (usize, usize) = (263, 265);
const PREFIX: (usize, usize) = (345, 500);
const STAR_PREFIX: (usize, usize) = (345, 476);
const STAR_TRAILER: (usize, usize) = (508, 512);
const GNU_IS_EXTENDED: usize = 482;
const GNU_REAL_SIZE: (usize, usize) = (483, 495);

fn field(block: &[u8], (start, end): (usize, usize)) -> &[u8] {
    &block[start..end]
}

/// A NUL-terminated string field.
fn cstr(bytes: &[u8]) -> &[u8] {
    match memchr::memchr(0, bytes) {
        Some(n) => &bytes[..n],
        None => bytes,
    }
}

/// Go's `parseNumeric`: base-256 when the top bit is set, else octal (spaces and NULs around it ignored).
fn numeric(bytes: &[u8]) -> Option<i64> {
    if let Some(&first) = bytes.first() {
        if first & 0x80 != 0 {
            // Two's complement, big-endian, the marker bit removed.
            let negative = first & 0x40 != 0;
            let mut value: u64 = 0;
            for (i, &b) in bytes.iter().enumerate() {
                let mut b = if negative { b ^ 0xff } else { b };
                if i == 0 {
                    b &= 0x7f;
                }
                if value >> 56 != 0 {
                    return None; // overflows 64 bits
                }
                value = value << 8 | b as u64;
            }
            if value >> 63 != 0 {
                return None;
            }
            let value = value as i64;
            return Some(if negative { !value } else { value });
        }
    }
    let trimmed = trim(bytes);
    if trimmed.is_empty() {
        return Some(0);
    }
    let text = std::str::from_utf8(trimmed).ok()?;
    i64::from_str_radix(text, 8).ok().filter(|v| *v >= 0)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_pad = |b: &u8| *b == b' ' || *b == 0;
    let start = bytes.iter().position(|b| !is_pad(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// Header checksum, as tar writers compute it (the checksum field counted as spaces); unsigned and signed.
fn checksums(block: &[u8; BLOCK as usize]) -> (i64, i64) {
    let mut unsigned = 0i64;
    let mut signed = 0i64;
    for (i, &b) in block.iter().enumerate() {
        let b = if (CHKSUM.0..CHKSUM.1).contains(&i) {
            b' '
        } else {
            b
        };
        unsigned += b as i64;
        signed += b as i8 as i64;
    }
    (unsigned, signed)
}

/// The values of a PAX extended header this reader uses; records are checked as Go's `parsePAX` checks them.
#[derive(Default)]
struct Pax {
    path: Option<(usize, usize)>,
    linkpath: Option<(usize, usize)>,
    size: Option<u64>,
    sparse_major: Option<(usize, usize)>,
    sparse_minor: Option<(usize, usize)>,
    sparse_map: bool,
    sparse_name: Option<(usize, usize)>,
    sparse_size: Option<u64>,
}

/// Parses `"%d %s=%s\n"` records; returns byte ranges into `data` for the string values.
fn parse_pax(data: &[u8]) -> Result<Pax, String> {
    let mut pax = Pax::default();
    let mut at = 0usize;
    while at < data.len() {
        let rest = &data[at..];
        let space = memchr::memchr(b' ', rest).ok_or("a PAX record without a length")?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or("a PAX record with a malformed length")?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err("a PAX record whose length does not fit its header".into());
        }
        let record = &rest[space + 1..len - 1];
        let eq = memchr::memchr(b'=', record).ok_or("a PAX record without '='")?;
        let key = &record[..eq];
        if key.is_empty() {
            return Err("a PAX record with an empty key".into());
        }
        let value = (at + space + 1 + eq + 1, at + len - 1);
        let text = &data[value.0..value.1];
        let number = || -> Result<Option<u64>, String> {
            if text.is_empty() {
                return Ok(None);
            }
            std::str::from_utf8(text)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .filter(|v| *v >= 0)
                .map(|v| Some(v as u64))
                .ok_or_else(|| {
                    format!(
                        "PAX record {} has a malformed number {:?}",
                        String::from_utf8_lossy(key),
                        String::from_utf8_lossy(&text[..text.len().min(40)])
                    )
                })
        };
        // An empty value keeps the header's own (Go's mergePAX).
        let string = (!text.is_empty()).then_some(value);
        match key {
            b"path" => pax.path = string,
            b"linkpath" => pax.linkpath = string,
            b"size" => pax.size = number()?,
            b"GNU.sparse.major" => pax.sparse_major = string,
            b"GNU.sparse.minor" => pax.sparse_minor = string,
            b"GNU.sparse.map" => pax.sparse_map |= !text.is_empty(),
            b"GNU.sparse.name" => pax.sparse_name = string,
            b"GNU.sparse.size" => pax.sparse_size = number()?.or(pax.sparse_size),
            b"GNU.sparse.realsize" if pax.sparse_size.is_none() => {
                pax.sparse_size = number()?;
            }
            _ => {}
        }
        if (key == b"path" || key == b"linkpath") && memchr::memchr(0, text).is_some() {
            return Err("a PAX path with a NUL byte".into());
        }
        at += len;
    }
    Ok(pax)
}

impl<R: TarSource> TarReader<R> {
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            pos: 0,
            remaining: 0,
            padding: 0,
            done: false,
            block: [0; BLOCK as usize],
            path: Vec::new(),
            link: Vec::new(),
            pax: Vec::new(),
            long_name: Vec::new(),
            long_link: Vec::new(),
            current_data_at: 0,
        }
    }

    /// Bytes consumed from the source so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Reads the current entry's data (0 at its end, or when the stream ends early: compare with
    /// [`Entry::data_len`]).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.remaining) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = loop {
            match self.inner.read(&mut buf[..want]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        self.pos += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }

    fn skip_exact(&mut self, n: u64, what: &dyn Fn() -> String) -> Result<(), TarError> {
        if n == 0 {
            return Ok(());
        }
        let start = self.pos;
        let skipped = self.inner.skip(n).map_err(|e| TarError {
            at: start,
            what: format!("{}: {e}", what()),
        })?;
        self.pos += skipped;
        if skipped < n {
            self.done = true;
            return err(
                start,
                format!("{}: the stream ends {skipped} bytes into {n}", what()),
            );
        }
        Ok(())
    }

    /// Fills `self.block`; `Ok(false)` at the end of the stream exactly at a block boundary.
    fn read_block(&mut self) -> Result<bool, TarError> {
        let start = self.pos;
        let mut filled = 0;
        while filled < self.block.len() {
            match self.inner.read(&mut self.block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return err(start + filled as u64, format!("cannot read: {e}")),
            }
        }
        self.pos += filled as u64;
        match filled {
            0 => Ok(false),
            512 => Ok(true),
            n => err(
                start,
                format!("the stream ends inside a tar header ({n} of 512 bytes)"),
            ),
        }
    }

    /// Reads an extension entry's data (at most [`MAX_SPECIAL`] bytes) into `into`.
    fn read_special(&mut self, size: u64, at: u64, what: &str, into: Ext) -> Result<(), TarError> {
        if size > MAX_SPECIAL {
            return err(
                at,
                format!("{what} of {size} bytes, over the {MAX_SPECIAL}-byte limit (Go's archive/tar, which runtimes unpack layers with, refuses it too)"),
            );
        }
        let mut buffer = std::mem::take(self.special(into));
        buffer.clear();
        buffer.resize(size as usize, 0);
        let mut filled = 0;
        while filled < buffer.len() {
            match self.inner.read(&mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return err(self.pos + filled as u64, format!("cannot read: {e}")),
            }
        }
        self.pos += filled as u64;
        *self.special(into) = buffer;
        if (filled as u64) < size {
            self.done = true;
            return err(
                at,
                format!("the stream ends inside a {what} ({filled} of {size} bytes)"),
            );
        }
        let padding = (BLOCK - size % BLOCK) % BLOCK;
        self.skip_exact(padding, &|| format!("the padding after a {what}"))
    }

    fn special(&mut self, which: Ext) -> &mut Vec<u8> {
        match which {
            Ext::Pax => &mut self.pax,
            Ext::LongName => &mut self.long_name,
            Ext::LongLink => &mut self.long_link,
        }
    }

    /// The next entry, its extension headers applied; `None` after the last.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>, TarError> {
        if self.done {
            return Ok(None);
        }
        let result = self.advance();
        if result.is_err() {
            self.done = true;
        }
        match result {
            Ok(Some(entry)) => Ok(Some(Entry {
                path: &self.path,
                link: &self.link,
                ..entry
            })),
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves to the next entry, leaving its path and link in `self.path`/`self.link`; the returned entry's
    /// `path` and `link` are empty placeholders.
    fn advance(&mut self) -> Result<Option<Entry<'static>>, TarError> {
        // What is left of the previous entry.
        let left = self
            .remaining
            .checked_add(self.padding)
            .ok_or_else(|| TarError {
                at: self.pos,
                what: "size overflow".into(),
            })?;
        if left > 0 {
            let data_at = self.current_data_at;
            let path = String::from_utf8_lossy(&self.path).into_owned();
            self.remaining = 0;
            self.padding = 0;
            let start = self.pos;
            let skipped = self.inner.skip(left).map_err(|e| TarError {
                at: start,
                what: format!("{path}: cannot read its data: {e}"),
            })?;
            self.pos += skipped;
            if skipped < left {
                return err(
                    data_at,
                    format!("{path}: the stream ends inside this entry's data (its header promises more than there is)"),
                );
            }
        }
        let mut have_pax = false;
        let mut have_long_name = false;
        let mut have_long_link = false;
        let mut first_header_at: Option<u64> = None;
        loop {
            let header_at = self.pos;
            if !self.read_block()? {
                // The end of the stream at a header boundary: the archive is complete, as in Go.
                return Ok(None);
            }
            if self.block.iter().all(|&b| b == 0) {
                if !self.read_block()? || self.block.iter().all(|&b| b == 0) {
                    return Ok(None);
                }
                return err(header_at + BLOCK, "a zero block followed by a non-zero block (the end of the archive is two zero blocks)");
            }
            first_header_at.get_or_insert(header_at);
            let stored = numeric(field(&self.block, CHKSUM));
            let (unsigned, signed) = checksums(&self.block);
            if stored != Some(unsigned) && stored != Some(signed) {
                return err(header_at, "not a tar header (checksum mismatch)");
            }
            let magic = field(&self.block, MAGIC);
            let version = field(&self.block, VERSION);
            let ustar = magic == b"ustar\0" && version == b"00";
            let gnu = magic == b"ustar " && version == b" \0";
            let star = ustar && field(&self.block, STAR_TRAILER) == b"tar\0";
            let typeflag = self.block[TYPEFLAG];
            let size = match numeric(field(&self.block, SIZE)) {
                Some(size) if size >= 0 => size as u64,
                _ => return err(header_at, "a tar header with a malformed size field"),
            };
            match typeflag {
                b'x' => {
                    self.read_special(size, header_at, "PAX extended header", Ext::Pax)?;
                    have_pax = true;
                    continue;
                }
                b'L' => {
                    self.read_special(size, header_at, "GNU long name", Ext::LongName)?;
                    have_long_name = true;
                    continue;
                }
                b'K' => {
                    self.read_special(size, header_at, "GNU long link name", Ext::LongLink)?;
                    have_long_link = true;
                    continue;
                }
                _ => {}
            }
            let pax = if have_pax {
                parse_pax(&self.pax).map_err(|what| TarError {
                    at: first_header_at.unwrap_or(header_at),
                    what,
                })?
            } else {
                Pax::default()
            };
            // The path: GNU long name, else PAX path, else the header's name (with its prefix).
            self.path.clear();
            if have_long_name {
                self.path.extend_from_slice(cstr(&self.long_name));
            } else if let Some((s, e)) = pax.path {
                self.path.extend_from_slice(&self.pax[s..e]);
            } else {
                let prefix = if star {
                    cstr(field(&self.block, STAR_PREFIX))
                } else if ustar {
                    cstr(field(&self.block, PREFIX))
                } else {
                    &[]
                };
                if !prefix.is_empty() {
                    self.path.extend_from_slice(prefix);
                    self.path.push(b'/');
                }
                self.path.extend_from_slice(cstr(field(&self.block, NAME)));
            }
            self.link.clear();
            if have_long_link {
                self.link.extend_from_slice(cstr(&self.long_link));
            } else if let Some((s, e)) = pax.linkpath {
                self.link.extend_from_slice(&self.pax[s..e]);
            } else {
                self.link
                    .extend_from_slice(cstr(field(&self.block, LINKNAME)));
            }
            let mode = numeric(field(&self.block, MODE)).map_or(0, |m| m as u32);
            let mut data_len = pax.size.unwrap_or(size);
            let mut file_size = data_len;
            let mut sparse = false;
            let kind = match typeflag {
                b'0' | b'7' => Kind::File,
                0 if self.path.last() == Some(&b'/') => Kind::Dir,
                0 => Kind::File,
                b'1' => Kind::Hardlink,
                b'2' => Kind::Symlink,
                b'3' | b'4' | b'6' => Kind::Special,
                b'5' => Kind::Dir,
                b'g' => Kind::GlobalHeader,
                b'S' if gnu => {
                    sparse = true;
                    file_size = numeric(field(&self.block, GNU_REAL_SIZE))
                        .filter(|s| *s >= 0)
                        .map_or(data_len, |s| s as u64);
                    // The sparse map may go on in extension blocks before the data.
                    let mut extended = self.block[GNU_IS_EXTENDED] != 0;
                    while extended {
                        let at = self.pos;
                        if !self.read_block()? {
                            return err(at, "the stream ends inside a GNU sparse map");
                        }
                        extended = self.block[504] != 0;
                    }
                    Kind::File
                }
                b'S' => {
                    return err(
                        header_at,
                        "a GNU sparse header in an archive that is not GNU tar's",
                    );
                }
                other => Kind::Other(other),
            };
            if kind == Kind::GlobalHeader && data_len > MAX_SPECIAL {
                return err(
                    header_at,
                    format!("PAX global header of {data_len} bytes, over the {MAX_SPECIAL}-byte limit (Go's archive/tar, which runtimes unpack layers with, refuses it too)"),
                );
            }
            // PAX sparse files (GNU formats 0.0, 0.1, 1.0): Go takes their name and size from these records.
            let pax_sparse = match (pax.sparse_major, pax.sparse_minor) {
                (None, None) => pax.sparse_map,
                (Some(major), Some(minor)) => {
                    matches!(
                        (&self.pax[major.0..major.1], &self.pax[minor.0..minor.1]),
                        (b"0", b"0" | b"1") | (b"1", b"0")
                    )
                }
                _ => false,
            };
            if pax_sparse && kind == Kind::File {
                sparse = true;
                if let Some((s, e)) = pax.sparse_name {
                    self.path.clear();
                    self.path.extend_from_slice(&self.pax[s..e]);
                }
                if let Some(real) = pax.sparse_size {
                    file_size = real;
                }
            }
            // Types that carry no data have none, whatever the size field says (as Go reads them).
            if matches!(
                kind,
                Kind::Dir | Kind::Symlink | Kind::Hardlink | Kind::Special
            ) {
                data_len = 0;
                file_size = 0;
            }
            let padding = (BLOCK - data_len % BLOCK) % BLOCK;
            if data_len
                .checked_add(padding)
                .and_then(|n| n.checked_add(self.pos))
                .is_none()
            {
                return err(
                    header_at,
                    format!("a tar header with an impossible size ({data_len} bytes)"),
                );
            }
            self.remaining = data_len;
            self.padding = padding;
            self.current_data_at = self.pos;
            return Ok(Some(Entry {
                kind,
                path: &[],
                link: &[],
                size: file_size,
                data_len,
                mode,
                sparse,
                header_at: first_header_at.unwrap_or(header_at),
                data_at: self.pos,
            }));
        }
    }
}

#[derive(Clone, Copy)]
enum Ext {
    Pax,
    LongName,
    LongLink,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (kind, path, link, size, data) of each entry.
    type Got = (Kind, String, String, u64, Vec<u8>);

    fn entries(bytes: &[u8]) -> Result<Vec<Got>, TarError> {
        let mut reader = TarReader::new(Stream::new(bytes));
        let mut out = Vec::new();
        while let Some(entry) = reader.next_entry()? {
            let (kind, path, link, size, len) = (
                entry.kind,
                String::from_utf8_lossy(entry.path).into_owned(),
                String::from_utf8_lossy(entry.link).into_owned(),
                entry.size,
                entry.data_len,
            );
            let mut data = Vec::new();
            let mut chunk = [0u8; 4096];
            while (data.len() as u64) < len {
                match reader.read(&mut chunk).unwrap() {
                    0 => break,
                    n => data.extend_from_slice(&chunk[..n]),
                }
            }
            out.push((kind, path, link, size, data));
        }
        Ok(out)
    }

    /// Archives the `tar` crate writes (GNU long names, PAX records, links, directories) read the same here.
    #[test]
    fn reads_what_the_tar_crate_writes() {
        let mut builder = tar::Builder::new(Vec::new());
        let long = format!("usr/{}/bin/app", "d".repeat(150));
        let mut header = tar::Header::new_gnu();
        header.set_size(5);
        header.set_mode(0o755);
        builder
            .append_data(&mut header, &long, &b"hello"[..])
            .unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        builder.append_link(&mut header, "lib", "usr/lib").unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        builder
            .append_data(&mut header, "etc/", std::io::empty())
            .unwrap();
        builder
            .append_pax_extensions([("path", &b"opt/pax-named"[..])])
            .unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_size(3);
        builder
            .append_data(&mut header, "short", &b"abc"[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let got = entries(&bytes).unwrap();
        assert_eq!(
            got,
            vec![
                (
                    Kind::File,
                    long.clone(),
                    String::new(),
                    5,
                    b"hello".to_vec()
                ),
                (Kind::Symlink, "lib".into(), "usr/lib".into(), 0, vec![]),
                (Kind::Dir, "etc/".into(), String::new(), 0, vec![]),
                (
                    Kind::File,
                    "opt/pax-named".into(),
                    String::new(),
                    3,
                    b"abc".to_vec()
                ),
            ]
        );
    }

    fn header(name: &str, typeflag: u8, size: u64) -> [u8; 512] {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_entry_type(tar::EntryType::new(typeflag));
        h.set_size(size);
        h.set_cksum();
        *h.as_bytes()
    }

    fn padded(data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.resize(data.len().div_ceil(512) * 512, 0);
        v
    }

    /// A PAX header with these `key=value` records (each record's length computed).
    fn pax(records: &[&str]) -> Vec<u8> {
        let mut data = String::new();
        for record in records {
            let body = record.len() + 2; // ' ' and '\n'
            let mut len = body + 1;
            while len != body + len.to_string().len() {
                len = body + len.to_string().len();
            }
            data.push_str(&format!("{len} {record}\n"));
        }
        let mut v = header("pax", b'x', data.len() as u64).to_vec();
        v.extend(padded(data.as_bytes()));
        v
    }

    #[test]
    fn extension_records_over_a_mebibyte_are_refused_before_being_read() {
        let bytes = header("pax", b'x', 1 << 40).to_vec();
        let e = entries(&bytes).unwrap_err();
        assert_eq!(e.at, 0);
        assert!(
            e.what.starts_with(
                "PAX extended header of 1099511627776 bytes, over the 1048576-byte limit"
            ),
            "{}",
            e.what
        );
        let e = entries(&header("././@LongLink", b'L', 2 << 20)).unwrap_err();
        assert!(
            e.what.starts_with("GNU long name of 2097152 bytes"),
            "{}",
            e.what
        );
    }

    #[test]
    fn pax_size_overrides_and_lying_sizes_are_errors_with_offsets() {
        let mut bytes = pax(&["size=1000"]);
        bytes.extend(header("f", b'0', 3));
        bytes.extend(padded(b"abc"));
        let e = entries(&bytes).unwrap_err();
        assert_eq!(e.at, 1536);
        assert!(
            e.what
                .contains("f: the stream ends inside this entry's data"),
            "{}",
            e.what
        );

        let mut bytes = pax(&["size=9223372036854775807"]);
        bytes.extend(header("f", b'0', 0));
        let e = entries(&bytes).unwrap_err();
        assert!(
            e.what
                .contains("f: the stream ends inside this entry's data"),
            "{}",
            e.what
        );
        let mut bytes = pax(&["size=-1"]);
        bytes.extend(header("f", b'0', 0));
        let e = entries(&bytes).unwrap_err();
        assert!(e.what.contains("malformed number"), "{}", e.what);

        // A size too small: the next "header" is file data.
        let mut bytes = header("f", b'0', 1).to_vec();
        bytes.extend(padded(&[b'x'; 700]));
        let e = entries(&bytes).unwrap_err();
        assert_eq!(
            e,
            TarError {
                at: 1024,
                what: "not a tar header (checksum mismatch)".into()
            }
        );
    }

    #[test]
    fn types_without_data_have_none_whatever_their_size_says() {
        let mut bytes = header("l", b'2', 512).to_vec();
        bytes.extend(header("f", b'0', 2));
        bytes.extend(padded(b"hi"));
        let got = entries(&bytes).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].1, "f");
        assert_eq!(got[1].4, b"hi");
    }

    #[test]
    fn the_end_of_an_archive() {
        // No zero blocks at all: complete at a header boundary.
        assert_eq!(entries(&header("d/", b'5', 0)).unwrap().len(), 1);
        // One zero block, then the stream ends: complete.
        let mut bytes = header("d/", b'5', 0).to_vec();
        bytes.extend([0u8; 512]);
        assert_eq!(entries(&bytes).unwrap().len(), 1);
        // A zero block, then a header: an error (as in Go).
        let mut bytes = [0u8; 512].to_vec();
        bytes.extend(header("d/", b'5', 0));
        let e = entries(&bytes).unwrap_err();
        assert_eq!(e.at, 512);
        // A partial header.
        let e = entries(&header("d/", b'5', 0)[..100]).unwrap_err();
        assert_eq!(
            e.what,
            "the stream ends inside a tar header (100 of 512 bytes)"
        );
    }

    #[test]
    fn a_nul_typeflag_with_a_trailing_slash_is_a_directory() {
        let mut block = header("dir", 0, 0);
        block[3] = b'/';
        block[156] = 0;
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&block);
        h.set_cksum();
        let got = entries(h.as_bytes()).unwrap();
        assert_eq!(got[0].0, Kind::Dir);
        block[3] = 0;
        h.as_mut_bytes().copy_from_slice(&block);
        h.set_cksum();
        let got = entries(h.as_bytes()).unwrap();
        assert_eq!(got[0].0, Kind::File);
    }

    #[test]
    fn gnu_long_names_win_over_pax_paths() {
        let mut bytes = pax(&["path=from-pax"]);
        let name = b"from-gnu\0";
        let mut h = tar::Header::new_gnu();
        h.set_path("././@LongLink").unwrap();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(name.len() as u64);
        h.set_cksum();
        bytes.extend(h.as_bytes());
        bytes.extend(padded(name));
        bytes.extend(header("short", b'0', 0));
        assert_eq!(entries(&bytes).unwrap()[0].1, "from-gnu");
    }

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(numeric(b"0000644 \0"), Some(0o644));
        assert_eq!(numeric(b"   \0"), Some(0));
        assert_eq!(numeric(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), Some(256));
        assert_eq!(numeric(&[0xff; 12]), Some(-1));
        assert_eq!(numeric(b"12x"), None);
    }
}
