//! Where `.go.buildinfo` sits in the file and how its two strings (version, modinfo) are reached in each
//! era: Go 1.13–1.17 store two pointers to Go string headers (followed through `PT_LOAD` segments, and
//! through RELA addends in PIEs whose pointers are zero on disk); Go 1.18+ store varint-length strings
//! inline. The byte formats themselves are `facts::buildinfo`'s; this file maps them onto the ELF.

use goblin::elf::program_header::{PF_W, PF_X};
use memchr::memmem;
use serde::Serialize;

use super::buildinfo;
use super::image::{read_uint, Image};
use super::version::MAX_VERSION_LEN;
use super::{ElfError, MAX_CANDIDATES};

/// How far into a `.go.buildinfo` section (or segment) the blob may start, as in `debug/buildinfo`.
const BUILDINFO_SEARCH: usize = 64 * 1024;

/// Which era of `.go.buildinfo` a binary carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildInfoFormat {
    None,
    /// Go 1.13–1.17: two pointers to Go string headers.
    Pointers,
    /// Go 1.18+: varint-length strings after the header.
    Inline,
}

/// The blob as found: its era, its two strings, and what went wrong reading them.
pub(super) struct RawBuildInfo {
    pub(super) format: BuildInfoFormat,
    pub(super) version: Option<String>,
    pub(super) modinfo: Option<Vec<u8>>,
    pub(super) modinfo_offset: u64,
    pub(super) problems: Vec<ElfError>,
}

impl<'a> Image<'a> {
    /// The build-info blob: its file offset and the readable bytes from there on (to the end of the
    /// segment or section holding it).
    pub(super) fn find_buildinfo(&self) -> Option<(usize, &'a [u8])> {
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
                    if (start as usize + i).is_multiple_of(16)
                        && region.len() - i >= buildinfo::HEADER_LEN
                    {
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
                if (seg.vaddr + i as u64).is_multiple_of(16)
                    && region.len() - i >= buildinfo::HEADER_LEN
                {
                    return Some((start + i, &region[i..]));
                }
            }
        }
        None
    }

    pub(super) fn decode_buildinfo(&self, off: usize, blob: &'a [u8]) -> RawBuildInfo {
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
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::super::*;
    use super::*;

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
}
