//! `nsslint fix`: reads one image as `scan` does, plans the fix of each platform chosen ([`crate::fix`]),
//! prints the plan, and unless `--dry-run` writes the fixed image to `--output` ([`crate::sink`]). Nothing is
//! written when no platform has a finding the file repairs. The exit code is the one `scan` would give
//! the image as written.

use super::scan::{fail_on, FailOn};
use super::{Failure, Status};
use crate::analyze::analyze_cached;
use crate::config::{Config, Day};
use crate::fix::image::{FixedImage, Flavour};
use crate::fix::{self, FixPlan};
use crate::job::{Job, Reading};
use crate::report::ImageReport;
use crate::sink::{Output, WriteOptions, Written};
use crate::source::{self, platform, Image, ImageRef, PlatformChoice};
use crate::walk::decompress::Compression;
use std::fmt::Write as _;
use std::path::PathBuf;

/// What to fix and where to write it.
#[derive(Debug, Clone)]
pub struct FixRequest {
    pub image: String,
    pub reading: Reading,
    /// Where the fixed image goes; `None` only with `dry_run`.
    pub output: Option<Output>,
    /// Print the plan, write nothing.
    pub dry_run: bool,
    /// Replace an existing output file or tag.
    pub force: bool,
    /// `None`: the config's `fail-on`, else error.
    pub fail_on: Option<FailOn>,
    /// `None`: `.nsslint.yaml` when there is one (its ignores apply as in `scan`).
    pub config: Option<PathBuf>,
    /// No progress messages on standard error.
    pub quiet: bool,
}

/// One platform of the image: its report as `scan` gives it and the plan.
struct Platformed {
    image: Image,
    report: ImageReport,
    plan: FixPlan,
}

pub fn fix(request: &FixRequest) -> Result<Status, Failure> {
    let config = Config::load(request.config.as_deref()).map_err(Failure::Usage)?;
    let fail_on = fail_on(request.fail_on, &config)?;
    let reading = &request.reading;
    reading.configure();
    let say = |text: &str| {
        if !request.quiet {
            eprintln!("nsslint: {text}");
        }
    };
    let unreadable = |e: crate::error::ImageError| Failure::Unreadable(e.to_string());
    let reference = ImageRef::parse(&request.image).map_err(unreadable)?;
    if reference.transport.name == "rootfs" {
        return Err(Failure::Usage(format!(
            "{}: a root filesystem has no image config or manifest to add a layer to; fix the image it \
             was unpacked from, or write /etc/nsswitch.conf into the directory yourself",
            request.image
        )));
    }
    say(&format!("reading {}", request.image));
    // Every platform is opened (manifests and configs only) so that the output can say which were left out.
    let all = source::open(&reference, &PlatformChoice::All).map_err(unreadable)?;
    let platforms_in_source = all.len();
    let chosen = platform::choose(
        all.into_iter().map(|i| (i.platform.clone(), i)).collect(),
        &reading.choice,
    )
    .map_err(|e| Failure::Usage(format!("{}: {e}", request.image)))?;
    if let Some(output) = &request.output {
        if chosen.len() > 1 && !output.sink.multi_platform {
            return Err(Failure::Usage(format!(
                "--output {}: a {} holds one platform and {} were chosen; write them to oci: or \
                 oci-archive:, or choose one with --platform",
                output.original,
                output.sink.name,
                chosen.len()
            )));
        }
    }
    let today = Day::today();
    let job = Job {
        choice: &reading.choice,
        walk: &reading.walk,
        cache: None,
        config: &config,
        dockerfile: None,
        today,
    };
    let mut platforms = Vec::with_capacity(chosen.len());
    for (_, image) in chosen {
        let analysis = analyze_cached(&image, &reading.walk, None).map_err(unreadable)?;
        let report = job.report(analysis);
        let plan = fix::plan(&report, &|analysis| job.report(analysis).findings);
        platforms.push(Platformed {
            image,
            report,
            plan,
        });
    }
    print!(
        "{}",
        plan_text(&request.image, &platforms, platforms_in_source)
    );

    let failing = |plan: &FixPlan| plan.after.iter().any(|f| fail_on.fails(f.level));
    let status = if platforms.iter().any(|p| failing(&p.plan)) {
        Status::Findings
    } else {
        Status::Clean
    };
    if platforms.iter().all(|p| p.plan.change.is_none()) {
        println!("Nothing to fix: no finding that /etc/nsswitch.conf repairs. Nothing written.");
        return Ok(status);
    }
    if request.dry_run {
        println!("Dry run: nothing written.");
        return Ok(status);
    }
    let output = request.output.as_ref().ok_or_else(|| {
        Failure::Usage(
            "name where the fixed image goes: --output FORMAT:PATH (or --dry-run)".into(),
        )
    })?;
    let mut fixed: Vec<FixedImage> = Vec::with_capacity(platforms.len());
    for platformed in &platforms {
        fixed.push(fixed_image(platformed, output.sink.flavour).map_err(unreadable)?);
    }
    say(&format!("writing {}", output.original));
    let written = (output.sink.write)(
        output,
        &fixed,
        WriteOptions {
            force: request.force,
        },
    )
    .map_err(|e| Failure::Unreadable(format!("--output {}: {e}", output.original)))?;
    println!("{}", written_line(output, &fixed, &written));
    Ok(status)
}

