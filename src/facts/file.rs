//! What a probe learned from one file of a layer: plain data, kept per entry by the walk, stored in the layer
//! cache and read by the gathering of image facts.

use crate::facts::elf::ElfFacts;
use crate::facts::libc::GlibcVersion;
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
