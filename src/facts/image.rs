//! Facts about the final filesystem: which C library the image has, what its nsswitch.conf says, what its ENV
//! sets, and every ELF file that survived into it; each fact remembers the layer that put it there. Plain
//! data: `crate::gather` fills it from the merged layers.

use super::elf::ElfFacts;
use super::libc::GlibcVersion;
use super::nsswitch::NsswitchFile;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LibcKind {
    Musl,
    Glibc,
    Both,
    None,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibcFacts {
    pub kind: LibcKind,
    /// `2.36`, or the musl release; `None` when the image does not say.
    pub version: Option<String>,
    pub glibc_version: Option<GlibcVersion>,
    pub musl_version: Option<String>,
    /// The files that told us, e.g. `/lib/ld-musl-x86_64.so.1`.
    pub evidence: Vec<String>,
}

/// The variables of the image config's `Env` that change how resolvers behave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResolverEnv {
    /// Why the environment could not be read (a root filesystem has no config); the variables below are
    /// then all unset, which is what predictions assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
    pub godebug: Option<String>,
    pub localdomain: Option<String>,
    pub res_options: Option<String>,
    pub hostaliases: Option<String>,
}

impl ResolverEnv {
    /// Reads `KEY=VALUE` strings; for repeated keys the last one wins, as in a process environment built from them.
    pub fn from_env(env: &[String]) -> ResolverEnv {
        let mut out = ResolverEnv::default();
        for item in env {
            let (key, value) = item.split_once('=').unwrap_or((item.as_str(), ""));
            let slot = match key {
                "GODEBUG" => &mut out.godebug,
                "LOCALDOMAIN" => &mut out.localdomain,
                "RES_OPTIONS" => &mut out.res_options,
                "HOSTALIASES" => &mut out.hostaliases,
                _ => continue,
            };
            *slot = Some(value.to_string());
        }
        out
    }
}

/// An ELF file of the final filesystem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElfFile {
    /// Absolute path in the image (`/usr/local/bin/app`).
    pub path: String,
    /// Digest of the layer that put the file's bytes there.
    pub layer: String,
    pub layer_index: usize,
    pub facts: ElfFacts,
    /// For a dynamically linked program: whether its interpreter exists in the image.
    pub interpreter_present: Option<bool>,
}

/// The most [`Skipped`] items listed one by one; the rest are counted in one more.
pub const MAX_SKIPPED: usize = 1000;
/// The most Go programs (by path: a hard link is another path) analysed in one image; real images have
/// dozens.
pub const MAX_GO_PROGRAMS: usize = 2000;
/// The most other ELF files (programs and libraries) kept for the rules.
pub const MAX_ELF_FILES: usize = 50_000;

/// Where a layer that writes `/etc/nsswitch.conf` puts the file, as the runtime would unpack it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsswitchPlace {
    /// The real path, relative to the root: `etc/nsswitch.conf`, or under the directory `/etc` links to.
    pub path: String,
    /// Directories on the way that the image lacks (a scratch image has no `/etc`), parents first.
    pub missing_dirs: Vec<String>,
    /// The target of the symlink at that path, which the new file replaces.
    pub replaces_symlink: Option<String>,
}

/// Something that was not analysed and could hide a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path in the image, when it is about one file.
    pub path: Option<String>,
    pub layer: Option<String>,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageFacts {
    pub libc: LibcFacts,
    pub nsswitch: NsswitchFile,
    /// The layer that put `/etc/nsswitch.conf` (or what it links to) there.
    pub nsswitch_layer: Option<String>,
    /// Where a layer writing `/etc/nsswitch.conf` puts it (`nsslint fix`), or why it cannot.
    #[serde(skip)]
    pub nsswitch_place: Result<NsswitchPlace, String>,
    pub mdns_allow: bool,
    /// NSS service name (`files`, `dns`, `mdns4_minimal`, `resolve`, ...) → path of the image's
    /// `libnss_<name>.so.2` (a regular file, symlinks followed) in a directory glibc's loader searches; the
    /// first one in search order when there are several.
    pub nss_modules: BTreeMap<String, String>,
    pub env: ResolverEnv,
    pub elf_files: Vec<ElfFile>,
    pub skipped: Vec<Skipped>,
}
