//! The command line: `scan`, `rules`, `explain`. Exit codes a CI can rely on: 0 nothing at or above
//! `--fail-on`, 1 findings, 2 usage error, 3 an image could not be read.

use crate::analyze::{analyze, analyze_cached, ImageAnalysis};
use crate::cache::LayerCache;
use crate::config::{Config, Day};
use crate::dockerfile::Dockerfile;
use crate::report::{render, DockerfileRef, Format, ImageReport};
use crate::rules::{self, Level};
use crate::source::{self, ImageRef, Platform, PlatformChoice};
use crate::walk::WalkOptions;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREADABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "nsslint",
    version,
    about = "Finds Go programs in container images that will ask DNS before /etc/hosts",
    long_about = "Finds Go programs in container images that will ask DNS before /etc/hosts.\n\n\
        nsslint reads an image without extracting it, finds its C library, its /etc/nsswitch.conf, its ENV and \
        every Go program with its build information, and predicts for each program the order in which its \
        resolver will consult /etc/hosts (files) and DNS.",
    after_help = "Examples:\n  nsslint scan ./app.tar                        docker save tarball (format sniffed)\n  \
        nsslint scan oci:./layout:v1                  OCI image layout directory, tag v1\n  \
        nsslint scan oci-archive:./app-oci.tar        OCI layout packed in a tar\n  \
        nsslint scan docker-archive:./app.tar --format sarif --output nsslint.sarif\n  \
        nsslint scan docker://registry.example.com/team/app:1.4   from a registry\n  \
        nsslint scan --catalog REGISTRY --shard 3/10 --jobs 4 --cache-dir DIR --format jsonl\n  \
        nsslint explain ./app.tar /usr/local/bin/app  why a program gets its order\n  \
        nsslint rules                                 every rule with its rationale\n\n\
        Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error, 3 an image could not be read."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan images and report findings.
    Scan(ScanArgs),
    /// Print every rule (or one) with what it does, why it matters and how to fix it.
    Rules {
        /// A rule id (NSL001) or name (go-dns-before-hosts).
        rule: Option<String>,
    },
    /// Show the resolver decisions nsslint predicts for one program of an image.
    Explain {
        #[command(flatten)]
        image: ImageArgs,
        /// The program's path inside the image, e.g. /usr/local/bin/app.
        path: String,
    },
}

#[derive(Args, Debug)]
pub struct ImageArgs {
    /// The image: PATH (sniffed), docker-archive:PATH[:NAME:TAG], oci:DIR[:REF], oci-archive:PATH[:REF] or
    /// docker://REGISTRY/REPO:TAG.
    pub image: String,
    #[command(flatten)]
    pub reading: ReadingArgs,
}

