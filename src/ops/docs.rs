//! `nsslint completions SHELL` and `nsslint man`: shell completion scripts (clap_complete) and the man page
//! (clap_mangen), generated from the command line's own definition so they never drift from `--help`.
//! The release archives ship both.

use super::Failure;

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// The completion script for `shell`, for the command `command` describes.
pub fn completions(shell: Shell, mut command: clap::Command) -> Result<String, Failure> {
    use clap_complete::Shell as S;
    let generator = match shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
        Shell::Powershell => S::PowerShell,
        Shell::Elvish => S::Elvish,
    };
    let name = command.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(generator, &mut command, name, &mut out);
    String::from_utf8(out).map_err(|e| Failure::Unreadable(format!("completion script: {e}")))
}

/// The man page (roff) of the command and its subcommands, as one page: `nsslint(1)` with a section per
/// subcommand.
pub fn man_page(command: clap::Command) -> Result<String, Failure> {
    let mut out = Vec::new();
    let write = |e: std::io::Error| Failure::Unreadable(format!("man page: {e}"));
    clap_mangen::Man::new(command.clone())
        .render(&mut out)
        .map_err(write)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let heading = format!("{} {}", command.get_name(), sub.get_name()).to_uppercase();
        out.extend_from_slice(format!(".SH \"{heading}\"\n").as_bytes());
        clap_mangen::Man::new(sub.clone())
            .render_description_section(&mut out)
            .map_err(write)?;
        clap_mangen::Man::new(sub.clone())
            .render_options_section(&mut out)
            .map_err(write)?;
    }
    String::from_utf8(out).map_err(|e| Failure::Unreadable(format!("man page: {e}")))
}
