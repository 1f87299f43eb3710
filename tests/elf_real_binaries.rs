//! `facts::elf::analyze` on real Go binaries (FACTS.md §4), fetched by `tests/fixtures/fetch.sh` into
//! `$NSSLINT_FIXTURES` (default `target/nsslint-fixtures`). Every expected value below was observed on the
//! binary itself (readelf, strings, a by-hand decode of `.go.buildinfo`) and agrees with FACTS.md §3–§4.
//! A missing fixture skips its test loudly, or fails it when `CI` is set.

use std::path::PathBuf;

use nsslint::facts::elf::{
    analyze, BuildInfoFormat, Certainty, CgoEvidence, ElfFacts, ElfKind, GoFacts, GoVersion,
    OsEvidence, TargetOs, VersionSource,
};

fn fixtures_dir() -> PathBuf {
    match std::env::var_os("NSSLINT_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/nsslint-fixtures"),
    }
}

/// The fixture's bytes, or `None` (after a loud message) when it is missing outside CI.
fn fixture(rel: &str) -> Option<Vec<u8>> {
    let path = fixtures_dir().join(rel);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "fixture {} missing ({e}); run tests/fixtures/fetch.sh",
                    path.display()
                );
            }
            // Written to the real stderr: libtest captures eprintln! of passing tests.
            use std::io::Write;
            let msg = format!(
                "SKIPPED: {} missing, run tests/fixtures/fetch.sh\n",
                path.display()
            );
            let _ = std::io::stderr().write_all(msg.as_bytes());
            None
        }
    }
}

fn facts(rel: &str) -> Option<(ElfFacts, Vec<u8>)> {
    let bytes = fixture(rel)?;
    let f = analyze(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert!(f.problems.is_empty(), "{rel}: {:?}", f.problems);
    Some((f, bytes))
}

fn go(f: &ElfFacts) -> &GoFacts {
    f.go.as_ref().expect("Go code")
}

/// Static Linux Go binaries without build-info GOOS: the OS comes from the runtime's source file names.
fn os_linux() -> OsEvidence {
    OsEvidence::GoRuntimeSource("runtime/os_linux.go".into())
}

const V1_20: GoVersion = GoVersion::new(1, 20, 0);

/// What a test expects of one binary.
struct Want {
    kind: ElfKind,
    machine: &'static str,
    os: TargetOs,
    os_evidence: OsEvidence,
    interpreter: Option<&'static str>,
    needed: &'static [&'static str],
    version_raw: &'static str,
    version: GoVersion,
    source: VersionSource,
    format: BuildInfoFormat,
    pclntab_magic: u32,
    cgo_enabled: Option<bool>,
    cgo_evidence: Option<CgoEvidence>,
    cgo_resolver: bool,
    resolver_linked: bool,
    tags: &'static [&'static str],
}

fn check(rel: &str, w: Want) -> Option<(ElfFacts, Vec<u8>)> {
    let (f, bytes) = facts(rel)?;
    assert_eq!(f.kind, w.kind, "{rel}");
    assert_eq!(f.machine, w.machine, "{rel}");
    assert_eq!(f.bits, 64, "{rel}");
    assert_eq!(f.os, w.os, "{rel}");
    assert_eq!(f.os_evidence, w.os_evidence, "{rel}");
    assert_eq!(f.interpreter.as_deref(), w.interpreter, "{rel}");
    assert_eq!(f.needed, w.needed, "{rel}");
    let g = go(&f);
    assert_eq!(g.version_raw.as_deref(), Some(w.version_raw), "{rel}");
    assert_eq!(g.version, Some(w.version), "{rel}");
    assert_eq!(g.version_source, w.source, "{rel}");
    assert_eq!(g.buildinfo_format, w.format, "{rel}");
    assert_eq!(g.pclntab_magic, Some(w.pclntab_magic), "{rel}");
    assert!(g.min_version.unwrap() <= w.version, "{rel}");
    assert_eq!(g.cgo_enabled, w.cgo_enabled, "{rel}");
    assert_eq!(g.cgo_evidence, w.cgo_evidence, "{rel}");
    assert_eq!(g.cgo_resolver, Some(w.cgo_resolver), "{rel}");
    assert_eq!(g.resolver_linked, w.resolver_linked, "{rel}");
    assert_eq!(g.nsswitch_path_string, w.resolver_linked, "{rel}");
    assert_eq!(g.net_conf_functions, Some(w.resolver_linked), "{rel}");
    assert_eq!(g.tags, w.tags, "{rel}");
    Some((f, bytes))
}

