//! ELF files: what kind of program each one is, which loader it asks for, and — for Go code — the build
//! information the Go linker embedded (`.go.buildinfo` in its three eras), the Go version when there is no
//! build information, and whether the binary links Go's DNS resolver at all.
//!
//! Everything here reads hostile bytes. Headers are parsed with goblin (whose table parsers refuse counts
//! larger than the file); all other reads go through bounds-checked helpers; every scan is a
//! `memchr::memmem` search or a loop with a fixed cap; nothing allocates more than the bytes it copies out of
//! the file. Problems that do not stop the analysis are collected in [`ElfFacts::problems`], each with the
//! file offset it concerns.

use std::collections::{HashMap, HashSet};
use std::fmt;

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self as ehdr, Header};
use goblin::elf::program_header::{
    ProgramHeader, PF_W, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE,
};
use goblin::elf::section_header::{SectionHeader, SHT_NOBITS, SHT_NOTE};
use goblin::elf::Elf;
use memchr::memmem;
use serde::Serialize;

use super::buildinfo::{self, BuildInfo};

/// A Go release number, as in `go1.15.5` (`patch` 0 for `go1.21` or `go1.21rc2`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl GoVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        GoVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses the forms Go writes into binaries: `go1.15.5`, `go1.21rc2`, `go1.20beta1`,
    /// `go1.22.0 X:boringcrypto` (experiments after a space), `devel go1.23-abc123 ...` (a development
    /// toolchain before 1.23's release: reported as 1.23.0). Returns `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix("devel ").unwrap_or(s);
        let token = s.split_whitespace().next()?;
        let rest = token.strip_prefix("go")?;
        let mut parts = rest.splitn(3, '.');
        let major = leading_number(parts.next()?, true)?;
        let minor = match parts.next() {
            Some(p) => leading_number(p, false)?,
            None => 0,
        };
        let patch = match parts.next() {
            Some(p) => leading_number(p, false)?,
            None => 0,
        };
        Some(GoVersion {
            major,
            minor,
            patch,
        })
    }
}

/// The decimal number at the start of `s`; with `whole`, `s` must be only digits.
fn leading_number(s: &str, whole: bool) -> Option<u32> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    if end == 0 || end > 9 || (whole && end != s.len()) {
        return None;
    }
    s[..end].parse().ok()
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}.{}.{}", self.major, self.minor, self.patch)
    }
}

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

/// `e_type`, with executables split by whether they are position-independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElfKind {
    Executable,
    /// `ET_DYN` with a `PT_INTERP` (or a `DF_1_PIE` flag): a position-independent executable.
    PieExecutable,
    SharedObject,
    Relocatable,
    Core,
    Other,
}

/// The operating system an ELF file is built for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetOs {
    Linux,
    Android,
    FreeBSD,
    OpenBSD,
    NetBSD,
    DragonFly,
    Solaris,
    Illumos,
    Other(String),
}

impl std::fmt::Display for TargetOs {
    /// GOOS spelling: `linux`, `freebsd`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TargetOs::Linux => "linux",
            TargetOs::Android => "android",
            TargetOs::FreeBSD => "freebsd",
            TargetOs::OpenBSD => "openbsd",
            TargetOs::NetBSD => "netbsd",
            TargetOs::DragonFly => "dragonfly",
            TargetOs::Solaris => "solaris",
            TargetOs::Illumos => "illumos",
            TargetOs::Other(name) => name,
        })
    }
}

impl TargetOs {
    fn from_goos(goos: &str) -> TargetOs {
        match goos {
            "linux" => TargetOs::Linux,
            "android" => TargetOs::Android,
            "freebsd" => TargetOs::FreeBSD,
            "openbsd" => TargetOs::OpenBSD,
            "netbsd" => TargetOs::NetBSD,
            "dragonfly" => TargetOs::DragonFly,
            "solaris" => TargetOs::Solaris,
            "illumos" => TargetOs::Illumos,
            other => TargetOs::Other(other.to_string()),
        }
    }
}

/// How [`ElfFacts::os`] was decided, strongest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OsEvidence {
    /// `build GOOS=...` in Go build info.
    GoBuildSetting,
    /// `EI_OSABI` names the OS (FreeBSD, OpenBSD and NetBSD Go binaries set it).
    OsAbi,
    /// An ELF note names the OS: owner `FreeBSD`, `OpenBSD`, `NetBSD`, `DragonFly`, `Android`, or a `GNU`
    /// ABI tag for Linux.
    Note(String),
    /// The Go runtime's OS-specific source file named in the pclntab file table, e.g.
    /// `runtime/os_dragonfly.go`: static DragonFly Go binaries otherwise look just like Linux ones.
    GoRuntimeSource(String),
    /// The requested program interpreter belongs to one OS (e.g. `/usr/libexec/ld.so` is OpenBSD's).
    /// Solaris and illumos binaries look alike: both are reported as Solaris.
    Interpreter,
    /// Nothing names an OS; Linux assumed (ELFOSABI_NONE/GNU, no OS note: what Linux Go binaries look like).
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildInfoFormat {
    None,
    /// Go 1.13–1.17: two pointers to Go string headers.
    Pointers,
    /// Go 1.18+: varint-length strings after the header.
    Inline,
}

/// How sure a version found outside build info is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Certainty {
    /// The version string is the target of a Go string header (pointer + exact length) in writable data —
    /// the shape of `runtime.buildVersion` — and it is the only such string; consistent with the pclntab.
    StringHeader,
    /// The only NUL-delimited `go1.N[.P]` string in read-only data, consistent with the pclntab; no string
    /// header pointing at it was found (e.g. relocations not applied in the file).
    DelimitedString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "source")]
pub enum VersionSource {
    /// The version string of `.go.buildinfo` (what `go version` prints): certain.
    BuildInfo,
    /// The `runtime.buildVersion` string data, found without build info.
    RuntimeBuildVersionString {
        certainty: Certainty,
    },
    Unknown,
}

/// How [`GoFacts::cgo_enabled`] was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgoEvidence {
    /// `build CGO_ENABLED=` in build info (Go 1.18+). This is the toolchain setting: a binary whose
    /// packages use no cgo is still linked statically without a C library (Debian's shfmt).
    BuildSetting,
    /// The function table holds cgo-generated wrappers (`pkg._Cfunc_name`, `pkg._C2func_name`).
    CgoFunctions,
    /// The function table was read and holds no cgo wrapper, and the file needs no shared library (a PIE
    /// may still name an interpreter): built without cgo (or with cgo unused, which behaves the same).
    /// OpenBSD Go binaries need libc without cgo: left unknown there.
    NoCgoFunctions,
}

/// Everything about the Go code in an ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GoFacts {
    pub version: Option<GoVersion>,
    /// The version string as embedded: `go1.15.5`, `go1.22.0 X:boringcrypto`, `devel go1.23-abc ...`.
    pub version_raw: Option<String>,
    pub version_source: VersionSource,
    /// Why the version is unknown (or how a fallback was chosen), in words.
    pub version_note: Option<String>,
    /// Lower bound from the pclntab magic (0xfffffffb 1.2, 0xfffffffa 1.16, 0xfffffff0 1.18,
    /// 0xfffffff1 1.20). Set whenever the pclntab was found.
    pub min_version: Option<GoVersion>,
    /// Upper bound from the pclntab magic (1.15.x, 1.17.x, 1.19.x; `None` for 1.20+). The patch number
    /// is `u32::MAX`: "any 1.15 release".
    pub max_version: Option<GoVersion>,
    pub buildinfo_format: BuildInfoFormat,
    /// File offset of the build-info blob, when there is one.
    pub buildinfo_offset: Option<u64>,
    pub build_info: Option<BuildInfo>,
    pub cgo_enabled: Option<bool>,
    pub cgo_evidence: Option<CgoEvidence>,
    /// From `build -tags=` (Go 1.18+); empty when absent or unknown.
    pub tags: Vec<String>,
    /// `build DefaultGODEBUG=` (Go 1.21+).
    pub default_godebug: Option<String>,
    /// `build GOARCH=`.
    pub goarch: Option<String>,
    /// File offset of the pclntab header, and its magic.
    pub pclntab_offset: Option<u64>,
    pub pclntab_magic: Option<u32>,
    /// The binary holds Go's cgo resolver: package net was built with cgo (a `net._C2func_getaddrinfo` or
    /// `net._Cfunc_getaddrinfo` function). `None` when the function table could not be read.
    pub cgo_resolver: Option<bool>,
    /// The string `/etc/nsswitch.conf` is in the file.
    pub nsswitch_path_string: bool,
    /// The function table holds `net.(*conf).*` methods (hostLookupOrder and friends).
    pub net_conf_functions: Option<bool>,
    /// Both of the above: the binary links package net's host lookup (FACTS §3).
    pub resolver_linked: bool,
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

// ---------------------------------------------------------------------------------------------------------
// Limits. Each one bounds work or memory on hostile input; real files are far below them.

/// Longest `PT_INTERP` string kept.
const MAX_INTERP: usize = 4096;
/// Most `DT_NEEDED` entries kept.
const MAX_NEEDED: usize = 1024;
/// Longest single `DT_NEEDED` name.
const MAX_NAME: usize = 4096;
/// Most notes read from one note segment or section.
const MAX_NOTES: usize = 256;
/// Longest version string accepted from build info.
const MAX_VERSION_LEN: usize = 256;
/// Candidate build-info blobs / pclntab headers tried before giving up.
const MAX_CANDIDATES: usize = 4096;
/// `go1.` strings considered when looking for `runtime.buildVersion` without build info.
const MAX_VERSION_CANDIDATES: usize = 4096;
/// How far into a `.go.buildinfo` section (or segment) the blob may start, as in `debug/buildinfo`.
const BUILDINFO_SEARCH: usize = 64 * 1024;

const NSSWITCH_PATH: &[u8] = b"/etc/nsswitch.conf";
const NET_CONF_PREFIX: &[u8] = b"net.(*conf).";
const CGO_RESOLVER_FUNCS: [&[u8]; 2] = [b"net._C2func_getaddrinfo", b"net._Cfunc_getaddrinfo"];
const CGO_WRAPPER_MARKERS: [&[u8]; 2] = [b"._Cfunc_", b"._C2func_"];

