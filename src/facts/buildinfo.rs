//! Go build information as the Go linker embeds it: the 32-byte `.go.buildinfo` header, the varint-framed
//! strings of Go 1.18+, and the `modinfo` text (`path`, `mod`, `dep`, `=>`, `build` lines) that
//! `runtime/debug.ParseBuildInfo` reads back.
//!
//! Nothing here knows about ELF: `elf.rs` finds the blob and resolves the pre-1.18 pointers; this module
//! decodes bytes. Every function is total: malformed input gives `None` or an error, never a panic, and no
//! allocation is larger than the input it copies from.

use serde::Serialize;

/// The 14 bytes that open the build-info blob; a pointer-size byte and a flags byte follow.
pub const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Size of the fixed blob header (magic, pointer size, flags, two pointer slots of up to 8 bytes each).
pub const HEADER_LEN: usize = 32;
/// Flags bit: version and modinfo follow the header inline as varint-length strings (Go 1.18+).
pub const FLAG_INLINE: u8 = 0x2;
/// Flags bit (pointer era only): the pointers are big-endian.
pub const FLAG_BIG_ENDIAN: u8 = 0x1;
/// Length of each sentinel that frames the modinfo string (`cmd/go/internal/modload.infoStart/infoEnd`).
pub const SENTINEL_LEN: usize = 16;

/// One module line of modinfo (`mod`, `dep`, or the `=>` replacement under one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    /// `h1:` checksum; empty for the main module and for replaced modules without one.
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// Parsed modinfo: what `go version -m` prints after the first line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BuildInfo {
    /// Package path of the main package (`path` line); empty for GOPATH-mode builds.
    pub path: String,
    /// The main module (`mod` line), if any.
    pub main: Option<Module>,
    /// Dependency modules (`dep` lines), in file order.
    pub deps: Vec<Module>,
    /// `build` lines as (key, value) pairs in file order, values unquoted (Go 1.18+).
    pub settings: Vec<(String, String)>,
}

impl BuildInfo {
    /// The value of a `build` setting. Go writes each key once; should a key repeat, the last one wins, as
    /// it would for the `go` command reading its own flags.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn deps_count(&self) -> usize {
        self.deps.len()
    }
}

/// Why modinfo text did not parse; `line` is 1-based, as in Go's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, serde::Deserialize)]
#[error("modinfo line {line}: {what}")]
pub struct ModinfoError {
    pub line: usize,
    pub what: String,
}

/// The two strings of a build-info blob, before modinfo is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStrings<'a> {
    pub version: &'a [u8],
    /// modinfo with its sentinels still on.
    pub modinfo: &'a [u8],
}

