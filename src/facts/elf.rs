//! ELF files: what kind of program each one is, which loader it asks for, and — for Go code — the build
//! information the Go linker embedded (`.go.buildinfo` in its three eras), the Go version when there is no
//! build information, and whether the binary links Go's DNS resolver at all.

use serde::Serialize;

/// A Go release number, as in `go1.15.5` (`patch` 0 for `go1.21` or `go1.21rc2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

// Placeholder until the ELF reader lands: the probe compiles against this shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElfFacts {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfError {
    pub offset: u64,
    pub what: String,
}

pub fn analyze(_bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    Err(ElfError {
        offset: 0,
        what: "ELF reader not built yet".into(),
    })
}
