//! The Go release a binary was built by. Build info's version string (what `go version` prints) is
//! certain and is read in `buildinfo_blob`; this file owns the release number itself, the forms Go writes
//! (`go1.15.5`, `go1.21rc2`, `go1.22.0 X:boringcrypto`, `devel go1.23-...`), and the fallback when build info
//! is stripped: the `runtime.buildVersion` string, taken only when one candidate is unambiguous and fits the
//! pclntab magic's range.

use std::collections::{HashMap, HashSet};
use std::fmt;

use goblin::elf::program_header::{PF_W, PF_X};
use memchr::memmem;
use serde::Serialize;

use super::image::{read_uint, Image};

/// Longest version string accepted from build info.
pub(super) const MAX_VERSION_LEN: usize = 256;

/// `go1.` strings considered when looking for `runtime.buildVersion` without build info.
const MAX_VERSION_CANDIDATES: usize = 4096;

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

/// Where a Go version came from (`GoFacts::version_source`).
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

/// The Go releases that can have written a file: first and last (`None`: up to the newest).
#[derive(Debug, Clone, Copy)]
pub(super) struct ReleaseRange {
    pub(super) first: GoVersion,
    pub(super) last: Option<GoVersion>,
}

impl ReleaseRange {
    pub(super) fn contains(&self, v: GoVersion) -> bool {
        v >= self.first && self.last.is_none_or(|last| v <= last)
    }
}

/// A version found without build info, or why none was.
pub(super) struct FoundVersion {
    pub(super) version: Option<GoVersion>,
    pub(super) raw: Option<String>,
    pub(super) source: VersionSource,
    pub(super) note: String,
}

impl<'a> Image<'a> {
    /// `runtime.buildVersion` without build info (esbuild 0.27+ strips it). Candidates are `go1.` strings in
    /// read-only data; the one that a Go string header (address + exact length) in writable data points at is
    /// taken when it is the only one; failing that, the only NUL-delimited one. Either must fit the pclntab
    /// magic's range. Anything ambiguous leaves the version unknown, with the reason.
    pub(super) fn version_without_buildinfo(&self, range: Option<&ReleaseRange>) -> FoundVersion {
        let fits = |v: &GoVersion| range.is_none_or(|r| r.contains(*v));
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
                    return FoundVersion {
                        version: Some(v),
                        raw: Some(raw),
                        source: VersionSource::RuntimeBuildVersionString { certainty },
                        note: format!("no build info; version from {label}"),
                    };
                }
                Ok(None) => notes.push(format!("no {label}")),
                Err(e) => {
                    notes.push(format!("{label}: {e}"));
                    // Several header-referenced versions: do not fall back to a weaker signal.
                    break;
                }
            }
        }
        FoundVersion {
            version: None,
            raw: None,
            source: VersionSource::Unknown,
            note: format!("no build info; {}", notes.join("; ")),
        }
    }
}

/// Length of the longest Go version string at the start of `b`: `[devel ]go1[.N[.P]][(rc|beta)N]`, then
/// for `devel` anything printable to the end of the token run, or ` X:experiments`. 0 when none.
pub(super) fn version_prefix_len(b: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::super::*;
    use super::*;

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
}
