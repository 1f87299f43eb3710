//! The C library of an image: musl, glibc (with its version), both or none, and the evidence for it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct GlibcVersion {
    pub major: u32,
    pub minor: u32,
}

pub fn glibc_version_from_libc_so(_bytes: &[u8]) -> Option<GlibcVersion> {
    None
}
pub fn glibc_version_from_dpkg_status(_text: &str) -> Option<GlibcVersion> {
    None
}
pub fn musl_version_from_apk_installed(_text: &str) -> Option<String> {
    None
}
