//! What a release ships beside the binary: `--version` naming the version, the commit and the target; shell
//! completions for every shell clap_complete writes; the man page.

mod support;

use support::nsslint;

#[test]
fn version_names_the_version_the_commit_and_the_target() {
    let (code, stdout, stderr) = nsslint(&["--version"]);
    assert_eq!(code, 0, "{stderr}");
    let line = stdout.trim();
    let version = env!("CARGO_PKG_VERSION");
    let prefix = format!("nsslint {version} (commit ");
    assert!(line.starts_with(&prefix), "{line}");
    let rest = &line[prefix.len()..];
    let (commit, target) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("{line}"));
    // Built from this checkout: the commit is its HEAD (the first 12 hex digits), unless the build was told
    // another one (NSSLINT_COMMIT, as release builds are).
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match (option_env!("NSSLINT_COMMIT"), head) {
        (Some(told), _) if !told.is_empty() => assert!(told.starts_with(commit), "{line}"),
        (_, Some(head)) => assert_eq!(commit, &head[..12], "{line}"),
        _ => assert_eq!(commit, "unknown", "{line}"),
    }
    // The target triple the binary was built for: this test binary's own.
    let arch = std::env::consts::ARCH;
    assert!(
        target.starts_with(arch) && target.contains("-linux-"),
        "{line}"
    );
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef nsslint"),
        ("fish", "complete -c nsslint"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[nsslint]"),
    ] {
        let (code, stdout, stderr) = nsslint(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        assert!(stdout.contains(marker), "{shell}: no {marker:?}");
        for word in ["scan", "explain", "rules", "fail-on", "platform"] {
            assert!(stdout.contains(word), "{shell}: no {word}");
        }
    }
    let (code, _, stderr) = nsslint(&["completions", "tcsh"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bash") && stderr.contains("powershell"),
        "{stderr}"
    );
}

#[test]
fn the_man_page_covers_every_subcommand() {
    let (code, page, stderr) = nsslint(&["man"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(page.contains(".TH nsslint 1"), "{page}");
    for section in [
        "NSSLINT SCAN",
        "NSSLINT EXPLAIN",
        "NSSLINT RULES",
        "NSSLINT COMPLETIONS",
    ] {
        assert!(page.contains(&format!(".SH \"{section}\"")), "no {section}");
    }
    // Options documented where they belong, from the same definitions as --help.
    assert!(page.contains("\\-\\-fail\\-on"), "scan's --fail-on");
    assert!(page.contains("Exit codes"), "the exit codes");
}

#[test]
fn the_packaged_crate_holds_the_sources_and_no_tests_fixtures_or_benchmark() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let files: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    for needed in [
        "src/main.rs",
        "src/lib.rs",
        "build.rs",
        "rules/NSL001.md",
        "LICENSE",
        "Cargo.lock",
    ] {
        assert!(
            files.iter().any(|f| f == needed),
            "{needed} missing: {files:?}"
        );
    }
    let stray: Vec<&String> = files
        .iter()
        .filter(|f| {
            ["tests/", "bench/", "fuzz/", "examples/", ".ci/", "action/"]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}
