//! `rootfs:DIR`: a plain directory tree (a chroot, a build stage's output, a node's `/proc/PID/root`) read as
//! an image of one layer. The layer is a tar stream made on the fly from the tree, on a thread of its own,
//! into a pipe the walk reads — so the walk, the merge and every probe are the ones images get, and nothing
//! is copied to disk. Symlinks are recorded, never followed on this machine (the merge resolves them inside
//! the tree, as for any image); hard links are recorded once; `/proc`, `/sys` and `/dev` at the top are left
//! out, as are sockets, FIFOs and devices (they hold no file a resolver reads).
//!
//! A tree has no image config: the platform is read from the ELF files found (the first of the usual
//! programs, else the first ELF file), and the environment is unknown — said in the report, because GODEBUG,
//! LOCALDOMAIN, RES_OPTIONS and HOSTALIASES set there cannot be seen. Files that cannot be read are reported
//! (NSL900), not dropped. No layer digest exists, so the layer cache is not used.

use super::files::Files;
use super::platform::{Platform, PlatformChoice};
use super::{Expected, Image, ImageRef, Layer, Location, SourceNotes, Unread};
use crate::error::ImageError;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Top-level directories of a live system that are not its files.
const NOT_FILES: [&str; 3] = ["proc", "sys", "dev"];
/// Programs whose ELF header names the tree's platform, tried before any other file.
const USUAL_PROGRAMS: [&str; 6] = [
    "bin/sh",
    "usr/bin/env",
    "bin/busybox",
    "usr/bin/sh",
    "lib/ld-musl-x86_64.so.1",
    "lib/ld-musl-aarch64.so.1",
];
/// Directories whose files are mostly programs and libraries.
const USUAL_DIRS: [&str; 7] = [
    "bin",
    "usr/bin",
    "sbin",
    "usr/sbin",
    "usr/local/bin",
    "lib",
    "usr/lib",
];
/// The most files looked at for an ELF header.
const PLATFORM_SEARCH_LIMIT: usize = 10_000;
/// The most unreadable files listed one by one.
const MAX_UNREAD: usize = 1000;
/// The name the one layer goes by in reports.
const LAYER_NAME: &str = "rootfs";

pub const ENV_UNKNOWN: &str = "a root filesystem has no image config: its ENV is unknown, so GODEBUG, LOCALDOMAIN, RES_OPTIONS and HOSTALIASES set there cannot be seen (predictions assume none is set)";

/// What follows `rootfs:`: a directory.
pub fn location(rest: &str) -> Result<Location, String> {
    if rest.is_empty() {
        return Err("no directory given (write rootfs:DIR)".into());
    }
    Ok((PathBuf::from(rest), None))
}

pub fn open(reference: &ImageRef, choice: &PlatformChoice) -> Result<Vec<Image>, ImageError> {
    let input = &reference.original;
    let fail = |what: String| ImageError::new(input, "", what);
    let root = &reference.path;
    let meta = std::fs::metadata(root)
        .map_err(|e| fail(format!("cannot read {}: {e}", root.display())))?;
    if !meta.is_dir() {
        return Err(fail(format!("{} is not a directory", root.display())));
    }
    let platform = platform_of_tree(root).ok_or_else(|| {
        fail(format!(
            "no ELF file found in {} to tell its platform (is it a root filesystem?)",
            root.display()
        ))
    })?;
    let config = config_for(&platform).map_err(fail)?;
    let notes = SourceNotes {
        env_unknown: Some(ENV_UNKNOWN.into()),
        unread: Arc::default(),
    };
    let files = Arc::new(TreeFiles {
        root: root.clone(),
        unread: Arc::clone(&notes.unread),
    });
    let image = Image {
        input: input.clone(),
        name: None,
        manifest_digest: None,
        platform: platform.clone(),
        config,
        config_digest: None,
        layers: vec![Layer {
            index: 0,
            digest: LAYER_NAME.into(),
            media_type: Some("application/vnd.oci.image.layer.v1.tar".into()),
            location: LAYER_NAME.into(),
            expected: Expected {
                blob_digest: None,
                blob_size: None,
                diff_id: None,
            },
        }],
        stored: Default::default(),
        notes,
        files,
    };
    super::choose_images(vec![(platform, image)], choice).map_err(fail)
}

/// The config a tree would have: its platform and nothing else.
fn config_for(platform: &Platform) -> Result<oci_spec::image::ImageConfiguration, String> {
    let json = serde_json::json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "variant": platform.variant,
        "rootfs": { "type": "layers", "diff_ids": [] },
    });
    serde_json::from_value(json).map_err(|e| format!("cannot make the tree's config: {e}"))
}