const PCLN_MAGICS: [(u32, GoVersion, Option<GoVersion>); 4] = [
    (
        0xffff_fffb,
        GoVersion::new(1, 2, 0),
        Some(GoVersion::new(1, 15, u32::MAX)),
    ),
    (
        0xffff_fffa,
        GoVersion::new(1, 16, 0),
        Some(GoVersion::new(1, 17, u32::MAX)),
    ),
    (
        0xffff_fff0,
        GoVersion::new(1, 18, 0),
        Some(GoVersion::new(1, 19, u32::MAX)),
    ),
    (0xffff_fff1, GoVersion::new(1, 20, 0), None),
];

// ---------------------------------------------------------------------------------------------------------

/// Analyses one whole ELF file. Fails only when the ELF header or program headers cannot be read; everything
/// else that is malformed becomes a [`ElfFacts::problems`] entry or an unknown field.
pub fn analyze(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    let (img, mut problems) = Image::parse(bytes)?;

    let kind = img.kind();
    let interpreter = img.interpreter(&mut problems);
    let needed = img.needed(&mut problems);
    let pcln = img.find_pclntab();
    let go = img.go_facts(&mut problems, needed.is_empty(), pcln.as_ref());

    let (os, os_evidence) = match go
        .as_ref()
        .and_then(|g| g.build_info.as_ref())
        .and_then(|b| b.setting("GOOS"))
    {
        Some(goos) => (TargetOs::from_goos(goos), OsEvidence::GoBuildSetting),
        None => img.os_from_headers(interpreter.as_deref(), pcln.as_ref()),
    };
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

#[derive(Debug, Clone, Copy)]
struct Seg {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    flags: u32,
}

#[derive(Debug, Clone)]
struct Section {
    name: String,
    sh_type: u32,
    offset: u64,
    size: u64,
}

/// Where the pclntab is and what its header says.
#[derive(Debug, Clone)]
struct Pclntab {
    offset: usize,
    magic: u32,
    min: GoVersion,
    max: Option<GoVersion>,
    /// The part of the file holding function names: the funcnametab (1.16+), or the whole table (1.2–1.15,
    /// whose names are scattered through it).
    names: std::ops::Range<usize>,
    /// Names are NUL-separated with nothing else between them (1.16+).
    packed_names: bool,
    /// The part of the file holding source file names: the filetab (1.16+), or the whole table.
    files: std::ops::Range<usize>,
}

struct Image<'a> {
    bytes: &'a [u8],
    header: Header,
    le: bool,
    is64: bool,
    phdrs: Vec<ProgramHeader>,
    loads: Vec<Seg>,
    sections: Vec<Section>,
}

fn read_uint(b: &[u8], off: usize, size: usize, le: bool) -> Option<u64> {
    let s = b.get(off..off.checked_add(size)?)?;
    let mut v: u64 = 0;
    if le {
        for &x in s.iter().rev() {
            v = (v << 8) | u64::from(x);
        }
    } else {
        for &x in s {
            v = (v << 8) | u64::from(x);
        }
    }
    Some(v)
}

fn c_string(b: &[u8], max: usize) -> Option<&[u8]> {
    let b = &b[..b.len().min(max)];
    memchr::memchr(0, b).map(|n| &b[..n])
}

impl<'a> Image<'a> {
    /// Parses the headers; also returns the problems that did not stop it.
    fn parse(bytes: &'a [u8]) -> Result<(Self, Vec<ElfError>), ElfError> {
        if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
            return Err(ElfError::new(0u64, "not an ELF file (no \\x7fELF magic)"));
        }
        let header = Elf::parse_header(bytes)
            .map_err(|e| ElfError::new(0u64, format!("ELF header: {e}")))?;
        let container = header
            .container()
            .map_err(|e| ElfError::new(4u64, format!("ELF class: {e}")))?;
        let endian = header
            .endianness()
            .map_err(|e| ElfError::new(5u64, format!("ELF data encoding: {e}")))?;
        let ctx = Ctx::new(container, endian);
        let is64 = matches!(container, Container::Big);
        let le = matches!(endian, Endian::Little);
        let mut problems = Vec::new();

        let phdrs = if header.e_phnum == 0 {
            Vec::new()
        } else {
            let off = usize::try_from(header.e_phoff).unwrap_or(usize::MAX);
            ProgramHeader::parse(bytes, off, header.e_phnum as usize, ctx)
                .map_err(|e| ElfError::new(header.e_phoff, format!("program headers: {e}")))?
        };
        let mut loads = Vec::new();
        for ph in &phdrs {
            if ph.p_type != PT_LOAD || ph.p_filesz == 0 {
                continue;
            }
            let end = ph.p_offset.checked_add(ph.p_filesz);
            let filesz = match end {
                Some(end) if end <= bytes.len() as u64 => ph.p_filesz,
                _ => {
                    problems.push(ElfError::new(
                        ph.p_offset,
                        format!(
                            "PT_LOAD segment (filesz {:#x}) runs past the end of the file",
                            ph.p_filesz
                        ),
                    ));
                    (bytes.len() as u64).saturating_sub(ph.p_offset)
                }
            };
            if filesz > 0 && ph.p_vaddr.checked_add(filesz).is_some() {
                loads.push(Seg {
                    vaddr: ph.p_vaddr,
                    offset: ph.p_offset,
                    filesz,
                    flags: ph.p_flags,
                });
            }
        }

