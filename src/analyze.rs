//! From an image to predictions: walk the layers, merge them, gather the facts, and run the models for the
//! image's C library and for every Go program that links the resolver.

use crate::cache::LayerCache;
use crate::error::ImageError;
use crate::facts::elf::{GoFacts, GoVersion, TargetOs};
use crate::facts::image::{ElfFile, ImageFacts, LibcKind};
use crate::facts::nsswitch::NsswitchView;
use crate::facts::pod::PodFacts;
use crate::model::go::{self, GoBinaryInput, GoOrder, RuntimeInput};
use crate::model::queries::{self, SingleRequest};
use crate::model::{libc, LookupOrder, Prediction};
use crate::rootfs::Rootfs;
use crate::source::{Image, Platform};
use crate::walk::{self, decompress::Compression, LayerScan, WalkOptions};
use serde::Serialize;

/// The newest Go release the model knows; a binary known only as "1.20 or later" is judged at both ends.
pub const NEWEST_KNOWN_GO: GoVersion = GoVersion {
    major: 1,
    minor: 27,
    patch: 99,
};

/// The most layers an image may have: Linux's overlayfs stacks at most 500 (`OVL_MAX_STACK`), so no runtime
/// runs an image with more, and each layer costs a walk.
pub const MAX_LAYERS: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct LayerSummary {
    pub digest: String,
    pub compression: Option<Compression>,
    pub stored_bytes: u64,
    pub tar_bytes: u64,
    pub entries: usize,
    /// The image history's `created_by` for this layer (the instruction that made it), when recorded.
    pub created_by: Option<String>,
}

/// A Go program of the image and what its resolver will do.
#[derive(Debug, Clone, Serialize)]
pub struct GoProgram {
    pub file: ElfFile,
    /// For a Linux program that links the resolver; `None` with `unpredictable` saying why not.
    pub prediction: Option<Prediction<GoOrder>>,
    pub unpredictable: Option<String>,
    /// What the resolver that sends its DNS queries does with resolv.conf's `single-request`: Go's own, or
    /// the C library's for a cgo lookup; `None` without a prediction or when that C library is unknown.
    pub single_request: Option<SingleRequest>,
}