/// Reads an unsigned LEB128 varint as Go's `encoding/binary.Uvarint` does: at most 10 bytes, no overflow.
/// Returns the value and the number of bytes it took.
pub fn read_uvarint(data: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in data.iter().take(10).enumerate() {
        if i == 9 && b > 1 {
            return None; // would overflow 64 bits
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Decodes the inline strings that follow the 32-byte header in Go 1.18+ blobs. `after_header` is
/// everything readable after the header. On failure returns the offset (relative to `after_header`) and
/// what went wrong.
pub fn decode_inline(after_header: &[u8]) -> Result<RawStrings<'_>, (usize, String)> {
    let (version, used) = decode_varint_string(after_header)
        .map_err(|what| (0, format!("inline Go version string: {what}")))?;
    let rest = &after_header[used..];
    let (modinfo, _) = decode_varint_string(rest)
        .map_err(|what| (used, format!("inline modinfo string: {what}")))?;
    Ok(RawStrings { version, modinfo })
}

fn decode_varint_string(data: &[u8]) -> Result<(&[u8], usize), String> {
    let (len, n) = read_uvarint(data).ok_or_else(|| "unreadable varint length".to_string())?;
    let avail = (data.len() - n) as u64;
    if len > avail {
        return Err(format!(
            "length {len} exceeds the {avail} bytes that follow"
        ));
    }
    let end = n + len as usize;
    Ok((&data[n..end], end))
}

/// Removes the 16-byte sentinels around modinfo the way `debug/buildinfo` does: only when the string is
/// long enough and the byte before the closing sentinel is a newline; otherwise there is no module
/// information (GOPATH mode) and the result is empty.
pub fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n > 2 * SENTINEL_LEN && modinfo[n - SENTINEL_LEN - 1] == b'\n' {
        &modinfo[SENTINEL_LEN..n - SENTINEL_LEN]
    } else {
        &[]
    }
}

/// Parses modinfo text (sentinels already stripped) with the rules of `runtime/debug.ParseBuildInfo`:
/// tab-separated columns, a final line without newline ignored, unknown lines skipped, build keys and values
/// Go-quoted when they hold spaces, quotes or `=`.
pub fn parse_modinfo(data: &[u8]) -> Result<BuildInfo, ModinfoError> {
    let text = String::from_utf8_lossy(data);
    let mut bi = BuildInfo::default();
    // Where the previous module line went, for a following `=>` line.
    #[derive(Clone, Copy)]
    enum Last {
        None,
        Main,
        Dep(usize),
    }
    let mut last = Last::None;
    let mut rest: &str = &text;
    let mut line_no = 1usize;
    let err = |line: usize, what: String| ModinfoError { line, what };
    while !rest.is_empty() {
        let Some(nl) = rest.find('\n') else { break };
        let line = &rest[..nl];
        rest = &rest[nl + 1..];
        if let Some(p) = line.strip_prefix("path\t") {
            bi.path = p.to_string();
        } else if let Some(m) = line.strip_prefix("mod\t") {
            bi.main = Some(module_line(m).map_err(|w| err(line_no, w))?);
            last = Last::Main;
        } else if let Some(m) = line.strip_prefix("dep\t") {
            bi.deps.push(module_line(m).map_err(|w| err(line_no, w))?);
            last = Last::Dep(bi.deps.len() - 1);
        } else if let Some(m) = line.strip_prefix("=>\t") {
            let cols: Vec<&str> = m.split('\t').collect();
            if cols.len() != 3 {
                return Err(err(
                    line_no,
                    format!("expected 3 columns for replacement; got {}", cols.len()),
                ));
            }
            let rep = Box::new(Module {
                path: cols[0].to_string(),
                version: cols[1].to_string(),
                sum: cols[2].to_string(),
                replace: None,
            });
            let target = match last {
                Last::None => None,
                Last::Main => bi.main.as_mut(),
                Last::Dep(i) => bi.deps.get_mut(i),
            };
            match target {
                Some(module) => module.replace = Some(rep),
                None => {
                    return Err(err(
                        line_no,
                        "replacement with no module on previous line".into(),
                    ))
                }
            }
            last = Last::None;
        } else if let Some(kv) = line.strip_prefix("build\t") {
            let setting = build_line(kv).map_err(|w| err(line_no, w))?;
            bi.settings.push(setting);
        }
        line_no += 1;
    }
    Ok(bi)
}

fn module_line(cols: &str) -> Result<Module, String> {
    let cols: Vec<&str> = cols.split('\t').collect();
    if cols.len() != 2 && cols.len() != 3 {
        return Err(format!("expected 2 or 3 columns; got {}", cols.len()));
    }
    Ok(Module {
        path: cols[0].to_string(),
        version: cols[1].to_string(),
        sum: cols.get(2).map(|s| s.to_string()).unwrap_or_default(),
        replace: None,
    })
}

fn key_needs_quotes(key: &str) -> bool {
    key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`'])
}

fn value_needs_quotes(value: &str) -> bool {
    value.contains([' ', '\t', '\r', '\n', '"', '`'])
}

fn build_line(kv: &str) -> Result<(String, String), String> {
    let first = kv.bytes().next().ok_or("build line missing '='")?;
    let (key, raw_value) = match first {
        b'=' => return Err("build line with missing key".into()),
        b'"' | b'`' => {
            let n = quoted_prefix_len(kv).ok_or("invalid quoted key in build line")?;
            let after = &kv[n..];
            match after.bytes().next() {
                None => return Err("build line missing '=' after quoted key".into()),
                Some(b'=') => {}
                Some(c) => {
                    return Err(format!(
                        "unexpected character after quoted key: {:?}",
                        c as char
                    ))
                }
            }
            let key = go_unquote(&kv[..n]).ok_or("invalid quoted key in build line")?;
            (key, &after[1..])
        }
        _ => {
            let (k, v) = kv
                .split_once('=')
                .ok_or("build line missing '=' after key")?;
            if key_needs_quotes(k) {
                return Err(format!("unquoted key {k:?} must be quoted"));
            }
            (k.to_string(), v)
        }
    };
    let value = match raw_value.bytes().next() {
        Some(b'"') | Some(b'`') => {
            go_unquote(raw_value).ok_or("invalid quoted value in build line")?
        }
        _ => {
            if value_needs_quotes(raw_value) {
                return Err(format!("unquoted value {raw_value:?} must be quoted"));
            }
            raw_value.to_string()
        }
    };
    Ok((key, value))
}

/// Length of the Go-quoted string (`"..."` or `` `...` ``) at the start of `s`, like `strconv.QuotedPrefix`.
pub fn quoted_prefix_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b.first()? {
        b'`' => b[1..].iter().position(|&c| c == b'`').map(|i| i + 2),
        b'"' => {
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'"' => return Some(i + 1),
                    b'\\' => i += 2,
                    b'\n' => return None,
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

/// `strconv.Unquote` for the double-quoted and back-quoted forms that `strconv.Quote` and Go's build-info
/// writer produce. `\x` and octal escapes may form bytes that are not UTF-8: they are kept as bytes and the
/// result is converted lossily. Returns `None` for anything `strconv.Unquote` would reject.
pub fn go_unquote(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let (open, close) = (b[0], b[b.len() - 1]);
    if open != close {
        return None;
    }
    let inner = &b[1..b.len() - 1];
    match open {
        b'`' => {
            if inner.contains(&b'`') {
                return None;
            }
            let kept: Vec<u8> = inner.iter().copied().filter(|&c| c != b'\r').collect();
            Some(String::from_utf8_lossy(&kept).into_owned())
        }
        b'"' => {
            let mut out: Vec<u8> = Vec::with_capacity(inner.len());
            let mut i = 0;
            while i < inner.len() {
                let c = inner[i];
                match c {
                    b'"' | b'\n' => return None,
                    b'\\' => {
                        let e = *inner.get(i + 1)?;
                        i += 2;
                        match e {
                            b'a' => out.push(0x07),
                            b'b' => out.push(0x08),
                            b'f' => out.push(0x0c),
                            b'n' => out.push(b'\n'),
                            b'r' => out.push(b'\r'),
                            b't' => out.push(b'\t'),
                            b'v' => out.push(0x0b),
                            b'\\' => out.push(b'\\'),
                            b'"' => out.push(b'"'),
                            b'x' => {
                                let v = hex_digits(inner.get(i..i + 2)?)?;
                                out.push(v as u8);
                                i += 2;
                            }
                            b'u' | b'U' => {
                                let n = if e == b'u' { 4 } else { 8 };
                                let v = hex_digits(inner.get(i..i + n)?)?;
                                let ch = char::from_u32(v)?;
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                                i += n;
                            }
                            b'0'..=b'7' => {
                                let digits = inner.get(i - 1..i + 2)?;
                                let mut v: u32 = 0;
                                for &d in digits {
                                    if !(b'0'..=b'7').contains(&d) {
                                        return None;
                                    }
                                    v = v * 8 + u32::from(d - b'0');
                                }
                                if v > 255 {
                                    return None;
                                }
                                out.push(v as u8);
                                i += 2;
                            }
                            _ => return None,
                        }
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            Some(String::from_utf8_lossy(&out).into_owned())
        }
        _ => None,
    }
}

fn hex_digits(d: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in d {
        v = v.checked_mul(16)? + (c as char).to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint() {
        assert_eq!(read_uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(read_uvarint(&[0x80, 0x01]), Some((128, 2)));
        assert_eq!(read_uvarint(&[0x80]), None);
        assert_eq!(read_uvarint(&[]), None);
        assert_eq!(read_uvarint(&[0xff; 11]), None);
        assert_eq!(
            read_uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Some((u64::MAX, 10))
        );
        assert_eq!(
            read_uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]),
            None
        );
    }

    #[test]
    fn inline_strings() {
        let data = b"\x08go1.19.8\x03abcTAIL";
        let raw = decode_inline(data).unwrap();
        assert_eq!(raw.version, b"go1.19.8");
        assert_eq!(raw.modinfo, b"abc");
        // A length running past the data is an error, not a slice panic.
        let (at, what) = decode_inline(b"\x08go1.19.8\x7fab").unwrap_err();
        assert_eq!(at, 9);
        assert!(what.contains("exceeds"), "{what}");
        assert!(decode_inline(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01").is_err());
    }

    #[test]
    fn sentinels() {
        let start = [
            0x30u8, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6,
            0x18, 0xe6,
        ];
        let end = [
            0xf9u8, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16,
            0xd8, 0xf2,
        ];
        let mut m = start.to_vec();
        m.extend_from_slice(b"path\tx\n");
        m.extend_from_slice(&end);
        assert_eq!(strip_sentinels(&m), b"path\tx\n");
        assert_eq!(strip_sentinels(b""), b"");
        assert_eq!(strip_sentinels(&[0u8; 32]), b"");
        assert_eq!(strip_sentinels(&[0u8; 40]), b"");
    }

    #[test]
    fn modinfo_full() {
        let text = "path\tgithub.com/x/y/cmd/y\n\
                    mod\tgithub.com/x/y\tv1.2.3\th1:abc=\n\
                    dep\tgolang.org/x/sys\tv0.1.0\th1:def=\n\
                    dep\texample.com/a\tv1.0.0\n\
                    =>\t../a\t(devel)\t\n\
                    build\t-buildmode=exe\n\
                    build\t-ldflags=\"-s -w -X main.v=1\"\n\
                    build\t-tags=netgo,osusergo\n\
                    build\tCGO_ENABLED=0\n\
                    build\tDefaultGODEBUG=netdns=cgo,panicnil=1\n\
                    build\t\"we=ird\"=`raw value`\n\
                    build\tGOOS=linux\n\
                    unknown\tline is skipped\n\
                    build\tGOARCH=amd64";
        let bi = parse_modinfo(text.as_bytes()).unwrap();
        assert_eq!(bi.path, "github.com/x/y/cmd/y");
        assert_eq!(bi.main.as_ref().unwrap().version, "v1.2.3");
        assert_eq!(bi.deps_count(), 2);
        assert_eq!(bi.deps[1].replace.as_ref().unwrap().path, "../a");
        assert_eq!(bi.setting("-ldflags"), Some("-s -w -X main.v=1"));
        assert_eq!(bi.setting("-tags"), Some("netgo,osusergo"));
        assert_eq!(bi.setting("DefaultGODEBUG"), Some("netdns=cgo,panicnil=1"));
        assert_eq!(bi.setting("we=ird"), Some("raw value"));
        assert_eq!(bi.setting("GOOS"), Some("linux"));
        // The last line has no newline: ParseBuildInfo drops it, so do we.
        assert_eq!(bi.setting("GOARCH"), None);
        assert_eq!(
            bi.settings[0],
            ("-buildmode".to_string(), "exe".to_string())
        );
    }

    #[test]
    fn modinfo_errors_name_the_line() {
        let e = parse_modinfo(b"path\tp\nmod\tonly-one-column\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse_modinfo(b"=>\ta\tb\tc\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(parse_modinfo(b"build\t=x\n").is_err());
        assert!(parse_modinfo(b"build\tkey with space=x\n").is_err());
        assert!(parse_modinfo(b"build\tk=has space\n").is_err());
        assert!(parse_modinfo(b"build\tk=\"unterminated\n").is_err());
        assert!(parse_modinfo(b"build\t\"k\"x\n").is_err());
        assert!(parse_modinfo(b"build\t\n").is_err());
        // Empty modinfo (GOPATH mode) is fine.
        assert_eq!(parse_modinfo(b"").unwrap(), BuildInfo::default());
    }

    #[test]
    fn unquote() {
        assert_eq!(go_unquote(r#""a b""#).as_deref(), Some("a b"));
        assert_eq!(
            go_unquote(r#""\t\"\\\x41\101\u00e9\U0001F600""#).as_deref(),
            Some("\t\"\\AAé😀")
        );
        assert_eq!(go_unquote("`a\rb`").as_deref(), Some("ab"));
        assert_eq!(go_unquote(r#""\q""#), None);
        assert_eq!(go_unquote(r#""\x4""#), None);
        assert_eq!(go_unquote(r#""\777""#), None);
        assert_eq!(go_unquote(r#""\uD800""#), None);
        assert_eq!(go_unquote("\""), None);
        assert_eq!(go_unquote("\"a\"b\""), None);
        assert_eq!(quoted_prefix_len(r#""a\"b"=c"#), Some(6));
        assert_eq!(quoted_prefix_len("`ab`=c"), Some(4));
        assert_eq!(quoted_prefix_len("\"abc"), None);
        assert_eq!(quoted_prefix_len("\"ab\\"), None);
    }
}