        let mut sections = Vec::new();
        if header.e_shoff != 0 {
            let off = usize::try_from(header.e_shoff).unwrap_or(usize::MAX);
            match SectionHeader::parse(bytes, off, header.e_shnum as usize, ctx) {
                Ok(shdrs) => sections = name_sections(bytes, &header, &shdrs),
                Err(e) => problems.push(ElfError::new(
                    header.e_shoff,
                    format!("section headers ignored: {e}"),
                )),
            }
        }
        Ok((
            Image {
                bytes,
                header,
                le,
                is64,
                phdrs,
                loads,
                sections,
            },
            problems,
        ))
    }

    fn ptr_size(&self) -> usize {
        if self.is64 {
            8
        } else {
            4
        }
    }

    fn kind(&self) -> ElfKind {
        match self.header.e_type {
            ehdr::ET_EXEC => ElfKind::Executable,
            ehdr::ET_DYN => ElfKind::SharedObject,
            ehdr::ET_REL => ElfKind::Relocatable,
            ehdr::ET_CORE => ElfKind::Core,
            _ => ElfKind::Other,
        }
    }

    fn machine(&self) -> String {
        let be = !self.le;
        let m = self.header.e_machine;
        let name = match m {
            ehdr::EM_X86_64 => "x86_64",
            ehdr::EM_AARCH64 => "aarch64",
            ehdr::EM_386 => "i386",
            ehdr::EM_ARM => "arm",
            ehdr::EM_PPC64 if be => "ppc64",
            ehdr::EM_PPC64 => "ppc64le",
            ehdr::EM_PPC => "ppc",
            ehdr::EM_S390 => "s390x",
            ehdr::EM_RISCV if self.is64 => "riscv64",
            ehdr::EM_RISCV => "riscv32",
            ehdr::EM_MIPS if self.is64 && be => "mips64",
            ehdr::EM_MIPS if self.is64 => "mips64el",
            ehdr::EM_MIPS if be => "mips",
            ehdr::EM_MIPS => "mipsel",
            ehdr::EM_LOONGARCH => "loongarch64",
            ehdr::EM_SPARCV9 => "sparc64",
            _ => return format!("em_{m}"),
        };
        name.to_string()
    }

    /// The file bytes of `len` bytes at virtual address `va`, if one PT_LOAD segment holds them all.
    fn read_va(&self, va: u64, len: u64) -> Option<&'a [u8]> {
        let seg = self
            .loads
            .iter()
            .find(|s| va >= s.vaddr && va - s.vaddr < s.filesz)?;
        let rel = va - seg.vaddr;
        if len > seg.filesz - rel {
            return None;
        }
        let start = usize::try_from(seg.offset + rel).ok()?;
        let end = start.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get(start..end)
    }

    /// The file bytes from virtual address `va` to the end of its segment.
    fn read_va_to_end(&self, va: u64) -> Option<(&'a [u8], usize)> {
        let seg = self
            .loads
            .iter()
            .find(|s| va >= s.vaddr && va - s.vaddr < s.filesz)?;
        let rel = va - seg.vaddr;
        let start = usize::try_from(seg.offset + rel).ok()?;
        let end = usize::try_from(seg.offset + seg.filesz).ok()?;
        Some((self.bytes.get(start..end)?, start))
    }

    fn va_of_offset(&self, off: u64) -> Option<u64> {
        let seg = self
            .loads
            .iter()
            .find(|s| off >= s.offset && off - s.offset < s.filesz)?;
        Some(seg.vaddr + (off - seg.offset))
    }

    /// The end (exclusive) of the PT_LOAD file range holding `off`.
    fn segment_end_of_offset(&self, off: u64) -> Option<u64> {
        let seg = self
            .loads
            .iter()
            .find(|s| off >= s.offset && off - s.offset < s.filesz)?;
        Some(seg.offset + seg.filesz)
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn section_bytes(&self, s: &Section) -> Option<&'a [u8]> {
        if s.sh_type == SHT_NOBITS {
            return None;
        }
        let start = usize::try_from(s.offset).ok()?;
        let end = start.checked_add(usize::try_from(s.size).ok()?)?;
        self.bytes.get(start..end)
    }

    fn interpreter(&self, problems: &mut Vec<ElfError>) -> Option<String> {
        let ph = self.phdrs.iter().find(|p| p.p_type == PT_INTERP)?;
        let start = usize::try_from(ph.p_offset).ok();
        let len = usize::try_from(ph.p_filesz).ok();
        let data = start
            .zip(len)
            .and_then(|(s, l)| self.bytes.get(s..s.checked_add(l.min(MAX_INTERP))?));
        match data {
            Some(d) => {
                let s = c_string(d, MAX_INTERP).unwrap_or(d);
                Some(String::from_utf8_lossy(s).into_owned())
            }
            None => {
                problems.push(ElfError::new(
                    ph.p_offset,
                    "PT_INTERP lies outside the file",
                ));
                // A PT_INTERP header still means the file is not static.
                Some(String::new())
            }
        }
    }

    /// The `PT_DYNAMIC` entries as (tag, value), up to `DT_NULL`.
    fn dynamic(&self, problems: &mut Vec<ElfError>) -> Vec<(u64, u64)> {
        let Some(ph) = self.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC) else {
            return Vec::new();
        };
        let ps = self.ptr_size();
        let start = usize::try_from(ph.p_offset).unwrap_or(usize::MAX);
        let len = usize::try_from(ph.p_filesz).unwrap_or(usize::MAX);
        let Some(data) = start
            .checked_add(len)
            .and_then(|end| self.bytes.get(start..end))
        else {
            problems.push(ElfError::new(
                ph.p_offset,
                "PT_DYNAMIC lies outside the file",
            ));
            return Vec::new();
        };
        let mut out = Vec::new();
        for entry in data.chunks_exact(2 * ps) {
            let tag = read_uint(entry, 0, ps, self.le).unwrap_or(0);
            let val = read_uint(entry, ps, ps, self.le).unwrap_or(0);
            if tag == 0 {
                break;
            }
            out.push((tag, val));
        }
        out
    }

    fn needed(&self, problems: &mut Vec<ElfError>) -> Vec<String> {
        use goblin::elf::dynamic::{DT_NEEDED, DT_STRSZ, DT_STRTAB};
        let dyns = self.dynamic(problems);
        let strtab = dyns.iter().find(|(t, _)| *t == DT_STRTAB).map(|(_, v)| *v);
        let strsz = dyns.iter().find(|(t, _)| *t == DT_STRSZ).map(|(_, v)| *v);
        let Some(strtab_va) = strtab else {
            return Vec::new();
        };
        let table = match strsz {
            Some(sz) => self.read_va(strtab_va, sz),
            None => self.read_va_to_end(strtab_va).map(|(b, _)| b),
        };
        let Some(table) = table else {
            if dyns.iter().any(|(t, _)| *t == DT_NEEDED) {
                problems.push(ElfError::new(
                    self.phdrs.iter().find(|p| p.p_type == PT_DYNAMIC).map_or(0, |p| p.p_offset),
                    format!("DT_STRTAB {strtab_va:#x} is not in any PT_LOAD segment; DT_NEEDED unreadable"),
                ));
            }
            return Vec::new();
        };
        dyns.iter()
            .filter(|(t, _)| *t == DT_NEEDED)
            .take(MAX_NEEDED)
            .filter_map(|(_, v)| {
                let off = usize::try_from(*v).ok()?;
                let name = c_string(table.get(off..)?, MAX_NAME)?;
                Some(String::from_utf8_lossy(name).into_owned())
            })
            .collect()
    }

    /// An `ET_DYN` file is a PIE when it says so (`DF_1_PIE`), or when it asks for an interpreter and has
    /// no `DT_SONAME` (glibc's `libc.so.6` has a `PT_INTERP` too, and a soname: it stays a shared object).
    fn is_pie(&self, has_interp: bool) -> bool {
        const DT_FLAGS_1: u64 = 0x6fff_fffb;
        const DT_SONAME: u64 = 14;
        const DF_1_PIE: u64 = 0x0800_0000;
        let mut ignored = Vec::new();
        let dyns = self.dynamic(&mut ignored);
        dyns.iter()
            .any(|(t, v)| *t == DT_FLAGS_1 && v & DF_1_PIE != 0)
            || (has_interp && !dyns.iter().any(|(t, _)| *t == DT_SONAME))
    }

    /// File ranges of the segments that can hold read-only or writable data (not code), or the whole file
    /// when there are no segments (relocatable objects). Debug sections are not in any segment: skipping
    /// them keeps scans short.
    fn data_ranges(&self) -> Vec<(usize, usize)> {
        if self.loads.is_empty() {
            return vec![(0, self.bytes.len())];
        }
        self.loads
            .iter()
            .filter(|s| s.flags & PF_X == 0)
            .map(|s| (s.offset as usize, (s.offset + s.filesz) as usize))
            .collect()
    }

    /// Notes from PT_NOTE segments and SHT_NOTE sections: (owner, type, descriptor).
    fn notes(&self) -> Vec<(&'a [u8], u32, &'a [u8])> {
        let mut ranges: Vec<(u64, u64, u64)> = Vec::new();
        for p in self.phdrs.iter().filter(|p| p.p_type == PT_NOTE) {
            ranges.push((p.p_offset, p.p_filesz, p.p_align));
        }
        for s in self.sections.iter().filter(|s| s.sh_type == SHT_NOTE) {
            if !ranges.iter().any(|r| r.0 == s.offset) {
                ranges.push((s.offset, s.size, 4));
            }
        }
        let mut out = Vec::new();
        for (off, size, align) in ranges.into_iter().take(64) {
            let Some(data) = usize::try_from(off)
                .ok()
                .zip(usize::try_from(size).ok())
                .and_then(|(o, s)| self.bytes.get(o..o.checked_add(s)?))
            else {
                continue;
            };
            let align = if align == 8 { 8 } else { 4 };
            let round = |n: usize| n.checked_add(align - 1).map(|x| x & !(align - 1));
            let mut pos = 0usize;
            for _ in 0..MAX_NOTES {
                let (Some(namesz), Some(descsz), Some(ntype)) = (
                    read_uint(data, pos, 4, self.le),
                    read_uint(data, pos + 4, 4, self.le),
                    read_uint(data, pos + 8, 4, self.le),
                ) else {
                    break;
                };
                let name_start = pos + 12;
                let Some(desc_start) = round(name_start.saturating_add(namesz as usize)) else {
                    break;
                };
                let Some(next) = round(desc_start.saturating_add(descsz as usize)) else {
                    break;
                };
                let (Some(name), Some(desc)) = (
                    data.get(name_start..name_start.saturating_add(namesz as usize)),
                    data.get(desc_start..desc_start.saturating_add(descsz as usize)),
                ) else {
                    break;
                };
                let owner = match name.iter().position(|&c| c == 0) {
                    Some(n) => &name[..n],
                    None => name,
                };
                out.push((owner, ntype as u32, desc));
                if next <= pos {
                    break;
                }
                pos = next;
            }
        }
        out
    }

    fn os_from_headers(
        &self,
        interp: Option<&str>,
        pcln: Option<&Pclntab>,
    ) -> (TargetOs, OsEvidence) {
        match self.header.e_ident[ehdr::EI_OSABI] {
            ehdr::ELFOSABI_FREEBSD => return (TargetOs::FreeBSD, OsEvidence::OsAbi),
            ehdr::ELFOSABI_OPENBSD => return (TargetOs::OpenBSD, OsEvidence::OsAbi),
            ehdr::ELFOSABI_NETBSD => return (TargetOs::NetBSD, OsEvidence::OsAbi),
            ehdr::ELFOSABI_SOLARIS => return (TargetOs::Solaris, OsEvidence::OsAbi),
            _ => {}
        }
        let notes = self.notes();
        for (owner, ntype, desc) in &notes {
            let os = match *owner {
                b"FreeBSD" => Some(TargetOs::FreeBSD),
                b"OpenBSD" => Some(TargetOs::OpenBSD),
                b"NetBSD" => Some(TargetOs::NetBSD),
                b"DragonFly" => Some(TargetOs::DragonFly),
                b"Android" => Some(TargetOs::Android),
                // NT_GNU_ABI_TAG: the first word of the descriptor names the OS (0 = Linux).
                b"GNU" if *ntype == 1 => match read_uint(desc, 0, 4, self.le) {
                    Some(0) => Some(TargetOs::Linux),
                    Some(1) => Some(TargetOs::Other("hurd".into())),
                    Some(2) => Some(TargetOs::Solaris),
                    Some(3) => Some(TargetOs::FreeBSD),
                    _ => None,
                },
                _ => None,
            };
            if let Some(os) = os {
                return (
                    os,
                    OsEvidence::Note(String::from_utf8_lossy(owner).into_owned()),
                );
            }
        }
        let android_loader = matches!(interp, Some("/system/bin/linker" | "/system/bin/linker64"));
        if let Some(found) = pcln.and_then(|p| self.runtime_os_file(p)) {
            // Android's Go runtime is Linux's (os_linux.go); only the loader tells them apart.
            if !(found.0 == TargetOs::Linux && android_loader) {
                return found;
            }
        }
        if let Some(interp) = interp {
            let os = match interp {
                "/libexec/ld-elf.so.1" | "/libexec/ld-elf32.so.1" => Some(TargetOs::FreeBSD),
                "/usr/libexec/ld.so" => Some(TargetOs::OpenBSD),
                "/usr/libexec/ld.elf_so" => Some(TargetOs::NetBSD),
                "/usr/libexec/ld-elf.so.2" => Some(TargetOs::DragonFly),
                "/system/bin/linker" | "/system/bin/linker64" => Some(TargetOs::Android),
                i if i.ends_with("/ld.so.1")
                    && (i.starts_with("/usr/lib/") || i.starts_with("/lib/")) =>
                {
                    Some(TargetOs::Solaris)
                }
                _ => None,
            };
            if let Some(os) = os {
                return (os, OsEvidence::Interpreter);
            }
        }
        (TargetOs::Linux, OsEvidence::Default)
    }

    /// The OS named by the Go runtime's `runtime/os_GOOS.go` source file in the pclntab's file table.
    /// illumos binaries also hold `os_solaris.go`, Android ones `os_linux.go`: the narrower OS wins.
    fn runtime_os_file(&self, p: &Pclntab) -> Option<(TargetOs, OsEvidence)> {
        const PREFIX: &[u8] = b"runtime/os_";
        let files = &self.bytes[p.files.clone()];
        let mut found: Vec<&[u8]> = Vec::new();
        for (n, i) in memmem::find_iter(files, PREFIX).enumerate() {
            if n >= 64 {
                break;
            }
            let rest = &files[i + PREFIX.len()..];
            let end = rest
                .iter()
                .take(16)
                .position(|&c| !c.is_ascii_lowercase())
                .unwrap_or(0);
            if end > 0 && !found.contains(&&rest[..end]) {
                found.push(&rest[..end]);
            }
        }
        let order: [(&[u8], TargetOs); 8] = [
            (b"illumos", TargetOs::Illumos),
            (b"solaris", TargetOs::Solaris),
            (b"android", TargetOs::Android),
            (b"linux", TargetOs::Linux),
            (b"freebsd", TargetOs::FreeBSD),
            (b"openbsd", TargetOs::OpenBSD),
            (b"netbsd", TargetOs::NetBSD),
            (b"dragonfly", TargetOs::DragonFly),
        ];
        order
            .into_iter()
            .find(|(name, _)| found.contains(name))
            .map(|(name, os)| {
                (
                    os,
                    OsEvidence::GoRuntimeSource(format!(
                        "runtime/os_{}.go",
                        String::from_utf8_lossy(name)
                    )),
                )
            })
    }

    // -----------------------------------------------------------------------------------------------------
    // Go

    fn go_facts(
        &self,
        problems: &mut Vec<ElfError>,
        no_dynamic_deps: bool,
        pcln: Option<&Pclntab>,
    ) -> Option<GoFacts> {
        let blob = self.find_buildinfo();
        let raw = blob
            .as_ref()
            .map(|&(off, region)| self.decode_buildinfo(off, region));
        let go_note = self
            .notes()
            .iter()
            .any(|(owner, ntype, _)| *owner == b"Go" && *ntype == 4)
            || self.section(".note.go.buildid").is_some();
        if raw.is_none() && pcln.is_none() && !go_note {
            return None;
        }

        let mut g = GoFacts {
            version: None,
            version_raw: None,
            version_source: VersionSource::Unknown,
            version_note: None,
            min_version: pcln.map(|p| p.min),
            max_version: pcln.and_then(|p| p.max),
            buildinfo_format: BuildInfoFormat::None,
            buildinfo_offset: blob.map(|(off, _)| off as u64),
            build_info: None,
            cgo_enabled: None,
            cgo_evidence: None,
            tags: Vec::new(),
            default_godebug: None,
            goarch: None,
            pclntab_offset: pcln.map(|p| p.offset as u64),
            pclntab_magic: pcln.map(|p| p.magic),
            cgo_resolver: None,
            nsswitch_path_string: self
                .data_ranges()
                .iter()
                .any(|&(s, e)| memmem::find(&self.bytes[s..e], NSSWITCH_PATH).is_some()),
            net_conf_functions: None,
            resolver_linked: false,
        };

        if let Some(raw) = raw {
            g.buildinfo_format = raw.format;
            problems.extend(raw.problems);
            if let Some(v) = raw.version {
                g.version = GoVersion::parse(&v);
                if g.version.is_none() {
                    g.version_note = Some(format!(
                        "build info version {v:?} is not a Go release number"
                    ));
                }
                g.version_raw = Some(v);
                g.version_source = VersionSource::BuildInfo;
            }
            if let Some(modinfo) = raw.modinfo {
                match buildinfo::parse_modinfo(buildinfo::strip_sentinels(&modinfo)) {
                    Ok(bi) => g.build_info = Some(bi),
                    Err(e) => problems.push(ElfError::new(
                        raw.modinfo_offset,
                        format!("build info modinfo: {e}"),
                    )),
                }
            }
        }

        if g.version_raw.is_none() {
            self.version_without_buildinfo(&mut g, pcln);
        } else if let (Some(v), Some(p)) = (g.version, pcln) {
            if v < p.min || p.max.is_some_and(|max| v > max) {
                problems.push(ElfError::new(
                    p.offset,
                    format!(
                        "pclntab magic {:#x} does not fit build-info version {v}",
                        p.magic
                    ),
                ));
            }
        }

        if let Some(bi) = &g.build_info {
            if let Some(c) = bi.setting("CGO_ENABLED") {
                g.cgo_enabled = Some(c == "1");
                g.cgo_evidence = Some(CgoEvidence::BuildSetting);
            }
            if let Some(tags) = bi.setting("-tags") {
                g.tags = tags
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            g.default_godebug = bi.setting("DefaultGODEBUG").map(str::to_string);
            g.goarch = bi.setting("GOARCH").map(str::to_string);
        }

        if let Some(p) = pcln {
            let names = &self.bytes[p.names.clone()];
            let conf = find_name(names, NET_CONF_PREFIX, p.packed_names, false);
            let cgo_net = CGO_RESOLVER_FUNCS
                .iter()
                .any(|f| find_name(names, f, p.packed_names, true));
            let cgo_any = cgo_net
                || CGO_WRAPPER_MARKERS
                    .iter()
                    .any(|m| memmem::find(names, m).is_some());
            g.net_conf_functions = Some(conf);
            g.cgo_resolver = Some(cgo_net);
            if g.cgo_enabled.is_none() {
                if cgo_any {
                    g.cgo_enabled = Some(true);
                    g.cgo_evidence = Some(CgoEvidence::CgoFunctions);
                } else if no_dynamic_deps {
                    g.cgo_enabled = Some(false);
                    g.cgo_evidence = Some(CgoEvidence::NoCgoFunctions);
                }
            }
        }
        g.resolver_linked = g.nsswitch_path_string && g.net_conf_functions == Some(true);
        Some(g)
    }

    /// The build-info blob: its file offset and the readable bytes from there on (to the end of the
    /// segment or section holding it).
    fn find_buildinfo(&self) -> Option<(usize, &'a [u8])> {
        let finder = memmem::Finder::new(buildinfo::MAGIC);
        if let Some(sec) = self.section(".go.buildinfo") {
            if let Some(data) = self.section_bytes(sec) {
                let start = sec.offset;
                // Inline strings may run past a tight section: read on to the end of the segment.
                let end = self
                    .segment_end_of_offset(start)
                    .unwrap_or(start + data.len() as u64);
                let end = end.max(start + data.len() as u64);
                let region = &self.bytes[start as usize..(end as usize).min(self.bytes.len())];
                let search = &region[..region.len().min(BUILDINFO_SEARCH)];
                for (n, i) in finder.find_iter(search).enumerate() {
                    if n >= MAX_CANDIDATES {
                        break;
                    }
                    if (start as usize + i) % 16 == 0 && region.len() - i >= buildinfo::HEADER_LEN {
                        return Some((start as usize + i, &region[i..]));
                    }
                }
            }
        }
        // No section (stripped section headers, or the linker put it elsewhere): the blob sits 16-aligned in
        // a writable, non-executable PT_LOAD segment.
        let mut tried = 0;
        for seg in self
            .loads
            .iter()
            .filter(|s| s.flags & (PF_W | PF_X) == PF_W)
        {
            let start = seg.offset as usize;
            let region = &self.bytes[start..start + seg.filesz as usize];
            for i in finder.find_iter(region) {
                tried += 1;
                if tried > MAX_CANDIDATES {
                    return None;
                }
                if (seg.vaddr + i as u64) % 16 == 0 && region.len() - i >= buildinfo::HEADER_LEN {
                    return Some((start + i, &region[i..]));
                }
            }
        }
        None
    }

    fn decode_buildinfo(&self, off: usize, blob: &'a [u8]) -> RawBuildInfo {
        let mut out = RawBuildInfo {
            format: BuildInfoFormat::None,
            version: None,
            modinfo: None,
            modinfo_offset: off as u64,
            problems: Vec::new(),
        };
        let ptr_size = blob[14] as usize;
        let flags = blob[15];
        if flags & buildinfo::FLAG_INLINE != 0 {
            out.format = BuildInfoFormat::Inline;
            let after = &blob[buildinfo::HEADER_LEN..];
            match buildinfo::decode_inline(after) {
                Ok(raw) => {
                    out.modinfo_offset = (off + buildinfo::HEADER_LEN) as u64;
                    out.version = self.version_string(
                        raw.version,
                        off + buildinfo::HEADER_LEN,
                        &mut out.problems,
                    );
                    out.modinfo = Some(raw.modinfo.to_vec());
                }
                Err((at, what)) => out.problems.push(ElfError::new(
                    off + buildinfo::HEADER_LEN + at,
                    format!("build info: {what}"),
                )),
            }
            return out;
        }
        out.format = BuildInfoFormat::Pointers;
        if ptr_size != 4 && ptr_size != 8 {
            out.problems.push(ElfError::new(
                off + 14,
                format!("build info pointer size {ptr_size} (want 4 or 8)"),
            ));
            return out;
        }
        let le = flags & buildinfo::FLAG_BIG_ENDIAN == 0;
        for (i, what) in ["version", "modinfo"].iter().enumerate() {
            let slot_off = off + 16 + i * ptr_size;
            match self.read_go_string(slot_off, ptr_size, le) {
                Ok((data, data_off)) => {
                    if i == 0 {
                        out.version = self.version_string(data, slot_off, &mut out.problems);
                    } else {
                        out.modinfo_offset = data_off;
                        out.modinfo = Some(data.to_vec());
                    }
                }
                Err(e) => out.problems.push(ElfError::new(
                    e.offset,
                    format!("build info {what}: {}", e.what),
                )),
            }
        }
        out
    }

    fn version_string(
        &self,
        data: &[u8],
        at: usize,
        problems: &mut Vec<ElfError>,
    ) -> Option<String> {
        if data.is_empty() {
            problems.push(ElfError::new(at, "build info version string is empty"));
            return None;
        }
        if data.len() > MAX_VERSION_LEN {
            problems.push(ElfError::new(
                at,
                format!("build info version string is {} bytes long", data.len()),
            ));
            return None;
        }
        Some(String::from_utf8_lossy(data).into_owned())
    }

    /// Follows a pointer-era build-info slot at file offset `slot_off` to a Go string header, then to the
    /// string data. Returns the data and its file offset.
    fn read_go_string(
        &self,
        slot_off: usize,
        ps: usize,
        le: bool,
    ) -> Result<(&'a [u8], u64), ElfError> {
        let hdr_va = self.read_pointer(slot_off, ps, le)?;
        let hdr = self.read_va(hdr_va, 2 * ps as u64).ok_or_else(|| {
            ElfError::new(
                slot_off,
                format!("pointer {hdr_va:#x} to a string header is outside every PT_LOAD segment"),
            )
        })?;
        let hdr_off = self.offset_of(hdr);
        let data_va = self.read_pointer(hdr_off, ps, le)?;
        let len = read_uint(hdr, ps, ps, le).unwrap_or(0);
        if len == 0 {
            return Ok((&[], hdr_off as u64));
        }
        let data = self.read_va(data_va, len).ok_or_else(|| {
            ElfError::new(
                hdr_off,
                format!("string data {data_va:#x} (length {len}) is outside every PT_LOAD segment"),
            )
        })?;
        Ok((data, self.offset_of(data) as u64))
    }

    fn offset_of(&self, sub: &[u8]) -> usize {
        (sub.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize)
    }

    /// A pointer stored at file offset `off`. When the stored value is zero, a position-independent file may
    /// hold the real value as the addend of a relative relocation (RELA): look it up.
    fn read_pointer(&self, off: usize, ps: usize, le: bool) -> Result<u64, ElfError> {
        let v = read_uint(self.bytes, off, ps, le)
            .ok_or_else(|| ElfError::new(off, "pointer runs past the end of the file"))?;
        if v != 0 {
            return Ok(v);
        }
        self.va_of_offset(off as u64)
            .and_then(|va| self.relative_addend(va))
            .ok_or_else(|| ElfError::new(off, "null pointer (and no relative relocation for it)"))
    }

    /// The addend of a RELA relocation with symbol 0 (a relative relocation) at virtual address `va`.
    fn relative_addend(&self, va: u64) -> Option<u64> {
        use goblin::elf::dynamic::{DT_RELA, DT_RELAENT, DT_RELASZ};
        let mut ignored = Vec::new();
        let dyns = self.dynamic(&mut ignored);
        let get = |tag| dyns.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v);
        let ps = self.ptr_size();
        let ent = get(DT_RELAENT).unwrap_or(3 * ps as u64) as usize;
        if ent != 3 * ps {
            return None;
        }
        let table = self.read_va(get(DT_RELA)?, get(DT_RELASZ)?)?;
        let key: Vec<u8> = (0..ps)
            .map(|i| {
                if self.le {
                    (va >> (8 * i)) as u8
                } else {
                    (va >> (8 * (ps - 1 - i))) as u8
                }
            })
            .collect();
        for (n, i) in memmem::find_iter(table, &key).enumerate() {
            if n >= MAX_CANDIDATES {
                break;
            }
            if i % ent != 0 {
                continue;
            }
            let info = read_uint(table, i + ps, ps, self.le)?;
            let sym = if ps == 8 { info >> 32 } else { info >> 8 };
            if sym == 0 {
                return read_uint(table, i + 2 * ps, ps, self.le);
            }
        }
        None
    }

    fn find_pclntab(&self) -> Option<Pclntab> {
        // `.data.rel.ro.gopclntab` is the name Go's linker gives it in PIE output.
        let named = [".gopclntab", ".data.rel.ro.gopclntab"]
            .iter()
            .find_map(|n| self.section(n));
        if let Some(sec) = named {
            if let Some(data) = self.section_bytes(sec) {
                if let Some(p) = self.check_pclntab(sec.offset as usize, data.len()) {
                    return Some(p);
                }
            }
        }
        // External linking and PIE put the table in .data.rel.ro; stripped files have no section names.
        // Scan the non-executable segments (or, with no segments, the whole file) for a valid header.
        // The four magics differ only in their low byte: one pass over `ff ff ff 00 00` (little-endian) or
        // `ff ff ff` + low byte + `00 00` (big-endian, one pass per magic) finds them all.
        let low_bytes: Vec<u8> = PCLN_MAGICS.iter().map(|m| m.0 as u8).collect();
        let mut tried = 0;
        for (start, end) in self.data_ranges() {
            let region = &self.bytes[start..end];
            let mut hits: Vec<usize> = Vec::new();
            if self.le {
                for i in memmem::find_iter(region, b"\xff\xff\xff\x00\x00") {
                    if i >= 1 && low_bytes.contains(&region[i - 1]) {
                        hits.push(i - 1);
                        if hits.len() >= MAX_CANDIDATES {
                            break;
                        }
                    }
                }
            } else {
                for &low in &low_bytes {
                    let pat = [0xff, 0xff, 0xff, low, 0, 0];
                    hits.extend(memmem::find_iter(region, &pat).take(MAX_CANDIDATES));
                }
                hits.sort_unstable();
            }
            for i in hits {
                tried += 1;
                if tried > MAX_CANDIDATES {
                    return None;
                }
                if let Some(p) = self.check_pclntab(start + i, end - (start + i)) {
                    return Some(p);
                }
            }
        }
        None
    }

    /// Validates a pclntab header at file offset `off` with `avail` bytes readable after it.
    fn check_pclntab(&self, off: usize, avail: usize) -> Option<Pclntab> {
        let b = self.bytes.get(off..off.checked_add(avail)?)?;
        if b.len() < 16
            || b[4] != 0
            || b[5] != 0
            || !matches!(b[6], 1 | 2 | 4)
            || !matches!(b[7], 4 | 8)
        {
            return None;
        }
        let m_le = read_uint(b, 0, 4, true)? as u32;
        let m_be = read_uint(b, 0, 4, false)? as u32;
        let (magic, le, min, max) = PCLN_MAGICS.iter().find_map(|&(m, min, max)| {
            if m == m_le {
                Some((m, true, min, max))
            } else if m == m_be {
                Some((m, false, min, max))
            } else {
                None
            }
        })?;
        let ps = b[7] as usize;
        let word = |i: usize| read_uint(b, 8 + i * ps, ps, le);
        let nfunc = word(0)?;
        if nfunc == 0 || nfunc > avail as u64 {
            return None;
        }
        if magic == 0xffff_fffb {
            // Go 1.2–1.15: nfunctab, then (2*nfunctab+1) pointer-sized entries, then a 4-byte file table offset.
            let functab_end = (8 + ps as u64)
                .checked_add((2 * nfunc + 1).checked_mul(ps as u64)?)?
                .checked_add(4)?;
            if functab_end > avail as u64 {
                return None;
            }
            let first_func = read_uint(b, 8 + 2 * ps, ps, le)?;
            if first_func >= avail as u64 {
                return None;
            }
            let all = off..off + avail;
            return Some(Pclntab {
                offset: off,
                magic,
                min,
                max,
                names: all.clone(),
                packed_names: false,
                files: all,
            });
        }
        // Go 1.16+: nfunc, nfiles, [textStart (1.18+)], then offsets of funcname, cu, file, pc, func tables.
        let first = if magic == 0xffff_fffa { 2 } else { 3 };
        let hdr_len = 8 + (first + 5) * ps;
        let offs: Vec<u64> = (first..first + 5).map(word).collect::<Option<_>>()?;
        if offs[0] < hdr_len as u64
            || offs.windows(2).any(|w| w[0] > w[1])
            || offs[4] >= avail as u64
        {
            return None;
        }
        let names = off + offs[0] as usize..off + offs[1] as usize;
        let files = off + offs[2] as usize..off + offs[3] as usize;
        Some(Pclntab {
            offset: off,
            magic,
            min,
            max,
            names,
            packed_names: true,
            files,
        })
    }

    /// `runtime.buildVersion` without build info (esbuild 0.27+ strips it). Candidates are `go1.` strings in
    /// read-only data; the one that a Go string header (address + exact length) in writable data points at is
    /// taken when it is the only one; failing that, the only NUL-delimited one. Either must fit the pclntab
    /// magic's range. Anything ambiguous leaves the version unknown, with the reason.
    fn version_without_buildinfo(&self, g: &mut GoFacts, pcln: Option<&Pclntab>) {
        let fits =
            |v: &GoVersion| pcln.is_none_or(|p| *v >= p.min && p.max.is_none_or(|max| *v <= max));
        // vaddr -> (file offset, longest version string there)
        let mut candidates: HashMap<u64, (usize, usize)> = HashMap::new();
        let mut delimited: HashSet<String> = HashSet::new();
        'segs: for seg in self.loads.iter().filter(|s| s.flags & (PF_W | PF_X) == 0) {
            let start = seg.offset as usize;
            let region = &self.bytes[start..start + seg.filesz as usize];
            for i in memmem::find_iter(region, b"go1.") {
                if candidates.len() >= MAX_VERSION_CANDIDATES {
                    break 'segs;
                }
                // Include a "devel " prefix when present.
                let s = if i >= 6 && &region[i - 6..i] == b"devel " {
                    i - 6
                } else {
                    i
                };
                let maxlen = version_prefix_len(&region[s..]);
                if maxlen == 0 {
                    continue;
                }
                candidates.insert(seg.vaddr + s as u64, (start + s, maxlen));
                let before_nul = s == 0 || region[s - 1] == 0;
                let after_nul = region.get(s + maxlen).is_none_or(|&c| c == 0);
                if before_nul && after_nul {
                    delimited.insert(String::from_utf8_lossy(&region[s..s + maxlen]).into_owned());
                }
            }
        }
        let mut referenced: HashSet<String> = HashSet::new();
        if !candidates.is_empty() {
            let ps = self.ptr_size();
            let (lo, hi) = candidates
                .keys()
                .fold((u64::MAX, 0), |(lo, hi), &va| (lo.min(va), hi.max(va)));
            for seg in self
                .loads
                .iter()
                .filter(|s| s.flags & (PF_W | PF_X) == PF_W)
            {
                let start = seg.offset as usize;
                let region = &self.bytes[start..start + seg.filesz as usize];
                // Go string headers are pointer-aligned; the range test rejects almost every word cheaply.
                let skew = ((ps as u64 - seg.vaddr % ps as u64) % ps as u64) as usize;
                let mut i = skew;
                while i + 2 * ps <= region.len() {
                    let p = read_uint(region, i, ps, self.le).unwrap_or(0);
                    if p >= lo && p <= hi {
                        if let Some(&(c_off, c_max)) = candidates.get(&p) {
                            let len = read_uint(region, i + ps, ps, self.le).unwrap_or(0);
                            if len >= 4 && len as usize <= c_max {
                                let s = &self.bytes[c_off..c_off + len as usize];
                                if version_prefix_len(s) == len as usize {
                                    referenced.insert(String::from_utf8_lossy(s).into_owned());
                                }
                            }
                        }
                    }
                    i += ps;
                }
            }
        }
        let pick = |set: &HashSet<String>| -> Result<Option<(String, GoVersion)>, String> {
            let parsed: Vec<(String, GoVersion)> = set
                .iter()
                .filter_map(|s| GoVersion::parse(s).map(|v| (s.clone(), v)))
                .collect();
            let fitting: Vec<&(String, GoVersion)> =
                parsed.iter().filter(|(_, v)| fits(v)).collect();
            match (parsed.len(), fitting.len()) {
                (0, _) => Ok(None),
                (1, 1) => Ok(Some(parsed[0].clone())),
                (1, 0) => Err(format!(
                    "the only candidate {:?} contradicts the pclntab magic",
                    parsed[0].0
                )),
                _ => {
                    let mut all: Vec<&str> = parsed.iter().map(|(s, _)| s.as_str()).collect();
                    all.sort();
                    Err(format!("ambiguous: {}", all.join(", ")))
                }
            }
        };
        let mut notes = Vec::new();
        for (set, certainty, label) in [
            (
                &referenced,
                Certainty::StringHeader,
                "strings referenced by a Go string header",
            ),
            (
                &delimited,
                Certainty::DelimitedString,
                "NUL-delimited version strings",
            ),
        ] {
            match pick(set) {
                Ok(Some((raw, v))) => {
                    g.version = Some(v);
                    g.version_raw = Some(raw);
                    g.version_source = VersionSource::RuntimeBuildVersionString { certainty };
                    g.version_note = Some(format!("no build info; version from {label}"));
                    return;
                }
                Ok(None) => notes.push(format!("no {label}")),
                Err(e) => {
                    notes.push(format!("{label}: {e}"));
                    // Several header-referenced versions: do not fall back to a weaker signal.
                    break;
                }
            }
        }
        g.version_source = VersionSource::Unknown;
        g.version_note = Some(format!("no build info; {}", notes.join("; ")));
    }
}