/// The platform of the first ELF file found: the usual programs, then the files of the usual program
/// directories, then a bounded walk of the whole tree.
fn platform_of_tree(root: &Path) -> Option<Platform> {
    // Symlinks are not followed (they may point outside the tree); `bin/sh` is often one, and its target
    // is found among the files of the directories after.
    let regular =
        |path: &Path| std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() >= 64);
    let looked = std::cell::Cell::new(0usize);
    let try_file = |path: &Path| {
        looked.set(looked.get() + 1);
        regular(path).then(|| platform_of_file(path)).flatten()
    };
    for program in USUAL_PROGRAMS {
        if let Some(platform) = try_file(&root.join(program)) {
            return Some(platform);
        }
    }
    for dir in USUAL_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths.iter().take(PLATFORM_SEARCH_LIMIT / USUAL_DIRS.len()) {
            if let Some(platform) = try_file(path) {
                return Some(platform);
            }
        }
    }
    // Breadth first: programs sit near the top (`/app`, `/server`), data deep below.
    let mut pending = std::collections::VecDeque::from([root.to_path_buf()]);
    while let Some(dir) = pending.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let is_top_skip = dir == root && NOT_FILES.iter().any(|n| entry.file_name() == *n);
            if kind.is_dir() && !is_top_skip {
                pending.push_back(entry.path());
            } else if kind.is_file() {
                if let Some(platform) = try_file(&entry.path()) {
                    return Some(platform);
                }
                if looked.get() >= PLATFORM_SEARCH_LIMIT {
                    return None;
                }
            }
        }
    }
    None
}

fn platform_of_file(path: &Path) -> Option<Platform> {
    let mut head = [0u8; 20];
    File::open(path).ok()?.read_exact(&mut head).ok()?;
    platform_of_elf(&head)
}

/// The OCI platform of an ELF header's class, byte order and machine (`linux/arm64`).
pub fn platform_of_elf(head: &[u8]) -> Option<Platform> {
    if head.len() < 20 || &head[..4] != b"\x7fELF" {
        return None;
    }
    let is64 = head[4] == 2;
    let little = head[5] == 1;
    let machine = if little {
        u16::from_le_bytes([head[18], head[19]])
    } else {
        u16::from_be_bytes([head[18], head[19]])
    };
    let (architecture, variant) = match (machine, is64, little) {
        (62, true, _) => ("amd64", None),
        (183, true, _) => ("arm64", None),
        (3, false, _) => ("386", None),
        (40, false, _) => ("arm", None),
        (21, true, true) => ("ppc64le", None),
        (21, true, false) => ("ppc64", None),
        (22, true, _) => ("s390x", None),
        (243, true, _) => ("riscv64", None),
        (8, true, true) => ("mips64le", None),
        (8, true, false) => ("mips64", None),
        (8, false, true) => ("mipsle", None),
        (8, false, false) => ("mips", None),
        (258, true, _) => ("loong64", None),
        _ => return None,
    };
    Some(Platform {
        os: "linux".into(),
        architecture: architecture.into(),
        variant,
    })
}

/// The tree as the one blob an image of it has: its layer, made when opened.
struct TreeFiles {
    root: PathBuf,
    unread: Arc<Mutex<Vec<Unread>>>,
}

impl Files for TreeFiles {
    fn exists(&self, name: &str) -> bool {
        name == LAYER_NAME
    }

    /// Starts the tar stream of the tree on a thread of its own; the size is not known ahead (0).
    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        if name != LAYER_NAME {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no {name} in a tree"),
            ));
        }
        let (reader, writer) = io::pipe()?;
        let root = self.root.clone();
        let unread = Arc::clone(&self.unread);
        std::thread::Builder::new()
            .name("nsslint-rootfs".into())
            .spawn(move || {
                let mut layer = TreeTar::new(&root, writer, unread);
                // A write that fails means the walk stopped reading (it reports why); nothing to add.
                let _ = layer.write_tree();
            })?;
        Ok((Box::new(reader), 0))
    }
}

/// Writes a tree as tar: directories, regular files, symlinks, hard links.
struct TreeTar<'a, W: Write> {
    root: &'a Path,
    tar: tar::Builder<W>,
    unread: Arc<Mutex<Vec<Unread>>>,
    /// (device, inode) of files with several links → the path first written.
    linked: HashMap<(u64, u64), PathBuf>,
}

impl<'a, W: Write> TreeTar<'a, W> {
    fn new(root: &'a Path, out: W, unread: Arc<Mutex<Vec<Unread>>>) -> Self {
        let mut tar = tar::Builder::new(out);
        tar.follow_symlinks(false);
        TreeTar {
            root,
            tar,
            unread,
            linked: HashMap::new(),
        }
    }

    fn note(&self, relative: &Path, what: String) {
        let mut unread = self.unread.lock().unwrap_or_else(|e| e.into_inner());
        if unread.len() < MAX_UNREAD {
            unread.push(Unread {
                path: format!("/{}", relative.display()),
                what,
            });
        }
    }

