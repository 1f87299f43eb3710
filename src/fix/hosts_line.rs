//! The one edit `nsslint fix` makes to `/etc/nsswitch.conf`: the `hosts` line made to name `files` first.
//! Every other byte of the file is kept, so the other databases, comments and blank lines stay as they were.
//!
//! A line is a hosts line when either reader takes it for one ([`crate::facts::nsswitch`]): Go (`hosts`
//! before a `:`, after the comment is cut) or glibc (`hosts` as the first word, the colon optional). Each
//! hosts line is rewritten on its own, because the readers combine several differently (Go appends them,
//! glibc keeps the last): a line with services gets `files` first (moved with its criteria when it is
//! there, added when it is not), the others in their order with their criteria; a line with no service gets
//! `files dns`, since an empty hosts line means "nothing" to glibc 2.33+ and "the default" to the others.
//! A file without any hosts line gets `hosts: files dns` appended.

/// The line written into an image that has no nsswitch.conf, or whose file has no hosts line.
pub const DEFAULT_HOSTS_LINE: &str = "hosts: files dns";

/// One hosts line as it was and as it becomes (without its line ending), 1-based.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineChange {
    /// `None` when the line is appended.
    pub line: Option<usize>,
    pub old: Option<String>,
    pub new: String,
}

/// The file after the fix and the lines that changed (empty when the file already names `files` first on
/// every hosts line: then nothing is to be written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub contents: String,
    pub changes: Vec<LineChange>,
}

/// The file written when there is none.
pub fn new_file() -> Rewrite {
    Rewrite {
        contents: format!("{DEFAULT_HOSTS_LINE}\n"),
        changes: vec![LineChange {
            line: None,
            old: None,
            new: DEFAULT_HOSTS_LINE.to_string(),
        }],
    }
}

/// `contents` with every hosts line naming `files` first.
pub fn files_first(contents: &str) -> Rewrite {
    let mut out = String::with_capacity(contents.len() + 16);
    let mut changes = Vec::new();
    let mut any_hosts_line = false;
    for (index, piece) in contents.split_inclusive('\n').enumerate() {
        let (body, ending) = split_ending(piece);
        match rewrite_line(body) {
            Some(new) => {
                any_hosts_line = true;
                if new != body {
                    changes.push(LineChange {
                        line: Some(index + 1),
                        old: Some(body.to_string()),
                        new: new.clone(),
                    });
                }
                out.push_str(&new);
                out.push_str(ending);
            }
            None => out.push_str(piece),
        }
    }
    if !any_hosts_line {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(DEFAULT_HOSTS_LINE);
        out.push('\n');
        changes.push(LineChange {
            line: None,
            old: None,
            new: DEFAULT_HOSTS_LINE.to_string(),
        });
    }
    // glibc 2.33+ does not read a last line that lacks its newline: a rewritten last line gets one.
    if !changes.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if changes.is_empty() {
        out = contents.to_string();
    }
    Rewrite {
        contents: out,
        changes,
    }
}

/// A line and its ending (`\n`, `\r\n`, or nothing for a last line without one).
fn split_ending(piece: &str) -> (&str, &str) {
    if let Some(body) = piece.strip_suffix("\r\n") {
        (body, "\r\n")
    } else if let Some(body) = piece.strip_suffix('\n') {
        (body, "\n")
    } else {
        (piece, "")
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0b' | '\x0c')
}

/// The hosts line rewritten, or `None` when the line is not a hosts line for either reader.
fn rewrite_line(line: &str) -> Option<String> {
    // Go cuts the comment; glibc up to 2.32 too. It is kept as written, after the services.
    let (text, comment) = line.split_at(line.find('#').unwrap_or(line.len()));
    let rest = text.trim_start_matches(is_space);
    let indent = &text[..text.len() - rest.len()];
    let name_len = rest
        .find(|c: char| is_space(c) || c == ':')
        .unwrap_or(rest.len());
    if &rest[..name_len] != "hosts" {
        return None;
    }
    let after_name = &rest[name_len..];
    let services_and_trailing = after_name.trim_start_matches(|c: char| is_space(c) || c == ':');
    let separator = &after_name[..after_name.len() - services_and_trailing.len()];
    let services = services_and_trailing.trim_end_matches(is_space);
    let trailing = &services_and_trailing[services.len()..];
    let items = service_items(services);
    if separator.contains(':') && items.first().is_some_and(|(name, _)| *name == "files") {
        return Some(line.to_string());
    }
    let mut words: Vec<&str> = Vec::with_capacity(items.len() + 1);
    if items.is_empty() {
        words.extend(["files", "dns"]);
    } else if let Some(at) = items.iter().position(|(name, _)| *name == "files") {
        words.push(items[at].1);
        words.extend(
            items
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at)
                .map(|(_, (_, text))| *text),
        );
    } else {
        words.push("files");
        words.extend(items.iter().map(|(_, text)| *text));
    }
    // Go needs the colon (a line without one makes it ignore the whole file); glibc does not mind it.
    let separator = match separator {
        s if s.contains(':') && s.ends_with(':') && services.is_empty() => format!("{s} "),
        s if s.contains(':') => s.to_string(),
        "" => ": ".to_string(),
        s => format!(":{s}"),
    };
    let trailing = if trailing.is_empty() && !comment.is_empty() && services.is_empty() {
        " "
    } else {
        trailing
    };
    Some(format!(
        "{indent}hosts{separator}{}{trailing}{comment}",
        words.join(" ")
    ))
}

