//! The probe interface: what the walk offers a probe of each entry ([`EntryInfo`]), what a probe may ask for
//! ([`Want`]), and the [`Probe`] trait itself. The walk defines it and calls it; `crate::probes` implements
//! it; what a probe learns is a [`FileFact`], plain data in `crate::facts`.

use crate::facts::file::FileFact;

/// What a probe wants of one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Nothing,
    /// The whole file.
    Contents,
    /// The whole file, if it starts with the ELF magic.
    ContentsIfElf,
}

/// What a probe is shown of an entry before it decides.
#[derive(Debug, Clone, Copy)]
pub struct EntryInfo<'a> {
    /// Cleaned path, no leading `/` (`usr/local/bin/app`).
    pub path: &'a str,
    /// The part after the last `/`.
    pub name: &'a str,
    pub size: u64,
    pub mode: u32,
}

/// A check that needs file contents: it declares which entries it wants and turns their bytes into a
/// [`FileFact`]. Its name and version key the layer cache, so changing what it reports invalidates exactly
/// the cached facts it produced.
pub trait Probe: Send + Sync {
    /// A stable name; with [`Probe::version`] it keys cached facts.
    fn name(&self) -> &'static str;
    /// Bumped whenever what the probe reports for the same bytes changes.
    fn version(&self) -> u32;
    fn wants(&self, entry: &EntryInfo) -> Want;
    fn analyze(&self, entry: &EntryInfo, bytes: &[u8]) -> FileFact;
}
