//! The operating system an ELF file is built for, and the evidence for it, strongest first: Go's
//! `build GOOS=` setting, `EI_OSABI`, an ELF note naming the OS, the Go runtime's `runtime/os_GOOS.go` in the
//! pclntab file table, the program interpreter's path; with none of these, Linux (what Linux Go binaries
//! look like). NSL005 uses it to leave non-Linux binaries out of a Linux resolver model.

use goblin::elf::header as ehdr;
use memchr::memmem;
use serde::Serialize;

use super::buildinfo::BuildInfo;
use super::image::{read_uint, Image};
use super::pclntab::Pclntab;

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

/// The OS and the evidence for it: Go's `build GOOS=` setting when the binary has build info, else what
/// the headers, notes, runtime source names and interpreter say.
pub(super) fn decide(
    img: &Image,
    build_info: Option<&BuildInfo>,
    interp: Option<&str>,
    pcln: Option<&Pclntab>,
) -> (TargetOs, OsEvidence) {
    match build_info.and_then(|b| b.setting("GOOS")) {
        Some(goos) => (TargetOs::from_goos(goos), OsEvidence::GoBuildSetting),
        None => img.os_from_headers(interp, pcln),
    }
}

impl<'a> Image<'a> {
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
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::super::*;
    use super::*;

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
}
