//! The job: what a scan does between the command line and the one-image library. It lists the inputs
//! ([`inputs`]: arguments, `--images-from`, tags, the catalog, a shard of them), runs them on a pool of
//! workers ([`pool`]) that share one layer cache, shows progress on a terminal ([`progress`]) and counts the
//! outcome ([`Summary`]). Analysing one image is [`crate::analyze`]'s; turning an analysis into findings is
//! [`crate::rules`]'s; rendering them is [`crate::report`]'s.
//!
//! `scan`, `explain` and `fix` all open and analyse an input through [`analyze_input`].

pub mod inputs;
pub mod pool;
pub mod progress;
pub mod workloads;

use crate::analyze::{analyze_cached, ImageAnalysis};
use crate::cache::LayerCache;
use crate::config::{Config, Day};
use crate::dockerfile::Dockerfile;
use crate::error::ImageError;
use crate::report::{DockerfileRef, ImageReport, WorkloadRef};
use crate::rules;
use crate::source::registry::{self, DownloadCounters, RegistryOptions};
use crate::source::{self, ImageRef, Platform, PlatformChoice};
use crate::walk::WalkOptions;
use std::sync::atomic::Ordering;

/// How images are read: which platforms, the walk's limits, how registries are spoken to.
#[derive(Debug, Clone)]
pub struct Reading {
    pub choice: PlatformChoice,
    pub walk: WalkOptions,
    pub registry: RegistryOptions,
    /// Whether a bare name no engine has may be pulled from its registry.
    pub pull: bool,
}

impl Reading {
    /// Sets the registry options and the bare-name lookup for this process (the registry session is made
    /// on first use).
    pub fn configure(&self) {
        registry::configure(self.registry.clone());
        source::bare::configure(self.pull);
    }
}

/// Opens every image one input names (one per platform chosen) and analyses each, taking the layers it has
/// seen before from `cache`; errors name the input.
pub fn analyze_input(
    input: &str,
    choice: &PlatformChoice,
    walk: &WalkOptions,
    cache: Option<&LayerCache>,
) -> Result<Vec<ImageAnalysis>, ImageError> {
    let reference = ImageRef::parse(input)?;
    let images = source::open(&reference, choice)?;
    images
        .iter()
        .map(|image| analyze_cached(image, walk, cache))
        .collect()
}

/// One image to scan: the reference and, when a workload asks for one (`kubernetes.io/arch`), the
/// platform to take from a multi-platform image instead of the job's choice.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Input {
    pub reference: String,
    pub platform: Option<Platform>,
}

impl Input {
    pub fn new(reference: impl Into<String>) -> Input {
        Input {
            reference: reference.into(),
            platform: None,
        }
    }
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.platform {
            Some(platform) => write!(f, "{} ({platform})", self.reference),
            None => f.write_str(&self.reference),
        }
    }
}

/// What every image of a scan shares.
pub struct Job<'a> {
    pub choice: &'a PlatformChoice,
    pub walk: &'a WalkOptions,
    pub cache: Option<&'a LayerCache>,
    pub config: &'a Config,
    pub dockerfile: Option<&'a (Dockerfile, DockerfileRef)>,
    pub today: Day,
}

impl Job<'_> {
    /// One input's reports (one per platform scanned), or the error that stopped it.
    pub fn run(&self, input: &Input) -> Result<Vec<ImageReport>, String> {
        let asked = input.platform.clone().map(PlatformChoice::Exactly);
        let choice = asked.as_ref().unwrap_or(self.choice);
        let analyses = analyze_input(&input.reference, choice, self.walk, self.cache)
            .map_err(|e| e.to_string())?;
        Ok(analyses
            .into_iter()
            .map(|analysis| self.report(analysis))
            .collect())
    }

    /// The findings of one analysis: the rules' verdicts, less what the config ignores, mapped to the
    /// Dockerfile's lines when there is one.
    pub fn report(&self, analysis: ImageAnalysis) -> ImageReport {
        self.report_for(analysis, None)
    }

    /// [`Job::report`] for the image as a workload's container runs it (`analysis` made with
    /// [`ImageAnalysis::in_pod`]): ignores may name the workload too.
    pub fn report_for(
        &self,
        analysis: ImageAnalysis,
        workload: Option<WorkloadRef>,
    ) -> ImageReport {
        let mut findings = rules::check(&analysis);
        let names = image_names(&analysis);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let workload_names: Vec<String> = workload
            .iter()
            .flat_map(|w| {
                let mut names = vec![w.label()];
                if let Some(namespace) = &w.namespace {
                    names.push(format!("{namespace}/{}", w.label()));
                }
                names
            })
            .collect();
        let workload_names: Vec<&str> = workload_names.iter().map(String::as_str).collect();
        let before = findings.len();
        findings.retain(|f| {
            !self.config.ignores(
                f,
                &names,
                workload.as_ref().map(|_| &workload_names[..]),
                self.today,
            )
        });
        let suppressed = before - findings.len();
        if let Some((file, _)) = self.dockerfile {
            for finding in &mut findings {
                let created_by = finding
                    .layer
                    .as_ref()
                    .and_then(|digest| analysis.layers.iter().find(|l| &l.digest == digest))
                    .and_then(|l| l.created_by.as_deref());
                finding.dockerfile = file.locate(&finding.path, created_by);
            }
        }
        let dockerfile = self.dockerfile.map(|(_, r)| DockerfileRef {
            uri: r.uri.clone(),
            fix_after_line: r.fix_after_line,
        });
        ImageReport {
            analysis,
            findings,
            suppressed,
            dockerfile,
            workload,
        }
    }
}

/// The names an ignore's `image` may match: the repository (no tag), the full name, the input as given.
fn image_names(analysis: &ImageAnalysis) -> Vec<String> {
    let mut names = vec![analysis.input.clone()];
    if let Some(name) = &analysis.name {
        names.push(name.clone());
        let without_digest = name.split('@').next().unwrap_or(name);
        let last_slash = without_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
        if let Some(colon) = without_digest[last_slash..].rfind(':') {
            names.push(without_digest[..last_slash + colon].to_string());
        }
    }
    names
}

/// How a job of many images went, for the line on standard error at its end.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub inputs: usize,
    pub scanned: usize,
    pub with_findings: usize,
    pub failed: usize,
}

impl Summary {
    /// Counts one input's result.
    pub fn count(&mut self, result: &Result<Vec<ImageReport>, String>) {
        match result {
            Ok(reports) => {
                self.scanned += 1;
                if reports.iter().any(|r| !r.findings.is_empty()) {
                    self.with_findings += 1;
                }
            }
            Err(_) => self.failed += 1,
        }
    }

    /// `nsslint: 4 image(s): 3 scanned, 1 with findings, 1 failed; 9.5 MiB downloaded in 12 blob
    /// request(s); layer cache: 7 hit(s), 3 miss(es)`.
    pub fn line(&self, cache: Option<&LayerCache>, downloads: &DownloadCounters) -> String {
        let mut line = format!(
            "nsslint: {} image(s): {} scanned, {} with findings, {} failed",
            self.inputs, self.scanned, self.with_findings, self.failed
        );
        if let Some((bytes, requests)) = downloads.figures() {
            line.push_str(&format!(
                "; {} downloaded in {requests} blob request(s)",
                progress::human_bytes(bytes),
            ));
        }
        if let Some(cache) = cache {
            line.push_str(&format!(
                "; layer cache: {} hit(s), {} miss(es)",
                cache.hits.load(Ordering::Relaxed),
                cache.misses.load(Ordering::Relaxed)
            ));
        }
        line
    }
}
