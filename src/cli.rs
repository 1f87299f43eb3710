//! The command line: `scan`, `fix`, `rules`, `explain`. It parses the arguments into a request, hands it to the
//! command's work in [`crate::ops`] and turns how that ended into an exit code a CI can rely on: 0 nothing at
//! or above `--fail-on`, 1 findings, 2 usage error, 3 an image could not be read.

use crate::job::inputs::InputList;
use crate::job::Reading;
use crate::ops::fix::FixRequest;
use crate::ops::scan::{FailOn, ScanRequest};
use crate::ops::{self, Failure, Status};
use crate::report::Format;
use crate::source::registry::RegistryOptions;
use crate::source::{Platform, PlatformChoice};
use crate::walk::WalkOptions;
use clap::{Args, CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_UNREADABLE: u8 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "nsslint",
    version = env!("NSSLINT_VERSION_LINE"),
    about = "Finds Go programs in container images that will ask DNS before /etc/hosts",
    long_about = "Finds Go programs in container images that will ask DNS before /etc/hosts.\n\n\
        nsslint reads an image without extracting it, finds its C library, its /etc/nsswitch.conf, its ENV and \
        every Go program with its build information, and predicts for each program the order in which its \
        resolver will consult /etc/hosts (files) and DNS.",
    after_help = "Examples:\n  nsslint scan app:dev                          the image you just built: a file if one is named so, else the\n                                                Docker engine, else Podman, else its registry (--no-pull: not that)\n  \
        nsslint scan docker-daemon:app:dev            the local Docker engine (DOCKER_HOST, docker context, docker.sock)\n  \
        nsslint scan podman:app:dev                   Podman's API service (CONTAINER_HOST, its sockets)\n  \
        nsslint scan ./app.tar                        docker save tarball (format sniffed)\n  \
        nsslint scan oci:./layout:v1                  OCI image layout directory, tag v1\n  \
        nsslint scan oci-archive:./app-oci.tar        OCI layout packed in a tar\n  \
        nsslint scan dir:./app-dir                    skopeo's directory format (skopeo copy IMAGE dir:./app-dir)\n  \
        nsslint scan rootfs:/mnt/extracted            an unpacked root filesystem (its ENV is unknown)\n  \
        nsslint scan docker-archive:./app.tar --format sarif --output nsslint.sarif\n  \
        nsslint scan docker://registry.example.com/team/app:1.4   from a registry\n  \
        nsslint scan --catalog REGISTRY --shard 3/10 --jobs 4 --cache-dir DIR --format jsonl\n  \
        nsslint fix ./app.tar --output docker-archive:./app-fixed.tar   add the one-file fix as a new layer\n  \
        nsslint fix docker://REGISTRY/team/app:1.4 --dry-run          what fix would change, writing nothing\n  \
        nsslint explain ./app.tar /usr/local/bin/app  why a program gets its order\n  \
        nsslint rules                                 every rule with its rationale\n  \
        nsslint completions bash > /etc/bash_completion.d/nsslint   shell completions (also zsh, fish, ...)\n\n\
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
    /// Repair an image without rebuilding it: one new layer writes /etc/nsswitch.conf with files first.
    #[command(
        long_about = "Repair an image without rebuilding it.\n\n\
            The image is read as `scan` reads it. When a platform has a finding that /etc/nsswitch.conf \
            repairs (NSL001-NSL004), one layer is appended that writes the file: `hosts: files dns` when \
            the image has none or it has no hosts line, else the same file with only its hosts line \
            changed so that `files` comes first (every other line byte for byte). The config gains the \
            layer's diff ID and a history entry; labels, ENV and entrypoint are untouched; the existing \
            layers are copied as stored (or not at all, where the output already has them). Findings \
            the file cannot repair are listed with the reason. Nothing is written when nothing is \
            fixable.",
        after_help = "Examples:\n  nsslint fix ./app.tar --output docker-archive:./app-fixed.tar\n  \
            nsslint fix oci:./layout:v1 --output oci:./layout:v1-fixed\n  \
            nsslint fix docker://registry.example.com/team/app:1.4 --output docker://registry.example.com/team/app:1.4-nsfix\n  \
            nsslint fix docker://registry.example.com/team/app:1.4 --all-platforms --output oci-archive:./app.oci.tar\n  \
            nsslint fix IMAGE --dry-run                  the old and new hosts line per platform; writes nothing\n\n\
            Exit codes, as `scan` would give the image written: 0 nothing at or above --fail-on (also when \
            nothing needed fixing), 1 findings left, 2 usage error, 3 an image could not be read or the \
            output not written (nothing half-written is left)."
    )]
    Fix(FixArgs),
    /// Print every rule (or one) with what it does, why it matters and how to fix it.
    Rules {
        /// A rule id (NSL001) or name (go-dns-before-hosts).
        rule: Option<String>,
    },
    /// Print a shell completion script: nsslint completions bash|zsh|fish|powershell|elvish.
    Completions {
        #[arg(value_enum)]
        shell: ops::docs::Shell,
    },
    /// Print the man page (roff): nsslint man > nsslint.1
    Man,
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
    /// The image: NAME[:TAG] (a file of that name, else the local engines, else the registry), PATH
    /// (sniffed), docker-daemon:NAME[:TAG], podman:NAME[:TAG], docker-archive:PATH[:NAME:TAG], oci:DIR[:REF],
    /// oci-archive:PATH[:REF], dir:DIR (skopeo's directory format), rootfs:DIR or docker://REGISTRY/REPO:TAG.
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
    /// A bare image name (app:dev) is looked up in the local engines only, never pulled from a registry.
    #[arg(long)]
    pub no_pull: bool,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Images to scan: NAME[:TAG] (a file of that name, else the local engines, else the registry), PATH
    /// (sniffed), docker-daemon:NAME[:TAG], podman:NAME[:TAG], docker-archive:PATH[:NAME:TAG], oci:DIR[:REF],
    /// oci-archive:PATH[:REF], dir:DIR (skopeo's directory format), rootfs:DIR, docker://REGISTRY/REPO:TAG
    /// (or @sha256:…).
    #[arg(value_name = "IMAGE", required_unless_present_any = ["images_from", "repository", "catalog", "k8s"])]
    pub images: Vec<String>,
    /// Kubernetes manifests: a file, a directory (every .yaml, .yml, .json under it) or - (standard input:
    /// `helm template`, `kubectl get pods -A -o json`). Every container of every Pod, Deployment,
    /// StatefulSet, DaemonSet, ReplicaSet, Job and CronJob is scanned as its pod runs it (hostAliases,
    /// dnsConfig, env, kubernetes.io/arch), and reported on its image: line. Repeatable.
    #[arg(long, value_name = "PATH|-")]
    pub k8s: Vec<PathBuf>,
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