/// How images are read: the options `scan` and `explain` share.
#[derive(Args, Debug)]
pub struct ReadingArgs {
    /// Speak plain HTTP to this registry (host[:port]), e.g. a local test registry. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Trust the CA certificates in this PEM file for registries (a private CA, a self-signed registry),
    /// besides the system's. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Vec<PathBuf>,
    /// For a multi-platform image: the platform to scan, os/arch[/variant] (default: the only one, else linux/amd64).
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub platform: Option<String>,
    /// For a multi-platform image: scan every platform.
    #[arg(long)]
    pub all_platforms: bool,
    /// Files larger than this are not read (reported as NSL900). Bytes, or with a K/M/G suffix.
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_file_size: u64,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Images to scan: PATH (sniffed), docker-archive:PATH[:NAME:TAG], oci:DIR[:REF], oci-archive:PATH[:REF],
    /// docker://REGISTRY/REPO:TAG (or @sha256:…).
    #[arg(value_name = "IMAGE", required_unless_present_any = ["images_from", "repository", "catalog"])]
    pub images: Vec<String>,
    /// Also scan the images this file lists, one a line (blank lines and `#` comments are skipped).
    #[arg(long, value_name = "FILE")]
    pub images_from: Option<PathBuf>,
    /// With --all-tags: scan every tag of this registry repository (REGISTRY/REPO, the tags list API).
    #[arg(long, value_name = "REGISTRY/REPO", requires = "all_tags")]
    pub repository: Option<String>,
    /// Scan every tag of --repository.
    #[arg(long, requires = "repository")]
    pub all_tags: bool,
    /// Scan every tag of every repository of this registry (its /v2/_catalog, page by page).
    #[arg(long, value_name = "REGISTRY")]
    pub catalog: Option<String>,
    /// Scan only shard I of N (0 <= I < N) of the images: those whose reference hashes to I modulo N, the
    /// same split on every machine (e.g. --shard "$JOB_COMPLETION_INDEX/10" in a Kubernetes Indexed Job).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Images scanned at once.
    #[arg(long, short, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Keep what each layer held here (by layer digest): a layer seen before is not downloaded or read again.
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub reading: ReadingArgs,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The lowest level that makes the exit code 1 (findings are reported whatever this says).
    /// Default: the config's `fail-on`, else error.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// The Dockerfile the image was built from: findings are mapped to its lines (the COPY/ADD that brought a
    /// binary, else the final FROM) in SARIF, JSON and text. Give it relative to the repository root.
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
    /// Settings and ignores (default: .nsslint.yaml in the current directory, if there is one).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Also append a Markdown table of the findings to this file (e.g. "$GITHUB_STEP_SUMMARY").
    #[arg(long, value_name = "FILE")]
    pub markdown_summary: Option<PathBuf>,
    /// No progress messages on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    fn fails(self, level: Level) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Error => level >= Level::Error,
            FailOn::Warning => level >= Level::Warning,
            FailOn::Note => true,
        }
    }
}

fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.char_indices().last() {
        Some((i, 'K' | 'k')) => (&text[..i], 1u64 << 10),
        Some((i, 'M' | 'm')) => (&text[..i], 1 << 20),
        Some((i, 'G' | 'g')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("{text:?} is not a size; write bytes, or a number with K, M or G"))
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((i, n)) if n > 0 && i < n => Ok((i, n)),
        _ => Err(format!(
            "{text:?} is not a shard; write I/N with 0 <= I < N, e.g. 3/10"
        )),
    }
}

/// The shard an image reference falls in: FNV-1a (64-bit) of the reference as given, modulo the count.
/// Stable across machines, releases and runs (no per-process hash seed).
pub fn shard_of(reference: &str, count: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in reference.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash % count
}

/// References from an `--images-from` file: one a line, blank lines and `#` comments skipped.
fn read_image_list(path: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--images-from {}: cannot read: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(|l| l.split_once(" #").map_or(l, |(head, _)| head).trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn platform_choice(platform: &Option<String>, all: bool) -> Result<PlatformChoice, String> {
    Ok(match (platform, all) {
        (_, true) => PlatformChoice::All,
        (Some(text), false) => PlatformChoice::Exactly(Platform::parse(text)?),
        (None, false) => PlatformChoice::Default,
    })
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("nsslint: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// Opens and analyses every image one input names; errors name the input.
pub fn analyze_input(
    input: &str,
    choice: &PlatformChoice,
    walk: &WalkOptions,
) -> Result<Vec<ImageAnalysis>, crate::error::ImageError> {
    let reference = ImageRef::parse(input)?;
    let images = source::open(&reference, choice)?;
    images.iter().map(|image| analyze(image, walk)).collect()
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_CLEAN
            });
        }
    };
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules { rule } => print_rules(rule.as_deref()),
        Command::Explain { image, path } => explain(&image, &path),
    }
}

