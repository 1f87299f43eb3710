//! The C library of an image: musl, glibc (with its version), both or none, and the evidence for it.
//!
//! This module holds the pure readers: each takes the bytes or text of one file from the image and returns
//! what it says about the C library. The layer walk decides which files to hand them.

use memchr::memmem;
use serde::Serialize;
use std::fmt;

/// A glibc release, as in `2.36`. Ordered by release (`2.9 < 2.10 < 2.35`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct GlibcVersion {
    pub major: u32,
    pub minor: u32,
}

impl GlibcVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        GlibcVersion { major, minor }
    }

    /// Reads the leading `MAJOR.MINOR` of a version such as `2.36`, `2.36.9000`, `2.31-13+deb11u11` or
    /// `2.34-100.el9`. Anything may follow the minor number except another digit.
    pub fn parse_prefix(text: &str) -> Option<GlibcVersion> {
        let (major, rest) = leading_number(text.as_bytes())?;
        let rest = rest.strip_prefix(b".")?;
        let (minor, _) = leading_number(rest)?;
        Some(GlibcVersion { major, minor })
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A run of ASCII digits at the start of `bytes` (at most 9, so it fits in a u32) and what follows it.
fn leading_number(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 || len > 9 {
        return None;
    }
    let value = bytes[..len]
        .iter()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    Some((value, &bytes[len..]))
}

/// The version in the banner glibc compiles into `libc.so.6` (`csu/version.c`), which `libc.so.6` prints when
/// executed. Its first line has the same shape in every release since at least 2.12:
///
/// ```text
/// GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.
/// GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.1) stable release version 2.35.
/// GNU C Library (GNU libc) stable release version 2.34.
/// GNU C Library (GNU libc) development release version 2.36.9000.
/// GNU C Library (Debian GLIBC 2.24-11+deb9u4) stable release version 2.24, by Roland McGrath et al.
/// GNU C Library stable release version 2.12, by Roland McGrath et al.
/// ```
///
/// The parenthesised package version is whatever the distribution configured (`--with-pkgversion`), so only
/// the number after `release version ` is read. The search is bounded to the banner's first line.
pub fn glibc_version_from_libc_so(bytes: &[u8]) -> Option<GlibcVersion> {
    const BANNER: &[u8] = b"GNU C Library ";
    const MARKER: &[u8] = b" release version ";
    /// Longer than any banner's first line seen (distribution package versions are short).
    const MAX_LINE: usize = 512;
    let finder = memmem::Finder::new(BANNER);
    let marker = memmem::Finder::new(MARKER);
    for start in finder.find_iter(bytes) {
        let window = &bytes[start + BANNER.len()..bytes.len().min(start + BANNER.len() + MAX_LINE)];
        let line_end = window
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .unwrap_or(window.len());
        let line = &window[..line_end];
        let Some(at) = marker.find(line) else {
            continue;
        };
        let number = &line[at + MARKER.len()..];
        if let Some(version) = std::str::from_utf8(number)
            .ok()
            .and_then(GlibcVersion::parse_prefix)
        {
            return Some(version);
        }
    }
    None
}

/// The glibc version of a Debian-family image from its dpkg database: the `Version` of package `libc6`
/// (`libc6.1` on alpha and ia64).
///
/// Reads both `var/lib/dpkg/status` (where a paragraph counts only if its `Status` says `installed`) and the
/// one-paragraph files of `var/lib/dpkg/status.d/` that distroless images carry instead (no `Status` field:
/// the package is there because the file is). A `Status` other than installed (`deinstall ok config-files`,
/// `half-installed`, ...) disqualifies the paragraph.
pub fn glibc_version_from_dpkg_status(text: &str) -> Option<GlibcVersion> {
    control_paragraphs(text).find_map(|paragraph| {
        let mut package = None;
        let mut version = None;
        let mut status = None;
        for (name, value) in paragraph {
            match name.to_ascii_lowercase().as_str() {
                "package" => package = Some(value),
                "version" => version = Some(value),
                "status" => status = Some(value),
                _ => {}
            }
        }
        if !matches!(package, Some("libc6" | "libc6.1")) {
            return None;
        }
        if let Some(status) = status {
            if status.split_whitespace().last() != Some("installed") {
                return None;
            }
        }
        let version = version?;
        // Drop an epoch (`1:`); the upstream version starts right after it.
        let upstream = version.split_once(':').map_or(version, |(_, rest)| rest);
        GlibcVersion::parse_prefix(upstream)
    })
}

/// The glibc version from a library's file name, for glibc before 2.34, which installed the C library as
/// `libc-2.31.so` (and the loader as `ld-2.31.so`) with `libc.so.6` a symbolic link to it. Takes a file name
/// or a path; only the last component is read.
pub fn glibc_version_from_lib_file_name(name: &str) -> Option<GlibcVersion> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let number = base
        .strip_prefix("libc-")
        .or_else(|| base.strip_prefix("ld-"))?
        .strip_suffix(".so")?;
    let version = GlibcVersion::parse_prefix(number)?;
    // Exactly MAJOR.MINOR: `ld-linux-x86-64.so` and `libc-client.so` are not versions.
    (version.to_string() == number).then_some(version)
}