/// The image of one platform as it is to be written: with the new layer, or as it was.
fn fixed_image(
    platformed: &Platformed,
    flavour: Flavour,
) -> Result<FixedImage<'_>, crate::error::ImageError> {
    let layers = &platformed.report.analysis.layers;
    let Some(change) = &platformed.plan.change else {
        return fix::image::unchanged(&platformed.image, layers, flavour);
    };
    // Compressed as the image's top layer is: what its tools already read.
    let compression = layers
        .last()
        .map(|l| l.compression.unwrap_or(Compression::None))
        .unwrap_or(Compression::Gzip);
    let layer = fix::layer::build(&change.layer, compression);
    let hosts_line = change
        .lines
        .first()
        .map(|l| l.new.as_str())
        .unwrap_or(fix::hosts_line::DEFAULT_HOSTS_LINE);
    fix::image::build(&platformed.image, layers, layer, hosts_line, flavour)
}

/// The plan, per platform: the file's old and new hosts lines, what they repair and what they cannot.
fn plan_text(input: &str, platforms: &[Platformed], platforms_in_source: usize) -> String {
    let mut text = String::new();
    for platformed in platforms {
        let plan = &platformed.plan;
        let _ = writeln!(text, "{input} ({})", platformed.image.platform);
        match &plan.change {
            Some(change) => {
                let _ = write!(text, "  write {}", change.path);
                match &change.replaces_symlink {
                    Some(target) => {
                        let _ = writeln!(text, " (replacing the symlink to {target})");
                    }
                    None => text.push('\n'),
                }
                for line in &change.lines {
                    let at = line
                        .line
                        .map(|n| format!("line {n}"))
                        .unwrap_or_else(|| "new line".into());
                    let old = line.old.as_deref().unwrap_or("(none)");
                    let _ = writeln!(text, "    {at}: {old}  ->  {}", line.new);
                }
            }
            None => text.push_str("  no change\n"),
        }
        for finding in &plan.fixed {
            let _ = writeln!(text, "  fixes {} {}", finding.rule, finding.path);
        }
        for not in &plan.not_fixed {
            let _ = writeln!(
                text,
                "  not fixed: {} {}: {}",
                not.finding.rule, not.finding.path, not.reason
            );
        }
    }
    if platforms.len() < platforms_in_source {
        let _ = writeln!(
            text,
            "Only {} of the source's {platforms_in_source} platforms chosen; --all-platforms fixes each \
             and writes a new index.",
            platforms.len()
        );
    }
    text
}

/// `Wrote oci:./out:v1 (manifest sha256:…): 1 new layer; 3 blob(s) written (812 B), 2 already there.`
fn written_line(output: &Output, images: &[FixedImage], written: &Written) -> String {
    let new_layers = images.iter().filter(|i| i.layer.is_some()).count();
    let mut line = format!("Wrote {}", output.original);
    if let Some(digest) = &written.digest {
        let what = if images.len() > 1 {
            "index"
        } else {
            "manifest"
        };
        let _ = write!(line, " ({what} {digest})");
    }
    let _ = write!(
        line,
        ": {new_layers} new layer(s); {} blob(s) written ({} bytes), {} already there.",
        written.blobs_written, written.bytes_written, written.blobs_reused
    );
    line
}
