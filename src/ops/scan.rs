//! `nsslint scan`: reads the settings (`.nsslint.yaml`, `--fail-on`, the Dockerfile) and the Kubernetes
//! manifests (`--k8s`), runs the job over every input, writes the report (one document at the end, or JSON
//! lines as each image or workload container finishes), the Markdown summary and the job's summary line,
//! and says how the scan ended.

use super::{Failure, Status};
use crate::cache::LayerCache;
use crate::config::{Config, Day};
use crate::dockerfile::Dockerfile;
use crate::job::inputs::InputList;
use crate::job::progress::Progress;
use crate::job::workloads::WorkloadPlan;
use crate::job::{pool, Input, Job, Reading, Summary};
use crate::report::{render, DockerfileRef, Format, ImageReport};
use crate::rules::Level;
use clap::ValueEnum;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The lowest level of finding that makes a scan fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub(crate) fn fails(self, level: Level) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Error => level >= Level::Error,
            FailOn::Warning => level >= Level::Warning,
            FailOn::Note => true,
        }
    }
}

/// What to scan and how to report it.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub inputs: InputList,
    /// Kubernetes manifests (files, directories, `-` for standard input): their workloads' containers
    /// are scanned as the pods run them.
    pub k8s: Vec<PathBuf>,
    pub reading: Reading,
    /// Images scanned at once.
    pub jobs: usize,
    pub cache_dir: Option<PathBuf>,
    pub format: Format,
    /// The report's file; standard output when `None`.
    pub output: Option<PathBuf>,
    /// `None`: the config's `fail-on`, else error.
    pub fail_on: Option<FailOn>,
    pub dockerfile: Option<PathBuf>,
    /// `None`: `.nsslint.yaml` when there is one.
    pub config: Option<PathBuf>,
    pub markdown_summary: Option<PathBuf>,
    /// No progress or summary on standard error.
    pub quiet: bool,
}