/// The Dockerfile as reports name it: repository-relative (relative to the current directory).
fn load_dockerfile(path: &std::path::Path) -> Result<(Dockerfile, DockerfileRef), String> {
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

fn scan(args: ScanArgs) -> ExitCode {
    let choice = match platform_choice(&args.reading.platform, args.reading.all_platforms) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let fail_on = match (args.fail_on, config.fail_on.as_deref()) {
        (Some(f), _) => f,
        (None, Some(text)) => match FailOn::from_str(text, true) {
            Ok(f) => f,
            Err(_) => {
                return usage_error(&format!(
                    "{}: fail-on {text:?} is not one of error, warning, note, never",
                    config
                        .source
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ))
            }
        },
        (None, None) => FailOn::Error,
    };
    let dockerfile = match args.dockerfile.as_deref().map(load_dockerfile).transpose() {
        Ok(d) => d,
        Err(e) => return usage_error(&e),
    };
    let today = Day::today();
    for notice in config.expired(today) {
        eprintln!("nsslint: warning: {notice}");
    }
    let walk = WalkOptions {
        max_file_bytes: args.reading.max_file_size,
    };
    crate::source::registry::configure(crate::source::registry::RegistryOptions {
        insecure: args.reading.insecure_registry.clone(),
        ca_files: args.reading.registry_ca.clone(),
        ..Default::default()
    });
    let inputs = match collect_inputs(&args) {
        Ok(inputs) => inputs,
        Err(e) => {
            eprintln!("nsslint: error: {e}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let cache = match &args.cache_dir {
        Some(dir) => match LayerCache::open(dir, &crate::probes::all(), &walk) {
            Ok(c) => Some(c),
            Err(e) => return usage_error(&e),
        },
        None => None,
    };
    let job = Job {
        choice: &choice,
        walk: &walk,
        cache: cache.as_ref(),
        config: &config,
        dockerfile: dockerfile.as_ref(),
        today,
    };
    // jsonl goes out as each image finishes; the other formats are one document at the end.
    let mut stream: Option<Box<dyn Write>> = None;
    if args.format == Format::Jsonl {
        stream = Some(match &args.output {
            Some(path) => match std::fs::File::create(path) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!("nsslint: error: cannot write {}: {e}", path.display());
                    return ExitCode::from(EXIT_UNREADABLE);
                }
            },
            None => Box::new(std::io::stdout()),
        });
    }
    let progress = Progress::new(!args.quiet && std::io::stderr().is_terminal(), inputs.len());
    let mut results: Vec<Option<Result<Vec<ImageReport>, String>>> =
        (0..inputs.len()).map(|_| None).collect();
    let mut write_error: Option<String> = None;
    run_jobs(
        &inputs,
        usize::from(args.jobs),
        &job,
        &progress,
        |n, result| {
            if let Some(out) = stream.as_mut() {
                let text: String = match &result {
                    Ok(reports) => reports.iter().map(crate::report::json::line).collect(),
                    Err(error) => crate::report::json::error_line(&inputs[n], error),
                };
                if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                    write_error.get_or_insert(format!("cannot write the report: {e}"));
                }
            }
            if let Err(error) = &result {
                progress.println(&format!("nsslint: error: {error}"));
            }
            results[n] = Some(result);
        },
    );
    progress.finish();
    let mut reports = Vec::new();
    let (mut scanned, mut with_findings, mut failed) = (0, 0, 0);
    for result in results.into_iter().flatten() {
        match result {
            Ok(mut image_reports) => {
                scanned += 1;
                if image_reports.iter().any(|r| !r.findings.is_empty()) {
                    with_findings += 1;
                }
                reports.append(&mut image_reports);
            }
            Err(_) => failed += 1,
        }
    }
    let unreadable = failed > 0;
    let many = inputs.len() > 1 || inputs.iter().any(|i| i.starts_with("docker://"));
    if many && !args.quiet {
        let mut summary = format!(
            "nsslint: {} image(s): {scanned} scanned, {with_findings} with findings, {failed} failed",
            inputs.len()
        );
        if let Some(session) = crate::source::registry::started_session() {
            summary.push_str(&format!(
                "; {} downloaded in {} blob request(s)",
                human_bytes(session.bytes.load(Ordering::Relaxed)),
                session.blob_requests.load(Ordering::Relaxed)
            ));
        }
        if let Some(cache) = &cache {
            summary.push_str(&format!(
                "; layer cache: {} hit(s), {} miss(es)",
                cache.hits.load(Ordering::Relaxed),
                cache.misses.load(Ordering::Relaxed)
            ));
        }
        eprintln!("{summary}");
    }
    let written = if let Some(e) = write_error {
        Err(e)
    } else if stream.is_some() {
        Ok(())
    } else {
        let color =
            args.output.is_none() && args.format == Format::Text && std::io::stdout().is_terminal();
        let rendered = render(args.format, &reports, color);
        match &args.output {
            Some(path) => std::fs::write(path, rendered)
                .map_err(|e| format!("cannot write {}: {e}", path.display())),
            None => std::io::stdout()
                .write_all(rendered.as_bytes())
                .map_err(|e| format!("cannot write to standard output: {e}")),
        }
    };
    let summary = args.markdown_summary.as_ref().map(|path| {
        use std::io::Write as _;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(crate::report::markdown::render(&reports).as_bytes()))
            .map_err(|e| format!("cannot append to {}: {e}", path.display()))
    });
    if let Err(e) = written.and(summary.unwrap_or(Ok(()))) {
        eprintln!("nsslint: error: {e}");
        return ExitCode::from(EXIT_UNREADABLE);
    }
    if unreadable {
        return ExitCode::from(EXIT_UNREADABLE);
    }
    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| fail_on.fails(f.level));
    ExitCode::from(if failing { EXIT_FINDINGS } else { EXIT_CLEAN })
}

