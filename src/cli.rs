//! The command line: `scan`, `rules`, `explain`. Exit codes a CI can rely on: 0 nothing at or above
//! `--fail-on`, 1 findings, 2 usage error, 3 an image could not be read.

use crate::analyze::{analyze, ImageAnalysis};
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
    /// The image: PATH (sniffed), docker-archive:PATH[:NAME:TAG], oci:DIR[:REF] or oci-archive:PATH[:REF].
    pub image: String,
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
    /// Images to scan: PATH (sniffed), docker-archive:PATH[:NAME:TAG], oci:DIR[:REF], oci-archive:PATH[:REF].
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
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
    /// For multi-platform images: the platform to scan, os/arch[/variant].
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    pub platform: Option<String>,
    /// For multi-platform images: scan every platform.
    #[arg(long)]
    pub all_platforms: bool,
    /// Files larger than this are not read (reported as NSL900). Bytes, or with a K/M/G suffix.
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_size)]
    pub max_file_size: u64,
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
    let choice = match platform_choice(&args.platform, args.all_platforms) {
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
        max_file_bytes: args.max_file_size,
    };
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let mut reports = Vec::new();
    let mut unreadable = false;
    for (n, input) in args.images.iter().enumerate() {
        if progress {
            eprintln!(
                "nsslint: scanning {input} ({} of {})",
                n + 1,
                args.images.len()
            );
        }
        match analyze_input(input, &choice, &walk) {
            Ok(analyses) => {
                for analysis in analyses {
                    let mut findings = rules::check(&analysis);
                    let names = image_names(&analysis);
                    let names: Vec<&str> = names.iter().map(String::as_str).collect();
                    let before = findings.len();
                    findings.retain(|f| !config.ignores(f, &names, today));
                    let suppressed = before - findings.len();
                    if let Some((file, _)) = &dockerfile {
                        for finding in &mut findings {
                            let created_by = finding
                                .layer
                                .as_ref()
                                .and_then(|digest| {
                                    analysis.layers.iter().find(|l| &l.digest == digest)
                                })
                                .and_then(|l| l.created_by.as_deref());
                            finding.dockerfile = file.locate(&finding.path, created_by);
                        }
                    }
                    let dockerfile = dockerfile.as_ref().map(|(_, r)| DockerfileRef {
                        uri: r.uri.clone(),
                        fix_after_line: r.fix_after_line,
                    });
                    reports.push(ImageReport {
                        analysis,
                        findings,
                        suppressed,
                        dockerfile,
                    });
                }
            }
            Err(error) => {
                eprintln!("nsslint: error: {error}");
                unreadable = true;
            }
        }
    }
    let color =
        args.output.is_none() && args.format == Format::Text && std::io::stdout().is_terminal();
    let rendered = render(args.format, &reports, color);
    let written = match &args.output {
        Some(path) => std::fs::write(path, rendered)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout()
            .write_all(rendered.as_bytes())
            .map_err(|e| format!("cannot write to standard output: {e}")),
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
    let choice = match platform_choice(&args.platform, args.all_platforms) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let walk = WalkOptions {
        max_file_bytes: args.max_file_size,
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