fn esbuild(
    version: &'static str,
    v: GoVersion,
    format: BuildInfoFormat,
    magic: u32,
    evidence: OsEvidence,
) -> Want {
    let from_settings = format == BuildInfoFormat::Inline;
    Want {
        kind: ElfKind::Executable,
        machine: "x86_64",
        os: TargetOs::Linux,
        os_evidence: evidence,
        interpreter: None,
        needed: &[],
        version_raw: version,
        version: v,
        source: VersionSource::BuildInfo,
        format,
        pclntab_magic: magic,
        cgo_enabled: Some(false),
        cgo_evidence: Some(if from_settings {
            CgoEvidence::BuildSetting
        } else {
            CgoEvidence::NoCgoFunctions
        }),
        cgo_resolver: false,
        resolver_linked: true,
        tags: &[],
    }
}

#[test]
fn esbuild_0_8_30_go1_15_pointer_era() {
    let w = esbuild(
        "go1.15.5",
        GoVersion::new(1, 15, 5),
        BuildInfoFormat::Pointers,
        0xffff_fffb,
        os_linux(),
    );
    let Some((f, _)) = check("esbuild-0.8.30/esbuild", w) else {
        return;
    };
    let g = go(&f);
    assert_eq!(g.max_version.map(|v| (v.major, v.minor)), Some((1, 15)));
    let bi = g.build_info.as_ref().unwrap();
    assert_eq!(bi.path, "github.com/evanw/esbuild/cmd/esbuild");
    assert_eq!(bi.main.as_ref().unwrap().version, "(devel)");
    assert_eq!(bi.deps_count(), 1);
    assert!(bi.settings.is_empty(), "no build lines before Go 1.18");
    assert_eq!(g.default_godebug, None);
}

#[test]
fn esbuild_0_14_0_go1_17_pointer_era() {
    let w = esbuild(
        "go1.17.2",
        GoVersion::new(1, 17, 2),
        BuildInfoFormat::Pointers,
        0xffff_fffa,
        os_linux(),
    );
    let Some((f, _)) = check("esbuild-0.14.0/esbuild", w) else {
        return;
    };
    assert_eq!(
        go(&f).build_info.as_ref().unwrap().deps[0].path,
        "golang.org/x/sys"
    );
}

#[test]
fn esbuild_0_19_12_go1_20_inline() {
    // FACTS.md gives no version for 0.19.12: its build info says go1.20.12.
    let w = esbuild(
        "go1.20.12",
        GoVersion::new(1, 20, 12),
        BuildInfoFormat::Inline,
        0xffff_fff1,
        OsEvidence::GoBuildSetting,
    );
    let Some((f, _)) = check("esbuild-0.19.12/esbuild", w) else {
        return;
    };
    let g = go(&f);
    assert_eq!(g.default_godebug, None, "DefaultGODEBUG appears in Go 1.21");
    assert_eq!(g.goarch.as_deref(), Some("amd64"));
    assert_eq!(
        g.build_info.as_ref().unwrap().setting("-trimpath"),
        Some("true")
    );
}