/// Every input of a scan: the arguments, `--images-from`, `--repository --all-tags` and `--catalog`, in that
/// order, without repeats; then only this `--shard`'s.
fn collect_inputs(args: &ScanArgs) -> Result<Vec<String>, String> {
    let mut inputs = args.images.clone();
    if let Some(path) = &args.images_from {
        inputs.extend(read_image_list(path)?);
    }
    if let Some(repository) = &args.repository {
        inputs.extend(crate::source::registry::list_tags(repository)?);
    }
    if let Some(registry) = &args.catalog {
        for repository in crate::source::registry::catalog(registry)? {
            inputs.extend(crate::source::registry::list_tags(&repository)?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|i| seen.insert(i.clone()));
    if let Some((index, count)) = args.shard {
        inputs.retain(|i| shard_of(i, count) == index);
    }
    Ok(inputs)
}

/// What every image of a scan shares.
struct Job<'a> {
    choice: &'a PlatformChoice,
    walk: &'a WalkOptions,
    cache: Option<&'a LayerCache>,
    config: &'a Config,
    dockerfile: Option<&'a (Dockerfile, DockerfileRef)>,
    today: Day,
}

impl Job<'_> {
    /// One input's reports (one per platform scanned), or the error that stopped it.
    fn run(&self, input: &str) -> Result<Vec<ImageReport>, String> {
        let reference = ImageRef::parse(input).map_err(|e| e.to_string())?;
        let images = source::open(&reference, self.choice).map_err(|e| e.to_string())?;
        let mut reports = Vec::new();
        for image in &images {
            let analysis =
                analyze_cached(image, self.walk, self.cache).map_err(|e| e.to_string())?;
            reports.push(self.report(analysis));
        }
        Ok(reports)
    }

    fn report(&self, analysis: ImageAnalysis) -> ImageReport {
        let mut findings = rules::check(&analysis);
        let names = image_names(&analysis);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let before = findings.len();
        findings.retain(|f| !self.config.ignores(f, &names, self.today));
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
        }
    }
}

/// Runs the job on every input, `jobs` at a time; `done` is called on this thread as each one finishes
/// (in finishing order), with the input's position.
fn run_jobs(
    inputs: &[String],
    jobs: usize,
    job: &Job,
    progress: &Progress,
    mut done: impl FnMut(usize, Result<Vec<ImageReport>, String>),
) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(inputs.len()).max(1) {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(n) else { break };
                progress.start(input);
                // One image's failure, even a panic deep inside, must not stop the others.
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(input)))
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "{input}: internal error (a bug in nsslint; please report it)"
                            ))
                        });
                progress.end(input);
                if tx.send((n, result)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (n, result) in rx {
            done(n, result);
        }
    });
}