/// The services of a hosts line, each with its text (name and `[criteria]`, as written).
fn service_items(services: &str) -> Vec<(&str, &str)> {
    let bytes = services.as_bytes();
    let mut items = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        while at < bytes.len() && is_space(bytes[at] as char) {
            at += 1;
        }
        if at == bytes.len() {
            break;
        }
        let start = at;
        while at < bytes.len() && !is_space(bytes[at] as char) && bytes[at] != b'[' {
            at += 1;
        }
        let name_end = at;
        let mut end = at;
        let mut look = at;
        while look < bytes.len() && is_space(bytes[look] as char) {
            look += 1;
        }
        if bytes.get(look) == Some(&b'[') {
            end = services[look..]
                .find(']')
                .map(|close| look + close + 1)
                .unwrap_or(bytes.len());
            at = end;
        }
        if name_end == start {
            // A `[` where a name should be: keep it as written.
            end = end.max(start + 1);
            at = end;
        }
        items.push((&services[start..name_end], &services[start..end]));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::elf::GoVersion;
    use crate::facts::libc::GlibcVersion;
    use crate::facts::nsswitch::{parse_as_glibc, parse_as_go, NsswitchView};

    fn go(minor: u32) -> GoVersion {
        GoVersion {
            major: 1,
            minor,
            patch: 0,
        }
    }

    /// The first service each reader sees in the rewritten file.
    fn first_sources(contents: &str) -> Vec<String> {
        let mut firsts = Vec::new();
        let views = [
            parse_as_go(contents, go(15)),
            parse_as_go(contents, go(22)),
            parse_as_glibc(contents, Some(GlibcVersion::new(2, 31))).unwrap(),
            parse_as_glibc(contents, Some(GlibcVersion::new(2, 36))).unwrap(),
        ];
        for view in views {
            match view {
                NsswitchView::Hosts(line) => firsts.push(line.sources[0].name.clone()),
                other => firsts.push(other.to_string()),
            }
        }
        firsts
    }

    #[test]
    fn only_the_hosts_line_changes() {
        let before = "# /etc/nsswitch.conf\n\
                      #\n\
                      passwd:         files systemd\n\
                      group:          files systemd\n\
                      \n\
                      hosts:          mdns4_minimal [NOTFOUND=return] dns files myhostname # local first?\n\
                      networks:       files\n\
                      protocols:      db files\n";
        let after = files_first(before);
        assert_eq!(
            after.contents,
            "# /etc/nsswitch.conf\n\
             #\n\
             passwd:         files systemd\n\
             group:          files systemd\n\
             \n\
             hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname # local first?\n\
             networks:       files\n\
             protocols:      db files\n"
        );
        assert_eq!(
            after.changes,
            vec![LineChange {
                line: Some(6),
                old: Some("hosts:          mdns4_minimal [NOTFOUND=return] dns files myhostname # local first?".into()),
                new: "hosts:          files mdns4_minimal [NOTFOUND=return] dns myhostname # local first?".into(),
            }]
        );
        assert_eq!(first_sources(&after.contents), ["files"; 4]);
    }

    #[test]
    fn files_keeps_its_criteria_and_is_added_when_absent() {
        assert_eq!(
            files_first("hosts: dns [!UNAVAIL=return] files [NOTFOUND=continue]\n").contents,
            "hosts: files [NOTFOUND=continue] dns [!UNAVAIL=return]\n"
        );
        assert_eq!(
            files_first("hosts:\tresolve [!UNAVAIL=return] dns\n").contents,
            "hosts:\tfiles resolve [!UNAVAIL=return] dns\n"
        );
        assert_eq!(files_first("hosts: dns").contents, "hosts: files dns\n");
        assert_eq!(
            files_first("hosts: dns\r\n").contents,
            "hosts: files dns\r\n"
        );
    }

    #[test]
    fn a_file_already_right_is_left_alone() {
        let right = "hosts: files dns\n# hosts: dns\nHOSTS: dns\n";
        let after = files_first(right);
        assert!(after.changes.is_empty());
        assert_eq!(after.contents, right);
    }

    #[test]
    fn every_hosts_line_is_rewritten_and_empty_ones_get_the_default() {
        let after = files_first("hosts: dns\nhosts:\nhosts\n");
        assert_eq!(
            after.contents,
            "hosts: files dns\nhosts: files dns\nhosts: files dns\n"
        );
        assert_eq!(after.changes.len(), 3);
        assert_eq!(first_sources(&after.contents), ["files"; 4]);
    }

    #[test]
    fn a_hosts_line_without_colon_gets_one() {
        // Go rejects the whole file for a line without a colon; glibc reads it as the hosts line.
        let after = files_first("hosts   dns files\n");
        assert_eq!(after.contents, "hosts:   files dns\n");
        assert_eq!(first_sources(&after.contents), ["files"; 4]);
    }

    #[test]
    fn no_hosts_line_appends_the_default() {
        let after = files_first("passwd: files\ngroup: files");
        assert_eq!(
            after.contents,
            "passwd: files\ngroup: files\nhosts: files dns\n"
        );
        assert_eq!(after.changes[0].line, None);
        assert_eq!(files_first("").contents, "hosts: files dns\n");
        assert_eq!(new_file().contents, "hosts: files dns\n");
    }

    #[test]
    fn a_comment_on_an_empty_hosts_line_stays() {
        assert_eq!(
            files_first("hosts: # nothing\n").contents,
            "hosts: files dns # nothing\n"
        );
    }
}
