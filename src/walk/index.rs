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