/// Progress on a terminal: images done of all, bytes downloaded, the images being scanned.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    current: std::sync::Mutex<Vec<String>>,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} images {elapsed} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            current: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn message(&self) {
        let Some(bar) = &self.bar else { return };
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = crate::source::registry::started_session()
            .map(|s| {
                format!(
                    "{} downloaded ",
                    human_bytes(s.bytes.load(Ordering::Relaxed))
                )
            })
            .unwrap_or_default();
        bar.set_message(format!("{bytes}{}", current.join(", ")));
    }

    fn start(&self, input: &str) {
        if self.bar.is_some() {
            self.current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(input.to_string());
            self.message();
        }
    }

    fn end(&self, input: &str) {
        if let Some(bar) = &self.bar {
            self.current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|i| i != input);
            bar.inc(1);
            self.message();
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn print_rules(only: Option<&str>) -> ExitCode {
    let selected: Vec<_> = match only {
        Some(id) => match rules::find(id) {
            Some(rule) => vec![rule],
            None => {
                let known: Vec<&str> = rules::all().iter().map(|r| r.doc.id.as_str()).collect();
                return usage_error(&format!(
                    "no rule {id:?}; the rules are {}",
                    known.join(", ")
                ));
            }
        },
        None => rules::all().iter().collect(),
    };
    let mut out = String::new();
    for rule in selected {
        let doc = &rule.doc;
        out.push_str(&format!(
            "{} {} ({}): {}\n\n{}\n\n",
            doc.id,
            doc.name,
            doc.level.as_str(),
            doc.summary,
            doc.body
        ));
    }
    print!("{out}");
    ExitCode::from(EXIT_CLEAN)
}

fn explain(args: &ImageArgs, path: &str) -> ExitCode {
    let choice = match platform_choice(&args.reading.platform, args.reading.all_platforms) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    crate::source::registry::configure(crate::source::registry::RegistryOptions {
        insecure: args.reading.insecure_registry.clone(),
        ca_files: args.reading.registry_ca.clone(),
        ..Default::default()
    });
    let walk = WalkOptions {
        max_file_bytes: args.reading.max_file_size,
    };
    let analyses = match analyze_input(&args.image, &choice, &walk) {
        Ok(a) => a,
        Err(error) => {
            eprintln!("nsslint: error: {error}");
            return ExitCode::from(EXIT_UNREADABLE);
        }
    };
    let wanted = format!("/{}", path.trim_start_matches('/'));
    let mut found = false;
    for analysis in &analyses {
        let Some(program) = analysis.go_programs.iter().find(|p| p.file.path == wanted) else {
            continue;
        };
        found = true;
        let go = program.go();
        println!(
            "{} in {} ({})",
            program.file.path, analysis.input, analysis.platform
        );
        println!(
            "  built with: {}",
            go.version_raw.as_deref().unwrap_or("unknown Go release")
        );
        println!(
            "  cgo: {}, cgo resolver linked: {}, tags: {}",
            opt(go.cgo_enabled),
            opt(go.cgo_resolver),
            if go.tags.is_empty() {
                "none".into()
            } else {
                go.tags.join(",")
            }
        );
        println!(
            "  interpreter: {}",
            program
                .file
                .facts
                .interpreter
                .as_deref()
                .unwrap_or("none (static)")
        );
        println!("  resolver linked: {}", go.resolver_linked);
        match (&program.prediction, &program.unpredictable) {
            (Some(prediction), _) => {
                println!("  predicted order: {}", prediction.order);
                println!("decisions:");
                for line in &prediction.trace {
                    println!("  {line}");
                }
            }
            (None, Some(why)) => println!("  predicted order: none: {why}"),
            (None, None) if !go.resolver_linked => {
                println!("  predicted order: none: the program does not link Go's resolver")
            }
            (None, None) => println!(
                "  predicted order: none: not a Linux program ({})",
                program.file.facts.os
            ),
        }
    }
    if !found {
        let programs: Vec<String> = analyses
            .iter()
            .flat_map(|a| a.go_programs.iter().map(|p| p.file.path.clone()))
            .collect();
        eprintln!(
            "nsslint: {} has no Go program at {wanted}; its Go programs: {}",
            args.image,
            if programs.is_empty() {
                "none".into()
            } else {
                programs.join(", ")
            }
        );
        return ExitCode::from(EXIT_USAGE);
    }
    ExitCode::from(EXIT_CLEAN)
}

fn opt(value: Option<bool>) -> String {
    value
        .map(|v| v.to_string())
        .unwrap_or_else(|| "unknown".into())
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