impl GoProgram {
    pub fn go(&self) -> &GoFacts {
        self.file
            .facts
            .go
            .as_ref()
            .expect("a GoProgram is built from Go code only")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageAnalysis {
    pub input: String,
    pub name: Option<String>,
    pub manifest_digest: Option<String>,
    pub platform: Platform,
    pub layers: Vec<LayerSummary>,
    pub facts: ImageFacts,
    /// What the image's C library does for programs that obey it (`Err` when the answer depends on a glibc
    /// version the image does not reveal); `None` without a C library.
    pub libc_prediction: Option<Result<Prediction<LookupOrder>, String>>,
    /// What the image's C library does with resolv.conf's `single-request`; `None` without one.
    pub libc_single_request: Option<SingleRequest>,
    /// The hosts line as the image's glibc reads the file (as glibc 2.36 would, without a glibc), for
    /// rules and reports about the file itself.
    pub nsswitch_view: Result<NsswitchView, String>,
    pub go_programs: Vec<GoProgram>,
    /// The pod the image runs in, for a container of a workload (`scan --k8s`); the predictions above
    /// are then made with the container's environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodFacts>,
}

/// One image's analysis: walks its layers (taking the facts of layers seen before from `cache`, which are
/// then not read at all, and storing the facts of the layers walked), merges them, gathers the facts and
/// predicts.
pub fn analyze_cached(
    image: &Image,
    options: &WalkOptions,
    cache: Option<&LayerCache>,
) -> Result<ImageAnalysis, ImageError> {
    if image.layers.len() > MAX_LAYERS {
        let part = match &image.manifest_digest {
            Some(digest) => format!("manifest {digest}"),
            None => "manifest.json".into(),
        };
        return Err(ImageError::new(
            &image.input,
            part,
            format!(
                "lists {} layers; nsslint reads images of at most {MAX_LAYERS} (no runtime runs more: overlayfs stacks at most 500 layers, Docker 125)",
                image.layers.len()
            ),
        ));
    }
    let probes = crate::probes::all();
    let scans = match cache {
        None => walk::scan_image(image, &probes, options)?,
        Some(cache) => scan_with_cache(image, &probes, options, cache)?,
    };
    let fs = Rootfs::merge(&scans);
    let digests: Vec<String> = image.layers.iter().map(|l| l.digest.clone()).collect();
    let history = image.layer_history();
    let mut facts = crate::gather::image_facts(&scans, &fs, &digests, &image.env());
    facts.env.unknown = image.notes.env_unknown.clone();
    let unread = image.notes.unread.lock().unwrap_or_else(|e| e.into_inner());
    facts
        .skipped
        .extend(unread.iter().map(|u| crate::facts::image::Skipped {
            path: Some(u.path.clone()),
            layer: digests.first().cloned(),
            what: u.what.clone(),
        }));
    drop(unread);
    let layers = scans
        .iter()
        .map(|s| LayerSummary {
            digest: digests[s.layer].clone(),
            compression: s.compression,
            stored_bytes: s.stored_bytes,
            tar_bytes: s.tar_bytes,
            // Problems the walk recorded in the index are not entries of the layer.
            entries: s
                .index
                .iter()
                .filter(|(_, e)| e.kind != crate::walk::index::EntryKind::Problem)
                .count(),
            created_by: history.get(s.layer).cloned().flatten(),
        })
        .collect();
    let identity = Identity {
        input: image.input.clone(),
        name: image.name.clone(),
        manifest_digest: image.manifest_digest.clone(),
        platform: image.platform.clone(),
    };
    Ok(predict(identity, layers, facts))
}

impl ImageAnalysis {
    /// The same image with other facts: the models run again on them (what `nsslint fix` predicts for the
    /// image it writes).
    pub fn with_facts(&self, facts: ImageFacts) -> ImageAnalysis {
        let identity = Identity {
            input: self.input.clone(),
            name: self.name.clone(),
            manifest_digest: self.manifest_digest.clone(),
            platform: self.platform.clone(),
        };
        predict(identity, self.layers.clone(), facts)
    }

    /// The same image as a container of a pod runs it: the container's `env` laid over the image's, the
    /// models run again with it, and the pod's facts kept for the rules.
    pub fn in_pod(&self, pod: PodFacts) -> ImageAnalysis {
        let mut facts = self.facts.clone();
        facts.env = pod.environment(&self.facts.env);
        let mut analysis = self.with_facts(facts);
        analysis.pod = Some(pod);
        analysis
    }
}

/// What names the analysed image.
struct Identity {
    input: String,
    name: Option<String>,
    manifest_digest: Option<String>,
    platform: Platform,
}

/// Layers found in the cache come from it; the others are walked (in parallel) and stored. A layer another
/// image of this process is walking is waited for once this image's own walks are done (so no two images
/// wait on each other), and taken from the cache then.
fn scan_with_cache(
    image: &Image,
    probes: &[&dyn crate::walk::Probe],
    options: &WalkOptions,
    cache: &LayerCache,
) -> Result<Vec<LayerScan>, ImageError> {
    use crate::cache::Lookup;
    use rayon::prelude::*;
    // Reading an entry back (decompressing it, rebuilding its index) is most of a warm re-scan: in parallel.
    let lookups: Vec<Lookup> = image.layers.par_iter().map(|l| cache.lookup(l)).collect();
    let mut scans: Vec<LayerScan> = Vec::with_capacity(image.layers.len());
    let mut claimed = Vec::new();
    let mut busy = Vec::new();
    for (layer, lookup) in image.layers.iter().zip(lookups) {
        match lookup {
            Lookup::Hit(scan) => scans.push(scan),
            Lookup::Claimed(claim) => claimed.push((layer, claim)),
            Lookup::Busy => busy.push(layer),
        }
    }
    let walk_and_store = |claimed: Vec<(&crate::source::Layer, crate::cache::Claim)>| {
        let wanted: Vec<usize> = claimed.iter().map(|(layer, _)| layer.index).collect();
        let walked = walk::scan_layers(image, &wanted, probes, options)?;
        for scan in &walked {
            if let Err(e) = cache.put(&image.layers[scan.layer], scan) {
                eprintln!("nsslint: warning: layer cache: {e}");
            }
        }
        // The claims end here, after the facts are stored: images waiting for them find them.
        drop(claimed);
        Ok::<_, ImageError>(walked)
    };
    scans.extend(walk_and_store(claimed)?);
    for layer in busy {
        match cache.wait(layer) {
            Lookup::Hit(scan) => scans.push(scan),
            Lookup::Claimed(claim) => scans.extend(walk_and_store(vec![(layer, claim)])?),
            // (wait() never answers Busy; walking it here would be right anyway.)
            Lookup::Busy => scans.push(walk::scan_layer(image, layer, probes, options)?),
        }
    }
    scans.sort_by_key(|s| s.layer);
    Ok(scans)
}

fn predict(identity: Identity, layers: Vec<LayerSummary>, facts: ImageFacts) -> ImageAnalysis {
    let glibc_view = facts.nsswitch.view_as_glibc(facts.libc.glibc_version);
    let musl = libc::predict_musl();
    let nss_context = libc::NssContext {
        modules: facts.nss_modules.clone(),
        mdns_allow: facts.mdns_allow,
    };
    let glibc = glibc_view
        .clone()
        .and_then(|view| libc::predict_glibc(facts.libc.glibc_version, &view, &nss_context));
    let nsswitch_view = match facts.libc.glibc_version {
        Some(_) => glibc_view.clone(),
        None => facts
            .nsswitch
            .view_as_glibc(Some(crate::facts::libc::GlibcVersion {
                major: 2,
                minor: 36,
            })),
    };
    let libc_prediction = match facts.libc.kind {
        LibcKind::Musl => Some(Ok(musl.clone())),
        LibcKind::Glibc | LibcKind::Both => Some(glibc.clone()),
        LibcKind::None | LibcKind::Unknown => None,
    };
    let go_programs = facts
        .elf_files
        .iter()
        .filter(|f| f.facts.go.is_some())
        .map(|file| {
            // The C library a cgo lookup reaches is the one the program is loaded with.
            let libc_for_program = match file.facts.interpreter.as_deref() {
                Some(i) if i.contains("ld-musl") => Some(Ok(musl.clone())),
                Some(i) if i.contains("ld-linux") => Some(glibc.clone()),
                _ => libc_prediction.clone(),
            };
            let libc_order = libc_for_program.and_then(Result::ok);
            let libc_kind = match file.facts.interpreter.as_deref() {
                Some(i) if i.contains("ld-musl") => LibcKind::Musl,
                Some(i) if i.contains("ld-linux") => LibcKind::Glibc,
                _ => facts.libc.kind,
            };
            let mut program = predict_program(file, &facts, libc_order.as_ref());
            program.single_request = program.prediction.as_ref().and_then(|p| match p.order {
                GoOrder::Go(_) => Some(queries::GO_RESOLVER),
                GoOrder::Cgo(_) | GoOrder::CgoUnknownLibc => queries::of_libc(libc_kind),
            });
            program
        })
        .collect();
    let libc_single_request = queries::of_libc(facts.libc.kind);
    ImageAnalysis {
        input: identity.input,
        name: identity.name,
        manifest_digest: identity.manifest_digest,
        platform: identity.platform,
        layers,
        facts,
        libc_prediction,
        libc_single_request,
        nsswitch_view,
        go_programs,
        pod: None,
    }
}

fn predict_program(
    file: &ElfFile,
    facts: &ImageFacts,
    libc_order: Option<&Prediction<LookupOrder>>,
) -> GoProgram {
    let go = file.facts.go.as_ref().expect("filtered to Go code");
    let unpredictable = |why: String| GoProgram {
        file: file.clone(),
        prediction: None,
        unpredictable: Some(why),
        single_request: None,
    };
    if file.facts.os != TargetOs::Linux {
        return GoProgram {
            file: file.clone(),
            prediction: None,
            unpredictable: None,
            single_request: None,
        };
    }
    if !go.resolver_linked {
        return GoProgram {
            file: file.clone(),
            prediction: None,
            unpredictable: None,
            single_request: None,
        };
    }
    let env = &facts.env;
    // Unknown inputs are tried at every value they can take; one answer for all of them is an answer.
    let versions: Vec<GoVersion> = match (go.version, go.min_version) {
        (Some(v), _) => vec![v],
        (None, Some(min)) => vec![min, go.max_version.unwrap_or(NEWEST_KNOWN_GO)],
        (None, None) => return unpredictable("its Go version could not be determined".into()),
    };
    let cgo_choices: Vec<bool> = match go.cgo_resolver {
        Some(known) => vec![known],
        None => vec![false, true],
    };
    let tags = &go.tags;
    let mut predictions: Vec<Prediction<GoOrder>> = Vec::new();
    for version in &versions {
        // Go's reading of nsswitch.conf depends on the release too.
        let reading = facts.nsswitch.read_as_go(*version);
        let runtime = RuntimeInput {
            godebug: env.godebug.as_deref(),
            localdomain: env.localdomain.as_deref(),
            res_options: env.res_options.as_deref(),
            hostaliases: env.hostaliases.as_deref(),
            nsswitch: &reading.view,
            mdns_allow_exists: facts.mdns_allow,
            libc_order,
        };
        for cgo_resolver in &cgo_choices {
            let input = GoBinaryInput {
                version: *version,
                cgo_resolver: *cgo_resolver,
                netgo_tag: tags.iter().any(|t| t == "netgo"),
                netcgo_tag: tags.iter().any(|t| t == "netcgo"),
                default_godebug: go.default_godebug.as_deref(),
            };
            let mut prediction = go::predict(&input, &runtime);
            for note in &reading.notes {
                prediction.trace.insert(0, format!("nsslint: {note}"));
            }
            predictions.push(prediction);
        }
    }
    let first = predictions[0].clone();
    if predictions.iter().any(|p| p.order != first.order) {
        let answers: Vec<String> = predictions.iter().map(|p| p.order.to_string()).collect();
        let unknowns = match (versions.len() > 1, cgo_choices.len() > 1) {
            (true, true) => "its exact Go version and whether it holds the cgo resolver",
            (true, false) => "its exact Go version",
            _ => "whether it holds the cgo resolver",
        };
        return unpredictable(format!(
            "the order depends on {unknowns}, which could not be determined (possible orders: {})",
            answers.join(" / ")
        ));
    }
    let mut prediction = first;
    if versions.len() > 1 {
        prediction.trace.insert(
            0,
            format!("nsslint: Go version not recorded; the same answer for go{}.{} and go{}.{}, the ends of its possible range", versions[0].major, versions[0].minor, versions[1].major, versions[1].minor),
        );
    }
    if cgo_choices.len() > 1 {
        prediction.trace.insert(
            0,
            "nsslint: could not tell whether the cgo resolver is linked; same answer either way"
                .into(),
        );
    }
    GoProgram {
        file: file.clone(),
        prediction: Some(prediction),
        unpredictable: None,
        single_request: None,
    }
}
