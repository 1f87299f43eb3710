//! The final filesystem: every layer's entries merged in layer order, as a container runtime applies them.
//! `.wh.NAME` deletes from the lower layers, `.wh..wh..opq` empties a directory of its lower contents, a later
//! entry replaces an earlier one (a non-directory replacing a directory drops what was below it), an entry
//! whose parent is a symlink lands where the symlink points (runtimes resolve parents inside the root), and a
//! hard link shares the content of its target. Lookups follow symlinks, absolute and relative, inside the
//! root, with a bounded number of hops.

use crate::walk::index::EntryKind;
use crate::walk::LayerScan;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

/// Linux gives up after 40 symlinks in one lookup; so do we.
pub const MAX_SYMLINK_HOPS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind<'a> {
    /// A regular file; its bytes are those of entry `entry` of layer `layer` (for a hard link, the target's).
    File {
        layer: usize,
        entry: usize,
    },
    Dir,
    Symlink(&'a str),
    Other,
}

/// One path of the final filesystem and the layer that put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node<'a> {
    pub layer: usize,
    pub kind: NodeKind<'a>,
}

/// Something odd met while merging; the merge goes on, the report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeProblem {
    pub layer: usize,
    pub path: String,
    pub what: String,
}

pub struct Rootfs<'a> {
    nodes: BTreeMap<Cow<'a, str>, Node<'a>>,
    /// The paths of `nodes` that are symlinks: an entry's parents are checked against these (a hash lookup
    /// per parent) rather than against every node (an ordered-map search per parent, the merge's main cost).
    symlinks: HashSet<Cow<'a, str>>,
    /// The last parent directory found to have no symlink among itself and its ancestors. A layer lists a
    /// directory's entries together, so most entries have the previous one's parent; a new symlink forgets it.
    clear_parent: Option<&'a str>,
    pub problems: Vec<MergeProblem>,
}

/// Where a file written at a path lands ([`Rootfs::placement`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement<'a> {
    /// The real path, relative to the root (`etc/nsswitch.conf`, or `usr/etc/nsswitch.conf` when `/etc`
    /// links to `usr/etc`).
    pub path: String,
    /// Directories on the way that do not exist yet, parents first.
    pub missing_dirs: Vec<String>,
    /// What is at that path now.
    pub existing: Option<NodeKind<'a>>,
}

/// Why a path did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    Missing,
    TooManyLinks,
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

