//! `/etc/nsswitch.conf`, parsed twice: the way Go's `net` package reads it and the way glibc's NSS reads it.
//! The two parsers disagree on edge cases (comments, repeated lines, case, criteria), and each program obeys
//! only its own reading.

use crate::facts::elf::GoVersion;
use crate::facts::libc::GlibcVersion;
use serde::Serialize;
use std::fmt;

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

/// The `hosts` database as one parser understood the file. `sources` is empty only in glibc 2.33+'s
/// reading, where an empty hosts line (or a file glibc rejects) means that nothing is consulted; Go and
/// glibc up to 2.32 treat an empty hosts line as none ([`NsswitchView::NoHostsLine`]).
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
    /// The file exists but could not be read. Go's reading also gives this for a file its parser rejects:
    /// Go then does exactly what it does for an unreadable file (net/conf.go).
    Unreadable,
    /// The file was read and, for this parser, has no (non-empty) `hosts` line.
    NoHostsLine,
    /// The `hosts` line this parser uses.
    Hosts(HostsLine),
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

impl fmt::Display for NssCriterion {
    /// `NOTFOUND=return`, `!UNAVAIL=return`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        write!(f, "{}={}", self.status, self.action)
    }
}

impl fmt::Display for NssSource {
    /// `mdns4_minimal [NOTFOUND=return]`; the bracket only when there are criteria.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.criteria.is_empty() {
            f.write_str(" [")?;
            for (i, criterion) in self.criteria.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{criterion}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Display for HostsLine {
    /// The services as the file would list them: `files mdns4_minimal [NOTFOUND=return] dns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, source) in self.sources.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{source}")?;
        }
        Ok(())
    }
}

impl fmt::Display for NsswitchView {
    /// `hosts: files dns`, `hosts: (no services)`, `no hosts line`, `missing`, `unreadable`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NsswitchView::Missing => f.write_str("missing"),
            NsswitchView::Unreadable => f.write_str("unreadable"),
            NsswitchView::NoHostsLine => f.write_str("no hosts line"),
            NsswitchView::Hosts(line) if line.sources.is_empty() => {
                f.write_str("hosts: (no services)")
            }
            NsswitchView::Hosts(line) => write!(f, "hosts: {line}"),
        }
    }
}

/// One parser's view of the file plus what it did that a reader of the file might not expect (a rejected
/// line, a comment that is not one, a line that was ignored), one sentence each naming the source that does
/// it. The notes are for traces and reports; the models decide on `view` alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NssReading {
    pub view: NsswitchView,
    pub notes: Vec<String>,
}

impl NssReading {
    fn new(view: NsswitchView, notes: Vec<String>) -> Self {
        NssReading { view, notes }
    }
}

impl NsswitchFile {
    /// The file as a program built with Go release `go` reads it. See [`read_as_go`].
    pub fn view_as_go(&self, go: GoVersion) -> NsswitchView {
        self.read_as_go(go).view
    }

    pub fn read_as_go(&self, go: GoVersion) -> NssReading {
        match self {
            NsswitchFile::Missing => NssReading::new(NsswitchView::Missing, vec![]),
            NsswitchFile::Unreadable { reason } => NssReading::new(
                NsswitchView::Unreadable,
                vec![format!("/etc/nsswitch.conf: {reason}")],
            ),
            NsswitchFile::Present { contents } => read_as_go(contents, go),
        }
    }

    /// The file as glibc `glibc` reads it (`None`: release unknown). See [`read_as_glibc`].
    pub fn view_as_glibc(&self, glibc: Option<GlibcVersion>) -> Result<NsswitchView, String> {
        self.read_as_glibc(glibc).map(|reading| reading.view)
    }