#[test]
fn esbuild_0_26_0_go1_23_inline() {
    let w = esbuild(
        "go1.23.12",
        GoVersion::new(1, 23, 12),
        BuildInfoFormat::Inline,
        0xffff_fff1,
        OsEvidence::GoBuildSetting,
    );
    let Some((f, _)) = check("esbuild-0.26.0/esbuild", w) else {
        return;
    };
    assert_eq!(
        go(&f).default_godebug.as_deref(),
        Some(
            "asynctimerchan=1,gotypesalias=0,httplaxcontentlength=1,httpmuxgo121=1,httpservecontentkeepheaders=1,\
             netedns0=0,panicnil=1,tls10server=1,tls3des=1,tlskyber=0,tlsrsakex=1,tlsunsafeekm=1,\
             winreadlinkvolume=0,winsymlink=0,x509keypairleaf=0,x509negativeserial=1"
        )
    );
}

#[test]
fn esbuild_0_28_2_go1_26_without_build_info() {
    let mut w = esbuild(
        "go1.26.5",
        GoVersion::new(1, 26, 5),
        BuildInfoFormat::None,
        0xffff_fff1,
        os_linux(),
    );
    w.source = VersionSource::RuntimeBuildVersionString {
        certainty: Certainty::StringHeader,
    };
    let Some((f, _)) = check("esbuild-0.28.2/esbuild", w) else {
        return;
    };
    let g = go(&f);
    assert_eq!(g.buildinfo_offset, None);
    assert_eq!(g.build_info, None);
    assert_eq!(g.min_version, Some(V1_20));
    assert_eq!(g.max_version, None);
}

fn debian(version_tags: &'static [&'static str]) -> Want {
    Want {
        kind: ElfKind::Executable,
        machine: "x86_64",
        os: TargetOs::Linux,
        os_evidence: OsEvidence::GoBuildSetting,
        interpreter: Some("/lib64/ld-linux-x86-64.so.2"),
        needed: &["libc.so.6"],
        version_raw: "go1.19.8",
        version: GoVersion::new(1, 19, 8),
        source: VersionSource::BuildInfo,
        format: BuildInfoFormat::Inline,
        pclntab_magic: 0xffff_fff0,
        cgo_enabled: Some(true),
        cgo_evidence: Some(CgoEvidence::BuildSetting),
        cgo_resolver: true,
        resolver_linked: true,
        tags: version_tags,
    }
}

#[test]
fn debian_runc_cgo_dynamic() {
    let mut w = debian(&["seccomp", "urfave_cli_no_docs"]);
    w.needed = &["libseccomp.so.2", "libc.so.6"];
    let Some((f, _)) = check("debian/runc/usr/sbin/runc", w) else {
        return;
    };
    assert_eq!(
        go(&f).build_info.as_ref().unwrap().path,
        "github.com/opencontainers/runc"
    );
    assert!(!f.is_static());
}

#[test]
fn debian_fzf_cgo_dynamic() {
    check("debian/fzf/usr/bin/fzf", debian(&[]));
}

/// shfmt never imports package net: no `/etc/nsswitch.conf`, no `net.(*conf)` methods. It was built with
/// CGO_ENABLED=1, yet no package uses cgo, so the linker made a static binary.
#[test]
fn debian_shfmt_does_not_link_the_resolver() {
    let mut w = debian(&[]);
    w.interpreter = None;
    w.needed = &[];
    w.cgo_resolver = false;
    w.resolver_linked = false;
    let Some((f, _)) = check("debian/shfmt/usr/bin/shfmt", w) else {
        return;
    };
    assert!(f.is_static());
    assert_eq!(
        go(&f).build_info.as_ref().unwrap().path,
        "mvdan.cc/sh/v3/cmd/shfmt"
    );
}

