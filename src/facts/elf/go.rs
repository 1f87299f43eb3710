//! Whether an ELF file is Go code, and everything about that code: a file is Go when it has build info, a
//! pclntab or a Go build-ID note. This file assembles [`GoFacts`] from the others' findings (the build-info
//! blob and its settings, the version, the function-table checks) and decides whether cgo was on, from the
//! build setting or, without it, from cgo wrappers in the function table.

use serde::Serialize;

use super::buildinfo::{self, BuildInfo};
use super::buildinfo_blob::BuildInfoFormat;
use super::image::Image;
use super::pclntab::Pclntab;
use super::resolver;
use super::version::{GoVersion, VersionSource};
use super::ElfError;

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

impl<'a> Image<'a> {
    pub(super) fn go_facts(
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
            min_version: pcln.map(|p| p.releases.first),
            max_version: pcln.and_then(|p| p.releases.last),
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
            nsswitch_path_string: resolver::nsswitch_path_string(self),
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
            let found = self.version_without_buildinfo(pcln.map(|p| &p.releases));
            g.version = found.version;
            g.version_raw = found.raw;
            g.version_source = found.source;
            g.version_note = Some(found.note);
        } else if let (Some(v), Some(p)) = (g.version, pcln) {
            if !p.releases.contains(v) {
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
            let f = resolver::functions(self, p);
            g.net_conf_functions = Some(f.net_conf);
            g.cgo_resolver = Some(f.cgo_resolver);
            if g.cgo_enabled.is_none() {
                if f.cgo_wrappers {
                    g.cgo_enabled = Some(true);
                    g.cgo_evidence = Some(CgoEvidence::CgoFunctions);
                } else if no_dynamic_deps {
                    g.cgo_enabled = Some(false);
                    g.cgo_evidence = Some(CgoEvidence::NoCgoFunctions);
                }
            }
        }
        g.resolver_linked = resolver::linked(g.nsswitch_path_string, g.net_conf_functions);
        Some(g)
    }
}
