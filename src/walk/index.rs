//! The names and kinds of every entry of one layer, in an arena: one growing string holds all paths, so
//! recording an entry allocates nothing of its own. The merge into the final filesystem reads these.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EntryKind {
    File,
    Dir,
    /// The link target is in [`Entry::link`].
    Symlink,
    /// A hard link to another entry of the archive; its path is in [`Entry::link`].
    Hardlink,
    /// `.wh.NAME`: deletes `path` (and what is below it) from the lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides everything below the directory `path` in the lower layers.
    Opaque,
    /// Devices, FIFOs and other entries that are neither data nor links.
    Other,
    /// Not an entry of the filesystem: something wrong with the entry at `path` (the layer itself when
    /// `path` is empty) that the walk passed over, described in [`LayerIndex::link`]. Kept in the index so
    /// that it travels wherever the layer's entries do (the layer cache too), and reported as NSL900.
    Problem,
}

impl EntryKind {
    const ALL: [EntryKind; 8] = [
        EntryKind::File,
        EntryKind::Dir,
        EntryKind::Symlink,
        EntryKind::Hardlink,
        EntryKind::Whiteout,
        EntryKind::Opaque,
        EntryKind::Other,
        EntryKind::Problem,
    ];

    fn code(self) -> u8 {
        self as u8
    }

    fn from_code(code: u8) -> Option<EntryKind> {
        EntryKind::ALL.get(usize::from(code)).copied()
    }
}

/// Bytes per entry in [`LayerIndex::encode`]: kind, path and link lengths, size, mode.
const ENCODED_ENTRY: usize = 1 + 4 + 4 + 8 + 4;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub kind: EntryKind,
    path: Range<usize>,
    link: Range<usize>,
    pub size: u64,
    pub mode: u32,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct LayerIndex {
    names: String,
    entries: Vec<Entry>,
}

impl LayerIndex {
    pub fn push(&mut self, kind: EntryKind, path: &str, link: &str, size: u64, mode: u32) -> usize {
        let start = self.names.len();
        self.names.push_str(path);
        let path = start..self.names.len();
        self.names.push_str(link);
        let link = path.end..self.names.len();
        self.entries.push(Entry {
            kind,
            path,
            link,
            size,
            mode,
        });
        self.entries.len() - 1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, id: usize) -> &Entry {
        &self.entries[id]
    }

    pub fn path(&self, id: usize) -> &str {
        &self.names[self.entries[id].path.clone()]
    }

    pub fn link(&self, id: usize) -> &str {
        &self.names[self.entries[id].link.clone()]
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries.iter().enumerate()
    }

    /// The index as bytes for the layer cache: the entry count, then per entry its kind, the lengths of its
    /// path and link, its size and mode (little-endian, fixed width), then the names. Reading JSON back
    /// cost a warm re-scan most of its time; this is a copy and a bounds check per entry.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.reserve(8 + self.entries.len() * ENCODED_ENTRY + self.names.len());
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for entry in &self.entries {
            out.push(entry.kind.code());
            out.extend_from_slice(&(entry.path.len() as u32).to_le_bytes());
            out.extend_from_slice(&(entry.link.len() as u32).to_le_bytes());
            out.extend_from_slice(&entry.size.to_le_bytes());
            out.extend_from_slice(&entry.mode.to_le_bytes());
        }
        out.extend_from_slice(self.names.as_bytes());
    }

    /// Reads what [`LayerIndex::encode`] wrote; `None` for anything else (a damaged cache entry is walked
    /// again, never trusted): lengths must add up to the names exactly, on character boundaries.
    /// The index starts at `start`; the names are moved to the front of `bytes`, which becomes the index's
    /// string (no second copy of them).
    pub fn decode(mut bytes: Vec<u8>, start: usize) -> Option<LayerIndex> {
        let encoded = bytes.get(start..)?;
        let count = usize::try_from(u64::from_le_bytes(encoded.get(..8)?.try_into().ok()?)).ok()?;
        let table_end = count.checked_mul(ENCODED_ENTRY)?.checked_add(8)?;
        let table = encoded.get(8..table_end)?;
        let names = std::str::from_utf8(&encoded[table_end..]).ok()?;
        let mut entries = Vec::with_capacity(count);
        let mut at = 0usize;
        for record in table.chunks_exact(ENCODED_ENTRY) {
            let kind = EntryKind::from_code(record[0])?;
            let path_len = u32::from_le_bytes(record[1..5].try_into().ok()?) as usize;
            let link_len = u32::from_le_bytes(record[5..9].try_into().ok()?) as usize;
            let path = at..at.checked_add(path_len)?;
            let link = path.end..path.end.checked_add(link_len)?;
            if link.end > names.len()
                || !names.is_char_boundary(path.end)
                || !names.is_char_boundary(link.end)
            {
                return None;
            }
            // Only what a walk records: clean paths (and clean hard link targets), which the merge relies on.
            if !is_clean(&names[path.clone()])
                || (kind == EntryKind::Hardlink && !is_clean(&names[link.clone()]))
            {
                return None;
            }
            at = link.end;
            entries.push(Entry {
                kind,
                path,
                link,
                size: u64::from_le_bytes(record[9..17].try_into().ok()?),
                mode: u32::from_le_bytes(record[17..21].try_into().ok()?),
            });
        }
        if at != names.len() {
            return None;
        }
        bytes.drain(..start + table_end);
        let names = String::from_utf8(bytes).ok()?; // (checked above; no second check is skipped unsafely)
        Some(LayerIndex { names, entries })
    }
}

