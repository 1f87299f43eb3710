//! Maps findings to the Dockerfile line that caused them, so code scanning can show an alert on the pull
//! request that introduced it: the `COPY`/`ADD` that brought a binary (matched by destination path, through
//! `FROM <earlier stage>` chains), else the final stage's `FROM` (the file came with the base image; image-level
//! causes such as a missing nsswitch.conf also land there).
//!
//! Parsed: parser directives (`# escape=`), line continuations, comments, heredocs (`RUN <<EOF`, `COPY <<EOF`),
//! `ARG` before the first `FROM` (substituted into `FROM`), `FROM --platform=… IMAGE AS NAME`, `WORKDIR`,
//! `COPY`/`ADD` with flags (`--from=`, `--chown=`, `--link`, ...) in shell and JSON form.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInstruction {
    /// 1-based line of the instruction's first line.
    pub line: usize,
    /// `--from=` stage or image, if any.
    pub from: Option<String>,
    pub sources: Vec<String>,
    /// Absolute destination (WORKDIR applied), without a trailing `/`.
    pub dest: String,
    /// The destination is a directory (trailing `/`, or several sources).
    pub dest_is_dir: bool,
    /// The instruction as BuildKit records it in the image history: keyword and words, single-spaced.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub from_line: usize,
    /// The base image (or earlier stage name), `ARG`s substituted.
    pub base: String,
    pub name: Option<String>,
    pub copies: Vec<CopyInstruction>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub stages: Vec<Stage>,
}

/// Where in the Dockerfile a finding comes from, and why that line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DockerfileLine {
    pub line: usize,
    pub reason: String,
}

/// One instruction: its keyword (upper case), its text after the keyword, its first line.
struct Instruction {
    keyword: String,
    args: String,
    line: usize,
}

fn heredoc_marker(args: &str) -> Option<(String, bool)> {
    let at = args.find("<<")?;
    let rest = &args[at + 2..];
    let (strip_tabs, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let word: String = rest
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some((word, strip_tabs))
}

fn instructions(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    let mut lines = text.lines().enumerate().peekable();
    // Parser directives: leading `# key=value` comments.
    while let Some((_, line)) = lines.peek() {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        match directive.split_once('=') {
            Some((key, value)) if key.trim().eq_ignore_ascii_case("escape") => {
                escape = value.trim().chars().next().unwrap_or('\\');
                lines.next();
            }
            Some((key, _))
                if key.trim().eq_ignore_ascii_case("syntax")
                    || key.trim().eq_ignore_ascii_case("check") =>
            {
                lines.next();
            }
            _ => break,
        }
    }
    let mut out = Vec::new();
    while let Some((index, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut logical = String::new();
        let mut current = line.trim_end().to_string();
        loop {
            match current.strip_suffix(escape) {
                Some(head) => {
                    logical.push_str(head);
                    logical.push(' ');
                    // Comment and empty lines inside a continuation are dropped.
                    let next = loop {
                        match lines.next() {
                            Some((_, l)) if l.trim().starts_with('#') || l.trim().is_empty() => {
                                continue
                            }
                            other => break other,
                        }
                    };
                    match next {
                        Some((_, l)) => current = l.trim_end().to_string(),
                        None => break,
                    }
                }
                None => {
                    logical.push_str(&current);
                    break;
                }
            }
        }
        let logical = logical.trim();
        let (keyword, args) = logical
            .split_once(char::is_whitespace)
            .unwrap_or((logical, ""));
        let keyword = keyword.to_ascii_uppercase();
        let args = args.trim().to_string();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            if let Some((word, strip_tabs)) = heredoc_marker(&args) {
                for (_, body) in lines.by_ref() {
                    let candidate = if strip_tabs {
                        body.trim_start_matches('\t')
                    } else {
                        body
                    };
                    if candidate.trim_end() == word {
                        break;
                    }
                }
            }
        }
        out.push(Instruction {
            keyword,
            args,
            line: index + 1,
        });
    }
    out
}

/// `$NAME`, `${NAME}`, `${NAME:-default}` from `args`; unknown names become empty, as BuildKit does.
fn substitute(text: &str, args: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner.as_str(), None),
            };
            match (args.get(name).filter(|v| !v.is_empty()), default) {
                (Some(value), _) => out.push_str(value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => {}
            }
        } else {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                out.push('$');
            } else if let Some(value) = args.get(&name) {
                out.push_str(value);
            }
        }
    }
    out
}

fn split_words(args: &str) -> Vec<String> {
    if args.trim_start().starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<String>>(args.trim()) {
            return items;
        }
    }
    args.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']).to_string())
        .collect()
}

/// Keyword upper-cased, words single-spaced, BuildKit's `# buildkit` marker dropped.
fn normalize_instruction(text: &str) -> String {
    let text = text.trim().trim_end_matches("# buildkit").trim();
    let mut words = text.split_whitespace();
    let keyword = words.next().unwrap_or("").to_ascii_uppercase();
    std::iter::once(keyword)
        .chain(words.map(str::to_string))
        .collect::<Vec<_>>()
        .join(" ")
}