fn split_parent(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

impl<'a> Rootfs<'a> {
    /// Merges layer scans, bottom layer first.
    pub fn merge(scans: &'a [LayerScan]) -> Rootfs<'a> {
        let mut fs = Rootfs {
            nodes: BTreeMap::new(),
            symlinks: HashSet::new(),
            clear_parent: None,
            problems: Vec::new(),
        };
        for scan in scans {
            fs.apply(scan);
        }
        fs
    }

    fn apply(&mut self, scan: &'a LayerScan) {
        let layer = scan.layer;
        let index = &scan.index;
        // Deletions act on the lower layers only, so they all go before this layer's own entries.
        for (id, entry) in index.iter() {
            match entry.kind {
                EntryKind::Opaque => {
                    let dir = self.place(layer, index.path(id));
                    self.remove_below(&dir);
                }
                EntryKind::Whiteout => {
                    let path = self.place(layer, index.path(id));
                    self.nodes.remove(path.as_ref());
                    self.symlinks.remove(path.as_ref());
                    self.remove_below(&path);
                }
                _ => {}
            }
        }
        for (id, entry) in index.iter() {
            let kind = match entry.kind {
                EntryKind::Opaque | EntryKind::Whiteout | EntryKind::Problem => continue,
                EntryKind::File => NodeKind::File { layer, entry: id },
                EntryKind::Dir => NodeKind::Dir,
                EntryKind::Symlink => NodeKind::Symlink(index.link(id)),
                EntryKind::Other => NodeKind::Other,
                EntryKind::Hardlink => {
                    let target = index.link(id);
                    match self.lookup_no_follow(target) {
                        Some(Node {
                            kind: kind @ NodeKind::File { .. },
                            ..
                        }) => kind,
                        Some(_) => {
                            self.problem(
                                layer,
                                index.path(id),
                                format!("hard link to {target:?}, which is not a regular file"),
                            );
                            continue;
                        }
                        None => {
                            self.problem(
                                layer,
                                index.path(id),
                                format!(
                                    "hard link to {target:?}, which does not exist at this point"
                                ),
                            );
                            continue;
                        }
                    }
                }
            };
            let path = self.place(layer, index.path(id));
            if path.is_empty() {
                continue; // the root directory itself
            }
            self.insert(path, Node { layer, kind });
        }
    }

    fn problem(&mut self, layer: usize, path: &str, what: String) {
        self.problems.push(MergeProblem {
            layer,
            path: path.to_string(),
            what,
        });
    }

    /// Where an entry of a layer lands: its parent directory resolved through the symlinks already merged.
    fn place(&mut self, layer: usize, path: &'a str) -> Cow<'a, str> {
        if self.symlinks.is_empty() {
            return Cow::Borrowed(path);
        }
        let (parent, name) = split_parent(path);
        if self.clear_parent == Some(parent) {
            return Cow::Borrowed(path);
        }
        if !self.has_symlink_ancestor(path) {
            self.clear_parent = Some(parent);
            return Cow::Borrowed(path);
        }
        match self.resolve_path(parent, true) {
            Ok(resolved) => Cow::Owned(join(&resolved, name)),
            Err(_) => {
                self.problem(
                    layer,
                    path,
                    format!("its parent directory is a symlink loop or a chain of more than {MAX_SYMLINK_HOPS} symlinks; kept at its literal path"),
                );
                Cow::Borrowed(path)
            }
        }
    }

    fn has_symlink_ancestor(&self, path: &str) -> bool {
        path.match_indices('/')
            .any(|(at, _)| self.symlinks.contains(&path[..at]))
    }

    fn insert(&mut self, path: Cow<'a, str>, node: Node<'a>) {
        let new_is_dir = node.kind == NodeKind::Dir;
        let replaced = self.nodes.insert(path.clone(), node);
        if matches!(node.kind, NodeKind::Symlink(_)) {
            self.symlinks.insert(path.clone());
            self.clear_parent = None;
        } else if matches!(
            replaced,
            Some(Node {
                kind: NodeKind::Symlink(_),
                ..
            })
        ) {
            self.symlinks.remove(path.as_ref());
        }
        match replaced {
            Some(Node {
                kind: NodeKind::Dir,
                ..
            }) if !new_is_dir => self.remove_below(&path),
            Some(Node {
                kind: NodeKind::Dir,
                layer,
            }) if new_is_dir => {
                // Re-stating a directory keeps its contents; it stays the lower layer's directory.
                self.nodes.insert(
                    path,
                    Node {
                        layer,
                        kind: NodeKind::Dir,
                    },
                );
            }
            _ => {}
        }
    }

    /// Removes everything strictly below `dir` (everything, for the root).
    fn remove_below(&mut self, dir: &str) {
        let doomed: Vec<Cow<'a, str>> = if dir.is_empty() {
            self.nodes.keys().cloned().collect()
        } else {
            let start = format!("{dir}/");
            let end = format!("{dir}0"); // '0' is the byte after '/'
            self.nodes
                .range::<str, _>((
                    std::ops::Bound::Included(start.as_str()),
                    std::ops::Bound::Excluded(end.as_str()),
                ))
                .map(|(k, _)| k.clone())
                .collect()
        };
        for key in doomed {
            if let Some(Node {
                kind: NodeKind::Symlink(_),
                ..
            }) = self.nodes.remove(key.as_ref())
            {
                self.symlinks.remove(key.as_ref());
            }
        }
    }

    /// The node at exactly this path, its parents resolved but the last part not followed.
    pub fn lookup_no_follow(&self, path: &str) -> Option<Node<'a>> {
        let (parent, name) = split_parent(path);
        let parent = self.resolve_path(parent, true).ok()?;
        self.nodes.get(join(&parent, name).as_str()).copied()
    }

    /// Where a file written at `path` lands, as a runtime unpacking a layer places it: the symlinks among
    /// its parents followed (inside the root), the last part not. The directories that do not exist on the
    /// way are listed (parents first), for a layer to create; a parent that exists but is not a directory
    /// is an error naming it.
    pub fn placement(&self, path: &str) -> Result<Placement<'a>, String> {
        let (parent, name) = split_parent(path);
        let real_parent = self.resolve_path(parent, true).map_err(|_| {
            format!(
                "/{parent} is a symlink loop or a chain of more than {MAX_SYMLINK_HOPS} symlinks"
            )
        })?;
        let mut missing_dirs = Vec::new();
        let mut walked = String::new();
        for part in real_parent.split('/').filter(|p| !p.is_empty()) {
            walked = join(&walked, part);
            match self.nodes.get(walked.as_str()) {
                Some(Node {
                    kind: NodeKind::Dir,
                    ..
                }) => {}
                None if self.has_children(&walked) => {}
                None => missing_dirs.push(walked.clone()),
                Some(_) => return Err(format!("/{walked} is in the way and is not a directory")),
            }
        }
        let real = join(&real_parent, name);
        let existing = self.nodes.get(real.as_str()).map(|node| node.kind);
        Ok(Placement {
            path: real,
            missing_dirs,
            existing,
        })
    }

    /// Follows every symlink on the way, the last part too; returns the real path and its node.
    pub fn resolve(&self, path: &str) -> Result<(String, Node<'a>), Unresolved> {
        let real = self.resolve_path(path, true)?;
        if real.is_empty() {
            return Ok((
                real,
                Node {
                    layer: 0,
                    kind: NodeKind::Dir,
                },
            ));
        }
        match self.nodes.get(real.as_str()) {
            Some(node) => Ok((real, *node)),
            // A directory that only exists because something is below it.
            None if self.has_children(&real) => Ok((
                real,
                Node {
                    layer: 0,
                    kind: NodeKind::Dir,
                },
            )),
            None => Err(Unresolved::Missing),
        }
    }

    fn has_children(&self, dir: &str) -> bool {
        let start = format!("{dir}/");
        self.nodes
            .range::<str, _>((
                std::ops::Bound::Included(start.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|(k, _)| k.starts_with(&start))
    }

    /// Resolves symlinks along a path (chroot semantics: `..` and absolute targets stay inside the root).
    /// Missing parts are kept literally, so the caller can tell "missing" from "resolved".
    fn resolve_path(&self, path: &str, follow_last: bool) -> Result<String, Unresolved> {
        let mut pending: Vec<String> = path
            .split('/')
            .rev()
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let mut current: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    current.pop();
                    continue;
                }
                _ => {}
            }
            current.push(part);
            let is_last = pending.is_empty();
            if is_last && !follow_last {
                break;
            }
            let here = current.join("/");
            if let Some(Node {
                kind: NodeKind::Symlink(target),
                ..
            }) = self.nodes.get(here.as_str())
            {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(Unresolved::TooManyLinks);
                }
                current.pop();
                if target.starts_with('/') {
                    current.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .rev()
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                );
            }
        }
        Ok(current.join("/"))
    }

    /// Every regular file of the final filesystem, by path (hard links appear under each of their names).
    pub fn files(&self) -> impl Iterator<Item = (&str, Node<'a>)> {
        self.nodes
            .iter()
            .filter(|(_, n)| matches!(n.kind, NodeKind::File { .. }))
            .map(|(k, n)| (k.as_ref(), *n))
    }

    /// The entries directly inside a directory (after resolving the directory itself), by name.
    pub fn list_dir(&self, dir: &str) -> Vec<(String, Node<'a>)> {
        let Ok(real) = self.resolve_path(dir, true) else {
            return Vec::new();
        };
        let start = if real.is_empty() {
            String::new()
        } else {
            format!("{real}/")
        };
        // Children only, stepping over each child directory's descendants in one jump (they are the keys
        // from `dir/child/` up to `dir/child0`, '0' being the byte after '/'), not one key at a time: a
        // `usr/lib` holds most of an image.
        let mut children = Vec::new();
        let mut from = start.clone();
        'seek: loop {
            for (key, node) in self.nodes.range::<str, _>((
                std::ops::Bound::Included(from.as_str()),
                std::ops::Bound::Unbounded,
            )) {
                let Some(rest) = key.strip_prefix(start.as_str()) else {
                    break 'seek;
                };
                match rest.split_once('/') {
                    None => children.push((rest.to_string(), *node)),
                    Some((name, _)) => {
                        from = format!("{start}{name}0");
                        continue 'seek;
                    }
                }
            }
            break;
        }
        children
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::index::LayerIndex;

    fn layer(entries: &[(EntryKind, &str, &str)]) -> LayerScan {
        let mut index = LayerIndex::default();
        for (kind, path, link) in entries {
            index.push(*kind, path, link, 0, 0o644);
        }
        LayerScan {
            layer: 0,
            index,
            observations: Vec::new(),
            compression: None,
            stored_bytes: 0,
            tar_bytes: 0,
            not_walked: None,
        }
    }

    #[test]
    fn a_listing_has_the_children_only_whatever_sorts_between_them() {
        use EntryKind::*;
        // '-' and '.' sort before '/', so `a-b` and `a.txt` come between `a` and `a/x`; `b0` right after
        // everything below `b/`.
        let scans = [layer(&[
            (Dir, "d", ""),
            (Dir, "d/a", ""),
            (File, "d/a/x", ""),
            (Dir, "d/a/y", ""),
            (File, "d/a/y/z", ""),
            (File, "d/a-b", ""),
            (File, "d/a.txt", ""),
            (Dir, "d/b", ""),
            (File, "d/b/c", ""),
            (File, "d/b0", ""),
            (Symlink, "d/l", "a"),
            (File, "d0", ""),
            (File, "e/f", ""),
        ])];
        let fs = Rootfs::merge(&scans);
        let names = |dir: &str| -> Vec<String> {
            fs.list_dir(dir).into_iter().map(|(name, _)| name).collect()
        };
        assert_eq!(names("d"), ["a", "a-b", "a.txt", "b", "b0", "l"]);
        assert_eq!(names("d/a"), ["x", "y"]);
        assert_eq!(names("d/l"), ["x", "y"]); // through the symlink
        assert_eq!(names(""), ["d", "d0"]); // (`e` is no entry: only `e/f` is)
        assert!(names("d/a/x").is_empty());
        assert!(names("missing").is_empty());
    }
}