    pub fn read_as_glibc(&self, glibc: Option<GlibcVersion>) -> Result<NssReading, String> {
        match self {
            NsswitchFile::Missing => Ok(NssReading::new(NsswitchView::Missing, vec![])),
            NsswitchFile::Unreadable { reason } => Ok(NssReading::new(
                NsswitchView::Unreadable,
                vec![format!("/etc/nsswitch.conf: {reason}")],
            )),
            NsswitchFile::Present { contents } => read_as_glibc(contents, glibc),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Go: src/net/nss.go `parseNSSConf`, with the helpers of src/net/parse.go. Read at go1.15.15, go1.19.8,
// go1.20 (a stored copy of nss.go), go1.21.13 and go1.27.3; the parse itself is the same in all of them.
// The one difference: up to go1.20 the whole file is read first (`readFull`, then `foreachLine`); from
// go1.21 lines come from `file.readLine`, whose buffer holds 64 KiB, and a longer line ends the reading
// silently (no error: what was parsed before it stands).

/// The first Go release that reads nsswitch.conf through `readLine`'s 64 KiB buffer.
pub const GO_LINE_BUFFER_SINCE: GoVersion = GoVersion {
    major: 1,
    minor: 21,
    patch: 0,
};

/// `readLine` returns a line only if it and its `\n` fit in the 64 KiB buffer.
const GO_LONGEST_LINE: usize = 64 * 1024 - 1;

/// Go's `isSpace` (net/parse.go): space, tab, newline, carriage return. Not `\v` or `\f`.
fn go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn go_trim(s: &str) -> &str {
    s.trim_matches(go_space)
}

/// `/etc/nsswitch.conf` with `contents` as read by Go release `go`. See [`read_as_go`].
pub fn parse_as_go(contents: &str, go: GoVersion) -> NsswitchView {
    read_as_go(contents, go).view
}

/// `/etc/nsswitch.conf` with `contents` as Go's `net` package reads it:
///
/// - Lines end at `\n`. `#` starts a comment anywhere on a line. Space, tab, `\r`, `\n` are trimmed.
/// - Every non-blank line needs a `:`; the database name is what precedes it, trimmed, compared exactly
///   (`HOSTS` is not `hosts`).
/// - Services are separated by spaces only (a tab inside `files\tdns` makes one service of that name).
/// - A `[...]` right after a service (after a space) holds its criteria, split on spaces, each
///   `[!]status=action` with at least three characters, lower-cased by Go (upper-cased status here).
///   Status and action are not checked against the known ones. A second bracket is read as a service name.
/// - Every `hosts` line adds to the list: repeated lines are concatenated.
/// - An error (a line without `:`, an unclosed `[`, a criterion that is too short or lacks `=`) anywhere in
///   the file, in any database's line, is kept in `nssConf.err`; `conf.go` then ignores the whole file and
///   uses its fallback order exactly as for a file it cannot read. The view is then `Unreadable`.
/// - No `hosts` service at all (no line, or only empty ones) is `NoHostsLine`: conf.go treats it like a
///   missing file.
pub fn read_as_go(contents: &str, go: GoVersion) -> NssReading {
    let mut notes = Vec::new();
    let mut hosts = Vec::new();
    let mut hosts_lines = Vec::new();
    for (index, piece) in contents.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let line = piece.strip_suffix('\n').unwrap_or(piece);
        if go >= GO_LINE_BUFFER_SINCE && line.len() > GO_LONGEST_LINE {
            notes.push(format!(
                "line {number} is {} bytes long: Go 1.21+ reads nsswitch.conf through a 64 KiB \
                 line buffer (net/parse.go readLine) and stops reading there, ignoring it and every later line",
                line.len()
            ));
            break;
        }
        match go_parse_line(line) {
            Ok(None) => {}
            Ok(Some((db, sources))) => {
                if db == "hosts" {
                    hosts_lines.push(number);
                    hosts.extend(sources);
                } else if db.eq_ignore_ascii_case("hosts") {
                    notes.push(format!(
                        "line {number} names database {db:?}: Go compares database names exactly, so it is not \
                         the hosts line"
                    ));
                }
            }
            Err(error) => {
                notes.push(format!(
                    "line {number}: {error}: Go records the error (net/nss.go parseNSSConf) and then ignores \
                     the whole file, choosing its fallback order as for an unreadable file (net/conf.go)"
                ));
                return NssReading::new(NsswitchView::Unreadable, notes);
            }
        }
    }
    if hosts_lines.len() > 1 {
        notes.push(format!(
            "hosts is listed on lines {}: Go appends the services of every hosts line, in file order",
            join_numbers(&hosts_lines)
        ));
    }
    if hosts.is_empty() {
        if !hosts_lines.is_empty() {
            notes.push(
                "the hosts line names no service: Go treats that like no hosts line".to_string(),
            );
        }
        return NssReading::new(NsswitchView::NoHostsLine, notes);
    }
    NssReading::new(NsswitchView::Hosts(HostsLine { sources: hosts }), notes)
}

/// One line as Go parses it: `None` when blank or a comment, else the database and its services.
fn go_parse_line(line: &str) -> Result<Option<(&str, Vec<NssSource>)>, String> {
    let line = go_trim(line.split('#').next().unwrap_or(""));
    if line.is_empty() {
        return Ok(None);
    }
    let (db, mut rest) = line.split_once(':').ok_or("no colon on line")?;
    let db = go_trim(db);
    let mut sources = Vec::new();
    loop {
        rest = go_trim(rest);
        if rest.is_empty() {
            break;
        }
        let name;
        (name, rest) = match rest.split_once(' ') {
            Some((name, after)) => (name, go_trim(after)),
            None => (rest, ""),
        };
        let mut criteria = Vec::new();
        if let Some(bracketed) = rest.strip_prefix('[') {
            let (inside, after) = bracketed
                .split_once(']')
                .ok_or("unclosed criterion bracket")?;
            criteria =
                go_parse_criteria(inside).map_err(|_| format!("invalid criteria: {inside}"))?;
            rest = after;
        }
        sources.push(NssSource {
            name: name.to_string(),
            criteria,
        });
    }
    Ok(Some((db, sources)))
}

/// The inside of a `[...]` as Go's `parseCriteria` reads it: fields split on spaces.
fn go_parse_criteria(inside: &str) -> Result<Vec<NssCriterion>, &'static str> {
    let mut criteria = Vec::new();
    for field in inside
        .split(' ')
        .map(go_trim)
        .filter(|field| !field.is_empty())
    {
        let (negated, field) = match field.strip_prefix('!') {
            Some(field) => (true, field),
            None => (false, field),
        };
        if field.len() < 3 {
            return Err("criterion too short");
        }
        let (status, action) = field.split_once('=').ok_or("criterion lacks equal sign")?;
        criteria.push(NssCriterion {
            negated,
            status: status.to_ascii_uppercase(),
            action: action.to_ascii_lowercase(),
        });
    }
    Ok(criteria)
}

fn join_numbers(numbers: &[usize]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------------------------
// glibc. Two readers in its history, read at the tags of bminor/glibc:
//
// - up to 2.32, nss/nsswitch.c (`nss_parse_file`, `nss_getline`, `nss_parse_service_list`; the same from
//   2.17 to 2.32, except that the `merge` action exists from 2.24);
// - from 2.33, nss/nss_database.c (`nss_database_reload_1`, `process_line`) with nss/nss_action_parse.c
//   (unchanged from 2.33 to 2.40); 2.34 added the databases `group_compat`, `passwd_compat`, `shadow_compat`.
//
// Both were checked against the real libraries (Debian's 2.31 and 2.36) with `getent ahostsv4` under strace.

/// Which of glibc's nsswitch.conf readers a release has; the cases where they differ are the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GlibcReader {
    /// nss/nsswitch.c, up to 2.32. `merge`: whether the `merge` action parses (2.24+).
    NsswitchC { merge: bool },
    /// nss/nss_database.c, from 2.33. `compat_databases`: whether `*_compat` are databases (2.34+).
    NssDatabaseC { compat_databases: bool },
}

impl GlibcReader {
    /// Every reader, with the releases that have it: what an unknown release could be.
    const ALL: [(GlibcReader, &'static str); 4] = [
        (GlibcReader::NsswitchC { merge: false }, "glibc up to 2.23"),
        (GlibcReader::NsswitchC { merge: true }, "glibc 2.24-2.32"),
        (
            GlibcReader::NssDatabaseC {
                compat_databases: false,
            },
            "glibc 2.33",
        ),
        (
            GlibcReader::NssDatabaseC {
                compat_databases: true,
            },
            "glibc 2.34+",
        ),
    ];

    fn of(version: GlibcVersion) -> GlibcReader {
        let v = |minor| GlibcVersion::new(2, minor);
        if version < v(24) {
            GlibcReader::NsswitchC { merge: false }
        } else if version < v(33) {
            GlibcReader::NsswitchC { merge: true }
        } else if version < v(34) {
            GlibcReader::NssDatabaseC {
                compat_databases: false,
            }
        } else {
            GlibcReader::NssDatabaseC {
                compat_databases: true,
            }
        }
    }
}

/// The databases glibc 2.33+ knows (nss/databases.def); a line for any other name is skipped unparsed.
const GLIBC_DATABASES: [&str; 14] = [
    "aliases",
    "ethers",
    "group",
    "gshadow",
    "hosts",
    "initgroups",
    "netgroup",
    "networks",
    "passwd",
    "protocols",
    "publickey",
    "rpc",
    "services",
    "shadow",
];
const GLIBC_COMPAT_DATABASES: [&str; 3] = ["group_compat", "passwd_compat", "shadow_compat"];

/// `isspace` in the C locale.
fn c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What C string functions see of a line: everything before its first NUL.
fn c_string(line: &str) -> &str {
    line.split('\0').next().unwrap_or("")
}

/// `/etc/nsswitch.conf` with `contents` as glibc `glibc` reads it; `None` when the release is unknown, which
/// is an error only if the releases read this file differently. See [`read_as_glibc`].
pub fn parse_as_glibc(contents: &str, glibc: Option<GlibcVersion>) -> Result<NsswitchView, String> {
    read_as_glibc(contents, glibc).map(|reading| reading.view)
}

/// `/etc/nsswitch.conf` with `contents` as glibc's NSS reads it. Common to every release:
///
/// - Database names are compared exactly (`HOSTS` is not `hosts`); the name ends at white space or `:`, so
///   the colon is optional (`hosts files dns` is a hosts line).
/// - Services are separated by any white space (`isspace`: also tab, `\r`, `\v`, `\f`).
/// - `[...]` after a service holds `[!]STATUS=action` items, case-insensitive, with white space allowed
///   around `=` and inside the brackets; the status must be SUCCESS, NOTFOUND, UNAVAIL or TRYAGAIN and the
///   action return, continue or merge. A `[` where a service name should start ends the line.
/// - When `hosts` is listed more than once, the last line wins.
///
/// Up to 2.32 (nss/nsswitch.c): `#` starts a comment anywhere; a bad criterion drops that service and the
/// rest of the line, keeping the services before it; a hosts line left with no service (empty, or emptied by
/// an error) counts as no hosts line, so the built-in default applies.
///
/// From 2.33 (nss/nss_database.c): `#` is **not** a comment (a line that starts with `#` is skipped only
/// because `#...` is not a database name; after a service, `#` and the words after it are more services);
/// a bad criterion on the line of any known database rejects the whole file, and every NSS lookup then
/// fails — the view is a hosts line with no services; an empty hosts line is kept as such and glibc
/// consults nothing; a last line without a final newline is not read.
pub fn read_as_glibc(contents: &str, glibc: Option<GlibcVersion>) -> Result<NssReading, String> {
    if let Some(version) = glibc {
        return Ok(read_with(contents, GlibcReader::of(version)));
    }
    let readings =
        GlibcReader::ALL.map(|(reader, releases)| (releases, read_with(contents, reader)));
    let newest = &readings[readings.len() - 1].1;
    if readings
        .iter()
        .all(|(_, reading)| reading.view == newest.view)
    {
        return Ok(newest.clone());
    }
    let mut views: Vec<(String, String)> = Vec::new();
    for (releases, reading) in &readings {
        match views
            .iter_mut()
            .find(|(_, view)| *view == reading.view.to_string())
        {
            Some((names, _)) => *names = format!("{names}, {releases}"),
            None => views.push((releases.to_string(), reading.view.to_string())),
        }
    }
    let views: Vec<String> = views
        .into_iter()
        .map(|(releases, view)| format!("{releases}: {view}"))
        .collect();
    Err(format!(
        "the glibc release is unknown and glibc releases read this nsswitch.conf differently ({})",
        views.join("; ")
    ))
}

fn read_with(contents: &str, reader: GlibcReader) -> NssReading {
    match reader {
        GlibcReader::NsswitchC { merge } => read_nsswitch_c(contents, merge),
        GlibcReader::NssDatabaseC { compat_databases } => {
            read_nss_database_c(contents, compat_databases)
        }
    }
}

/// The database name at the start of a line (after white space) and what follows the character that ended
/// it; `None` when the name is empty or runs to the end of the line (glibc skips such lines).
fn glibc_database_name(line: &str) -> Option<(&str, &str)> {
    let bytes = line.as_bytes();
    let start = bytes.iter().position(|&b| !c_space(b))?;
    let end = start
        + bytes[start..]
            .iter()
            .position(|&b| c_space(b) || b == b':')?;
    (end > start).then(|| (&line[start..end], &line[end..]))
}

fn read_nsswitch_c(contents: &str, merge: bool) -> NssReading {
    let mut notes = Vec::new();
    let mut hosts: Option<(usize, Vec<NssSource>)> = None;
    let mut hosts_lines = Vec::new();
    for (index, piece) in contents.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let line = c_string(piece.strip_suffix('\n').unwrap_or(piece));
        let line = line.split('#').next().unwrap_or("");
        let Some((name, rest)) = glibc_database_name(line) else {
            continue;
        };
        // nss_getline overwrites the one character that ended the name; the services start right after it,
        // so in `hosts : files` the `:` is read as a service.
        let rest = &rest[1..];
        if name != "hosts" {
            note_case_mismatch(&mut notes, number, name);
            continue;
        }
        let (sources, error) = glibc_parse_services(rest, merge);
        if let Some(error) = error {
            notes.push(format!(
                "line {number}: {error}: glibc up to 2.32 drops that service and the rest of the line, keeping \
                 the services before it (nss/nsswitch.c nss_parse_service_list)"
            ));
        }
        hosts_lines.push(number);
        hosts = Some((number, sources));
    }
    note_repeated_hosts(&mut notes, &hosts_lines);
    match hosts {
        Some((_, sources)) if !sources.is_empty() => {
            NssReading::new(NsswitchView::Hosts(HostsLine { sources }), notes)
        }
        Some((number, _)) => {
            notes.push(format!(
                "the hosts line (line {number}) is left with no service: glibc up to 2.32 then uses its built-in \
                 default (nss/nsswitch.c __nss_database_lookup2)"
            ));
            NssReading::new(NsswitchView::NoHostsLine, notes)
        }
        None => NssReading::new(NsswitchView::NoHostsLine, notes),
    }
}

fn read_nss_database_c(contents: &str, compat_databases: bool) -> NssReading {
    let mut notes = Vec::new();
    let mut hosts: Option<(usize, Vec<NssSource>)> = None;
    let mut hosts_lines = Vec::new();
    for (index, piece) in contents.split_inclusive('\n').enumerate() {
        let number = index + 1;
        if !piece.ends_with('\n') {
            if !piece
                .trim_matches(|c: char| c.is_ascii() && c_space(c as u8))
                .is_empty()
            {
                notes.push(format!(
                    "line {number} does not end in a newline: glibc 2.33+ meets the end of the file while reading \
                     it and stops without using it (nss/nss_database.c nss_database_reload_1)"
                ));
            }
            break;
        }
        // The newline stays part of the line: `hosts` alone on a line is a hosts line with no service.
        let Some((name, rest)) = glibc_database_name(c_string(piece)) else {
            continue;
        };
        let known = GLIBC_DATABASES.contains(&name)
            || (compat_databases && GLIBC_COMPAT_DATABASES.contains(&name));
        if !known {
            note_case_mismatch(&mut notes, number, name);
            continue;
        }
        let rest =
            rest.trim_start_matches(|c: char| c == ':' || (c.is_ascii() && c_space(c as u8)));
        let (sources, error) = glibc_parse_services(rest, true);
        if let Some(error) = error {
            notes.push(format!(
                "line {number} ({name}): {error}: glibc 2.33+ rejects the whole file (nss/nss_database.c \
                 process_line), so every NSS lookup fails and no hosts source is consulted"
            ));
            return NssReading::new(
                NsswitchView::Hosts(HostsLine {
                    sources: Vec::new(),
                }),
                notes,
            );
        }
        if name == "hosts" {
            if sources.iter().any(|source| source.name.starts_with('#')) {
                notes.push(format!(
                    "line {number}: `#` does not start a comment for glibc 2.33+ (nss/nss_database.c \
                     process_line): it and the words after it are read as services"
                ));
            }
            hosts_lines.push(number);
            hosts = Some((number, sources));
        }
    }
    note_repeated_hosts(&mut notes, &hosts_lines);
    match hosts {
        Some((number, sources)) => {
            if sources.is_empty() {
                notes.push(format!(
                    "the hosts line (line {number}) names no service: glibc 2.33+ keeps the empty list and \
                     consults nothing (nss/nss_database.c)"
                ));
            }
            NssReading::new(NsswitchView::Hosts(HostsLine { sources }), notes)
        }
        None => NssReading::new(NsswitchView::NoHostsLine, notes),
    }
}

fn note_case_mismatch(notes: &mut Vec<String>, number: usize, name: &str) {
    if name != "hosts" && name.eq_ignore_ascii_case("hosts") {
        notes.push(format!(
            "line {number} names database {name:?}: glibc compares database names exactly, so it is not the \
             hosts line"
        ));
    }
}

fn note_repeated_hosts(notes: &mut Vec<String>, hosts_lines: &[usize]) {
    if let [earlier @ .., last] = hosts_lines {
        if !earlier.is_empty() {
            notes.push(format!(
                "hosts is listed on lines {}: glibc uses the last one (line {last}) and ignores the others",
                join_numbers(hosts_lines)
            ));
        }
    }
}

/// A service list as glibc parses it (the grammar is the same in nss/nsswitch.c and nss/nss_action_parse.c):
/// the services read, and the syntax error that stopped the reading, if one did. The service whose criteria
/// held the error is not in the list.
fn glibc_parse_services(text: &str, merge: bool) -> (Vec<NssSource>, Option<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    let skip_space = |at: &mut usize| {
        while *at < bytes.len() && c_space(bytes[*at]) {
            *at += 1;
        }
    };
    // A word: up to white space, `=`, `]` or the end.
    let word = |at: &mut usize| {
        let start = *at;
        while *at < bytes.len() && !c_space(bytes[*at]) && bytes[*at] != b'=' && bytes[*at] != b']'
        {
            *at += 1;
        }
        &text[start..*at]
    };
    let mut sources = Vec::new();
    loop {
        skip_space(&mut at);
        let start = at;
        while at < bytes.len() && !c_space(bytes[at]) && bytes[at] != b'[' {
            at += 1;
        }
        if at == start {
            // The end of the line, or a `[` where a name should be: nothing more is read.
            return (sources, None);
        }
        let name = &text[start..at];
        skip_space(&mut at);
        let mut criteria = Vec::new();
        if bytes.get(at) == Some(&b'[') {
            at += 1;
            skip_space(&mut at);
            loop {
                let negated = bytes.get(at) == Some(&b'!');
                if negated {
                    at += 1;
                }
                let status_word = word(&mut at);
                let status = ["SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN"]
                    .into_iter()
                    .find(|known| known.eq_ignore_ascii_case(status_word));
                let Some(status) = status else {
                    let error = if status_word.is_empty() && at == bytes.len() {
                        format!("the criteria of {name} are not closed by `]`")
                    } else {
                        format!("{status_word:?} is not a status, in the criteria of {name}")
                    };
                    return (sources, Some(error));
                };
                skip_space(&mut at);
                if bytes.get(at) != Some(&b'=') {
                    return (
                        sources,
                        Some(format!("no `=` after {status}, in the criteria of {name}")),
                    );
                }
                at += 1;
                skip_space(&mut at);
                let action_word = word(&mut at);
                let actions: &[&str] = if merge {
                    &["return", "continue", "merge"]
                } else {
                    &["return", "continue"]
                };
                let Some(action) = actions
                    .iter()
                    .find(|known| known.eq_ignore_ascii_case(action_word))
                else {
                    return (
                        sources,
                        Some(format!(
                            "{action_word:?} is not an action, in the criteria of {name}"
                        )),
                    );
                };
                criteria.push(NssCriterion {
                    negated,
                    status: status.to_string(),
                    action: action.to_string(),
                });
                skip_space(&mut at);
                if bytes.get(at) == Some(&b']') {
                    at += 1;
                    break;
                }
            }
        }
        sources.push(NssSource {
            name: name.to_string(),
            criteria,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(minor: u32, patch: u32) -> GoVersion {
        GoVersion {
            major: 1,
            minor,
            patch,
        }
    }
    fn glibc(minor: u32) -> Option<GlibcVersion> {
        Some(GlibcVersion::new(2, minor))
    }

    /// An unambiguous rendering for the tables: each service name in angle brackets (Go can read `[x=y]` as
    /// a name), its criteria after it.
    fn render(view: &NsswitchView) -> String {
        match view {
            NsswitchView::Hosts(line) if !line.sources.is_empty() => {
                let mut out = String::from("hosts:");
                for source in &line.sources {
                    out.push_str(&format!(" <{}>", source.name));
                    if !source.criteria.is_empty() {
                        let items: Vec<String> =
                            source.criteria.iter().map(|c| c.to_string()).collect();
                        out.push_str(&format!("[{}]", items.join(" ")));
                    }
                }
                out
            }
            other => other.to_string(),
        }
    }

    const DEBIAN_BOOKWORM: &str = "# /etc/nsswitch.conf\n#\n\
        # Example configuration of GNU Name Service Switch functionality.\n\
        # If you have the `glibc-doc-reference' and `info' packages installed, try:\n\
        # `info libc \"Name Service Switch\"' for information about this file.\n\n\
        passwd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\n\
        hosts:          files dns\nnetworks:       files\n\nprotocols:      db files\nservices:       db files\n\
        ethers:         db files\nrpc:            db files\n\nnetgroup:       nis\n";

    const FEDORA_AUTHSELECT: &str =
        "# Generated by authselect\n# Do not modify this file manually.\n\n\
        passwd:     files sss systemd\ngroup:      files sss systemd\nnetgroup:   sss files\n\
        automount:  sss files\nservices:   sss files\n\nshadow:     files\n\
        hosts:      files myhostname resolve [!UNAVAIL=return] dns\n";

    /// (what, contents, Go (every release), glibc 2.31, glibc 2.36)
    const TABLE: &[(&str, &str, &str, &str, &str)] = &[
        // The lines of FACTS.md.
        (
            "files dns",
            "hosts: files dns\n",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "dns files",
            "hosts: dns files\n",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
        (
            "mdns4_minimal",
            "hosts: files mdns4_minimal [NOTFOUND=return] dns\n",
            "hosts: <files> <mdns4_minimal>[NOTFOUND=return] <dns>",
            "hosts: <files> <mdns4_minimal>[NOTFOUND=return] <dns>",
            "hosts: <files> <mdns4_minimal>[NOTFOUND=return] <dns>",
        ),
        (
            "myhostname",
            "hosts: files myhostname dns\n",
            "hosts: <files> <myhostname> <dns>",
            "hosts: <files> <myhostname> <dns>",
            "hosts: <files> <myhostname> <dns>",
        ),
        (
            "resolve !UNAVAIL",
            "hosts: files resolve [!UNAVAIL=return] dns\n",
            "hosts: <files> <resolve>[!UNAVAIL=return] <dns>",
            "hosts: <files> <resolve>[!UNAVAIL=return] <dns>",
            "hosts: <files> <resolve>[!UNAVAIL=return] <dns>",
        ),
        (
            "no hosts line",
            "passwd: files\ngroup: files\n",
            "no hosts line",
            "no hosts line",
            "no hosts line",
        ),
        (
            "empty file",
            "",
            "no hosts line",
            "no hosts line",
            "no hosts line",
        ),
        (
            "only comments",
            "# hosts: dns\n\n   \n",
            "no hosts line",
            "no hosts line",
            "no hosts line",
        ),
        // Whole distribution files.
        (
            "debian bookworm",
            DEBIAN_BOOKWORM,
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "fedora authselect",
            FEDORA_AUTHSELECT,
            "hosts: <files> <myhostname> <resolve>[!UNAVAIL=return] <dns>",
            "hosts: <files> <myhostname> <resolve>[!UNAVAIL=return] <dns>",
            "hosts: <files> <myhostname> <resolve>[!UNAVAIL=return] <dns>",
        ),
        // Comments: Go and glibc <= 2.32 cut at `#`; glibc 2.33+ reads on.
        (
            "comment mid-line",
            "hosts: files # dns\n",
            "hosts: <files>",
            "hosts: <files>",
            "hosts: <files> <#> <dns>",
        ),
        (
            "comment hides files",
            "hosts: dns # files\n",
            "hosts: <dns>",
            "hosts: <dns>",
            "hosts: <dns> <#> <files>",
        ),
        (
            "comment glued",
            "hosts: files #dns\n",
            "hosts: <files>",
            "hosts: <files>",
            "hosts: <files> <#dns>",
        ),
        (
            "comment with brackets",
            "hosts: files # [foo=bar]\n",
            "hosts: <files>",
            "hosts: <files>",
            "hosts: (no services)",
        ),
        (
            "comment only after colon",
            "hosts: # files\n",
            "no hosts line",
            "no hosts line",
            "hosts: <#> <files>",
        ),
        (
            "commented database",
            "#hosts: dns\nhosts: files\n",
            "hosts: <files>",
            "hosts: <files>",
            "hosts: <files>",
        ),
        // White space.
        (
            "tabs",
            "hosts:\tfiles\tdns\n",
            "hosts: <files\tdns>",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "tab after colon",
            "hosts:\tfiles dns\n",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "vertical tab",
            "hosts: dns\x0bfiles\n",
            "hosts: <dns\x0bfiles>",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
        (
            "leading blanks",
            "  \thosts: dns\n",
            "hosts: <dns>",
            "hosts: <dns>",
            "hosts: <dns>",
        ),
        (
            "no space after colon",
            "hosts:dns files\n",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
        (
            "CRLF",
            "hosts: dns files\r\n",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
        (
            "CR inside",
            "hosts: dns\r files\n",
            "hosts: <dns\r> <files>",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
        // Line ends: glibc 2.33+ drops a last line without newline.
        (
            "no final newline",
            "hosts: dns files",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
            "no hosts line",
        ),
        (
            "no final newline, earlier hosts",
            "hosts: files\nhosts: dns",
            "hosts: <files> <dns>",
            "hosts: <dns>",
            "hosts: <files>",
        ),
        (
            "NUL ends the C string",
            "hosts: files\0 dns\n",
            "hosts: <files\0> <dns>",
            "hosts: <files>",
            "hosts: <files>",
        ),
        // Repeated and differently cased database names.
        (
            "hosts twice",
            "hosts: dns\nhosts: files\n",
            "hosts: <dns> <files>",
            "hosts: <files>",
            "hosts: <files>",
        ),
        (
            "upper case",
            "HOSTS: dns files\n",
            "no hosts line",
            "no hosts line",
            "no hosts line",
        ),
        (
            "mixed case then lower",
            "Hosts: dns\nhosts: files\n",
            "hosts: <files>",
            "hosts: <files>",
            "hosts: <files>",
        ),
        // Empty hosts lines.
        (
            "empty hosts line",
            "hosts:\n",
            "no hosts line",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "empty after full",
            "hosts: files dns\nhosts:\n",
            "hosts: <files> <dns>",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "empty before full",
            "hosts:\nhosts: files dns\n",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "bare name",
            "hosts\n",
            "unreadable",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "bare name, no newline",
            "hosts",
            "unreadable",
            "no hosts line",
            "no hosts line",
        ),
        // Colons.
        (
            "no colon",
            "hosts files dns\n",
            "unreadable",
            "hosts: <files> <dns>",
            "hosts: <files> <dns>",
        ),
        (
            "space before colon",
            "hosts : files\n",
            "hosts: <files>",
            "hosts: <:> <files>",
            "hosts: <files>",
        ),
        (
            "colon inside services",
            "hosts:files:dns\n",
            "hosts: <files:dns>",
            "hosts: <files:dns>",
            "hosts: <files:dns>",
        ),
        (
            "other line without colon",
            "passwd files\nhosts: dns\n",
            "unreadable",
            "hosts: <dns>",
            "hosts: <dns>",
        ),
        (
            "garbage line",
            "hosts: files\ngarbage\n",
            "unreadable",
            "hosts: <files>",
            "hosts: <files>",
        ),
        // Criteria.
        (
            "spaces inside brackets",
            "hosts: files [ NOTFOUND = return ] dns\n",
            "unreadable",
            "hosts: <files>[NOTFOUND=return] <dns>",
            "hosts: <files>[NOTFOUND=return] <dns>",
        ),
        (
            "spaces around =",
            "hosts: dns [UNAVAIL = return] files\n",
            "unreadable",
            "hosts: <dns>[UNAVAIL=return] <files>",
            "hosts: <dns>[UNAVAIL=return] <files>",
        ),
        (
            "space after !",
            "hosts: dns [! UNAVAIL=return] files\n",
            "unreadable",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "unknown status",
            "hosts: files [foo=bar] dns\n",
            "hosts: <files>[FOO=bar] <dns>",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "unknown action after good services",
            "hosts: dns files [NOTFOUND=maybe]\n",
            "hosts: <dns> <files>[NOTFOUND=maybe]",
            "hosts: <dns>",
            "hosts: (no services)",
        ),
        (
            "criterion too short",
            "hosts: files [x] dns\n",
            "unreadable",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "unclosed bracket",
            "hosts: files [NOTFOUND=return dns\n",
            "unreadable",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "empty brackets",
            "hosts: files [] dns\n",
            "hosts: <files> <dns>",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "bracket glued to name",
            "hosts: files[NOTFOUND=return] dns\n",
            "hosts: <files[NOTFOUND=return]> <dns>",
            "hosts: <files>[NOTFOUND=return] <dns>",
            "hosts: <files>[NOTFOUND=return] <dns>",
        ),
        (
            "name glued after bracket",
            "hosts: dns [UNAVAIL=return]files\n",
            "hosts: <dns>[UNAVAIL=return] <files>",
            "hosts: <dns>[UNAVAIL=return] <files>",
            "hosts: <dns>[UNAVAIL=return] <files>",
        ),
        (
            "second bracket",
            "hosts: files [NOTFOUND=return] [UNAVAIL=return] dns\n",
            "hosts: <files>[NOTFOUND=return] <[UNAVAIL=return]> <dns>",
            "hosts: <files>[NOTFOUND=return]",
            "hosts: <files>[NOTFOUND=return]",
        ),
        (
            "bracket first",
            "hosts: [NOTFOUND=return] files\n",
            "hosts: <[NOTFOUND=return]> <files>",
            "no hosts line",
            "hosts: (no services)",
        ),
        (
            "case of criteria",
            "hosts: files [notfound=Return] dns\n",
            "hosts: <files>[NOTFOUND=return] <dns>",
            "hosts: <files>[NOTFOUND=return] <dns>",
            "hosts: <files>[NOTFOUND=return] <dns>",
        ),
        (
            "two criteria",
            "hosts: dns [!UNAVAIL=return NOTFOUND=continue] files\n",
            "hosts: <dns>[!UNAVAIL=return NOTFOUND=continue] <files>",
            "hosts: <dns>[!UNAVAIL=return NOTFOUND=continue] <files>",
            "hosts: <dns>[!UNAVAIL=return NOTFOUND=continue] <files>",
        ),
        (
            "merge",
            "hosts: files [SUCCESS=merge] dns\n",
            "hosts: <files>[SUCCESS=merge] <dns>",
            "hosts: <files>[SUCCESS=merge] <dns>",
            "hosts: <files>[SUCCESS=merge] <dns>",
        ),
        // A bad line of another database.
        (
            "bad criteria on passwd",
            "passwd: files [bogus=1]\nhosts: dns files\n",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
            "hosts: (no services)",
        ),
        (
            "bad criteria on a non-database",
            "sudoers: files [bogus]\nhosts: dns files\n",
            "unreadable",
            "hosts: <dns> <files>",
            "hosts: <dns> <files>",
        ),
    ];

    #[test]
    fn parser_table() {
        let mut failures = Vec::new();
        for &(what, contents, want_go, want_231, want_236) in TABLE {
            for go_version in [go(13, 8), go(15, 15), go(20, 14), go(21, 0), go(27, 3)] {
                let got = render(&parse_as_go(contents, go_version));
                if got != want_go {
                    failures.push(format!(
                        "{what}: Go {go_version:?}: got {got:?}, want {want_go:?}"
                    ));
                }
            }
            for (minor, want) in [
                (24, want_231),
                (31, want_231),
                (32, want_231),
                (33, want_236),
                (36, want_236),
                (40, want_236),
            ] {
                let got = render(&parse_as_glibc(contents, glibc(minor)).unwrap());
                if got != want {
                    failures.push(format!(
                        "{what}: glibc 2.{minor}: got {got:?}, want {want:?}"
                    ));
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn glibc_release_boundaries() {
        // `merge` parses from 2.24 (nss/nsswitch.c); before, the service with it is dropped.
        let merge = "hosts: files [SUCCESS=merge] dns\n";
        assert_eq!(
            render(&parse_as_glibc(merge, glibc(23)).unwrap()),
            "no hosts line"
        );
        assert_eq!(
            render(&parse_as_glibc(merge, glibc(24)).unwrap()),
            "hosts: <files>[SUCCESS=merge] <dns>"
        );
        // `shadow_compat` is a database from 2.34 (nss/databases.def): its bad line rejects the file only there.
        let compat = "shadow_compat: files [x=y]\nhosts: dns\n";
        assert_eq!(
            render(&parse_as_glibc(compat, glibc(33)).unwrap()),
            "hosts: <dns>"
        );
        assert_eq!(
            render(&parse_as_glibc(compat, glibc(34)).unwrap()),
            "hosts: (no services)"
        );
    }

    #[test]
    fn glibc_unknown_release() {
        // Same reading everywhere: fine without a version.
        assert_eq!(
            render(&parse_as_glibc("hosts: dns files\n", None).unwrap()),
            "hosts: <dns> <files>"
        );
        assert_eq!(parse_as_glibc("", None).unwrap(), NsswitchView::NoHostsLine);
        // Different readings: an error that names them.
        let err = parse_as_glibc("hosts: dns # files\n", None).unwrap_err();
        assert_eq!(
            err,
            "the glibc release is unknown and glibc releases read this nsswitch.conf differently (glibc up to \
             2.23, glibc 2.24-2.32: hosts: dns; glibc 2.33, glibc 2.34+: hosts: dns # files)"
        );
    }

    #[test]
    fn go_line_buffer_since_1_21() {
        let long = format!("#{}\nhosts: dns files\n", "x".repeat(GO_LONGEST_LINE));
        assert_eq!(
            render(&parse_as_go(&long, go(20, 14))),
            "hosts: <dns> <files>"
        );
        assert_eq!(render(&parse_as_go(&long, go(21, 0))), "no hosts line");
        // One byte shorter fits (the line and its newline fill the 64 KiB buffer exactly).
        let fits = format!("#{}\nhosts: dns files\n", "x".repeat(GO_LONGEST_LINE - 1));
        assert_eq!(
            render(&parse_as_go(&fits, go(21, 0))),
            "hosts: <dns> <files>"
        );
        // What came before the long line stands, and so does a later error that is never read.
        let before = format!(
            "hosts: files\n#{}\nhosts: dns\nno colon\n",
            "x".repeat(70_000)
        );
        assert_eq!(render(&parse_as_go(&before, go(27, 3))), "hosts: <files>");
        assert_eq!(render(&parse_as_go(&before, go(19, 8))), "unreadable");
        // A long last line without a newline is dropped as well.
        let last = format!("hosts: files\nhosts: dns {}", "y".repeat(70_000));
        assert_eq!(render(&parse_as_go(&last, go(21, 13))), "hosts: <files>");
    }

    #[test]
    fn file_states() {
        let present = NsswitchFile::Present {
            contents: "hosts: dns files\n".into(),
        };
        let missing = NsswitchFile::Missing;
        let unreadable = NsswitchFile::Unreadable {
            reason: "a directory".into(),
        };
        assert_eq!(
            render(&present.view_as_go(go(15, 15))),
            "hosts: <dns> <files>"
        );
        assert_eq!(
            render(&present.view_as_glibc(glibc(36)).unwrap()),
            "hosts: <dns> <files>"
        );
        assert_eq!(missing.view_as_go(go(15, 15)), NsswitchView::Missing);
        assert_eq!(missing.view_as_glibc(None).unwrap(), NsswitchView::Missing);
        assert_eq!(unreadable.view_as_go(go(21, 0)), NsswitchView::Unreadable);
        assert_eq!(
            unreadable.view_as_glibc(glibc(31)).unwrap(),
            NsswitchView::Unreadable
        );
        assert_eq!(
            unreadable.read_as_go(go(21, 0)).notes,
            vec!["/etc/nsswitch.conf: a directory".to_string()]
        );
    }

    #[test]
    fn display_like_the_file() {
        let line = HostsLine {
            sources: vec![
                NssSource {
                    name: "files".into(),
                    criteria: vec![],
                },
                NssSource {
                    name: "mdns4_minimal".into(),
                    criteria: vec![NssCriterion {
                        negated: false,
                        status: "NOTFOUND".into(),
                        action: "return".into(),
                    }],
                },
                NssSource {
                    name: "resolve".into(),
                    criteria: vec![
                        NssCriterion {
                            negated: true,
                            status: "UNAVAIL".into(),
                            action: "return".into(),
                        },
                        NssCriterion {
                            negated: false,
                            status: "TRYAGAIN".into(),
                            action: "continue".into(),
                        },
                    ],
                },
                NssSource {
                    name: "dns".into(),
                    criteria: vec![],
                },
            ],
        };
        let text =
            "files mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return TRYAGAIN=continue] dns";
        assert_eq!(line.to_string(), text);
        // Both parsers read the rendering back to the same line.
        let file = format!("hosts: {text}\n");
        assert_eq!(
            parse_as_go(&file, go(21, 0)),
            NsswitchView::Hosts(line.clone())
        );
        assert_eq!(
            parse_as_glibc(&file, glibc(36)).unwrap(),
            NsswitchView::Hosts(line.clone())
        );
        assert_eq!(
            NsswitchView::Hosts(line).to_string(),
            format!("hosts: {text}")
        );
        assert_eq!(
            NsswitchView::Hosts(HostsLine { sources: vec![] }).to_string(),
            "hosts: (no services)"
        );
        assert_eq!(NsswitchView::NoHostsLine.to_string(), "no hosts line");
    }

    #[test]
    fn notes_explain_surprises() {
        let notes = |reading: NssReading| reading.notes.join("\n");
        let go_notes = notes(read_as_go("hosts: files\ngarbage\n", go(21, 0)));
        assert!(go_notes.contains("line 2: no colon on line"), "{go_notes}");
        let go_notes = notes(read_as_go(
            "HOSTS: dns\nhosts: files\nhosts: dns\n",
            go(21, 0),
        ));
        assert!(
            go_notes.contains("line 1 names database \"HOSTS\""),
            "{go_notes}"
        );
        assert!(
            go_notes.contains("hosts is listed on lines 2, 3: Go appends"),
            "{go_notes}"
        );
        let glibc_notes = notes(read_as_glibc("hosts: dns # files\n", glibc(36)).unwrap());
        assert!(
            glibc_notes.contains("`#` does not start a comment"),
            "{glibc_notes}"
        );
        let glibc_notes =
            notes(read_as_glibc("passwd: files [x=y]\nhosts: files\n", glibc(36)).unwrap());
        assert!(
            glibc_notes.contains("line 1 (passwd): \"x\" is not a status"),
            "{glibc_notes}"
        );
        let glibc_notes = notes(read_as_glibc("hosts: files [NOTFOUND=return", glibc(31)).unwrap());
        assert!(
            glibc_notes.contains("the criteria of files are not closed by `]`"),
            "{glibc_notes}"
        );
        let glibc_notes = notes(read_as_glibc("hosts: dns\nhosts: files", glibc(36)).unwrap());
        assert!(
            glibc_notes.contains("line 2 does not end in a newline"),
            "{glibc_notes}"
        );
    }
}