    fn write_tree(&mut self) -> io::Result<()> {
        let mut pending = vec![PathBuf::new()];
        while let Some(relative) = pending.pop() {
            let dir = self.root.join(&relative);
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    self.note(&relative, format!("directory not read: {e}"));
                    continue;
                }
            };
            let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
            names.sort();
            // Depth first in name order: pushed in reverse so that the first name is walked first.
            let mut subdirs = Vec::new();
            for name in names {
                if relative.as_os_str().is_empty() && NOT_FILES.iter().any(|n| name == *n) {
                    continue;
                }
                let path = relative.join(&name);
                let meta = match std::fs::symlink_metadata(self.root.join(&path)) {
                    Ok(meta) => meta,
                    Err(e) => {
                        self.note(&path, format!("not read: {e}"));
                        continue;
                    }
                };
                if meta.is_dir() {
                    self.entry(&path, &meta, tar::EntryType::Directory, io::empty())?;
                    subdirs.push(path);
                } else {
                    self.non_dir(&path, &meta)?;
                }
            }
            pending.extend(subdirs.into_iter().rev());
        }
        self.tar.finish()
    }

    fn non_dir(&mut self, path: &Path, meta: &Metadata) -> io::Result<()> {
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = match std::fs::read_link(self.root.join(path)) {
                Ok(target) => target,
                Err(e) => {
                    self.note(path, format!("symlink not read: {e}"));
                    return Ok(());
                }
            };
            let mut header = header(meta, tar::EntryType::Symlink, 0);
            return self.tar.append_link(&mut header, path, target);
        }
        if kind.is_fifo() || kind.is_socket() || kind.is_block_device() || kind.is_char_device() {
            return Ok(());
        }
        if meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.linked.get(&key).cloned() {
                let mut header = header(meta, tar::EntryType::Link, 0);
                return self.tar.append_link(&mut header, path, first);
            }
            self.linked.insert(key, path.to_path_buf());
        }
        match File::open(self.root.join(path)) {
            Ok(file) => {
                let size = meta.len();
                let changed = std::cell::Cell::new(false);
                let data = Exactly {
                    inner: file,
                    left: size,
                    short: &changed,
                };
                self.entry(path, meta, tar::EntryType::Regular, data)?;
                if changed.get() {
                    self.note(
                        path,
                        "shrank while it was read: the rest was read as zeros".into(),
                    );
                }
                Ok(())
            }
            Err(e) => {
                self.linked.retain(|_, first| first != path);
                self.note(path, format!("not read: {e}"));
                Ok(())
            }
        }
    }

    fn entry(
        &mut self,
        path: &Path,
        meta: &Metadata,
        kind: tar::EntryType,
        data: impl Read,
    ) -> io::Result<()> {
        let size = if kind == tar::EntryType::Regular {
            meta.len()
        } else {
            0
        };
        let mut header = header(meta, kind, size);
        self.tar.append_data(&mut header, path, data)
    }
}

/// A header with the entry's mode and size; owner root and time zero, which nothing downstream reads.
fn header(meta: &Metadata, kind: tar::EntryType, size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(meta.mode() & 0o7777);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

/// Exactly `left` bytes of a file that may shrink while it is read (a live system's log, say): what is
/// missing reads as zeros, and `short` says so.
struct Exactly<'a, R> {
    inner: R,
    left: u64,
    short: &'a std::cell::Cell<bool>,
}

impl<R: Read> Read for Exactly<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (buf.len() as u64).min(self.left) as usize;
        if want == 0 {
            return Ok(0);
        }
        let n = match self.inner.read(&mut buf[..want])? {
            0 => {
                self.short.set(true);
                buf[..want].fill(0);
                want
            }
            n => n,
        };
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elf_headers_name_oci_platforms() {
        let mut head = [0u8; 20];
        head[..4].copy_from_slice(b"\x7fELF");
        head[4] = 2;
        head[5] = 1;
        head[18..20].copy_from_slice(&183u16.to_le_bytes());
        assert_eq!(platform_of_elf(&head).unwrap().to_string(), "linux/arm64");
        head[18..20].copy_from_slice(&62u16.to_le_bytes());
        assert_eq!(platform_of_elf(&head).unwrap().to_string(), "linux/amd64");
        assert!(platform_of_elf(b"#!/bin/sh\n").is_none());
    }

    #[test]
    fn a_file_that_shrinks_reads_as_its_first_size() {
        let short = std::cell::Cell::new(false);
        let mut out = Vec::new();
        Exactly {
            inner: &b"abc"[..],
            left: 5,
            short: &short,
        }
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, b"abc\0\0");
        assert!(short.get());
    }
}