/// A Python extension: Go built as a c-archive and linked into a shared object by the C toolchain. No
/// `.gopclntab` section (the table sits in `.data.rel.ro`) and no package net.
#[test]
fn gojsonnet_c_shared_object() {
    let w = Want {
        kind: ElfKind::SharedObject,
        machine: "x86_64",
        os: TargetOs::Linux,
        os_evidence: OsEvidence::GoBuildSetting,
        interpreter: None,
        needed: &[
            "libstdc++.so.6",
            "libm.so.6",
            "libgcc_s.so.1",
            "libpthread.so.0",
            "libc.so.6",
        ],
        version_raw: "go1.24.8",
        version: GoVersion::new(1, 24, 8),
        source: VersionSource::BuildInfo,
        format: BuildInfoFormat::Inline,
        pclntab_magic: 0xffff_fff1,
        cgo_enabled: Some(true),
        cgo_evidence: Some(CgoEvidence::BuildSetting),
        cgo_resolver: false,
        resolver_linked: false,
        tags: &[],
    };
    let Some((f, _)) = check(
        "pypi/gojsonnet/_gojsonnet.cpython-311-x86_64-linux-gnu.so",
        w,
    ) else {
        return;
    };
    let bi = go(&f).build_info.as_ref().unwrap();
    assert_eq!(bi.setting("-buildmode"), Some("c-archive"));
    assert_eq!(bi.path, "github.com/google/go-jsonnet/c-bindings");
    assert_eq!(bi.deps_count(), 3);
}

fn lefthook(os: TargetOs, machine: &'static str, interpreter: Option<&'static str>) -> Want {
    Want {
        kind: ElfKind::Executable,
        machine,
        os,
        os_evidence: OsEvidence::GoBuildSetting,
        interpreter,
        needed: if interpreter.is_some() {
            &["libc.so", "libpthread.so"]
        } else {
            &[]
        },
        version_raw: "go1.25.3",
        version: GoVersion::new(1, 25, 3),
        source: VersionSource::BuildInfo,
        format: BuildInfoFormat::Inline,
        pclntab_magic: 0xffff_fff1,
        cgo_enabled: Some(false),
        cgo_evidence: Some(CgoEvidence::BuildSetting),
        cgo_resolver: false,
        resolver_linked: true,
        tags: &["no_self_update"],
    }
}

/// Removes the build-info magic, as a linker that strips build info would leave the file.
fn strip_build_info(bytes: &mut [u8], at: u64) {
    let at = at as usize;
    assert_eq!(&bytes[at..at + 14], b"\xff Go buildinf:");
    bytes[at..at + 14].fill(0);
}

/// With build info, GOOS decides; without it, the ELF header does (Go sets EI_OSABI for FreeBSD and
/// OpenBSD), and the version still comes from runtime.buildVersion.
fn lefthook_without_build_info(rel: &str, bytes: &mut [u8], at: u64, os: TargetOs) {
    strip_build_info(bytes, at);
    let f = analyze(bytes).unwrap();
    assert_eq!(
        (f.os.clone(), f.os_evidence.clone()),
        (os, OsEvidence::OsAbi),
        "{rel}"
    );
    let g = go(&f);
    assert_eq!(g.version_raw.as_deref(), Some("go1.25.3"), "{rel}");
    assert_eq!(
        g.version_source,
        VersionSource::RuntimeBuildVersionString {
            certainty: Certainty::StringHeader
        }
    );
    assert_eq!(
        g.cgo_enabled,
        Some(false),
        "{rel}: static ({:?})",
        g.cgo_evidence
    );
    assert!(g.resolver_linked, "{rel}");
}

#[test]
fn lefthook_freebsd() {
    let rel = "pypi/lefthook/lefthook/bin/lefthook-freebsd-x86_64/lefthook";
    let Some((f, mut bytes)) = check(rel, lefthook(TargetOs::FreeBSD, "x86_64", None)) else {
        return;
    };
    lefthook_without_build_info(
        rel,
        &mut bytes,
        go(&f).buildinfo_offset.unwrap(),
        TargetOs::FreeBSD,
    );
}