struct RawBuildInfo {
    format: BuildInfoFormat,
    version: Option<String>,
    modinfo: Option<Vec<u8>>,
    modinfo_offset: u64,
    problems: Vec<ElfError>,
}

/// Length of the longest Go version string at the start of `b`: `[devel ]go1[.N[.P]][(rc|beta)N]`, then
/// for `devel` anything printable to the end of the token run, or ` X:experiments`. 0 when none.
fn version_prefix_len(b: &[u8]) -> usize {
    let (mut i, devel) = if b.starts_with(b"devel ") {
        (6, true)
    } else {
        (0, false)
    };
    if !b[i..].starts_with(b"go1") {
        return 0;
    }
    i += 3;
    let digits = |b: &[u8], mut i: usize| {
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() && i - s < 9 {
            i += 1;
        }
        (i, i > s)
    };
    for _ in 0..2 {
        if b.get(i) == Some(&b'.') {
            let (j, ok) = digits(b, i + 1);
            if !ok {
                break;
            }
            i = j;
        } else {
            break;
        }
    }
    for pre in [&b"rc"[..], b"beta"] {
        if b[i..].starts_with(pre) {
            let (j, ok) = digits(b, i + pre.len());
            if ok {
                i = j;
            }
            break;
        }
    }
    if devel {
        // "devel go1.23-abcdef Tue Jan 2 ..." — printable ASCII up to the end.
        while i < b.len() && i < MAX_VERSION_LEN && (0x20..0x7f).contains(&b[i]) {
            i += 1;
        }
    } else if b[i..].starts_with(b" X:") {
        let mut j = i + 3;
        while j < b.len()
            && j < MAX_VERSION_LEN
            && (b[j].is_ascii_alphanumeric() || b[j] == b',' || b[j] == b'_')
        {
            j += 1;
        }
        if j > i + 3 {
            i = j;
        }
    }
    i
}