fn join_path(dir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{path}", dir.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Dockerfile {
    pub fn parse(text: &str) -> Dockerfile {
        let mut global_args: HashMap<String, String> = HashMap::new();
        let mut stages: Vec<Stage> = Vec::new();
        let mut workdir = String::from("/");
        for instruction in instructions(text) {
            match instruction.keyword.as_str() {
                "ARG" if stages.is_empty() => {
                    for word in split_words(&instruction.args) {
                        let (name, value) = word.split_once('=').unwrap_or((&word, ""));
                        global_args.insert(name.to_string(), value.to_string());
                    }
                }
                "FROM" => {
                    let words: Vec<String> = split_words(&instruction.args)
                        .into_iter()
                        .filter(|w| !w.starts_with("--"))
                        .collect();
                    let base = substitute(
                        words.first().map(String::as_str).unwrap_or(""),
                        &global_args,
                    );
                    let name = match words.as_slice() {
                        [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => {
                            Some(name.to_string())
                        }
                        _ => None,
                    };
                    // A stage built on an earlier one starts in that stage's WORKDIR; otherwise the image's, unknown: `/`.
                    workdir = "/".into();
                    stages.push(Stage {
                        from_line: instruction.line,
                        base,
                        name,
                        copies: Vec::new(),
                    });
                }
                "WORKDIR" => {
                    let dir = instruction.args.trim().trim_matches(['"', '\'']);
                    workdir = join_path(&workdir, dir);
                }
                "COPY" | "ADD" => {
                    let Some(stage) = stages.last_mut() else {
                        continue;
                    };
                    let mut from = None;
                    let mut rest = Vec::new();
                    for word in split_words(&instruction.args) {
                        if let Some(value) = word.strip_prefix("--from=") {
                            from = Some(value.to_string());
                        } else if !word.starts_with("--") {
                            rest.push(word);
                        }
                    }
                    let Some(dest_raw) = rest.pop() else { continue };
                    let sources = rest;
                    let dest_is_dir = dest_raw.ends_with('/') || sources.len() > 1;
                    let dest = join_path(&workdir, &dest_raw);
                    let text = normalize_instruction(&format!(
                        "{} {}",
                        instruction.keyword, instruction.args
                    ));
                    stage.copies.push(CopyInstruction {
                        line: instruction.line,
                        from,
                        sources,
                        dest,
                        dest_is_dir,
                        text,
                    });
                }
                _ => {}
            }
        }
        Dockerfile { stages }
    }

    /// The line of the final stage's `FROM`.
    pub fn final_from(&self) -> Option<DockerfileLine> {
        let stage = self.stages.last()?;
        Some(DockerfileLine {
            line: stage.from_line,
            reason: format!("the final stage's FROM {}", stage.base),
        })
    }

    /// The instruction an image history entry (`created_by` of the layer that brought a file) records:
    /// BuildKit writes the instruction itself (`COPY --from=build /out/app /app/ # buildkit`), the classic
    /// builder `/bin/sh -c #(nop) COPY file:… in /app/ ` (matched by its destination).
    pub fn locate_history(&self, created_by: &str) -> Option<DockerfileLine> {
        let copies = || self.stages.iter().rev().flat_map(|s| s.copies.iter().rev());
        let wanted = normalize_instruction(created_by);
        if let Some(copy) = copies().find(|c| c.text == wanted) {
            return Some(DockerfileLine {
                line: copy.line,
                reason: format!("the instruction the layer's history records ({wanted})"),
            });
        }
        let classic = created_by.split("#(nop)").nth(1)?.trim();
        let dest = classic.rsplit_once(" in ")?.1.trim();
        let copy = copies().find(|c| c.dest == join_path("/", dest))?;
        Some(DockerfileLine {
            line: copy.line,
            reason: format!("the COPY/ADD to {} the layer's history records", copy.dest),
        })
    }

    /// Where a finding about `path` comes from: the COPY/ADD that wrote it; else, when the file came in a layer
    /// whose history names an instruction of this Dockerfile, that instruction; else the final `FROM`.
    pub fn locate(&self, path: &str, layer_created_by: Option<&str>) -> Option<DockerfileLine> {
        if let Some(line) = self.locate_copy(path) {
            return Some(line);
        }
        layer_created_by
            .and_then(|c| self.locate_history(c))
            .or_else(|| self.final_from())
    }

    /// The instruction that put `path` (absolute, in the image) into the final image, else the final `FROM`.
    pub fn locate_file(&self, path: &str) -> Option<DockerfileLine> {
        self.locate_copy(path).or_else(|| self.final_from())
    }

    fn locate_copy(&self, path: &str) -> Option<DockerfileLine> {
        let mut stage_index = self.stages.len().checked_sub(1)?;
        // Follow `FROM <earlier stage>` chains: the file may have been copied into a stage the final one builds on.
        for _ in 0..self.stages.len() {
            let stage = &self.stages[stage_index];
            for copy in stage.copies.iter().rev() {
                let covers = if copy.dest_is_dir {
                    copy.sources.iter().any(|s| {
                        let base = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
                        join_path(&copy.dest, base) == path
                    }) || path.starts_with(&format!("{}/", copy.dest.trim_end_matches('/')))
                } else {
                    copy.dest == path || path.starts_with(&format!("{}/", copy.dest))
                };
                if covers {
                    let keyword = if copy.from.is_some() {
                        format!("COPY --from={}", copy.from.as_deref().unwrap_or(""))
                    } else {
                        "COPY/ADD".into()
                    };
                    return Some(DockerfileLine {
                        line: copy.line,
                        reason: format!("the {keyword} that writes {}", copy.dest),
                    });
                }
            }
            match self.stages[..stage_index]
                .iter()
                .rposition(|s| s.name.as_deref() == Some(stage.base.as_str()))
            {
                Some(earlier) => stage_index = earlier,
                None => break,
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI_STAGE: &str = r#"# syntax=docker/dockerfile:1
ARG GO_VERSION=1.15
ARG BASE=alpine:3.19

FROM golang:${GO_VERSION}-alpine AS build
WORKDIR /src
COPY . .
RUN <<EOF
go build -o /out/app ./cmd/app
COPY not-an-instruction /nowhere
EOF

FROM ${BASE} AS base
RUN apk add --no-cache ca-certificates

FROM base
WORKDIR /usr/local
COPY --from=build --chown=65534:65534 \
     /out/app bin/
COPY ["config.yaml", "/etc/app/config.yaml"]
ADD https://example.com/tool.tar.gz /opt/tool/
"#;

    #[test]
    fn stages_args_workdir_and_copies_are_read() {
        let file = Dockerfile::parse(MULTI_STAGE);
        let bases: Vec<(&str, Option<&str>, usize)> = file
            .stages
            .iter()
            .map(|s| (s.base.as_str(), s.name.as_deref(), s.from_line))
            .collect();
        assert_eq!(
            bases,
            vec![
                ("golang:1.15-alpine", Some("build"), 5),
                ("alpine:3.19", Some("base"), 13),
                ("base", None, 16)
            ]
        );
        let last = &file.stages[2].copies;
        assert_eq!(
            last[0],
            CopyInstruction {
                line: 18,
                from: Some("build".into()),
                sources: vec!["/out/app".into()],
                dest: "/usr/local/bin".into(),
                dest_is_dir: true,
                text: "COPY --from=build --chown=65534:65534 /out/app bin/".into(),
            }
        );
        assert_eq!(last[1].dest, "/etc/app/config.yaml");
        assert_eq!(last[1].line, 20);
        // The heredoc body's COPY line is not an instruction.
        assert_eq!(file.stages[0].copies.len(), 1);
    }

    #[test]
    fn files_map_to_the_copy_that_wrote_them_else_to_the_final_from() {
        let file = Dockerfile::parse(MULTI_STAGE);
        assert_eq!(file.locate_file("/usr/local/bin/app").unwrap().line, 18);
        assert_eq!(file.locate_file("/etc/app/config.yaml").unwrap().line, 20);
        assert_eq!(file.locate_file("/opt/tool/bin/tool").unwrap().line, 21);
        assert_eq!(file.locate_file("/bin/busybox").unwrap().line, 16);
        assert_eq!(file.final_from().unwrap().line, 16);
    }

    #[test]
    fn history_entries_name_their_instruction() {
        // WORKDIR comes from the base image here, so the destination alone cannot be resolved.
        let file = Dockerfile::parse("FROM example/base\nCOPY --from=build /out/app bin/\n");
        assert_eq!(file.locate_file("/srv/bin/app").unwrap().line, 1);
        let buildkit = "COPY --from=build /out/app bin/ # buildkit";
        assert_eq!(file.locate("/srv/bin/app", Some(buildkit)).unwrap().line, 2);
        let classic = Dockerfile::parse("FROM example/base\nCOPY app /srv/bin/\n");
        assert_eq!(
            classic
                .locate(
                    "/srv/bin/app2",
                    Some("/bin/sh -c #(nop) COPY file:0a1b2c in /srv/bin/ ")
                )
                .unwrap()
                .line,
            2
        );
        assert_eq!(
            classic
                .locate("/srv/x", Some("/bin/sh -c apk add curl"))
                .unwrap()
                .line,
            1
        );
    }

    #[test]
    fn a_copy_into_an_earlier_stage_is_found_through_from_chains() {
        let file = Dockerfile::parse(
            "FROM alpine AS base\nCOPY app /usr/bin/app\n\nFROM base AS final\nRUN true\n",
        );
        assert_eq!(file.locate_file("/usr/bin/app").unwrap().line, 2);
    }

    #[test]
    fn escape_directive_and_continuations() {
        let file = Dockerfile::parse(
            "# escape=`\nFROM scratch\nCOPY `\n  a `\n  # a comment inside\n  b /dst/\n",
        );
        assert_eq!(file.stages[0].copies[0].sources, vec!["a", "b"]);
        assert_eq!(file.stages[0].copies[0].line, 3);
    }
}