/// Whether [`clean_path`] would leave this path as it is (without building the cleaned path).
pub fn is_clean(path: &str) -> bool {
    if path.is_empty() {
        return true;
    }
    // One pass over the bytes (the layer cache checks every path it reads back).
    let mut part = 0usize; // bytes of the current part so far
    let mut dots = 0usize; // of which dots, while only dots
    for &byte in path.as_bytes() {
        if byte == b'/' {
            if part == 0 || part == dots && dots <= 2 {
                return false;
            }
            (part, dots) = (0, 0);
        } else {
            if byte == b'.' && dots == part {
                dots += 1;
            }
            part += 1;
        }
    }
    !(part == 0 || part == dots && dots <= 2)
}

/// Whether a path from a layer climbs above the root (`../../etc/x`, `a/../../x`): runtimes disagree on such
/// an entry (containerd puts it inside the root, where [`clean_path`] does; Docker refuses the layer).
pub fn climbs_out(raw: &str) -> bool {
    let mut depth = 0usize;
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

/// Cleans a path from a layer the way container runtimes do when they apply it (join with `/`, then clean
/// lexically): no leading `/` or `./`, no `.` or empty parts, `..` stops at the root. `""` is the root.
/// Borrowed when already clean, which is the common case.
pub fn clean_path(raw: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = raw
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/');
    let dirty = trimmed
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..");
    if !dirty {
        return std::borrow::Cow::Borrowed(trimmed);
    }
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
    std::borrow::Cow::Owned(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_index_reads_back_equal_and_damage_is_refused() {
        let mut index = LayerIndex::default();
        index.push(EntryKind::Dir, "usr", "", 0, 0o755);
        index.push(EntryKind::Symlink, "lib", "usr/lib", 0, 0o777);
        index.push(EntryKind::File, "usr/bin/héllo", "", 1 << 40, 0o4755);
        index.push(EntryKind::Problem, "", "layer: something odd", 0, 0);
        let mut bytes = Vec::new();
        index.encode(&mut bytes);
        let back = LayerIndex::decode(bytes.clone(), 0).expect("decodes");
        assert_eq!(back.len(), 4);
        for id in 0..4 {
            assert_eq!(back.path(id), index.path(id));
            assert_eq!(back.link(id), index.link(id));
            assert_eq!(back.entry(id).kind, index.entry(id).kind);
            assert_eq!(back.entry(id).size, index.entry(id).size);
            assert_eq!(back.entry(id).mode, index.entry(id).mode);
        }
        // An unclean path (as no walk records it).
        let mut unclean = LayerIndex::default();
        unclean.push(EntryKind::File, "usr//bin", "", 0, 0);
        let mut unclean_bytes = Vec::new();
        unclean.encode(&mut unclean_bytes);
        assert!(LayerIndex::decode(unclean_bytes, 0).is_none());
        // One name byte short, one too many, a length splitting 'é', an unknown kind, a huge count.
        assert!(LayerIndex::decode(bytes[..bytes.len() - 1].to_vec(), 0).is_none());
        assert!(LayerIndex::decode([bytes.as_slice(), b"x"].concat(), 0).is_none());
        let mut split = bytes.clone();
        split[8 + 2 * ENCODED_ENTRY + 1] = 10; // "usr/bin/h" + the first byte of 'é'
        assert!(LayerIndex::decode(split, 0).is_none());
        let mut kind = bytes.clone();
        kind[8] = 8;
        assert!(LayerIndex::decode(kind, 0).is_none());
        let mut count = bytes.clone();
        count[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(LayerIndex::decode(count, 0).is_none());
    }

    #[test]
    fn a_clean_path_is_one_cleaning_leaves_alone() {
        for path in [
            "",
            "usr",
            "usr/bin/app",
            "a/.b",
            "a..",
            "/usr",
            "usr/",
            "a//b",
            "./a",
            "a/./b",
            "a/..",
            "..",
            ".",
        ] {
            assert_eq!(is_clean(path), clean_path(path) == path, "{path:?}");
        }
    }

    #[test]
    fn paths_are_cleaned_like_a_runtime_applying_the_layer() {
        assert_eq!(clean_path("./usr/bin/app"), "usr/bin/app");
        assert_eq!(clean_path("usr/lib/"), "usr/lib");
        assert_eq!(clean_path("/etc//hosts"), "etc/hosts");
        assert_eq!(clean_path("../../etc/x"), "etc/x");
        assert_eq!(clean_path("a/./b/../c"), "a/c");
        assert_eq!(clean_path("./"), "");
        assert!(climbs_out("../../etc/x"));
        assert!(climbs_out("a/../../x"));
        assert!(climbs_out("/.."));
        assert!(!climbs_out("a/../b"));
        assert!(!climbs_out("/etc/./x/.."));
        assert!(matches!(
            clean_path("usr/bin/app"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn the_arena_gives_back_each_entry() {
        let mut index = LayerIndex::default();
        let a = index.push(EntryKind::Symlink, "lib", "usr/lib", 0, 0o777);
        let b = index.push(EntryKind::File, "usr/lib/x", "", 10, 0o644);
        assert_eq!((index.path(a), index.link(a)), ("lib", "usr/lib"));
        assert_eq!(
            (index.path(b), index.link(b), index.entry(b).size),
            ("usr/lib/x", "", 10)
        );
    }
}