pub fn scan(request: &ScanRequest) -> Result<Status, Failure> {
    let config = Config::load(request.config.as_deref()).map_err(Failure::Usage)?;
    let fail_on = fail_on(request.fail_on, &config)?;
    let dockerfile = request
        .dockerfile
        .as_deref()
        .map(load_dockerfile)
        .transpose()
        .map_err(Failure::Usage)?;
    let today = Day::today();
    for notice in config.expired(today) {
        eprintln!("nsslint: warning: {notice}");
    }
    let reading = &request.reading;
    reading.configure();
    let mut inputs: Vec<Input> = request
        .inputs
        .collect()
        .map_err(Failure::Unreadable)?
        .into_iter()
        .map(Input::new)
        .collect();
    let plain_inputs = inputs.len();
    let mut unreadable_manifests = 0;
    let plan = if request.k8s.is_empty() {
        WorkloadPlan::default()
    } else {
        let manifests = crate::k8s::manifests::read(&request.k8s);
        let plan = WorkloadPlan::new(&manifests.workloads, &mut inputs);
        for error in manifests.errors.iter().chain(&plan.errors) {
            eprintln!("nsslint: error: {error}");
        }
        unreadable_manifests = manifests.errors.len() + plan.errors.len();
        if !request.quiet {
            eprintln!("nsslint: --k8s: {}", manifests.summary());
        }
        plan
    };
    // Which containers wait for each input, and how many inputs each container still waits for.
    let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); inputs.len()];
    for (t, target) in plan.targets.iter().enumerate() {
        for &n in &target.inputs {
            waiting[n].push(t);
        }
    }
    let mut pending: Vec<usize> = plan.targets.iter().map(|t| t.inputs.len()).collect();
    let mut workload_reports: Vec<Vec<ImageReport>> =
        (0..plan.targets.len()).map(|_| Vec::new()).collect();
    let cache = match &request.cache_dir {
        Some(dir) => Some(
            LayerCache::open(dir, &crate::probes::all(), &reading.walk).map_err(Failure::Usage)?,
        ),
        None => None,
    };
    let job = Job {
        choice: &reading.choice,
        walk: &reading.walk,
        cache: cache.as_ref(),
        config: &config,
        dockerfile: dockerfile.as_ref(),
        today,
    };
    // jsonl goes out as each image finishes; the other formats are one document at the end.
    let mut stream: Option<Box<dyn Write>> = None;
    if request.format == Format::Jsonl {
        stream = Some(match &request.output {
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    return Err(Failure::Unreadable(format!(
                        "cannot write {}: {e}",
                        path.display()
                    )))
                }
            },
            None => Box::new(std::io::stdout()),
        });
    }
    let progress = Progress::new(
        !request.quiet && std::io::stderr().is_terminal(),
        inputs.len(),
        std::sync::Arc::clone(&reading.registry.counters),
    );
    let mut results: Vec<Option<Result<Vec<ImageReport>, String>>> =
        (0..inputs.len()).map(|_| None).collect();
    // Containers not yet reported that need each input's result.
    let mut users: Vec<usize> = waiting.iter().map(Vec::len).collect();
    // Streamed reports are not kept (a job of thousands of pods stays at the memory of a few), unless the
    // Markdown summary needs them at the end.
    let keep = stream.is_none() || request.markdown_summary.is_some();
    let mut summary = Summary {
        inputs: inputs.len(),
        ..Summary::default()
    };
    let mut failing = false;
    let mut write_error: Option<String> = None;
    pool::run(&inputs, request.jobs, &job, &progress, |n, result| {
        let mut text = String::new();
        if n < plain_inputs {
            text = match &result {
                Ok(reports) => reports.iter().map(crate::report::json::line).collect(),
                Err(error) => crate::report::json::error_line(&inputs[n].to_string(), error),
            };
            if let Ok(reports) = &result {
                failing |= reports
                    .iter()
                    .flat_map(|r| &r.findings)
                    .any(|f| fail_on.fails(f.level));
            }
        }
        if let Err(error) = &result {
            let used_by = plan
                .users(n)
                .map(|users| format!(" (the image of {users})"))
                .unwrap_or_default();
            progress.println(&format!("nsslint: error: {error}{used_by}"));
        }
        summary.count(&result);
        results[n] = Some(result);
        for &t in &waiting[n] {
            pending[t] -= 1;
            if pending[t] > 0 {
                continue;
            }
            let reports = plan.targets[t].reports(&results, &job);
            text.extend(reports.iter().map(crate::report::json::line));
            failing |= reports
                .iter()
                .flat_map(|r| &r.findings)
                .any(|f| fail_on.fails(f.level));
            if keep {
                workload_reports[t] = reports;
            }
            for &m in &plan.targets[t].inputs {
                users[m] -= 1;
                if users[m] == 0 && (m >= plain_inputs || !keep) {
                    results[m] = None;
                }
            }
        }
        if !keep && users[n] == 0 {
            results[n] = None;
        }
        if let Some(out) = stream.as_mut().filter(|_| !text.is_empty()) {
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                write_error.get_or_insert(format!("cannot write the report: {e}"));
            }
        }
    });
    progress.finish();
    let mut reports = Vec::new();
    // Failed inputs were reported as they ended; only the reports remain to be gathered.
    for mut image_reports in results.into_iter().take(plain_inputs).flatten().flatten() {
        reports.append(&mut image_reports);
    }
    reports.extend(workload_reports.into_iter().flatten());
    let many = inputs.len() > 1
        || inputs
            .iter()
            .any(|i| crate::source::downloads(&i.reference));
    if many && !request.quiet {
        eprintln!(
            "{}",
            summary.line(cache.as_ref(), &reading.registry.counters)
        );
    }
    let written = match write_error {
        Some(e) => Err(e),
        None if stream.is_some() => Ok(()),
        None => write_report(request, &reports),
    };
    let appended = match &request.markdown_summary {
        Some(path) => append_markdown(path, &reports),
        None => Ok(()),
    };
    written.and(appended).map_err(Failure::Unreadable)?;
    if summary.failed > 0 || unreadable_manifests > 0 {
        return Ok(Status::Unreadable);
    }
    Ok(if failing {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// `--fail-on`, else the config's `fail-on`, else error.
pub(crate) fn fail_on(flag: Option<FailOn>, config: &Config) -> Result<FailOn, Failure> {
    match (flag, config.fail_on.as_deref()) {
        (Some(f), _) => Ok(f),
        (None, Some(text)) => FailOn::from_str(text, true).map_err(|_| {
            Failure::Usage(format!(
                "{}: fail-on {text:?} is not one of error, warning, note, never",
                config
                    .source
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ))
        }),
        (None, None) => Ok(FailOn::Error),
    }
}

/// The whole report, to `--output` or standard output (in colour on a terminal, for text).
fn write_report(request: &ScanRequest, reports: &[ImageReport]) -> Result<(), String> {
    let color = request.output.is_none()
        && request.format == Format::Text
        && std::io::stdout().is_terminal();
    let rendered = render(request.format, reports, color);
    match &request.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(rendered.as_bytes())
            .map_err(|e| format!("cannot write to standard output: {e}")),
    }
}

/// Appends the Markdown table of the findings (e.g. to `$GITHUB_STEP_SUMMARY`).
fn append_markdown(path: &Path, reports: &[ImageReport]) -> Result<(), String> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(crate::report::markdown::render(reports).as_bytes()))
        .map_err(|e| format!("cannot append to {}: {e}", path.display()))
}

/// The Dockerfile as reports name it: repository-relative (relative to the current directory).
fn load_dockerfile(path: &Path) -> Result<(Dockerfile, DockerfileRef), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--dockerfile {}: cannot read: {e}", path.display()))?;
    let dockerfile = Dockerfile::parse(&text);
    if dockerfile.stages.is_empty() {
        return Err(format!(
            "--dockerfile {}: no FROM instruction; is it a Dockerfile?",
            path.display()
        ));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let relative = path.strip_prefix(&cwd).unwrap_or(path);
    let uri = relative
        .to_string_lossy()
        .trim_start_matches("./")
        .replace('\\', "/");
    let fix_after_line = dockerfile
        .locate_file("/etc/nsswitch.conf")
        .map(|l| l.line)
        .unwrap_or(1);
    Ok((
        dockerfile,
        DockerfileRef {
            uri,
            fix_after_line,
        },
    ))
}
