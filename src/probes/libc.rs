//! Evidence of the C library's release: glibc's banner inside `libc.so.6` (or `libc-2.NN.so`), dpkg's record
//! of `libc6` (including distroless `status.d/` files) and apk's record of `musl`.

use crate::facts::file::FileFact;
use crate::facts::libc;
use crate::walk::{EntryInfo, Probe, Want};

pub struct GlibcProbe;

impl Probe for GlibcProbe {
    fn name(&self) -> &'static str {
        "glibc"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, entry: &EntryInfo) -> Want {
        let old_style = entry.name.starts_with("libc-") && entry.name.ends_with(".so");
        if entry.name == "libc.so.6" || old_style {
            Want::ContentsIfElf
        } else {
            Want::Nothing
        }
    }
    fn analyze(&self, entry: &EntryInfo, bytes: &[u8]) -> FileFact {
        FileFact::Glibc {
            version: libc::glibc_version_from_libc_so(bytes),
            evidence: format!("/{}", entry.path),
        }
    }
}

pub struct DpkgProbe;

impl Probe for DpkgProbe {
    fn name(&self) -> &'static str {
        "dpkg"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, entry: &EntryInfo) -> Want {
        let status = entry.path == "var/lib/dpkg/status";
        let distroless =
            entry.path.starts_with("var/lib/dpkg/status.d/") && entry.name.starts_with("libc6");
        if status || distroless {
            Want::Contents
        } else {
            Want::Nothing
        }
    }
    fn analyze(&self, entry: &EntryInfo, bytes: &[u8]) -> FileFact {
        let text = String::from_utf8_lossy(bytes);
        FileFact::Glibc {
            version: libc::glibc_version_from_dpkg_status(&text),
            evidence: format!("/{}", entry.path),
        }
    }
}

pub struct ApkProbe;

impl Probe for ApkProbe {
    fn name(&self) -> &'static str {
        "apk"
    }
    fn version(&self) -> u32 {
        1
    }
    fn wants(&self, entry: &EntryInfo) -> Want {
        if entry.path == "lib/apk/db/installed" {
            Want::Contents
        } else {
            Want::Nothing
        }
    }
    fn analyze(&self, _entry: &EntryInfo, bytes: &[u8]) -> FileFact {
        FileFact::Musl {
            version: libc::musl_version_from_apk_installed(&String::from_utf8_lossy(bytes)),
        }
    }
}
