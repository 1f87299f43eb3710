//! `nsswitch.conf` files, kept whole. Any file of that name is kept (they are tiny), so that
//! `/etc/nsswitch.conf` can be a symlink to one elsewhere and still be read.

use crate::facts::file::FileFact;
use crate::walk::{EntryInfo, Probe, Want};

/// Larger than any real nsswitch.conf; a bigger file is not kept.
const LIMIT: u64 = 64 * 1024;

pub struct NsswitchProbe;

impl Probe for NsswitchProbe {
    fn name(&self) -> &'static str {
        "nsswitch"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, entry: &EntryInfo) -> Want {
        if entry.name == "nsswitch.conf" && entry.size <= LIMIT {
            Want::Contents
        } else {
            Want::Nothing
        }
    }
    fn analyze(&self, _entry: &EntryInfo, bytes: &[u8]) -> FileFact {
        FileFact::Text {
            text: String::from_utf8_lossy(bytes).into_owned(),
        }
    }
}
