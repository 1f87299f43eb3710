//! ELF files: what kind of program each one is, which loader it asks for, and — for Go code — the build
//! information the Go linker embedded (`.go.buildinfo` in its three eras), the Go version when there is no
//! build information, and whether the binary links Go's DNS resolver at all.
//!
//! Everything here reads hostile bytes. Headers are parsed with goblin (whose table parsers refuse counts
//! larger than the file); all other reads go through bounds-checked helpers; every scan is a
//! `memchr::memmem` search or a loop with a fixed cap; nothing allocates more than the bytes it copies out of
//! the file. Problems that do not stop the analysis are collected in [`ElfFacts::problems`], each with the
//! file offset it concerns.
//!
//! One file per question, in the order [`analyze`] asks them:
//! - `image`: the container (headers, segments, sections, dynamic table, notes, relocations);
//! - `pclntab`: is it Go, and in which range of releases (the function table's header);
//! - `buildinfo_blob`: where `.go.buildinfo` is and what it says, in each era;
//! - `version`: the Go release, with or without build info;
//! - `resolver`: does it link package net's resolvers;
//! - `go`: the Go facts assembled, cgo decided;
//! - `os`: which operating system it is for.

mod buildinfo_blob;
mod go;
mod image;
mod os;
mod pclntab;
mod resolver;
#[cfg(test)]
mod synth;
mod version;

use serde::Serialize;

use super::buildinfo;
use image::Image;

pub use buildinfo_blob::BuildInfoFormat;
pub use go::{CgoEvidence, GoFacts};
pub use image::ElfKind;
pub use os::{OsEvidence, TargetOs};
pub use version::{Certainty, GoVersion, VersionSource};

/// What failed, and at which file offset. Also used for problems that did not stop the analysis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, serde::Deserialize)]
#[error("{what} (at file offset {offset:#x})")]
pub struct ElfError {
    pub offset: u64,
    pub what: String,
}

impl ElfError {
    fn new(offset: impl TryInto<u64>, what: impl Into<String>) -> Self {
        ElfError {
            offset: offset.try_into().unwrap_or(u64::MAX),
            what: what.into(),
        }
    }
}

/// What an ELF file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ElfFacts {
    pub kind: ElfKind,
    /// `uname -m` style: `x86_64`, `aarch64`, `i386`, `arm`, `ppc64le`, `s390x`, `riscv64`, ...
    pub machine: String,
    pub bits: u8,
    pub big_endian: bool,
    pub os: TargetOs,
    pub os_evidence: OsEvidence,
    /// `PT_INTERP`, e.g. `/lib/ld-musl-x86_64.so.1`; `None` for a static file.
    pub interpreter: Option<String>,
    /// `DT_NEEDED`, in order.
    pub needed: Vec<String>,
    pub go: Option<GoFacts>,
    /// Problems that did not stop the analysis (a malformed section table, build-info pointers that lead
    /// nowhere, ...), each with the offset concerned.
    pub problems: Vec<ElfError>,
}

impl ElfFacts {
    /// No program interpreter: the kernel runs the file directly (static executable).
    pub fn is_static(&self) -> bool {
        self.interpreter.is_none()
    }
}

/// Candidate build-info blobs, pclntab headers, relocations or names tried before giving up: bounds the
/// work on hostile input (real files are far below it).
const MAX_CANDIDATES: usize = 4096;

/// Analyses one whole ELF file. Fails only when the ELF header or program headers cannot be read; everything
/// else that is malformed becomes a [`ElfFacts::problems`] entry or an unknown field.
pub fn analyze(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    let (img, mut problems) = Image::parse(bytes)?;

    let kind = img.kind();
    let interpreter = img.interpreter(&mut problems);
    let needed = img.needed(&mut problems);
    let pcln = img.find_pclntab();
    let go = img.go_facts(&mut problems, needed.is_empty(), pcln.as_ref());

    let (os, os_evidence) = os::decide(
        &img,
        go.as_ref().and_then(|g| g.build_info.as_ref()),
        interpreter.as_deref(),
        pcln.as_ref(),
    );
    let kind = match kind {
        ElfKind::SharedObject if img.is_pie(interpreter.is_some()) => ElfKind::PieExecutable,
        k => k,
    };
    Ok(ElfFacts {
        kind,
        machine: img.machine(),
        bits: if img.is64 { 64 } else { 32 },
        big_endian: !img.le,
        os,
        os_evidence,
        interpreter,
        needed,
        go,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::synth::*;
    use super::*;

    #[test]
    fn mutations_never_panic() {
        let pcln = pclntab120(&[
            "main.main",
            "net.(*conf).hostLookupOrder",
            "net._C2func_getaddrinfo",
        ]);
        let seeds = [
            stripped(&["go1.26.5", "go1.25.1"], &[0], pcln),
            pointer_era(
                b"go1.15.5",
                &sentinel_wrap("path\tx\n"),
                [BASE + 0x2100, BASE + 0x2110],
            ),
        ];
        // A small deterministic generator (xorshift): no dependency, same cases every run.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for seed in &seeds {
            for _ in 0..3000 {
                let mut b = seed.clone();
                for _ in 0..(next() % 8 + 1) {
                    let i = (next() as usize) % b.len();
                    b[i] = match next() % 4 {
                        0 => 0,
                        1 => 0xff,
                        _ => next() as u8,
                    };
                }
                if next() % 8 == 0 {
                    let n = (next() as usize) % b.len();
                    b.truncate(n);
                }
                let _ = analyze(&b);
            }
        }
    }
}