/// Whether `name` occurs in a function-name table. In 1.16+ tables (`packed`) a name starts right after a
/// NUL or at the table start; in 1.2 tables the byte before must not be a path character (so
/// `x/net.(*conf)` is not `net.(*conf)`). With `exact`, the name must also end at a NUL.
fn find_name(table: &[u8], name: &[u8], packed: bool, exact: bool) -> bool {
    for (n, i) in memmem::find_iter(table, name).enumerate() {
        if n >= MAX_CANDIDATES {
            break;
        }
        let start_ok = match i.checked_sub(1).map(|j| table[j]) {
            None | Some(0) => true,
            Some(c) => !(packed || c.is_ascii_alphanumeric() || b"/._-".contains(&c)),
        };
        let end_ok = !exact || table.get(i + name.len()) == Some(&0);
        if start_ok && end_ok {
            return true;
        }
    }
    false
}

/// Section names from the section-header string table (`e_shstrndx`, or `sh_link` of section 0 when the
/// index is escaped).
fn name_sections(bytes: &[u8], header: &Header, shdrs: &[SectionHeader]) -> Vec<Section> {
    let mut idx = header.e_shstrndx as usize;
    if idx == 0xffff {
        idx = shdrs.first().map_or(0, |s| s.sh_link as usize);
    }
    let strtab = shdrs.get(idx).and_then(|s| {
        let start = usize::try_from(s.sh_offset).ok()?;
        bytes.get(start..start.checked_add(usize::try_from(s.sh_size).ok()?)?)
    });
    shdrs
        .iter()
        .map(|s| Section {
            name: strtab
                .and_then(|t| t.get(s.sh_name..))
                .and_then(|t| c_string(t, 256))
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .unwrap_or_default(),
            sh_type: s.sh_type,
            offset: s.sh_offset,
            size: s.sh_size,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x40_0000;
    const PF_R: u32 = 4;

    /// One program header and the bytes it maps, placed at file offset `off` (vaddr BASE + off).
    struct S {
        ptype: u32,
        flags: u32,
        off: usize,
        data: Vec<u8>,
    }

    fn s(ptype: u32, flags: u32, off: usize, data: Vec<u8>) -> S {
        S {
            ptype,
            flags,
            off,
            data,
        }
    }

    /// A little-endian ELF64 x86-64 file with the given program headers and no section headers.
    fn elf64(e_type: u16, osabi: u8, segs: &[S]) -> Vec<u8> {
        let phoff = 64usize;
        let end = segs
            .iter()
            .map(|s| s.off + s.data.len())
            .max()
            .unwrap_or(0)
            .max(phoff + 56 * segs.len());
        let mut b = vec![0u8; end];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // little-endian
        b[6] = 1;
        b[7] = osabi;
        b[16..18].copy_from_slice(&e_type.to_le_bytes());
        b[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
        b[20..24].copy_from_slice(&1u32.to_le_bytes());
        b[32..40].copy_from_slice(&(phoff as u64).to_le_bytes());
        b[52..54].copy_from_slice(&64u16.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(segs.len() as u16).to_le_bytes());
        b[58..60].copy_from_slice(&64u16.to_le_bytes());
        for (i, sg) in segs.iter().enumerate() {
            let p = phoff + 56 * i;
            b[p..p + 4].copy_from_slice(&sg.ptype.to_le_bytes());
            b[p + 4..p + 8].copy_from_slice(&sg.flags.to_le_bytes());
            b[p + 8..p + 16].copy_from_slice(&(sg.off as u64).to_le_bytes());
            b[p + 16..p + 24].copy_from_slice(&(BASE + sg.off as u64).to_le_bytes());
            b[p + 24..p + 32].copy_from_slice(&(BASE + sg.off as u64).to_le_bytes());
            b[p + 32..p + 40].copy_from_slice(&(sg.data.len() as u64).to_le_bytes());
            b[p + 40..p + 48].copy_from_slice(&(sg.data.len() as u64).to_le_bytes());
            b[p + 48..p + 56].copy_from_slice(&0x1000u64.to_le_bytes());
            b[sg.off..sg.off + sg.data.len()].copy_from_slice(&sg.data);
        }
        b
    }

    fn put(buf: &mut Vec<u8>, at: usize, data: &[u8]) {
        if buf.len() < at + data.len() {
            buf.resize(at + data.len(), 0);
        }
        buf[at..at + data.len()].copy_from_slice(data);
    }

    fn sentinel_wrap(text: &str) -> Vec<u8> {
        let mut m = vec![0x30u8; 16];
        m.extend_from_slice(text.as_bytes());
        m.extend_from_slice(&[0xf9u8; 16]);
        m
    }

    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut b = buildinfo::MAGIC.to_vec();
        b.extend_from_slice(&[8, buildinfo::FLAG_INLINE]);
        b.extend_from_slice(&[0u8; 16]);
        for s in [version.as_bytes(), modinfo] {
            let mut n = s.len() as u64;
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    b.push(byte);
                    break;
                }
                b.push(byte | 0x80);
            }
            b.extend_from_slice(s);
        }
        b
    }

    /// A Go 1.20+ pclntab header followed by a funcnametab holding `names`.
    fn pclntab120(names: &[&str]) -> Vec<u8> {
        pclntab120_files(names, &[])
    }

    /// The same, with a filetab holding `files`.
    fn pclntab120_files(names: &[&str], files: &[&str]) -> Vec<u8> {
        let table = |items: &[&str]| {
            let mut t: Vec<u8> = Vec::new();
            for n in items {
                t.extend_from_slice(n.as_bytes());
                t.push(0);
            }
            t
        };
        let (names_t, files_t) = (table(names), table(files));
        let mut b = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
        let fn_off = 0x48u64;
        let cu = fn_off + names_t.len() as u64;
        let end = cu + files_t.len() as u64;
        for w in [
            names.len() as u64,
            files.len() as u64,
            0,
            fn_off,
            cu,
            cu,
            end,
            end,
        ] {
            b.extend_from_slice(&w.to_le_bytes());
        }
        b.extend_from_slice(&names_t);
        b.extend_from_slice(&files_t);
        b.extend_from_slice(&[0u8; 64]);
        b
    }

    #[test]
    fn go_version_parse() {
        let v = |s| GoVersion::parse(s);
        assert_eq!(v("go1.15.5"), Some(GoVersion::new(1, 15, 5)));
        assert_eq!(v("go1.21"), Some(GoVersion::new(1, 21, 0)));
        assert_eq!(v("go1.21rc2"), Some(GoVersion::new(1, 21, 0)));
        assert_eq!(v("go1.20beta1"), Some(GoVersion::new(1, 20, 0)));
        assert_eq!(v("go1.22.0 X:boringcrypto"), Some(GoVersion::new(1, 22, 0)));
        assert_eq!(
            v("devel go1.23-abc123 Tue Jan 2 2024"),
            Some(GoVersion::new(1, 23, 0))
        );
        assert_eq!(v("go1"), Some(GoVersion::new(1, 0, 0)));
        assert_eq!(v("go"), None);
        assert_eq!(v("1.15.5"), None);
        assert_eq!(v("go1.x"), None);
        assert_eq!(v("go99999999999.1"), None);
        assert_eq!(v(""), None);
        assert_eq!(GoVersion::new(1, 15, 5).to_string(), "go1.15.5");
        assert!(GoVersion::new(1, 16, 0) > GoVersion::new(1, 15, 15));
    }

    #[test]
    fn version_prefix() {
        assert_eq!(version_prefix_len(b"go1.15.5grid-gap"), 8);
        assert_eq!(version_prefix_len(b"go1.21rc2\0"), 9);
        assert_eq!(version_prefix_len(b"go1.22.0 X:boringcrypto\0"), 23);
        assert_eq!(version_prefix_len(b"go1.22.0 Xyz"), 8);
        assert_eq!(version_prefix_len(b"devel go1.23-abc x\0"), 18);
        assert_eq!(version_prefix_len(b"go2"), 0);
        assert_eq!(version_prefix_len(b"go1."), 3);
    }

    #[test]
    fn not_elf_even_with_buildinfo_magic() {
        let mut junk = b"#!/bin/sh\n".to_vec();
        junk.resize(64, 0);
        junk.extend_from_slice(&inline_blob("go1.22.0", b""));
        let e = analyze(&junk).unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.to_string().contains("not an ELF"), "{e}");
        assert!(analyze(b"").is_err());
        assert!(analyze(b"\x7fEL").is_err());
    }

    #[test]
    fn truncated_header_and_tables() {
        let good = elf64(ehdr::ET_EXEC, 0, &[s(PT_LOAD, PF_R, 0x1000, vec![1; 16])]);
        // Cut inside the ELF header.
        let e = analyze(&good[..20]).unwrap_err();
        assert_eq!(e.offset, 0, "{e}");
        // Cut inside the program header table: the error names e_phoff.
        let e = analyze(&good[..64 + 20]).unwrap_err();
        assert_eq!(e.offset, 64, "{e}");
        assert!(e.to_string().contains("program headers"), "{e}");
        // A segment that claims more bytes than the file has is clipped and reported.
        let f = analyze(&good[..0x1008]).unwrap();
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].offset, 0x1000);
        // Every prefix of a small valid file: no panic.
        for n in 0..good.len() {
            let _ = analyze(&good[..n]);
        }
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut b = elf64(ehdr::ET_EXEC, 0, &[s(PT_LOAD, PF_R, 0x1000, vec![1; 16])]);
        b[56..58].copy_from_slice(&0xffffu16.to_le_bytes()); // e_phnum
        assert!(analyze(&b).is_err());
        let mut b = elf64(ehdr::ET_EXEC, 0, &[s(PT_LOAD, PF_R, 0x1000, vec![1; 16])]);
        b[40..48].copy_from_slice(&0x100u64.to_le_bytes()); // e_shoff
        b[60..62].copy_from_slice(&0u16.to_le_bytes()); // e_shnum 0: count from section 0's sh_size
        put(&mut b, 0x100 + 32, &u64::MAX.to_le_bytes());
        let f = analyze(&b).unwrap();
        assert!(
            f.problems
                .iter()
                .any(|p| p.offset == 0x100 && p.what.contains("section headers")),
            "{:?}",
            f.problems
        );
    }

    #[test]
    fn inline_build_info() {
        let modinfo = sentinel_wrap(
            "path\texample.com/cmd/x\nmod\texample.com\tv1.0.0\t\n\
             build\t-tags=netgo,osusergo\nbuild\tCGO_ENABLED=0\n\
             build\tDefaultGODEBUG=netdns=cgo\nbuild\tGOARCH=amd64\nbuild\tGOOS=linux\n",
        );
        let mut data = vec![0u8; 0x20];
        data.extend_from_slice(&inline_blob("go1.22.0 X:boringcrypto", &modinfo));
        let f = analyze(&elf64(
            ehdr::ET_EXEC,
            0,
            &[s(PT_LOAD, PF_R | PF_W, 0x2000, data)],
        ))
        .unwrap();
        let g = f.go.unwrap();
        assert_eq!(g.version, Some(GoVersion::new(1, 22, 0)));
        assert_eq!(g.version_raw.as_deref(), Some("go1.22.0 X:boringcrypto"));
        assert_eq!(g.version_source, VersionSource::BuildInfo);
        assert_eq!(g.buildinfo_format, BuildInfoFormat::Inline);
        assert_eq!(g.buildinfo_offset, Some(0x2020));
        assert_eq!(g.cgo_enabled, Some(false));
        assert_eq!(g.cgo_evidence, Some(CgoEvidence::BuildSetting));
        assert_eq!(g.tags, vec!["netgo", "osusergo"]);
        assert_eq!(g.default_godebug.as_deref(), Some("netdns=cgo"));
        assert_eq!(g.goarch.as_deref(), Some("amd64"));
        assert_eq!(g.build_info.unwrap().path, "example.com/cmd/x");
        assert_eq!(f.os_evidence, OsEvidence::GoBuildSetting);
        // No pclntab: nothing known about net.
        assert_eq!(g.cgo_resolver, None);
        assert!(!g.resolver_linked);
    }

    #[test]
    fn misaligned_blob_is_ignored() {
        let mut data = vec![0u8; 0x28];
        data.extend_from_slice(&inline_blob("go1.22.0", b""));
        let f = analyze(&elf64(
            ehdr::ET_EXEC,
            0,
            &[s(PT_LOAD, PF_R | PF_W, 0x2000, data)],
        ))
        .unwrap();
        assert_eq!(f.go, None);
    }

    #[test]
    fn inline_length_past_the_end() {
        let mut blob = inline_blob("go1.22.0", b"");
        blob.truncate(buildinfo::HEADER_LEN);
        blob.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f, b'g', b'o']);
        let f = analyze(&elf64(
            ehdr::ET_EXEC,
            0,
            &[s(PT_LOAD, PF_R | PF_W, 0x2000, blob)],
        ))
        .unwrap();
        let g = f.go.unwrap();
        assert_eq!(g.version, None);
        assert_eq!(g.version_source, VersionSource::Unknown);
        assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
        assert_eq!(f.problems[0].offset, 0x2000 + 32);
    }

    /// Pointer-era blob at 0x2000 whose slots point at string headers at 0x2100 (version) and 0x2110 (modinfo),
    /// whose data is at 0x1000 (version) and 0x1100 (modinfo).
    fn pointer_era(version: &[u8], modinfo: &[u8], slot: [u64; 2]) -> Vec<u8> {
        let mut ro = vec![0u8; 0x200];
        put(&mut ro, 0, version);
        put(&mut ro, 0x100, modinfo);
        let mut rw = buildinfo::MAGIC.to_vec();
        rw.extend_from_slice(&[8, 0]);
        rw.extend_from_slice(&slot[0].to_le_bytes());
        rw.extend_from_slice(&slot[1].to_le_bytes());
        put(&mut rw, 0x100, &(BASE + 0x1000).to_le_bytes());
        put(&mut rw, 0x108, &(version.len() as u64).to_le_bytes());
        put(&mut rw, 0x110, &(BASE + 0x1100).to_le_bytes());
        put(&mut rw, 0x118, &(modinfo.len() as u64).to_le_bytes());
        elf64(
            ehdr::ET_EXEC,
            0,
            &[
                s(PT_LOAD, PF_R, 0x1000, ro),
                s(PT_LOAD, PF_R | PF_W, 0x2000, rw),
            ],
        )
    }

    #[test]
    fn pointer_build_info() {
        let modinfo = sentinel_wrap("path\tgithub.com/evanw/esbuild/cmd/esbuild\nmod\tgithub.com/evanw/esbuild\t(devel)\t\n");
        let f = analyze(&pointer_era(
            b"go1.15.5",
            &modinfo,
            [BASE + 0x2100, BASE + 0x2110],
        ))
        .unwrap();
        let g = f.go.unwrap();
        assert_eq!(g.version, Some(GoVersion::new(1, 15, 5)));
        assert_eq!(g.buildinfo_format, BuildInfoFormat::Pointers);
        assert_eq!(
            g.build_info.unwrap().main.unwrap().path,
            "github.com/evanw/esbuild"
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        // Pre-1.18: no CGO_ENABLED setting, no pclntab: cgo unknown.
        assert_eq!(g.cgo_enabled, None);
    }

    #[test]
    fn pointers_out_of_range() {
        let f = analyze(&pointer_era(
            b"go1.15.5",
            b"",
            [0xdead_beef_0000, BASE + 0x2110],
        ))
        .unwrap();
        let g = f.go.unwrap();
        // The build-info path fails, but the string header it should have led to is still found by the
        // runtime.buildVersion search.
        assert_eq!(g.version, Some(GoVersion::new(1, 15, 5)));
        assert_eq!(
            g.version_source,
            VersionSource::RuntimeBuildVersionString {
                certainty: Certainty::StringHeader
            }
        );
        assert_eq!(g.buildinfo_format, BuildInfoFormat::Pointers);
        let p = &f.problems[0];
        assert_eq!(p.offset, 0x2010);
        assert!(p.what.contains("outside every PT_LOAD"), "{p}");
        // A header whose length runs past the segment.
        let mut b = pointer_era(b"go1.15.5", b"", [BASE + 0x2100, BASE + 0x2110]);
        put(&mut b, 0x2108, &u64::MAX.to_le_bytes());
        let f = analyze(&b).unwrap();
        let g = f.go.unwrap();
        // Only the weaker signal is left: the NUL-delimited string, labelled as such.
        assert_eq!(
            g.version_source,
            VersionSource::RuntimeBuildVersionString {
                certainty: Certainty::DelimitedString
            }
        );
        assert_eq!(f.problems[0].offset, 0x2100, "{:?}", f.problems);
        // A zero pointer with no relocation.
        let f = analyze(&pointer_era(b"go1.15.5", b"", [0, 0])).unwrap();
        assert!(
            f.problems.iter().all(|p| p.what.contains("null pointer")),
            "{:?}",
            f.problems
        );
        // Bad pointer size.
        let mut b = pointer_era(b"go1.15.5", b"", [BASE + 0x2100, BASE + 0x2110]);
        b[0x2000 + 14] = 3;
        let f = analyze(&b).unwrap();
        assert_eq!(f.problems[0].offset, 0x200e);
    }

    #[test]
    fn pie_pointers_through_rela_addends() {
        // Same as pointer_era, but ET_DYN with zeroed slots and R_X86_64_RELATIVE relocations holding them.
        let mut b = pointer_era(b"go1.16.15", b"", [0, 0]);
        let mut rela = Vec::new();
        for (at, value) in [(0x2010u64, 0x2100u64), (0x2018, 0x2110)] {
            rela.extend_from_slice(&(BASE + at).to_le_bytes());
            rela.extend_from_slice(&8u64.to_le_bytes()); // sym 0, R_X86_64_RELATIVE
            rela.extend_from_slice(&(BASE + value).to_le_bytes());
        }
        let mut dynamic = Vec::new();
        for (tag, val) in [
            (7u64, BASE + 0x3100),
            (8, rela.len() as u64),
            (9, 24),
            (0, 0),
        ] {
            dynamic.extend_from_slice(&tag.to_le_bytes());
            dynamic.extend_from_slice(&val.to_le_bytes());
        }
        let mut seg3 = dynamic.clone();
        seg3.resize(0x100, 0);
        seg3.extend_from_slice(&rela);
        let ro = b[0x1000..0x1200].to_vec();
        let rw = b[0x2000..0x2120].to_vec();
        b = elf64(
            ehdr::ET_DYN,
            0,
            &[
                s(PT_LOAD, PF_R, 0x1000, ro),
                s(PT_LOAD, PF_R | PF_W, 0x2000, rw),
                s(PT_LOAD, PF_R | PF_W, 0x3000, seg3),
                s(PT_DYNAMIC, PF_R | PF_W, 0x3000, dynamic),
            ],
        );
        let f = analyze(&b).unwrap();
        assert_eq!(f.kind, ElfKind::SharedObject);
        assert_eq!(
            f.go.unwrap().version,
            Some(GoVersion::new(1, 16, 15)),
            "{:?}",
            f.problems
        );
    }

    /// A stripped-build-info Go binary: rodata with the pclntab and version strings, data with string headers.
    fn stripped(versions: &[&str], headers: &[usize], pcln: Vec<u8>) -> Vec<u8> {
        let mut ro = vec![0u8; 0x100];
        let mut at = Vec::new();
        for v in versions {
            at.push(ro.len());
            ro.extend_from_slice(v.as_bytes());
            ro.extend_from_slice(&[0u8; 8]);
        }
        ro.extend_from_slice(b"/etc/nsswitch.conf\0");
        let pcln_at = (ro.len() + 15) & !15;
        put(&mut ro, pcln_at, &pcln);
        let mut rw = vec![0u8; 0x40];
        for &i in headers {
            rw.extend_from_slice(&(BASE + 0x1000 + at[i] as u64).to_le_bytes());
            rw.extend_from_slice(&(versions[i].len() as u64).to_le_bytes());
        }
        elf64(
            ehdr::ET_EXEC,
            0,
            &[
                s(PT_LOAD, PF_R, 0x1000, ro),
                s(PT_LOAD, PF_R | PF_W, 0x4000, rw),
            ],
        )
    }

    #[test]
    fn stripped_build_info_version() {
        let pcln = || {
            pclntab120(&[
                "main.main",
                "net.(*conf).hostLookupOrder",
                "net._C2func_getaddrinfo",
            ])
        };
        let f = analyze(&stripped(&["go1.26.5", "go1.13.go"], &[0], pcln())).unwrap();
        let g = f.go.unwrap();
        assert_eq!(g.version, Some(GoVersion::new(1, 26, 5)));
        assert_eq!(
            g.version_source,
            VersionSource::RuntimeBuildVersionString {
                certainty: Certainty::StringHeader
            }
        );
        assert_eq!(g.min_version, Some(GoVersion::new(1, 20, 0)));
        assert_eq!(g.pclntab_magic, Some(0xffff_fff1));
        assert_eq!(g.buildinfo_format, BuildInfoFormat::None);
        assert!(g.resolver_linked);
        assert_eq!(g.cgo_resolver, Some(true));
        assert_eq!(g.cgo_enabled, Some(true));
        assert_eq!(g.cgo_evidence, Some(CgoEvidence::CgoFunctions));

        // No header: the only NUL-delimited version string, marked as such.
        let g = analyze(&stripped(&["go1.26.5"], &[], pcln()))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.version, Some(GoVersion::new(1, 26, 5)));
        assert_eq!(
            g.version_source,
            VersionSource::RuntimeBuildVersionString {
                certainty: Certainty::DelimitedString
            }
        );

        // Two referenced versions: ambiguous, unknown, lower bound kept.
        let g = analyze(&stripped(&["go1.26.5", "go1.25.0"], &[0, 1], pcln()))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.version, None);
        assert_eq!(g.version_source, VersionSource::Unknown);
        assert_eq!(g.min_version, Some(GoVersion::new(1, 20, 0)));
        assert!(
            g.version_note.as_deref().unwrap().contains("ambiguous"),
            "{:?}",
            g.version_note
        );

        // A version the pclntab magic rules out is not taken.
        let g = analyze(&stripped(&["go1.15.5"], &[0], pcln()))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.version, None);
        assert!(
            g.version_note.as_deref().unwrap().contains("contradicts"),
            "{:?}",
            g.version_note
        );
    }

    #[test]
    fn net_detection_in_function_names() {
        // net.(*conf) only as a suffix of another package path does not count; the cgo wrapper must be exact.
        let pcln = pclntab120(&[
            "main.main",
            "golang.org/x/net.(*conf).x",
            "net._C2func_getaddrinfoX",
        ]);
        let g = analyze(&stripped(&["go1.26.5"], &[0], pcln))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.net_conf_functions, Some(false));
        assert_eq!(g.cgo_resolver, Some(false));
        assert!(g.nsswitch_path_string);
        assert!(!g.resolver_linked);
        // No cgo functions, no interpreter, no DT_NEEDED: built without cgo.
        assert_eq!(
            g.cgo_enabled,
            Some(true),
            "x/net wrapper name contains ._C2func_"
        );
        let pcln = pclntab120(&["main.main", "net.(*conf).hostLookupOrder"]);
        let g = analyze(&stripped(&["go1.26.5"], &[0], pcln))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.cgo_enabled, Some(false));
        assert_eq!(g.cgo_evidence, Some(CgoEvidence::NoCgoFunctions));
        assert!(g.resolver_linked);
    }

    #[test]
    fn os_from_go_runtime_source_files() {
        let os = |files: &[&str]| {
            let pcln = pclntab120_files(&["main.main"], files);
            let f = analyze(&stripped(&["go1.26.5"], &[0], pcln)).unwrap();
            (f.os, f.os_evidence)
        };
        let src = |s: &str| OsEvidence::GoRuntimeSource(s.to_string());
        assert_eq!(
            os(&["main.go", "/usr/local/go/src/runtime/os_dragonfly.go"]),
            (TargetOs::DragonFly, src("runtime/os_dragonfly.go"))
        );
        assert_eq!(
            os(&["runtime/os_solaris.go", "runtime/os_illumos.go"]),
            (TargetOs::Illumos, src("runtime/os_illumos.go"))
        );
        assert_eq!(
            os(&["runtime/os_linux_x86.go", "runtime/os_linux.go"]),
            (TargetOs::Linux, src("runtime/os_linux.go"))
        );
        assert_eq!(os(&["main.go"]), (TargetOs::Linux, OsEvidence::Default));
    }

    #[test]
    fn broken_pclntab_headers_are_rejected() {
        let mut p = pclntab120(&["net.(*conf).hostLookupOrder"]);
        p[8 + 3 * 8..8 + 4 * 8].copy_from_slice(&0x10u64.to_le_bytes()); // funcname offset inside the header
        let f = analyze(&stripped(&["go1.26.5"], &[0], p)).unwrap();
        assert_eq!(f.go.as_ref().and_then(|g| g.pclntab_offset), None);
        let mut p = pclntab120(&["net.(*conf).hostLookupOrder"]);
        p[8 + 7 * 8..8 + 8 * 8].copy_from_slice(&u64::MAX.to_le_bytes()); // offsets past the end
        let f = analyze(&stripped(&["go1.26.5"], &[0], p)).unwrap();
        assert_eq!(f.go.as_ref().and_then(|g| g.pclntab_offset), None);
    }

    #[test]
    fn interpreter_needed_and_os() {
        let mut strtab = b"\0libc.so.6\0libpthread.so\0".to_vec();
        strtab.resize(0x40, 0);
        let mut dynamic = Vec::new();
        for (tag, val) in [
            (1u64, 1u64),
            (1, 11),
            (5, BASE + 0x1100),
            (10, 0x40),
            (1, 0xffff_ffff),
            (0, 0),
        ] {
            dynamic.extend_from_slice(&tag.to_le_bytes());
            dynamic.extend_from_slice(&val.to_le_bytes());
        }
        let mut ro = b"/usr/libexec/ld.so\0".to_vec();
        ro.resize(0x100, 0);
        ro.extend_from_slice(&strtab);
        let segs = [
            s(PT_INTERP, PF_R, 0x1000, b"/usr/libexec/ld.so\0".to_vec()),
            s(PT_LOAD, PF_R, 0x1000, ro),
            s(PT_DYNAMIC, PF_R | PF_W, 0x2000, dynamic.clone()),
            s(PT_LOAD, PF_R | PF_W, 0x2000, dynamic),
        ];
        let f = analyze(&elf64(ehdr::ET_EXEC, 0, &segs)).unwrap();
        assert_eq!(f.interpreter.as_deref(), Some("/usr/libexec/ld.so"));
        assert_eq!(f.needed, vec!["libc.so.6", "libpthread.so"]);
        assert_eq!(
            (f.os.clone(), f.os_evidence.clone()),
            (TargetOs::OpenBSD, OsEvidence::Interpreter)
        );
        assert!(!f.is_static());
        assert_eq!(f.go, None);

        let f = analyze(&elf64(ehdr::ET_DYN, ehdr::ELFOSABI_FREEBSD, &segs)).unwrap();
        assert_eq!(
            (f.os.clone(), f.os_evidence.clone()),
            (TargetOs::FreeBSD, OsEvidence::OsAbi)
        );
        assert_eq!(f.kind, ElfKind::PieExecutable);

        // An OpenBSD ident note, and a Go build-id note (which alone makes it Go code).
        let mut notes = Vec::new();
        for (name, ntype, desc) in [
            (&b"OpenBSD\0"[..], 1u32, &[0u8; 4][..]),
            (b"Go\0\0", 4, b"abcd"),
        ] {
            notes.extend_from_slice(&(name.len() as u32).to_le_bytes());
            notes.extend_from_slice(&(desc.len() as u32).to_le_bytes());
            notes.extend_from_slice(&ntype.to_le_bytes());
            notes.extend_from_slice(name);
            notes.extend_from_slice(desc);
        }
        let f = analyze(&elf64(
            ehdr::ET_EXEC,
            0,
            &[s(PT_NOTE, PF_R, 0x1000, notes.clone())],
        ))
        .unwrap();
        assert_eq!(
            (f.os.clone(), f.os_evidence.clone()),
            (TargetOs::OpenBSD, OsEvidence::Note("OpenBSD".into()))
        );
        let g = f.go.unwrap();
        assert_eq!(g.version_source, VersionSource::Unknown);
        assert_eq!(g.cgo_resolver, None);
        // A note whose sizes run past its segment stops the walk without panicking.
        let mut bad = notes;
        bad[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let f = analyze(&elf64(ehdr::ET_EXEC, 0, &[s(PT_NOTE, PF_R, 0x1000, bad)])).unwrap();
        assert_eq!(f.os_evidence, OsEvidence::Default);
    }

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
