//! Every ELF file, whatever its name: Go programs hide anywhere, and any dynamic executable can lack its loader.

use crate::facts::elf;
use crate::facts::file::FileFact;
use crate::walk::{EntryInfo, Probe, Want};

pub struct ElfProbe;

impl Probe for ElfProbe {
    fn name(&self) -> &'static str {
        "elf"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, entry: &EntryInfo) -> Want {
        // The smallest real ELF program is well over 64 bytes; shorter files with the magic are not programs.
        if entry.size >= 64 {
            Want::ContentsIfElf
        } else {
            Want::Nothing
        }
    }
    fn analyze(&self, _entry: &EntryInfo, bytes: &[u8]) -> FileFact {
        match elf::analyze(bytes) {
            Ok(facts) => FileFact::Elf(Box::new(facts)),
            Err(error) => FileFact::BadElf {
                offset: error.offset,
                what: error.what,
            },
        }
    }
}
