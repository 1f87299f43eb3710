//! Probes: each declares which layer entries it wants and turns their bytes into a `FileFact`
//! (`crate::facts::file`). The interface, [`Probe`], is the walk's: the walk calls the probes, the rootfs merge
//! decides which facts survive into the final filesystem.
//!
//! To add a check that needs file contents, add a probe here and list it in [`all`]; the walker does not change.

mod elf;
mod libc;
mod nsswitch;

use crate::walk::Probe;

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
