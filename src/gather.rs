//! Gathering: the image facts ([`ImageFacts`]) of the merged final filesystem. A file's facts are what the
//! probes observed of the entry that survived the merge; the C library comes from its loaders, `libc.so.6`
//! and the package databases; nsswitch.conf is read where the path resolves (symlinks followed inside the
//! root); glibc's NSS modules are found in the loader's search path. Only what survives is reported, and
//! what could not be read is listed as skipped.

use crate::facts::file::FileFact;
use crate::facts::image::{
    ElfFile, ImageFacts, LibcFacts, LibcKind, NsswitchPlace, ResolverEnv, Skipped, MAX_ELF_FILES,
    MAX_GO_PROGRAMS, MAX_SKIPPED,
};
use crate::facts::libc::GlibcVersion;
use crate::facts::nsswitch::NsswitchFile;
use crate::rootfs::{NodeKind, Rootfs, Unresolved};
use crate::walk::index::EntryKind;
use crate::walk::LayerScan;
use std::collections::{BTreeMap, HashMap};

/// Observations of one layer, by entry, so a surviving file finds its facts.
struct ObservationIndex<'a> {
    by_entry: Vec<HashMap<usize, Vec<&'a FileFact>>>,
}

impl<'a> ObservationIndex<'a> {
    fn new(scans: &'a [LayerScan]) -> Self {
        let by_entry = scans
            .iter()
            .map(|scan| {
                let mut map: HashMap<usize, Vec<&FileFact>> = HashMap::new();
                for observation in &scan.observations {
                    map.entry(observation.entry)
                        .or_default()
                        .push(&observation.fact);
                }
                map
            })
            .collect();
        ObservationIndex { by_entry }
    }