#[derive(Args, Debug)]
pub struct FixArgs {
    #[command(flatten)]
    pub image: ImageArgs,
    /// Where the fixed image goes: docker-archive:PATH[:NAME:TAG], oci:DIR[:TAG], oci-archive:PATH[:TAG] or
    /// docker://REGISTRY/REPO:TAG.
    #[arg(
        long,
        short,
        value_name = "FORMAT:PATH",
        required_unless_present = "dry_run"
    )]
    pub output: Option<String>,
    /// Print what would change (each platform's old and new hosts line) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an existing output file, or an existing tag of an OCI layout.
    #[arg(long)]
    pub force: bool,
    /// The lowest level that makes the exit code 1, judged on the image as written.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Settings and ignores (default: .nsslint.yaml in the current directory, if there is one).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// No progress messages on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

impl FixArgs {
    fn request(self) -> Result<FixRequest, Failure> {
        Ok(FixRequest {
            reading: self.image.reading.reading()?,
            image: self.image.image,
            output: self
                .output
                .as_deref()
                .map(crate::sink::Output::parse)
                .transpose()
                .map_err(Failure::Usage)?,
            dry_run: self.dry_run,
            force: self.force,
            fail_on: self.fail_on,
            config: self.config,
            quiet: self.quiet,
        })
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

impl ReadingArgs {
    /// The reading options, or a usage error naming the flag that is wrong.
    fn reading(&self) -> Result<Reading, Failure> {
        let choice = match (&self.platform, self.all_platforms) {
            (_, true) => PlatformChoice::All,
            (Some(text), false) => {
                PlatformChoice::Exactly(Platform::parse(text).map_err(Failure::Usage)?)
            }
            (None, false) => PlatformChoice::Default,
        };
        Ok(Reading {
            choice,
            walk: WalkOptions {
                max_file_bytes: self.max_file_size,
            },
            registry: RegistryOptions {
                insecure: self.insecure_registry.clone(),
                ca_files: self.registry_ca.clone(),
                ..Default::default()
            },
            pull: !self.no_pull,
        })
    }
}

impl ScanArgs {
    fn request(self) -> Result<ScanRequest, Failure> {
        Ok(ScanRequest {
            reading: self.reading.reading()?,
            inputs: InputList {
                images: self.images,
                images_from: self.images_from,
                repository: self.repository,
                catalog: self.catalog,
                shard: self.shard,
            },
            k8s: self.k8s,
            jobs: usize::from(self.jobs),
            cache_dir: self.cache_dir,
            format: self.format,
            output: self.output,
            fail_on: self.fail_on,
            dockerfile: self.dockerfile,
            config: self.config,
            markdown_summary: self.markdown_summary,
            quiet: self.quiet,
        })
    }
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
    let ended = match cli.command {
        Command::Scan(args) => args.request().and_then(|request| ops::scan::scan(&request)),
        Command::Fix(args) => args.request().and_then(|request| ops::fix::fix(&request)),
        Command::Rules { rule } => ops::rules::text(rule.as_deref()).map(print),
        Command::Completions { shell } => ops::docs::completions(shell, Cli::command()).map(print),
        Command::Man => ops::docs::man_page(Cli::command()).map(print),
        Command::Explain { image, path } => image
            .reading
            .reading()
            .and_then(|reading| ops::explain::text(&image.image, &path, &reading))
            .map(print),
    };
    ExitCode::from(match ended {
        Ok(Status::Clean) => EXIT_CLEAN,
        Ok(Status::Findings) => EXIT_FINDINGS,
        Ok(Status::Unreadable) => EXIT_UNREADABLE,
        Err(Failure::Usage(message)) => {
            eprintln!("nsslint: {message}");
            EXIT_USAGE
        }
        Err(Failure::Unreadable(message)) => {
            eprintln!("nsslint: error: {message}");
            EXIT_UNREADABLE
        }
    })
}

/// Prints a command's text to standard output; the command ran cleanly.
fn print(text: String) -> Status {
    print!("{text}");
    Status::Clean
}