#[test]
fn lefthook_openbsd() {
    let rel = "pypi/lefthook/lefthook/bin/lefthook-openbsd-x86_64/lefthook";
    let w = lefthook(TargetOs::OpenBSD, "x86_64", Some("/usr/libexec/ld.so"));
    let Some((f, mut bytes)) = check(rel, w) else {
        return;
    };
    let at = go(&f).buildinfo_offset.unwrap();
    strip_build_info(&mut bytes, at);
    let f = analyze(&bytes).unwrap();
    assert_eq!(
        (f.os.clone(), f.os_evidence.clone()),
        (TargetOs::OpenBSD, OsEvidence::OsAbi)
    );
    // OpenBSD Go binaries link libc dynamically without cgo: no build setting, no cgo functions, but an
    // interpreter — so cgo stays unknown rather than guessed.
    assert_eq!(go(&f).cgo_enabled, None);
    assert_eq!(go(&f).version_raw.as_deref(), Some("go1.25.3"));
}

#[test]
fn lefthook_arm64() {
    check(
        "pypi/lefthook/lefthook/bin/lefthook-linux-arm64/lefthook",
        lefthook(TargetOs::Linux, "aarch64", None),
    );
    let rel = "pypi/lefthook/lefthook/bin/lefthook-freebsd-arm64/lefthook";
    let Some((f, mut bytes)) = check(rel, lefthook(TargetOs::FreeBSD, "aarch64", None)) else {
        return;
    };
    lefthook_without_build_info(
        rel,
        &mut bytes,
        go(&f).buildinfo_offset.unwrap(),
        TargetOs::FreeBSD,
    );
}

/// runc with its build info removed: the version comes from runtime.buildVersion, the pclntab magic bounds
/// it, and cgo comes from the cgo wrappers in the function table.
#[test]
fn runc_without_build_info() {
    let Some((f, mut bytes)) = facts("debian/runc/usr/sbin/runc") else {
        return;
    };
    strip_build_info(&mut bytes, go(&f).buildinfo_offset.unwrap());
    let f = analyze(&bytes).unwrap();
    let g = go(&f);
    assert_eq!(g.version, Some(GoVersion::new(1, 19, 8)));
    assert_eq!(
        g.version_source,
        VersionSource::RuntimeBuildVersionString {
            certainty: Certainty::StringHeader
        }
    );
    assert_eq!(
        (g.min_version, g.max_version.map(|v| v.minor)),
        (Some(GoVersion::new(1, 18, 0)), Some(19))
    );
    assert_eq!(
        (g.cgo_enabled, g.cgo_evidence),
        (Some(true), Some(CgoEvidence::CgoFunctions))
    );
    assert_eq!(g.cgo_resolver, Some(true));
    // Linked by the system linker (cgo): glibc's crt objects bring the GNU ABI tag note.
    assert_eq!(
        (f.os.clone(), f.os_evidence.clone()),
        (TargetOs::Linux, OsEvidence::Note("GNU".into()))
    );
}

/// Truncated copies of every fixture: an error or partial facts, never a panic.
#[test]
fn truncated_real_binaries_never_panic() {
    for rel in [
        "esbuild-0.8.30/esbuild",
        "esbuild-0.28.2/esbuild",
        "debian/runc/usr/sbin/runc",
        "pypi/gojsonnet/_gojsonnet.cpython-311-x86_64-linux-gnu.so",
    ] {
        let Some(bytes) = fixture(rel) else { continue };
        for k in 0..24 {
            let n = (bytes.len() / 24) * k + (k * 4099) % 97;
            let _ = analyze(&bytes[..n.min(bytes.len())]);
        }
        // Cuts right around the build-info blob and its strings.
        if let Ok(f) = analyze(&bytes) {
            if let Some(at) = f.go.as_ref().and_then(|g| g.buildinfo_offset) {
                for d in [0usize, 1, 15, 16, 31, 32, 33, 40, 100] {
                    let _ = analyze(&bytes[..(at as usize + d).min(bytes.len())]);
                }
            }
        }
    }
}