/// The musl version of an Alpine image from `lib/apk/db/installed`: the `V:` of the paragraph whose `P:` is
/// `musl`, as written (`1.2.4-r2`: upstream version and Alpine package release).
pub fn musl_version_from_apk_installed(text: &str) -> Option<String> {
    text.split("\n\n").find_map(|paragraph| {
        let mut package = None;
        let mut version = None;
        for line in paragraph.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(value) = line.strip_prefix("P:") {
                package = Some(value.trim());
            } else if let Some(value) = line.strip_prefix("V:") {
                version = Some(value.trim());
            }
        }
        match (package, version) {
            (Some("musl"), Some(version)) if !version.is_empty() => Some(version.to_string()),
            _ => None,
        }
    })
}

/// The paragraphs of a Debian control file (blank-line separated), each as its `Name: value` fields.
/// Continuation lines (starting with a space or tab) are skipped: no field read here spans lines.
fn control_paragraphs(text: &str) -> impl Iterator<Item = Vec<(&str, &str)>> {
    let mut lines = text
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .peekable();
    std::iter::from_fn(move || {
        while lines.peek().is_some_and(|line| line.trim().is_empty()) {
            lines.next();
        }
        lines.peek()?;
        let mut fields = Vec::new();
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                fields.push((name.trim(), value.trim()));
            }
        }
        Some(fields)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn v(major: u32, minor: u32) -> GlibcVersion {
        GlibcVersion::new(major, minor)
    }

    /// A fake shared object: `before` bytes of noise, the banner text, NUL, more noise.
    fn blob_with(text: &str) -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
        bytes.extend((0..1024u32).map(|i| (i * 13) as u8));
        bytes
    }

    #[test]
    fn version_order_and_display() {
        assert!(v(2, 9) < v(2, 10));
        assert!(v(2, 34) < v(2, 35));
        assert!(v(1, 99) < v(2, 0));
        assert_eq!(v(2, 36).to_string(), "2.36");
        assert_eq!(
            serde_json::to_string(&v(2, 31)).unwrap(),
            r#"{"major":2,"minor":31}"#
        );
    }

    #[test]
    fn parse_prefix_table() {
        let cases: &[(&str, Option<GlibcVersion>)] = &[
            ("2.36", Some(v(2, 36))),
            ("2.36.9000", Some(v(2, 36))),
            ("2.31-13+deb11u11", Some(v(2, 31))),
            ("2.34-100.el9_4.2", Some(v(2, 34))),
            ("2.17.", Some(v(2, 17))),
            ("2", None),
            ("2.", None),
            (".36", None),
            ("x2.36", None),
            ("99999999999.1", None),
        ];
        for (text, want) in cases {
            assert_eq!(GlibcVersion::parse_prefix(text), *want, "{text:?}");
        }
    }

    #[test]
    fn banner_table() {
        let cases: &[(&str, Option<GlibcVersion>)] = &[
            ("GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\nCopyright", Some(v(2, 36))),
            ("GNU C Library (Ubuntu GLIBC 2.35-0ubuntu3.1) stable release version 2.35.\n", Some(v(2, 35))),
            ("GNU C Library (GNU libc) stable release version 2.34.\n", Some(v(2, 34))),
            ("GNU C Library (GNU libc) development release version 2.36.9000.\n", Some(v(2, 36))),
            (
                "GNU C Library (Debian GLIBC 2.24-11+deb9u4) stable release version 2.24, by Roland McGrath et al.\n",
                Some(v(2, 24)),
            ),
            ("GNU C Library stable release version 2.12, by Roland McGrath et al.\n", Some(v(2, 12))),
            // The package version in parentheses must not be taken for the release.
            ("GNU C Library (Debian GLIBC 9.99-1) stable release version 2.28.\n", Some(v(2, 28))),
            // No release number on the banner's first line: not a banner.
            ("GNU C Library (GNU libc)\nstable release version 2.34.\n", None),
            ("GNU C Library manual", None),
            ("stable release version 2.36.", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                glibc_version_from_libc_so(&blob_with(text)),
                *want,
                "{text:?}"
            );
        }
    }

    #[test]
    fn banner_first_match_without_version_is_skipped() {
        let mut bytes = blob_with("GNU C Library documentation");
        bytes.extend(blob_with(
            "GNU C Library (GNU libc) stable release version 2.39.\n",
        ));
        assert_eq!(glibc_version_from_libc_so(&bytes), Some(v(2, 39)));
    }

    #[test]
    fn banner_truncated_at_end_of_file() {
        assert_eq!(
            glibc_version_from_libc_so(b"GNU C Library (GNU libc) stable release version 2.3"),
            Some(v(2, 3))
        );
        assert_eq!(
            glibc_version_from_libc_so(b"GNU C Library (GNU libc) stable release version "),
            None
        );
        assert_eq!(glibc_version_from_libc_so(b""), None);
    }

    #[test]
    fn dpkg_status_table() {
        let installed = "Package: libc-bin\nStatus: install ok installed\nVersion: 2.36-9+deb12u4\n\n\
            Package: libc6\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n\
            Version: 2.36-9+deb12u4\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n\n";
        let cases: &[(&str, &str, Option<GlibcVersion>)] = &[
            ("installed", installed, Some(v(2, 36))),
            (
                "removed, config files left",
                "Package: libc6\nStatus: deinstall ok config-files\nVersion: 2.31-13\n",
                None,
            ),
            (
                "half installed then installed i386",
                "Package: libc6\nStatus: install reinstreq half-installed\nArchitecture: amd64\nVersion: 2.35-0ubuntu3\n\n\
                 Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.35-0ubuntu3.8\n",
                Some(v(2, 35)),
            ),
            ("distroless status.d file", "Package: libc6\nVersion: 2.31-13+deb11u5\nArchitecture: amd64\n", Some(v(2, 31))),
            ("epoch", "Package: libc6\nStatus: install ok installed\nVersion: 1:2.28-10\n", Some(v(2, 28))),
            ("CRLF", "Package: libc6\r\nStatus: install ok installed\r\nVersion: 2.19-18+deb8u10\r\n", Some(v(2, 19))),
            ("other package only", "Package: libc6-dev\nStatus: install ok installed\nVersion: 2.36-9\n", None),
            ("musl package", "Package: musl\nStatus: install ok installed\nVersion: 1.2.3-1\n", None),
            ("no version", "Package: libc6\nStatus: install ok installed\n", None),
            ("empty", "", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(glibc_version_from_dpkg_status(text), *want, "{name}");
        }
    }

    #[test]
    fn lib_file_name_table() {
        let cases: &[(&str, Option<GlibcVersion>)] = &[
            ("libc-2.31.so", Some(v(2, 31))),
            ("lib/x86_64-linux-gnu/libc-2.28.so", Some(v(2, 28))),
            ("/lib64/ld-2.17.so", Some(v(2, 17))),
            ("libc.so.6", None),
            ("ld-linux-x86-64.so.2", None),
            ("libc-client.so", None),
            ("libc-2.31.so.bak", None),
            ("libc-2.31.1.so", None),
            ("ld-musl-x86_64.so.1", None),
        ];
        for (name, want) in cases {
            assert_eq!(glibc_version_from_lib_file_name(name), *want, "{name}");
        }
    }

    #[test]
    fn apk_installed_table() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nT:the musl c library (libc) implementation\n\n\
                  C:Q1def=\nP:busybox\nV:1.36.1-r5\n\n";
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("alpine 3.18", db, Some("1.2.4-r2")),
            (
                "musl not first",
                "P:busybox\nV:1.36.1-r5\n\nP:musl\nV:1.2.5-r0\n",
                Some("1.2.5-r0"),
            ),
            ("musl-utils is not musl", "P:musl-utils\nV:1.2.4-r2\n", None),
            ("no version", "P:musl\nA:x86_64\n", None),
            ("CRLF", "P:musl\r\nV:1.1.24-r10\r\n", Some("1.1.24-r10")),
            ("empty", "", None),
        ];
        for (name, text, want) in cases {
            assert_eq!(
                musl_version_from_apk_installed(text).as_deref(),
                *want,
                "{name}"
            );
        }
    }

    /// Where downloaded test inputs live: `$NSSLINT_FIXTURES`, else `<repo>/target/nsslint-fixtures`.
    fn fixtures_dir() -> PathBuf {
        std::env::var_os("NSSLINT_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/nsslint-fixtures")
            })
    }

    /// The bytes of `path`, or `None` after a loud note when it is absent (a failure under `CI`).
    fn real_file(path: &std::path::Path, how_to_get_it: &str) -> Option<Vec<u8>> {
        match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(err) => {
                let message = format!("SKIPPED: {} ({err}); {how_to_get_it}", path.display());
                if std::env::var_os("CI").is_some() {
                    panic!("{message}");
                }
                eprintln!("{message}");
                None
            }
        }
    }

    #[test]
    fn real_libc_so_of_this_machine() {
        let path = std::path::Path::new("/lib/x86_64-linux-gnu/libc.so.6");
        let Some(bytes) = real_file(path, "this test needs a Debian-family x86_64 host") else {
            return;
        };
        // The host's own glibc, cross-checked against `ldd --version`-independent evidence: dpkg's record.
        let found = glibc_version_from_libc_so(&bytes).expect("banner in the host's libc.so.6");
        if let Ok(status) = std::fs::read_to_string("/var/lib/dpkg/status") {
            assert_eq!(Some(found), glibc_version_from_dpkg_status(&status));
        }
        assert!(found >= GlibcVersion::new(2, 17), "{found}");
    }

    #[test]
    fn real_libc_so_of_debian_bullseye() {
        // Debian bullseye's libc6 (2.31-13+debXuY), unpacked with `dpkg -x` by tests/fixtures/fetch.sh.
        let dir = fixtures_dir().join("debian/libc6-bullseye/lib/x86_64-linux-gnu");
        let how = "run tests/fixtures/fetch.sh (Debian bullseye's libc6, unpacked into debian/libc6-bullseye)";
        let Some(bytes) = real_file(&dir.join("libc-2.31.so"), how) else {
            return;
        };
        assert_eq!(glibc_version_from_libc_so(&bytes), Some(v(2, 31)));
        assert_eq!(
            glibc_version_from_lib_file_name("libc-2.31.so"),
            Some(v(2, 31))
        );
    }
}
