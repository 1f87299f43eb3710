//! Named files of an image container, wherever they sit: a directory on disk (an OCI layout, an unpacked
//! `docker save`) or the members of a tar archive (`docker save` output, an OCI archive). The formats above
//! this read `index.json`, `manifest.json` and blobs by name and never care which one they got.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::tarstream::{Kind, Seekable, TarError, TarReader};

/// The largest metadata file (index, manifest, config) we read into memory.
pub const METADATA_LIMIT: u64 = 16 * 1024 * 1024;
/// The most members an image archive may have (a `docker save` of 500 layers has about 1,500).
pub const MAX_MEMBERS: usize = 100_000;

/// Read access to the files of an image container by their relative name (`blobs/sha256/ab…`).
pub trait Files: Send + Sync {
    /// Whether `name` exists (after following the container's own symlinks).
    fn exists(&self, name: &str) -> bool;
    /// Opens `name` for streaming; returns the reader and the file's size.
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)>;
    /// Reads a small file whole, refusing files over `limit` bytes.
    fn read_small(&self, name: &str, limit: u64) -> io::Result<Vec<u8>> {
        let (reader, size) = self.open(name)?;
        if size > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is {size} bytes, over the {limit}-byte limit for metadata"),
            ));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        reader.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is over {limit} bytes"),
            ));
        }
        Ok(bytes)
    }
}

/// Files below a directory. Names may not climb out of it.
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirFiles { root: root.into() }
    }

    fn path_of(&self, name: &str) -> io::Result<PathBuf> {
        let relative = Path::new(name);
        let climbs = relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
        if climbs || name.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing file name {name:?}"),
            ));
        }
        Ok(self.root.join(relative))
    }
}

impl Files for DirFiles {
    fn exists(&self, name: &str) -> bool {
        self.path_of(name).map(|p| p.is_file()).unwrap_or(false)
    }

    /// Only regular files inside the directory are read: the container's own symlinks are followed only
    /// while they stay inside it (a blob that is a symlink to `/etc/shadow` or `/dev/zero` is refused), and
    /// no more bytes are read than the file had when it was opened.
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let path = self.path_of(name)?;
        let real = std::fs::canonicalize(&path)?;
        let root = std::fs::canonicalize(&self.root)?;
        if !real.starts_with(&root) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{name} is a symlink that leads out of {} (to {}); refusing to read it",
                    self.root.display(),
                    real.display()
                ),
            ));
        }
        let file = File::open(&real)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name} is not a regular file"),
            ));
        }
        let size = meta.len();
        Ok((Box::new(file.take(size)), size))
    }
}

#[derive(Debug, Clone)]
enum Member {
    Data { offset: u64, size: u64 },
    Link { target: String },
}

/// The members of a tar archive, indexed once by reading only the headers (data is skipped by seeking).
/// The archive is held open once; each `open` reads at its own offsets (positional reads), so layers can be
/// read in parallel — and an archive with no name (an engine's export spooled to an unlinked file) works
/// the same.
pub struct TarFiles {
    file: Arc<File>,
    members: HashMap<String, Member>,
}

/// Member names in archives come as `./blobs/x`, `blobs/x` or `/blobs/x`; they all mean `blobs/x`.
pub fn clean_member_name(raw: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

impl TarFiles {
    pub fn index(path: &Path) -> io::Result<TarFiles> {
        TarFiles::index_file(File::open(path)?)
    }

    /// Indexes an open archive, read from its start.
    pub fn index_file(file: File) -> io::Result<TarFiles> {
        let file = Arc::new(file);
        let source = Seekable::new(PositionalReader::new(Arc::clone(&file), 0, u64::MAX))?;
        let mut archive = TarReader::new(source);
        let mut members = HashMap::new();
        let bad = |e: TarError| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("at byte {}: {}", e.at, e.what),
            )
        };
        while let Some(entry) = archive.next_entry().map_err(bad)? {
            let name = clean_member_name(&String::from_utf8_lossy(entry.path));
            let target = || String::from_utf8_lossy(entry.link).into_owned();
            let member = match entry.kind {
                Kind::File if !entry.sparse => Member::Data {
                    offset: entry.data_at,
                    size: entry.data_len,
                },
                Kind::Symlink => {
                    // A symlink's target is relative to the link's directory, or to the archive root.
                    let target = target();
                    let dir = name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                    let joined = if target.starts_with('/') {
                        target
                    } else {
                        format!("{dir}/{target}")
                    };
                    Member::Link {
                        target: clean_member_name(&joined),
                    }
                }
                Kind::Hardlink => Member::Link {
                    target: clean_member_name(&target()),
                },
                _ => continue,
            };
            if members.len() >= MAX_MEMBERS && !members.contains_key(&name) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("more than {MAX_MEMBERS} members; no image archive has that many"),
                ));
            }
            members.insert(name, member);
        }
        Ok(TarFiles { file, members })
    }

    /// Follows the archive's own links (skopeo writes `<id>/layer.tar` as symlinks to blobs) to the data.
    fn locate(&self, name: &str) -> io::Result<(u64, u64)> {
        let mut current = clean_member_name(name);
        for _ in 0..16 {
            match self.members.get(&current) {
                Some(Member::Data { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link { target }) => current = target.clone(),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("no member {name:?} in the archive"),
                    ))
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("member {name:?}: too many links"),
        ))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }
}

impl Files for TarFiles {
    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_ok()
    }

    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let (offset, size) = self.locate(name)?;
        let file_len = self.file.metadata()?.len();
        if offset.saturating_add(size) > file_len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("member {name:?} claims {size} bytes at offset {offset}, past the archive's end ({file_len} bytes)"),
            ));
        }
        Ok((
            Box::new(PositionalReader::new(Arc::clone(&self.file), offset, size)),
            size,
        ))
    }
}

/// `len` bytes of a shared file from `start`, read with positional reads (no shared cursor).
struct PositionalReader {
    file: Arc<File>,
    pos: u64,
    end: u64,
}

impl PositionalReader {
    fn new(file: Arc<File>, start: u64, len: u64) -> Self {
        PositionalReader {
            file,
            pos: start,
            end: start.saturating_add(len),
        }
    }
}

impl Read for PositionalReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PositionalReader {
    /// Only what [`Seekable`] asks: the end (the file's length) and absolute offsets.
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(at) => at,
            SeekFrom::End(delta) => self.file.metadata()?.len().saturating_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.saturating_add_signed(delta),
        };
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::clean_member_name;

    #[test]
    fn member_names_are_cleaned_to_one_form() {
        assert_eq!(clean_member_name("./blobs/sha256/ab"), "blobs/sha256/ab");
        assert_eq!(clean_member_name("/manifest.json"), "manifest.json");
        assert_eq!(clean_member_name("a/../../b"), "b");
        assert_eq!(clean_member_name("a//b/./c"), "a/b/c");
    }
}