    fn facts(&self, layer: usize, entry: usize) -> &[&'a FileFact] {
        self.by_entry
            .get(layer)
            .and_then(|m| m.get(&entry))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The image facts of the final filesystem `fs`, from the walks of its layers (`scans`, by layer) and the
/// config's `env`.
pub fn image_facts(
    scans: &[LayerScan],
    fs: &Rootfs,
    layer_digests: &[String],
    env: &[String],
) -> ImageFacts {
    let observations = ObservationIndex::new(scans);
    let digest = |layer: usize| {
        layer_digests
            .get(layer)
            .cloned()
            .unwrap_or_else(|| format!("layer {}", layer + 1))
    };
    let mut skipped = Vec::new();

    for scan in scans {
        if let Some(reason) = &scan.not_walked {
            skipped.push(Skipped {
                path: None,
                layer: Some(digest(scan.layer)),
                what: reason.clone(),
            });
        }
    }
    for scan in scans {
        for (id, entry) in scan.index.iter() {
            if entry.kind == EntryKind::Problem {
                let path = scan.index.path(id);
                skipped.push(Skipped {
                    path: (!path.is_empty()).then(|| format!("/{path}")),
                    layer: Some(digest(scan.layer)),
                    what: scan.index.link(id).to_string(),
                });
            }
        }
    }
    for problem in &fs.problems {
        skipped.push(Skipped {
            path: Some(format!("/{}", problem.path)),
            layer: Some(digest(problem.layer)),
            what: problem.what.clone(),
        });
    }

    let mut elf_files = Vec::new();
    let (mut go_seen, mut other_seen) = (0usize, 0usize);
    let mut glibc_seen: Vec<(GlibcVersion, String)> = Vec::new();
    let mut glibc_from_dpkg: Option<(GlibcVersion, String)> = None;
    let mut musl_version = None;
    for (path, node) in fs.files() {
        let NodeKind::File { layer, entry } = node.kind else {
            continue;
        };
        for fact in observations.facts(layer, entry) {
            match fact {
                FileFact::Elf(facts) => {
                    // Hard links make one analysed file appear under any number of names: bound how many
                    // are carried on (a Go program costs its prediction, trace and findings too).
                    let (seen, limit) = if facts.go.is_some() {
                        (&mut go_seen, MAX_GO_PROGRAMS)
                    } else {
                        (&mut other_seen, MAX_ELF_FILES)
                    };
                    *seen += 1;
                    if *seen > limit {
                        continue;
                    }
                    elf_files.push(ElfFile {
                        path: format!("/{path}"),
                        layer: digest(layer),
                        layer_index: layer,
                        facts: (**facts).clone(),
                        interpreter_present: None,
                    })
                }
                FileFact::BadElf { offset, what } => skipped.push(Skipped {
                    path: Some(format!("/{path}")),
                    layer: Some(digest(layer)),
                    what: format!("starts like an ELF file but could not be read at byte {offset}: {what}"),
                }),
                FileFact::Unread { what } => skipped.push(Skipped {
                    path: Some(format!("/{path}")),
                    layer: Some(digest(layer)),
                    what: what.clone(),
                }),
                FileFact::TooLarge { size, limit } => skipped.push(Skipped {
                    path: Some(format!("/{path}")),
                    layer: Some(digest(layer)),
                    what: format!("file is {size} bytes, over the {limit}-byte limit for reading a file (--max-file-size); not analysed"),
                }),
                FileFact::Glibc { version: Some(version), evidence } if evidence.contains("dpkg") => {
                    glibc_from_dpkg = Some((*version, evidence.clone()));
                }
                FileFact::Glibc { version: Some(version), .. } => glibc_seen.push((*version, format!("/{path}"))),
                FileFact::Musl { version } => musl_version = version.clone(),
                _ => {}
            }
        }
    }
    for file in &mut elf_files {
        if let Some(interpreter) = &file.facts.interpreter {
            let present = matches!(fs.resolve(interpreter), Ok((_, n)) if matches!(n.kind, NodeKind::File { .. }));
            file.interpreter_present = Some(present);
        }
    }

    for (seen, limit, what) in [
        (go_seen, MAX_GO_PROGRAMS, "Go programs"),
        (other_seen, MAX_ELF_FILES, "other ELF files"),
    ] {
        if seen > limit {
            skipped.push(Skipped {
                path: None,
                layer: None,
                what: format!("the image has {seen} {what} (hard links counted under each name); only the first {limit} were analysed"),
            });
        }
    }
    if skipped.len() > MAX_SKIPPED {
        // Each becomes a finding, and a finding costs kilobytes by the time it is a report: a layer of
        // 200,000 files that start like ELF files must not become 200,000 findings.
        let more = skipped.len() - MAX_SKIPPED;
        skipped.truncate(MAX_SKIPPED);
        skipped.push(Skipped {
            path: None,
            layer: None,
            what: format!("{more} more files or entries could not be analysed either (only the first {MAX_SKIPPED} are listed)"),
        });
    }
    let libc = libc_facts(fs, glibc_seen, glibc_from_dpkg, musl_version);
    let (nsswitch, nsswitch_layer) = nsswitch_file(fs, &observations, &digest);
    let nsswitch_place = nsswitch_place(fs);
    let mdns_allow = fs.resolve("etc/mdns.allow").is_ok();
    let nss_modules = nss_modules(fs);
    ImageFacts {
        libc,
        nsswitch,
        nsswitch_layer,
        nsswitch_place,
        mdns_allow,
        nss_modules,
        env: ResolverEnv::from_env(env),
        elf_files,
        skipped,
    }
}

/// Where a new `/etc/nsswitch.conf` lands: a symlinked `/etc` is followed, a symlink at the file itself is
/// replaced; a directory there cannot be.
fn nsswitch_place(fs: &Rootfs) -> Result<NsswitchPlace, String> {
    let place = fs.placement("etc/nsswitch.conf")?;
    let replaces_symlink = match place.existing {
        Some(NodeKind::Symlink(target)) => Some(target.to_string()),
        Some(NodeKind::Dir) => return Err(format!("/{} is a directory", place.path)),
        Some(NodeKind::Other) => {
            return Err(format!("/{} is a device, FIFO or socket", place.path))
        }
        Some(NodeKind::File { .. }) | None => None,
    };
    Ok(NsswitchPlace {
        path: place.path,
        missing_dirs: place.missing_dirs,
        replaces_symlink,
    })
}

fn nsswitch_file(
    fs: &Rootfs,
    observations: &ObservationIndex,
    digest: &dyn Fn(usize) -> String,
) -> (NsswitchFile, Option<String>) {
    match fs.resolve("etc/nsswitch.conf") {
        Err(Unresolved::Missing) => (NsswitchFile::Missing, None),
        Err(Unresolved::TooManyLinks) => (
            NsswitchFile::Unreadable {
                reason: format!(
                    "/etc/nsswitch.conf is a symlink loop or a chain of more than {} symlinks",
                    crate::rootfs::MAX_SYMLINK_HOPS
                ),
            },
            None,
        ),
        Ok((real, node)) => match node.kind {
            NodeKind::File { layer, entry } => {
                let text = observations
                    .facts(layer, entry)
                    .iter()
                    .find_map(|f| match f {
                        FileFact::Text { text } => Some(text.clone()),
                        _ => None,
                    });
                match text {
                    Some(contents) => (NsswitchFile::Present { contents }, Some(digest(layer))),
                    None => (
                        NsswitchFile::Unreadable {
                            reason: format!("/etc/nsswitch.conf resolves to /{real}, whose contents were not kept (only files named nsswitch.conf of up to 64 KiB are)"),
                        },
                        Some(digest(layer)),
                    ),
                }
            }
            _ => (
                NsswitchFile::Unreadable {
                    reason: format!(
                        "/etc/nsswitch.conf resolves to /{real}, which is not a regular file"
                    ),
                },
                Some(digest(node.layer)),
            ),
        },
    }
}

/// The directories glibc's loader searches for an NSS module it dlopens (`libnss_<name>.so.2`), in the
/// order a Debian-like image's /etc/ld.so.cache and the loader's built-in system directories give:
/// multiarch directories (`lib/x86_64-linux-gnu`, `usr/lib/aarch64-linux-gnu`, ...) first, then `lib64`,
/// `lib`, `usr/lib64`, `usr/lib`, `usr/local/lib`. The image's ld.so.cache and LD_LIBRARY_PATH are not read.
fn library_dirs(fs: &Rootfs) -> Vec<String> {
    // Triplets Debian and Ubuntu use, for directories a layer creates only implicitly (no entry of their own).
    const TRIPLETS: [&str; 8] = [
        "x86_64-linux-gnu",
        "aarch64-linux-gnu",
        "i386-linux-gnu",
        "arm-linux-gnueabihf",
        "arm-linux-gnueabi",
        "powerpc64le-linux-gnu",
        "s390x-linux-gnu",
        "riscv64-linux-gnu",
    ];
    let mut dirs: Vec<String> = Vec::new();
    for base in ["lib", "usr/lib"] {
        let listed = fs
            .list_dir(base)
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| name.contains("-linux-"));
        for name in listed.chain(TRIPLETS.iter().map(|t| t.to_string())) {
            let dir = format!("{base}/{name}");
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    dirs.extend(
        ["lib64", "lib", "usr/lib64", "usr/lib", "usr/local/lib"]
            .iter()
            .map(|d| d.to_string()),
    );
    dirs
}

/// Every `libnss_<name>.so.2` of the library directories that resolves to a regular file: the NSS
/// modules glibc can load (nss/nss_module.c dlopens `libnss_<name>.so.2`).
fn nss_modules(fs: &Rootfs) -> BTreeMap<String, String> {
    let mut modules = BTreeMap::new();
    for dir in library_dirs(fs) {
        for (name, _) in fs.list_dir(&dir) {
            let Some(service) = name
                .strip_prefix("libnss_")
                .and_then(|rest| rest.strip_suffix(".so.2"))
            else {
                continue;
            };
            if service.is_empty() {
                continue;
            }
            let path = format!("{dir}/{name}");
            if matches!(fs.resolve(&path), Ok((_, node)) if matches!(node.kind, NodeKind::File { .. }))
            {
                modules
                    .entry(service.to_string())
                    .or_insert_with(|| format!("/{path}"));
            }
        }
    }
    modules
}

/// Loader names by C library. The musl loader is `ld-musl-<arch>.so.1`; glibc's vary by architecture.
fn is_musl_loader(name: &str) -> bool {
    name.starts_with("ld-musl-") && name.ends_with(".so.1")
}

fn is_glibc_loader(name: &str) -> bool {
    name.starts_with("ld-linux") && name.contains(".so.")
}

fn libc_facts(
    fs: &Rootfs,
    mut glibc_seen: Vec<(GlibcVersion, String)>,
    glibc_from_dpkg: Option<(GlibcVersion, String)>,
    musl_version: Option<String>,
) -> LibcFacts {
    let mut evidence = Vec::new();
    let mut musl = false;
    let mut glibc = false;
    let mut other_loader = false;
    for dir in ["lib", "lib64", "usr/lib", "usr/lib64"] {
        for (name, _) in fs.list_dir(dir) {
            if name.starts_with("ld-")
                && name.contains(".so")
                && !is_musl_loader(&name)
                && !is_glibc_loader(&name)
            {
                other_loader = true;
                evidence.push(format!(
                    "/{dir}/{name} (a loader of neither musl nor glibc)"
                ));
            }
            if is_musl_loader(&name) && fs.resolve(&format!("{dir}/{name}")).is_ok() {
                musl = true;
                evidence.push(format!("/{dir}/{name}"));
            }
            if is_glibc_loader(&name) && fs.resolve(&format!("{dir}/{name}")).is_ok() {
                glibc = true;
                evidence.push(format!("/{dir}/{name}"));
            }
        }
    }
    evidence.sort();
    evidence.dedup();
    glibc_seen.sort();
    // Several libc.so.6 (multiarch): the newest speaks for the image; all are named as evidence.
    let glibc_version = glibc_seen
        .last()
        .map(|(v, _)| *v)
        .or(glibc_from_dpkg.as_ref().map(|(v, _)| *v));
    evidence.extend(
        glibc_seen
            .iter()
            .map(|(v, p)| format!("{p} (glibc {}.{})", v.major, v.minor)),
    );
    if let Some((v, p)) = &glibc_from_dpkg {
        evidence.push(format!("{p} (libc6 {}.{})", v.major, v.minor));
    }
    if glibc_version.is_some() {
        glibc = true;
    }
    let kind = match (musl, glibc) {
        (true, true) => LibcKind::Both,
        (true, false) => LibcKind::Musl,
        (false, true) => LibcKind::Glibc,
        (false, false) if other_loader => LibcKind::Unknown,
        (false, false) => LibcKind::None,
    };
    let version = match kind {
        LibcKind::Glibc => glibc_version.map(|v| format!("{}.{}", v.major, v.minor)),
        LibcKind::Musl => musl_version.clone(),
        _ => None,
    };
    LibcFacts {
        kind,
        version,
        glibc_version,
        musl_version,
        evidence,
    }
}
