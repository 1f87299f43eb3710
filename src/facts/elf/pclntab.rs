//! Go detection: the pclntab, the function and file table every Go binary carries (stripped or not). Its
//! header's magic bounds the Go release (1.2–1.15, 1.16–1.17, 1.18–1.19, 1.20+); its function-name table is
//! what the resolver and cgo checks search, its file table what the OS check searches. Found by section name
//! (`.gopclntab`, `.data.rel.ro.gopclntab`) or, when stripped, by scanning non-executable segments for a
//! header that validates.

use memchr::memmem;

use super::image::{read_uint, Image};
use super::version::{GoVersion, ReleaseRange};
use super::MAX_CANDIDATES;

/// The pclntab magics, each with the first and last Go release that writes it.
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

/// Where the pclntab is and what its header says.
#[derive(Debug, Clone)]
pub(super) struct Pclntab {
    pub(super) offset: usize,
    pub(super) magic: u32,
    /// The releases whose linker writes this magic.
    pub(super) releases: ReleaseRange,
    /// The part of the file holding function names: the funcnametab (1.16+), or the whole table (1.2–1.15,
    /// whose names are scattered through it).
    pub(super) names: std::ops::Range<usize>,
    /// Names are NUL-separated with nothing else between them (1.16+).
    pub(super) packed_names: bool,
    /// The part of the file holding source file names: the filetab (1.16+), or the whole table.
    pub(super) files: std::ops::Range<usize>,
}

impl<'a> Image<'a> {
    pub(super) fn find_pclntab(&self) -> Option<Pclntab> {
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
                releases: ReleaseRange {
                    first: min,
                    last: max,
                },
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
            releases: ReleaseRange {
                first: min,
                last: max,
            },
            names,
            packed_names: true,
            files,
        })
    }
}

/// Whether `name` occurs in a function-name table. In 1.16+ tables (`packed`) a name starts right after a
/// NUL or at the table start; in 1.2 tables the byte before must not be a path character (so
/// `x/net.(*conf)` is not `net.(*conf)`). With `exact`, the name must also end at a NUL.
pub(super) fn find_name(table: &[u8], name: &[u8], packed: bool, exact: bool) -> bool {
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

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::super::*;

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
}
