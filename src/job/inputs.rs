//! The list of inputs of a job: the images named as arguments, those an `--images-from` file lists, every
//! tag of a registry repository, every tag of every repository of a registry's catalog — in that order,
//! without repeats — and then only the ones of this shard.

use crate::source::registry;
use std::path::{Path, PathBuf};

/// Where a job's inputs come from.
#[derive(Debug, Clone, Default)]
pub struct InputList {
    pub images: Vec<String>,
    /// A file of references, one a line.
    pub images_from: Option<PathBuf>,
    /// Every tag of this registry repository (`REGISTRY/REPO`).
    pub repository: Option<String>,
    /// Every tag of every repository of this registry.
    pub catalog: Option<String>,
    /// Only shard I of N.
    pub shard: Option<(u64, u64)>,
}

impl InputList {
    /// Every input, in order, without repeats; then only this shard's.
    pub fn collect(&self) -> Result<Vec<String>, String> {
        let mut inputs = self.images.clone();
        if let Some(path) = &self.images_from {
            inputs.extend(read_image_list(path)?);
        }
        if let Some(repository) = &self.repository {
            inputs.extend(registry::list_tags(repository)?);
        }
        if let Some(registry) = &self.catalog {
            for repository in registry::catalog(registry)? {
                inputs.extend(registry::list_tags(&repository)?);
            }
        }
        let mut seen = std::collections::HashSet::new();
        inputs.retain(|i| seen.insert(i.clone()));
        if let Some((index, count)) = self.shard {
            inputs.retain(|i| shard_of(i, count) == index);
        }
        Ok(inputs)
    }
}

/// The shard an image reference falls in: FNV-1a (64-bit) of the reference as given, modulo the count.
/// Stable across machines, releases and runs (no per-process hash seed).
pub fn shard_of(reference: &str, count: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in reference.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % count
}

/// References from an `--images-from` file: one a line, blank lines and `#` comments skipped.
fn read_image_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--images-from {}: cannot read: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split_once(" #").map_or(l, |(head, _)| head).trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}
