//! The ELF container: the file header, program headers (the `PT_LOAD` segments that map file bytes to
//! virtual addresses, `PT_INTERP`, `PT_DYNAMIC`, `PT_NOTE`), section names when the section table is
//! readable, `DT_NEEDED`, notes and RELA relative relocations. It decides the file's kind (executable, PIE,
//! shared object...), its machine and word size, and the loader it asks for; the Go-specific files read
//! through its bounds-checked accessors and never index the file bytes on their own.

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{self as ehdr, Header};
use goblin::elf::program_header::{ProgramHeader, PF_X, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE};
use goblin::elf::section_header::{SectionHeader, SHT_NOBITS, SHT_NOTE};
use goblin::elf::Elf;
use memchr::memmem;
use serde::Serialize;

use super::{ElfError, MAX_CANDIDATES};

/// Longest `PT_INTERP` string kept.
const MAX_INTERP: usize = 4096;

/// Most `DT_NEEDED` entries kept.
const MAX_NEEDED: usize = 1024;

/// Longest single `DT_NEEDED` name.
const MAX_NAME: usize = 4096;

/// Most notes read from one note segment or section.
const MAX_NOTES: usize = 256;

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
#[derive(Debug, Clone, Copy)]
pub(super) struct Seg {
    pub(super) vaddr: u64,
    pub(super) offset: u64,
    pub(super) filesz: u64,
    pub(super) flags: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Section {
    pub(super) name: String,
    pub(super) sh_type: u32,
    pub(super) offset: u64,
    size: u64,
}

/// One ELF file's bytes with its parsed headers.
pub(super) struct Image<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) header: Header,
    pub(super) le: bool,
    pub(super) is64: bool,
    pub(super) phdrs: Vec<ProgramHeader>,
    pub(super) loads: Vec<Seg>,
    pub(super) sections: Vec<Section>,
}

pub(super) fn read_uint(b: &[u8], off: usize, size: usize, le: bool) -> Option<u64> {
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

pub(super) fn c_string(b: &[u8], max: usize) -> Option<&[u8]> {
    let b = &b[..b.len().min(max)];
    memchr::memchr(0, b).map(|n| &b[..n])
}

impl<'a> Image<'a> {
    /// Parses the headers; also returns the problems that did not stop it.
    pub(super) fn parse(bytes: &'a [u8]) -> Result<(Self, Vec<ElfError>), ElfError> {
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

    pub(super) fn ptr_size(&self) -> usize {
        if self.is64 {
            8
        } else {
            4
        }
    }

    pub(super) fn kind(&self) -> ElfKind {
        match self.header.e_type {
            ehdr::ET_EXEC => ElfKind::Executable,
            ehdr::ET_DYN => ElfKind::SharedObject,
            ehdr::ET_REL => ElfKind::Relocatable,
            ehdr::ET_CORE => ElfKind::Core,
            _ => ElfKind::Other,
        }
    }

    pub(super) fn machine(&self) -> String {
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
    pub(super) fn read_va(&self, va: u64, len: u64) -> Option<&'a [u8]> {
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
    pub(super) fn read_va_to_end(&self, va: u64) -> Option<(&'a [u8], usize)> {
        let seg = self
            .loads
            .iter()
            .find(|s| va >= s.vaddr && va - s.vaddr < s.filesz)?;
        let rel = va - seg.vaddr;
        let start = usize::try_from(seg.offset + rel).ok()?;
        let end = usize::try_from(seg.offset + seg.filesz).ok()?;
        Some((self.bytes.get(start..end)?, start))
    }

    pub(super) fn va_of_offset(&self, off: u64) -> Option<u64> {
        let seg = self
            .loads
            .iter()
            .find(|s| off >= s.offset && off - s.offset < s.filesz)?;
        Some(seg.vaddr + (off - seg.offset))
    }

    /// The end (exclusive) of the PT_LOAD file range holding `off`.
    pub(super) fn segment_end_of_offset(&self, off: u64) -> Option<u64> {
        let seg = self
            .loads
            .iter()
            .find(|s| off >= s.offset && off - s.offset < s.filesz)?;
        Some(seg.offset + seg.filesz)
    }

    pub(super) fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    pub(super) fn section_bytes(&self, s: &Section) -> Option<&'a [u8]> {
        if s.sh_type == SHT_NOBITS {
            return None;
        }
        let start = usize::try_from(s.offset).ok()?;
        let end = start.checked_add(usize::try_from(s.size).ok()?)?;
        self.bytes.get(start..end)
    }

    pub(super) fn interpreter(&self, problems: &mut Vec<ElfError>) -> Option<String> {
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
    pub(super) fn dynamic(&self, problems: &mut Vec<ElfError>) -> Vec<(u64, u64)> {
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

    pub(super) fn needed(&self, problems: &mut Vec<ElfError>) -> Vec<String> {
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
    pub(super) fn is_pie(&self, has_interp: bool) -> bool {
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
    pub(super) fn data_ranges(&self) -> Vec<(usize, usize)> {
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
    pub(super) fn notes(&self) -> Vec<(&'a [u8], u32, &'a [u8])> {
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

    pub(super) fn offset_of(&self, sub: &[u8]) -> usize {
        (sub.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize)
    }

    /// A pointer stored at file offset `off`. When the stored value is zero, a position-independent file may
    /// hold the real value as the addend of a relative relocation (RELA): look it up.
    pub(super) fn read_pointer(&self, off: usize, ps: usize, le: bool) -> Result<u64, ElfError> {
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
    pub(super) fn relative_addend(&self, va: u64) -> Option<u64> {
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
    use super::super::synth::*;
    use super::super::*;

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
}
