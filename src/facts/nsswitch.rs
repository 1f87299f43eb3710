//! `/etc/nsswitch.conf`, parsed twice: the way Go's `net` package reads it and the way glibc's NSS reads it.
//! The two parsers disagree on edge cases (comments, repeated lines, case, criteria), and each program obeys
//! only its own reading.

use serde::Serialize;

/// What the final filesystem holds at `/etc/nsswitch.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NsswitchFile {
    /// No such path (or it was deleted by a whiteout, or a dangling symlink).
    Missing,
    /// The path exists but its bytes could not be had (a directory, a device, too large, a symlink to a file
    /// whose contents were not captured). `reason` says which.
    Unreadable { reason: String },
    /// The file's contents.
    Present { contents: String },
}

/// One `[STATUS=action]` item after a source name; `negated` for `[!STATUS=action]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NssCriterion {
    pub negated: bool,
    /// Upper-case status: `SUCCESS`, `NOTFOUND`, `UNAVAIL`, `TRYAGAIN`.
    pub status: String,
    /// Lower-case action: `return`, `continue`, `merge`.
    pub action: String,
}

/// One service named on a database line, with the criteria that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NssSource {
    pub name: String,
    pub criteria: Vec<NssCriterion>,
}

/// The `hosts` database as one parser understood the file: `None` when the file has no `hosts` line
/// (or, for the parser concerned, an empty one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostsLine {
    pub sources: Vec<NssSource>,
}

/// `/etc/nsswitch.conf` as one particular parser (Go's or glibc's) sees it: the input of the models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NsswitchView {
    /// The file does not exist.
    Missing,
    /// The file exists but could not be read.
    Unreadable,
    /// The file was read and, for this parser, has no (non-empty) `hosts` line.
    NoHostsLine,
    /// The `hosts` line this parser uses.
    Hosts(HostsLine),
}
