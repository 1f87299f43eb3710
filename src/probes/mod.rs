//! Probes: each declares which layer entries it wants and turns their bytes into a [`FileFact`]. The layer
//! walk calls them; the rootfs merge decides which facts survive into the final filesystem.
//!
//! To add a check that needs file contents, add a probe here and list it in [`all`]; the walker does not change.

mod elf;
mod libc;
mod nsswitch;

use crate::facts::elf::ElfFacts;
use crate::facts::libc::GlibcVersion;
use crate::walk::{EntryInfo, Want};
use serde::Serialize;

/// What a probe learned from one file.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "fact", rename_all = "snake_case")]
pub enum FileFact {
    Elf(Box<ElfFacts>),
    /// An ELF file the ELF reader could not make sense of.
    BadElf {
        offset: u64,
        what: String,
    },
    /// A small text file kept whole (nsswitch.conf).
    Text {
        text: String,
    },
    /// The glibc release a `libc.so.6` (or dpkg's status file) names; `None` when it names none.
    Glibc {
        version: Option<GlibcVersion>,
        evidence: String,
    },
    /// The musl release the apk database names.
    Musl {
        version: Option<String>,
    },
    /// The walk could not give the file's bytes (a sparse tar entry); says why.
    Unread {
        what: String,
    },
    /// The file was over the walk's size cap and was not read.
    TooLarge {
        size: u64,
        limit: u64,
    },
}

pub trait Probe: Send + Sync {
    /// A stable name; with [`Probe::version`] it keys cached facts.
    fn name(&self) -> &'static str;
    /// Bumped whenever what the probe reports for the same bytes changes.
    fn version(&self) -> u32;
    fn wants(&self, entry: &EntryInfo) -> Want;
    fn analyze(&self, entry: &EntryInfo, bytes: &[u8]) -> FileFact;
}

/// Every probe, in a fixed order.
pub fn all() -> Vec<&'static dyn Probe> {
    vec![
        &elf::ElfProbe,
        &nsswitch::NsswitchProbe,
        &libc::GlibcProbe,
        &libc::DpkgProbe,
        &libc::ApkProbe,
    ]
}
