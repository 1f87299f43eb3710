//! The tar both archive sinks write: entries streamed in (a layer of gigabytes is never held in memory),
//! written beside the final name and renamed into place when complete. Entries are written the same way
//! every time: mode 0644, uid and gid 0, mtime 0.

use super::AtomicFile;
use std::io::Write;

pub struct Tarball {
    file: AtomicFile,
    names: std::collections::HashSet<String>,
}

impl Tarball {
    /// Refuses an existing `path` unless `force`.
    pub fn create(path: &std::path::Path, force: bool) -> Result<Tarball, String> {
        Ok(Tarball {
            file: AtomicFile::create(path, force)?,
            names: Default::default(),
        })
    }

    /// Whether an entry of this name was written (blobs shared by several images are written once).
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        self.add(name, bytes.len() as u64, |out| {
            out.write_all(bytes).map_err(|e| e.to_string())?;
            Ok(bytes.len() as u64)
        })
    }

    /// An entry of `size` bytes that `fill` writes.
    pub fn add(
        &mut self,
        name: &str,
        size: u64,
        fill: impl FnOnce(&mut dyn Write) -> Result<u64, String>,
    ) -> Result<(), String> {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(size);
        header
            .set_path(name)
            .map_err(|e| format!("{name}: cannot be named in a tar: {e}"))?;
        header.set_cksum();
        let out = self.file.writer();
        out.write_all(header.as_bytes())
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        let wrote = fill(out)?;
        if wrote != size {
            return Err(format!(
                "{name}: {wrote} bytes written where {size} were announced"
            ));
        }
        let padding = (512 - size % 512) % 512;
        out.write_all(&vec![0u8; padding as usize])
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        self.names.insert(name.to_string());
        Ok(())
    }

    /// The two zero blocks that end a tar, then the rename.
    pub fn finish(mut self) -> Result<(), String> {
        self.file
            .writer()
            .write_all(&[0u8; 1024])
            .map_err(|e| format!("cannot write the archive: {e}"))?;
        self.file.commit()
    }
}
