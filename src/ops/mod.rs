//! One module per command's work: [`scan`], [`fix`], [`explain`], [`rules`], [`docs`] (completions, man page). Each takes a request the command line
//! built and answers how it ended ([`Status`]) or why it could not run ([`Failure`]); the command line only
//! turns that into an exit code.

pub mod docs;
pub mod explain;
pub mod fix;
pub mod rules;
pub mod scan;

/// How a command that ran ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing at or above the level that fails.
    Clean,
    /// Findings at or above it.
    Findings,
    /// At least one image could not be read (each error was printed as it happened).
    Unreadable,
}

/// Why a command could not do its work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request itself is wrong: a flag's value, a config file, a name that does not exist.
    Usage(String),
    /// An input or output could not be read or written.
    Unreadable(String),
}
