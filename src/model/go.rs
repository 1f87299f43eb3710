//! Go's `net` resolver, release by release.
//!
//! [`predict`] answers one question: for an ordinary host name (`myhost.test`), in which order does a Go
//! program on Linux consult `/etc/hosts` and DNS, or does it hand the lookup to libc (the "cgo resolver")?
//!
//! The model was written from the Go sources of every release from go1.13 to go1.27.3 (`src/net/conf.go`,
//! `nss.go`, `lookup_unix.go`, `cgo_stub.go`, `netgo*.go`, `netcgo*.go`, `conf_netcgo.go`, `parse.go`,
//! `internal/godebug/godebug.go`, `runtime/runtime.go`). Within one minor release these files did not change
//! for the paths modelled here, so every rule is keyed by the minor release. The releases at which a rule
//! changes are:
//!
//! | release | change that matters for an ordinary name on Linux | file |
//! |---|---|---|
//! | go1.13–go1.15 | nsswitch.conf missing, or no `hosts` line → `dns,files` (glibc's old default) | conf.go |
//! | go1.16 | … → `files,dns` (golang/go#35305) | conf.go |
//! | go1.13–go1.17 | GODEBUG read by `net` itself, the *first* `netdns=` wins | parse.go |
//! | go1.18–go1.19 | same rule, moved to `internal/godebug.Get` | godebug.go |
//! | go1.19 | the "netgo" marker for cgo-less builds moved from cgo_stub.go to netgo.go (same effect) | netgo.go |
//! | go1.20 | GODEBUG: the *last* `netdns=` wins; environment first, then the linker's default | godebug.go |
//! | go1.20 | nsswitch.conf re-read lazily; read errors no longer errors (a directory reads as empty) | nss.go, parse.go |
//! | go1.21 | rewrite: `cgoAvailable`, `mustUseGoResolver`, `preferCgo`; `netcgo`/`netdns=cgo` go straight to cgo; when Go's resolver is forced, odd criteria are ignored and unknown sources count as DNS; cgo-less builds are no longer "netgo" | conf.go, netgo_on.go, cgo_stub.go |
//! | go1.21 | DefaultGODEBUG recorded by cmd/go and honoured; `#pattern` suffix of a value stripped | godebug.go |
//! | go1.23 | `.local` names only go to cgo when an `mdns*` source is listed | conf.go |
//! | go1.24 | `netdns=1` messages reworded | conf.go |
//! | go1.24–go1.27.3 | conf.go, nss.go, godebug.go unchanged | |
//!
//! `/etc/resolv.conf` is deliberately not modelled: Docker and Kubernetes replace it when the container
//! starts, so the image's copy says nothing about run time.

use std::fmt;

use serde::Serialize;

use crate::facts::elf::GoVersion;
use crate::facts::nsswitch::{NssSource, NsswitchView};
use crate::model::{LookupOrder, Prediction};

/// The host name [`predict`] answers for: not `.local`, no `\` or `%`, not a `myhostname` special name.
pub const ORDINARY_HOST: &str = "myhost.test";

/// The newest release whose sources this model was checked against.
pub const LAST_VERIFIED: GoVersion = GoVersion {
    major: 1,
    minor: 27,
    patch: 3,
};
/// The oldest release whose sources this model was checked against.
pub const FIRST_VERIFIED: GoVersion = GoVersion {
    major: 1,
    minor: 13,
    patch: 0,
};

/// What the Go toolchain put into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoBinaryInput<'a> {
    pub version: GoVersion,
    /// The binary contains the cgo resolver (built with cgo, net not built with netgo).
    pub cgo_resolver: bool,
    /// `-tags netgo`.
    pub netgo_tag: bool,
    /// `-tags netcgo`.
    pub netcgo_tag: bool,
    /// The build setting `DefaultGODEBUG` (Go 1.21+), e.g. `netdns=cgo,panicnil=1`.
    pub default_godebug: Option<&'a str>,
}

/// What the image gives the program at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeInput<'a> {
    /// `GODEBUG` from the image's environment.
    pub godebug: Option<&'a str>,
    /// `LOCALDOMAIN`: `Some("")` when set but empty, which matters.
    pub localdomain: Option<&'a str>,
    /// `RES_OPTIONS`.
    pub res_options: Option<&'a str>,
    /// `HOSTALIASES`.
    pub hostaliases: Option<&'a str>,
    /// `/etc/nsswitch.conf` as Go's parser sees it.
    pub nsswitch: &'a NsswitchView,
    /// `/etc/mdns.allow` exists in the image.
    pub mdns_allow_exists: bool,
    /// What libc will do when Go hands a lookup to cgo (predicted by the libc model); `None` if unknown.
    pub libc_order: Option<&'a Prediction<LookupOrder>>,
}

/// The effective order of a Go program's host lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub enum GoOrder {
    /// Go's own resolver, in this order.
    Go(LookupOrder),
    /// Handed to libc (`getaddrinfo`), which does this.
    Cgo(LookupOrder),
    /// Handed to libc, whose behaviour is unknown.
    CgoUnknownLibc,
}

impl fmt::Display for GoOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoOrder::Go(order) => write!(f, "{order}"),
            GoOrder::Cgo(order) => write!(f, "cgo:{order}"),
            GoOrder::CgoUnknownLibc => f.write_str("cgo:unknown"),
        }
    }
}

impl From<GoOrder> for String {
    fn from(order: GoOrder) -> String {
        order.to_string()
    }
}

/// Predict the lookup order for an ordinary host name ([`ORDINARY_HOST`]).
pub fn predict(binary: &GoBinaryInput, runtime: &RuntimeInput) -> Prediction<GoOrder> {
    predict_host(binary, runtime, ORDINARY_HOST)
}

/// Predict the lookup order for `host`. Besides ordinary names this covers what the name itself changes in
/// Go's choice: a trailing dot, `\` or `%`, `.local`, and the names the `myhostname` NSS module answers
/// (`localhost`, `gateway`/`_gateway`, `_outbound`). The machine's own host name is not known to the image
/// (the runtime sets it), so `host` is assumed not to be it. Special handling of names after the choice
/// (e.g. inside Go's `/etc/hosts` or DNS code) is not modelled.
pub fn predict_host(
    binary: &GoBinaryInput,
    runtime: &RuntimeInput,
    host: &str,
) -> Prediction<GoOrder> {
    let mut t = Trace::default();
    let v = binary.version;
    let minor = effective_minor(v, &mut t);

    let tags: Vec<&str> = [("netgo", binary.netgo_tag), ("netcgo", binary.netcgo_tag)]
        .into_iter()
        .filter_map(|(tag, on)| on.then_some(tag))
        .collect();
    t.note(format!(
        "nsslint: go{}.{}.{}; cgo resolver linked: {}; build tags: {}; GODEBUG: {}; DefaultGODEBUG: {}; name: {host}",
        v.major,
        v.minor,
        v.patch,
        yes_no(binary.cgo_resolver),
        if tags.is_empty() { "none".to_string() } else { tags.join(",") },
        runtime.godebug.map_or("unset".to_string(), |s| format!("{s:?}")),
        binary.default_godebug.map_or("none".to_string(), |s| format!("{s:?}")),
    ));
    t.note(
        "nsslint: /etc/resolv.conf is not modelled (Docker and Kubernetes replace it at run time); Go sends a \
         name to cgo when resolv.conf cannot be read or has an option Go does not know, where cgo is available"
            .to_string(),
    );
    t.note(
        "nsslint: assumes the program uses net.DefaultResolver (PreferGo=false), as ordinary programs do"
            .to_string(),
    );

    // A binary cannot both carry the cgo resolver and be built with netgo: the netgo tag removes it
    // (go1.13–go1.20: cgo_stub.go is built for "!cgo || netgo"; go1.21–go1.27: cgo_unix.go needs "!netgo").
    let cgo_resolver = if binary.cgo_resolver && binary.netgo_tag {
        t.note(
            "nsslint: netgo build tag given together with a cgo resolver: the netgo tag excludes the cgo \
             resolver from package net (src/net/cgo_stub.go, src/net/cgo_unix.go); treating it as absent"
                .to_string(),
        );
        false
    } else {
        binary.cgo_resolver
    };

    let netdns = resolve_netdns(minor, runtime.godebug, binary.default_godebug, &mut t);

    let name = HostName::new(host);
    let choice = if minor <= 20 {
        legacy_order(minor, binary, cgo_resolver, runtime, &netdns, &name, &mut t)
    } else {
        modern_order(minor, binary, cgo_resolver, runtime, &netdns, &name, &mut t)
    };

    t.go_line(format!("hostLookupOrder({host}) = {}", choice.go_name()));
    if netdns.level <= 1 {
        t.note(format!(
            "nsslint: the \"go package net:\" lines are what GODEBUG=netdns=2 would print; this run's \
             netdns debug level is {}, so it prints {}",
            netdns.level,
            if netdns.level == 1 { "only the resolver-mode line" } else { "none of them" }
        ));
    }

    let order = match choice {
        Choice::Go(order) => GoOrder::Go(order.lookup_order()),
        Choice::Cgo if !cgo_resolver => {
            // Unreachable from the rules above on Linux (without a cgo resolver, go1.13–go1.20 mark the
            // binary netgo, so the fallback is files,dns; go1.21+ never pick cgo), kept as a safety net that
            // mirrors lookup_unix.go go1.13–go1.20: when the cgo stub says "not done", use files,dns.
            t.note(
                "go1.13–go1.20: the cgo resolver is absent, so lookupHost falls back to Go's resolver with \
                 files,dns (src/net/lookup_unix.go)"
                    .to_string(),
            );
            GoOrder::Go(LookupOrder::files_dns())
        }
        Choice::Cgo => match runtime.libc_order {
            Some(libc) => {
                t.note(format!(
                    "nsslint: the lookup goes to libc's getaddrinfo, which tries {}",
                    libc.order
                ));
                for line in &libc.trace {
                    t.note(format!("libc: {line}"));
                }
                GoOrder::Cgo(libc.order.clone())
            }
            None => {
                t.note(
                    "nsslint: the lookup goes to libc's getaddrinfo; libc's order is unknown"
                        .to_string(),
                );
                GoOrder::CgoUnknownLibc
            }
        },
    };
    t.note(format!("nsslint: effective order for {host}: {order}"));

    Prediction {
        order,
        trace: t.lines,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Trace

#[derive(Default)]
struct Trace {
    lines: Vec<String>,
}

impl Trace {
    fn note(&mut self, line: String) {
        self.lines.push(line);
    }
    /// A line in the words of Go's own `GODEBUG=netdns=2` output.
    fn go_line(&mut self, msg: String) {
        self.lines.push(format!("go package net: {msg}"));
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The minor release whose rules apply, with a note when the version is outside what was verified.
fn effective_minor(v: GoVersion, t: &mut Trace) -> u32 {
    if v.major != 1 {
        t.note(format!(
            "nsslint: go{}.{} is not a Go 1 release; applying the rules of {} (not verified)",
            v.major,
            v.minor,
            fmt_version(LAST_VERIFIED)
        ));
        return if v.major > 1 {
            LAST_VERIFIED.minor
        } else {
            FIRST_VERIFIED.minor
        };
    }
    if v < FIRST_VERIFIED {
        t.note(format!(
            "nsslint: go1.{} is older than go1.13, the first release checked; applying the go1.13 rules \
             (not verified)",
            v.minor
        ));
        return FIRST_VERIFIED.minor;
    }
    if v > LAST_VERIFIED {
        t.note(format!(
            "nsslint: go1.{}.{} is newer than {}, the last release checked; applying its rules (not verified)",
            v.minor,
            v.patch,
            fmt_version(LAST_VERIFIED)
        ));
    }
    v.minor
}

fn fmt_version(v: GoVersion) -> String {
    format!("go{}.{}.{}", v.major, v.minor, v.patch)
}

// ---------------------------------------------------------------------------------------------------------
// GODEBUG netdns

/// The `netdns` setting as the runtime resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NetDns {
    /// The resolver mode: "" (none), "go", "cgo", or anything else (which Go ignores).
    mode: String,
    /// The debug level (1 prints the resolver mode, 2 also prints each lookup's order).
    level: u32,
}

impl NetDns {
    fn go(&self) -> bool {
        self.mode == "go"
    }
    fn cgo(&self) -> bool {
        self.mode == "cgo"
    }
}

fn resolve_netdns(minor: u32, env: Option<&str>, default: Option<&str>, t: &mut Trace) -> NetDns {
    let env_s = env.unwrap_or("");
    let value: String = if minor <= 19 {
        // go1.13–go1.17: src/net/parse.go; go1.18–go1.19: src/internal/godebug/godebug.go. Only the
        // environment is read, and the first `netdns=` entry wins.
        let file = if minor <= 17 {
            "src/net/parse.go"
        } else {
            "src/internal/godebug/godebug.go"
        };
        let found = godebug_first_match(env_s, "netdns");
        t.note(format!(
            "go1.13–go1.19: netdns is read from GODEBUG in the environment only, first entry wins → {} ({file})",
            describe_value(found)
        ));
        if default.is_some_and(|d| !d.is_empty()) {
            t.note(
                "go1.13–go1.19: a DefaultGODEBUG has no effect: the runtime has no built-in GODEBUG default \
                 before go1.20 (src/runtime/runtime.go)"
                    .to_string(),
            );
        }
        found.unwrap_or("").to_string()
    } else {
        // go1.20–go1.27: src/internal/godebug/godebug.go. The environment is parsed first, then the
        // built-in default; within each the last entry wins; a key set by the environment is never taken
        // from the default. go1.21+: a `#pattern` suffix (for bisect) is not part of the value.
        let from_env = godebug_last_match(env_s, "netdns");
        let from_default = godebug_last_match(default.unwrap_or(""), "netdns");
        let (raw, origin) = match (from_env, from_default) {
            (Some(v), _) => (Some(v), "GODEBUG"),
            (None, Some(v)) => (Some(v), "DefaultGODEBUG"),
            (None, None) => (None, ""),
        };
        let range = if minor == 20 {
            "go1.20"
        } else {
            "go1.21–go1.27"
        };
        match raw {
            Some(v) => t.note(format!(
                "{range}: netdns from {origin} (environment before build default, last entry wins) → {} \
                 (src/internal/godebug/godebug.go)",
                describe_value(Some(v))
            )),
            None => t.note(format!(
                "{range}: no netdns in GODEBUG or DefaultGODEBUG (src/internal/godebug/godebug.go)"
            )),
        }
        if from_env.is_some() && from_default.is_some() {
            t.note(format!(
                "{range}: GODEBUG's netdns={:?} replaces DefaultGODEBUG's netdns={:?} as a whole \
                 (src/internal/godebug/godebug.go)",
                from_env.unwrap_or(""),
                from_default.unwrap_or("")
            ));
        }
        if minor == 20 && default.is_some_and(|d| !d.is_empty()) {
            t.note(
                "go1.20: the runtime honours a built-in GODEBUG default, but cmd/go only records and sets \
                 DefaultGODEBUG from go1.21 (src/runtime/runtime.go)"
                    .to_string(),
            );
        }
        let mut v = raw.unwrap_or("");
        if minor >= 21 {
            if let Some(hash) = v.find('#') {
                t.note(format!(
                    "go1.21–go1.27: the \"#{}\" suffix selects call stacks for bisect and is not part of the \
                     value (src/internal/godebug/godebug.go)",
                    &v[hash + 1..]
                ));
                v = &v[..hash];
            }
        }
        v.to_string()
    };
    let parsed = parse_netdns(&value);
    if !value.is_empty() {
        t.note(format!(
            "go1.13–go1.27: netdns={value:?} → resolver mode {:?}, debug level {} (src/net/conf.go \
             goDebugNetDNS)",
            parsed.mode, parsed.level
        ));
    }
    parsed
}

fn describe_value(v: Option<&str>) -> String {
    match v {
        Some(v) => format!("netdns={v:?}"),
        None => "not set".to_string(),
    }
}

/// go1.13–go1.19: the first `key=` entry of a GODEBUG string, found the way Go found it: the key must start
/// the string or follow a comma, and the search stops one byte before a match could hold a non-empty value
/// (so a bare `key=` at the very end is not seen, and a later duplicate is never reached).
fn godebug_first_match<'s>(s: &'s str, key: &str) -> Option<&'s str> {
    let b = s.as_bytes();
    let k = key.as_bytes();
    let limit = b.len() as isize - k.len() as isize - 1;
    let mut i: isize = 0;
    while i < limit {
        let iu = i as usize;
        i += 1;
        if iu > 0 && b[iu - 1] != b',' {
            continue;
        }
        if b[iu + k.len()] != b'=' || &b[iu..iu + k.len()] != k {
            continue;
        }
        let rest = &s[iu + k.len() + 1..];
        return Some(rest.split(',').next().unwrap_or(""));
    }
    None
}

/// go1.20–go1.27: the last `key=value` entry of a GODEBUG string. Entries are split at commas; the name is
/// what precedes the first `=` of an entry; entries without `=` are skipped.
fn godebug_last_match<'s>(s: &'s str, key: &str) -> Option<&'s str> {
    if s.is_empty() {
        return None;
    }
    s.rsplit(',').find_map(|entry| {
        let (name, value) = entry.split_once('=')?;
        (name == key).then_some(value)
    })
}

/// Go's reading of a netdns value: at most one `+` splits it in two parts; a part starting with a digit is
/// the debug level (its leading digits), any other non-empty part is the mode; a later part wins.
fn parse_netdns(value: &str) -> NetDns {
    let mut out = NetDns {
        mode: String::new(),
        level: 0,
    };
    let mut part = |p: &str| {
        if p.is_empty() {
            return;
        }
        if p.as_bytes()[0].is_ascii_digit() {
            out.level = leading_decimal(p);
        } else {
            out.mode = p.to_string();
        }
    };
    match value.split_once('+') {
        Some((a, b)) => {
            part(a);
            part(b);
        }
        None => part(value),
    }
    out
}

/// Leading decimal digits, saturating at 0xFFFFFF as Go's `dtoi` does.
fn leading_decimal(s: &str) -> u32 {
    const BIG: u32 = 0xFF_FFFF;
    let mut n: u32 = 0;
    for c in s.bytes().take_while(u8::is_ascii_digit) {
        n = n * 10 + u32::from(c - b'0');
        if n >= BIG {
            return BIG;
        }
    }
    n
}

// ---------------------------------------------------------------------------------------------------------
// The name looked up

struct HostName {
    /// As given.
    raw: String,
    /// Without one trailing dot.
    trimmed: String,
}

impl HostName {
    fn new(host: &str) -> Self {
        HostName {
            raw: host.to_string(),
            trimmed: host.strip_suffix('.').unwrap_or(host).to_string(),
        }
    }
    fn has_backslash_or_percent(&self) -> bool {
        self.raw.contains('\\') || self.raw.contains('%')
    }
    fn is_dot_local(&self) -> bool {
        ends_with_fold(&self.trimmed, ".local")
    }
    /// A name that the `myhostname` NSS module answers (and Go leaves to libc when cgo may be used).
    fn is_myhostname_special(&self, minor: u32) -> bool {
        let h = &self.trimmed;
        let localhost = h.eq_ignore_ascii_case("localhost")
            || h.eq_ignore_ascii_case("localhost.localdomain")
            || ends_with_fold(h, ".localhost")
            || ends_with_fold(h, ".localhost.localdomain");
        // go1.13–go1.19: "gateway"; go1.20–go1.27: "_gateway" and "_outbound" (src/net/conf.go).
        let gateway = if minor <= 19 {
            h.eq_ignore_ascii_case("gateway")
        } else {
            h.eq_ignore_ascii_case("_gateway") || h.eq_ignore_ascii_case("_outbound")
        };
        localhost || gateway
    }
}

fn ends_with_fold(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

// ---------------------------------------------------------------------------------------------------------
// Go's own orders

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GoLookup {
    FilesDns,
    DnsFiles,
    Files,
    Dns,
}

impl GoLookup {
    fn lookup_order(self) -> LookupOrder {
        match self {
            GoLookup::FilesDns => LookupOrder::files_dns(),
            GoLookup::DnsFiles => LookupOrder::dns_files(),
            GoLookup::Files => LookupOrder::files(),
            GoLookup::Dns => LookupOrder::dns(),
        }
    }
}

/// What `hostLookupOrder` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Go(GoLookup),
    Cgo,
}

impl Choice {
    /// The name Go prints for it.
    fn go_name(self) -> &'static str {
        match self {
            Choice::Cgo => "cgo",
            Choice::Go(GoLookup::FilesDns) => "files,dns",
            Choice::Go(GoLookup::DnsFiles) => "dns,files",
            Choice::Go(GoLookup::Files) => "files",
            Choice::Go(GoLookup::Dns) => "dns",
        }
    }
}

fn is_files(s: &NssSource) -> bool {
    s.name == "files"
}
fn is_dns(s: &NssSource) -> bool {
    s.name == "dns"
}

/// Whether every criterion after a source is one that changes nothing (go1.13–go1.27 src/net/nss.go):
/// no negation; SUCCESS=return; NOTFOUND/UNAVAIL/TRYAGAIN=continue; and `return` for the last one.
fn standard_criteria(src: &NssSource) -> bool {
    let n = src.criteria.len();
    src.criteria.iter().enumerate().all(|(i, c)| {
        if c.negated {
            return false;
        }
        let status = c.status.to_ascii_lowercase();
        let action = c.action.to_ascii_lowercase();
        let default = match status.as_str() {
            "success" => "return",
            "notfound" | "unavail" | "tryagain" => "continue",
            _ => return false,
        };
        (i + 1 == n && action == "return") || action == default
    })
}

fn describe_source(src: &NssSource) -> String {
    let mut s = src.name.clone();
    for c in &src.criteria {
        s.push_str(&format!(
            " [{}{}={}]",
            if c.negated { "!" } else { "" },
            c.status,
            c.action
        ));
    }
    s
}

fn describe_hosts(srcs: &[NssSource]) -> String {
    srcs.iter()
        .map(describe_source)
        .collect::<Vec<_>>()
        .join(" ")
}

fn env_set_nonempty(v: Option<&str>) -> bool {
    v.is_some_and(|s| !s.is_empty())
}

/// The environment variables that make Go prefer libc, in the order Go's source names them.
fn resolver_env_reasons(runtime: &RuntimeInput) -> Vec<String> {
    let mut r = Vec::new();
    if let Some(ld) = runtime.localdomain {
        r.push(if ld.is_empty() {
            "LOCALDOMAIN is set (empty)".to_string()
        } else {
            "LOCALDOMAIN is set".to_string()
        });
    }
    if env_set_nonempty(runtime.res_options) {
        r.push("RES_OPTIONS is non-empty".to_string());
    }
    if env_set_nonempty(runtime.hostaliases) {
        r.push("HOSTALIASES is non-empty".to_string());
    }
    r
}

/// nsswitch.conf missing, or without `hosts` sources: Go does not fall back to libc but picks an order.
fn no_hosts_sources(minor: u32, what: &str, t: &mut Trace) -> Choice {
    if minor <= 15 {
        // go1.13–go1.15 src/net/conf.go: the linux special case quoting glibc's manual.
        t.note(format!(
            "go1.13–go1.15: {what} on linux → glibc's documented default \"dns [!UNAVAIL=return] files\" → \
             dns,files (src/net/conf.go)"
        ));
        Choice::Go(GoLookup::DnsFiles)
    } else {
        // go1.16–go1.27 src/net/conf.go: the linux special case is gone (golang/go#35305).
        let range = if minor <= 20 {
            "go1.16–go1.20"
        } else {
            "go1.21–go1.27"
        };
        t.note(format!(
            "{range}: {what} → files,dns (golang/go#35305; src/net/conf.go)"
        ));
        Choice::Go(GoLookup::FilesDns)
    }
}

// ---------------------------------------------------------------------------------------------------------
// go1.13–go1.20

fn legacy_order(
    minor: u32,
    binary: &GoBinaryInput,
    cgo_resolver: bool,
    runtime: &RuntimeInput,
    netdns: &NetDns,
    name: &HostName,
    t: &mut Trace,
) -> Choice {
    // The package-level "netGo" marker: set by the netgo tag and by any build without cgo.
    // go1.13–go1.18: src/net/cgo_stub.go ("!cgo || netgo"); go1.19–go1.20: src/net/netgo.go.
    let net_go_marker = binary.netgo_tag || !cgo_resolver;
    if net_go_marker {
        let file = if minor <= 18 {
            "src/net/cgo_stub.go"
        } else {
            "src/net/netgo.go"
        };
        let why = if binary.netgo_tag {
            "built with the netgo tag"
        } else {
            "built without the cgo resolver"
        };
        t.note(format!(
            "go1.13–go1.20: {why}: package net marks itself netgo, exactly as with -tags netgo ({file})"
        ));
    }
    // go1.13–go1.20: src/net/conf_netcgo.go (netcgo tag, which needs cgo to build).
    let net_cgo_marker = binary.netcgo_tag;

    let net_go = net_go_marker || netdns.go();
    let net_cgo = net_cgo_marker || netdns.cgo();

    // go1.13–go1.20 src/net/conf.go initConfVal: libc is forced when the environment carries resolver
    // options or cgo was asked for; nsswitch.conf is then never consulted.
    let mut force = resolver_env_reasons(runtime);
    if net_cgo {
        force.push(if net_cgo_marker {
            "built with the netcgo tag".into()
        } else {
            "GODEBUG netdns=cgo".into()
        });
    }
    let force_cgo = !force.is_empty();

    // What go1.19–go1.20 (level 2) and go1.13–go1.20 (level 1) print from initConfVal.
    if minor >= 19 {
        t.go_line(format!("confVal.netCgo = {net_cgo}  netGo = {net_go}"));
    }
    if net_go {
        if net_go_marker {
            t.go_line("built with netgo build tag; using Go's DNS resolver".into());
        } else {
            t.go_line("GODEBUG setting forcing use of Go's resolver".into());
        }
    } else if force_cgo {
        t.go_line("using cgo DNS resolver".into());
    } else {
        t.go_line("dynamic selection of DNS resolver".into());
    }

    // go1.13–go1.20 src/net/conf.go hostLookupOrder: what is returned when Go does not recognise something.
    let fallback = if net_go {
        Choice::Go(GoLookup::FilesDns)
    } else {
        Choice::Cgo
    };
    t.note(format!(
        "go1.13–go1.20: fallback order is {} ({}) (src/net/conf.go)",
        fallback.go_name(),
        if net_go {
            "Go's resolver is forced"
        } else {
            "libc may be used"
        }
    ));

    if force_cgo {
        t.note(format!(
            "go1.13–go1.20: {} → libc forced; hostLookupOrder returns the fallback {} without reading \
             nsswitch.conf (src/net/conf.go)",
            force.join(", "),
            fallback.go_name()
        ));
        return fallback;
    }
    if name.has_backslash_or_percent() {
        t.note(format!(
            "go1.13–go1.20: a name with '\\' or '%' → fallback {} (src/net/conf.go)",
            fallback.go_name()
        ));
        return fallback;
    }
    if name.is_dot_local() {
        t.note(format!(
            "go1.13–go1.20: a .local name (RFC 6762) → fallback {} (src/net/conf.go)",
            fallback.go_name()
        ));
        return fallback;
    }

    let srcs = match runtime.nsswitch {
        NsswitchView::Missing | NsswitchView::NoHostsLine => {
            let what = if matches!(runtime.nsswitch, NsswitchView::Missing) {
                "/etc/nsswitch.conf missing"
            } else {
                "/etc/nsswitch.conf has no hosts sources"
            };
            return no_hosts_sources(minor, what, t);
        }
        NsswitchView::Unreadable => {
            t.note(format!(
                "go1.13–go1.20: /etc/nsswitch.conf could not be opened, read or parsed → fallback {} \
                 (src/net/conf.go, src/net/nss.go)",
                fallback.go_name()
            ));
            if minor == 20 {
                t.note(
                    "go1.20: read errors (e.g. a directory) no longer make an error in Go's parser; only an \
                     open failure or a syntax error does (src/net/parse.go, src/net/nss.go)"
                        .to_string(),
                );
            }
            return fallback;
        }
        NsswitchView::Hosts(line) if line.sources.is_empty() => {
            return no_hosts_sources(minor, "/etc/nsswitch.conf has an empty hosts line", t);
        }
        NsswitchView::Hosts(line) => &line.sources,
    };
    t.note(format!(
        "go1.13–go1.20: hosts: {} (src/net/conf.go)",
        describe_hosts(srcs)
    ));

    let mut files = false;
    let mut dns = false;
    let mut mdns = false;
    let mut first: Option<GoLookup> = None;
    for src in srcs {
        if src.name == "myhostname" {
            if name.is_myhostname_special(minor) {
                t.note(format!(
                    "go1.13–go1.20: source myhostname and {} is one of its names → fallback {} (src/net/conf.go)",
                    name.trimmed,
                    fallback.go_name()
                ));
                return fallback;
            }
            t.note(
                "go1.13–go1.20: source myhostname skipped (the name is not localhost, the gateway, nor assumed \
                 to be the machine's host name) (src/net/conf.go)"
                    .to_string(),
            );
            continue;
        }
        if is_files(src) || is_dns(src) {
            if !standard_criteria(src) {
                t.note(format!(
                    "go1.13–go1.20: \"{}\" has criteria that change the lookup → fallback {} (src/net/conf.go)",
                    describe_source(src),
                    fallback.go_name()
                ));
                return fallback;
            }
            if is_files(src) {
                files = true;
                first.get_or_insert(GoLookup::Files);
            } else {
                dns = true;
                first.get_or_insert(GoLookup::Dns);
            }
            continue;
        }
        if src.name.starts_with("mdns") {
            mdns = true;
            t.note(format!(
                "go1.13–go1.20: source {} skipped (mdns*, which cannot answer a non-.local name) \
                 (src/net/conf.go)",
                src.name
            ));
            continue;
        }
        t.note(format!(
            "go1.13–go1.20: source {} is not implemented by Go → fallback {} (src/net/conf.go)",
            src.name,
            fallback.go_name()
        ));
        return fallback;
    }
    if mdns && runtime.mdns_allow_exists {
        t.note(format!(
            "go1.13–go1.20: an mdns* source with /etc/mdns.allow present → fallback {} (src/net/conf.go)",
            fallback.go_name()
        ));
        return fallback;
    }
    let choice = match (files, dns, first) {
        (true, true, Some(GoLookup::Files)) => Choice::Go(GoLookup::FilesDns),
        (true, true, _) => Choice::Go(GoLookup::DnsFiles),
        (true, false, _) => Choice::Go(GoLookup::Files),
        (false, true, _) => Choice::Go(GoLookup::Dns),
        (false, false, _) => {
            t.note(format!(
                "go1.13–go1.20: neither files nor dns listed → fallback {} (src/net/conf.go)",
                fallback.go_name()
            ));
            return fallback;
        }
    };
    t.note(format!(
        "go1.13–go1.20: Go follows the hosts line → {} (src/net/conf.go)",
        choice.go_name()
    ));
    choice
}

// ---------------------------------------------------------------------------------------------------------
// go1.21–go1.27

fn modern_order(
    minor: u32,
    binary: &GoBinaryInput,
    cgo_resolver: bool,
    runtime: &RuntimeInput,
    netdns: &NetDns,
    name: &HostName,
    t: &mut Trace,
) -> Choice {
    // go1.21–go1.27: cgoAvailable is a constant: true in src/net/cgo_unix.go ("!netgo && cgo"), false in
    // src/net/cgo_stub.go. netGoBuildTag / netCgoBuildTag: src/net/netgo_on.go, src/net/netcgo_on.go.
    let cgo_available = cgo_resolver;
    let net_go = binary.netgo_tag || netdns.go();
    let net_cgo = binary.netcgo_tag || netdns.cgo();

    // go1.21–go1.27 src/net/conf.go initConfVal: preferCgo only where the cgo resolver exists.
    let env_reasons = resolver_env_reasons(runtime);
    let prefer_cgo = cgo_available && !env_reasons.is_empty();

    t.go_line(format!("confVal.netCgo = {net_cgo}  netGo = {net_go}"));
    if minor <= 23 {
        // go1.21–go1.23 wording.
        if net_go {
            if binary.netgo_tag {
                t.go_line("built with netgo build tag; using Go's DNS resolver".into());
            } else {
                t.go_line("GODEBUG setting forcing use of Go's resolver".into());
            }
        } else if !cgo_available {
            t.go_line("cgo resolver not supported; using Go's DNS resolver".into());
        } else if net_cgo || prefer_cgo {
            t.go_line("using cgo DNS resolver".into());
        } else {
            t.go_line("dynamic selection of DNS resolver".into());
        }
    } else {
        // go1.24–go1.27 wording.
        if !netdns.mode.is_empty() && !netdns.go() && !netdns.cgo() {
            t.go_line("GODEBUG=netdns contains an invalid dns mode, ignoring it".into());
        }
        if binary.netgo_tag || !cgo_available {
            if netdns.cgo() {
                t.go_line(
                    "ignoring GODEBUG=netdns=cgo as the binary was compiled without support for the cgo resolver"
                        .into(),
                );
            } else {
                t.go_line("using the Go DNS resolver".into());
            }
        } else if binary.netcgo_tag {
            if netdns.go() {
                t.go_line("GODEBUG setting forcing use of the Go resolver".into());
            } else {
                t.go_line("using the cgo DNS resolver".into());
            }
        } else if netdns.go() {
            t.go_line("GODEBUG setting forcing use of the Go resolver".into());
        } else if netdns.cgo() {
            t.go_line("GODEBUG setting forcing use of the cgo resolver".into());
        } else {
            t.go_line("dynamic selection of DNS resolver".into());
        }
    }

    if !env_reasons.is_empty() && !cgo_available {
        t.note(format!(
            "go1.21–go1.27: {} but the binary has no cgo resolver → no preference for cgo (src/net/conf.go)",
            env_reasons.join(", ")
        ));
    }

    // go1.21–go1.27 src/net/conf.go lookupOrder.
    let fallback;
    let can_use_cgo;
    if net_go || !cgo_available {
        let why = match (binary.netgo_tag, netdns.go(), cgo_available) {
            (true, _, _) => "built with the netgo tag",
            (false, true, _) => "GODEBUG netdns=go",
            _ => "the binary has no cgo resolver",
        };
        if netdns.cgo() {
            t.note(
                "go1.21–go1.27: netdns=cgo cannot take effect: Go's resolver is required (src/net/conf.go)"
                    .to_string(),
            );
        }
        if prefer_cgo {
            t.note(format!(
                "go1.21–go1.27: {} would prefer cgo, but Go's resolver is required (src/net/conf.go)",
                env_reasons.join(", ")
            ));
        }
        t.note(format!(
            "go1.21–go1.27: {why} → Go's resolver must be used; fallback files,dns, and the hosts line is \
             followed as far as Go can (src/net/conf.go mustUseGoResolver)"
        ));
        fallback = Choice::Go(GoLookup::FilesDns);
        can_use_cgo = false;
    } else if net_cgo {
        let why = if binary.netcgo_tag {
            "built with the netcgo tag"
        } else {
            "GODEBUG netdns=cgo"
        };
        t.note(format!(
            "go1.21–go1.27: {why} → cgo, without reading nsswitch.conf (src/net/conf.go)"
        ));
        return Choice::Cgo;
    } else if prefer_cgo {
        t.note(format!(
            "go1.21–go1.27: {} → cgo preferred, without reading nsswitch.conf (src/net/conf.go)",
            env_reasons.join(", ")
        ));
        return Choice::Cgo;
    } else {
        if name.has_backslash_or_percent() {
            t.note("go1.21–go1.27: a name with '\\' or '%' → cgo (src/net/conf.go)".to_string());
            return Choice::Cgo;
        }
        t.note(
            "go1.21–go1.27: no resolver requested and cgo available → fallback cgo; Go decides from \
             nsswitch.conf (src/net/conf.go)"
                .to_string(),
        );
        fallback = Choice::Cgo;
        can_use_cgo = true;
    }

    if minor <= 22 && can_use_cgo && name.is_dot_local() {
        t.note("go1.21–go1.22: a .local name (RFC 6762) → cgo (src/net/conf.go)".to_string());
        return Choice::Cgo;
    }

    let srcs = match runtime.nsswitch {
        NsswitchView::Missing | NsswitchView::NoHostsLine => {
            let what = if matches!(runtime.nsswitch, NsswitchView::Missing) {
                "/etc/nsswitch.conf missing"
            } else {
                "/etc/nsswitch.conf has no hosts sources"
            };
            return no_hosts_sources(minor, what, t);
        }
        NsswitchView::Unreadable => {
            t.note(format!(
                "go1.21–go1.27: /etc/nsswitch.conf could not be opened or parsed → fallback {} \
                 (src/net/conf.go, src/net/nss.go); a directory or read error reads as an empty file \
                 (src/net/parse.go)",
                fallback.go_name()
            ));
            return fallback;
        }
        NsswitchView::Hosts(line) if line.sources.is_empty() => {
            return no_hosts_sources(minor, "/etc/nsswitch.conf has an empty hosts line", t);
        }
        NsswitchView::Hosts(line) => &line.sources,
    };
    t.note(format!(
        "go1.21–go1.27: hosts: {} (src/net/conf.go)",
        describe_hosts(srcs)
    ));

    let mut files = false;
    let mut dns = false;
    let mut first: Option<GoLookup> = None;
    // Whether "dns" is listed anywhere (computed lazily in Go; the same answer).
    let dns_listed = srcs.iter().any(is_dns);
    for src in srcs {
        if is_files(src) || is_dns(src) {
            if !standard_criteria(src) {
                if can_use_cgo {
                    t.note(format!(
                        "go1.21–go1.27: \"{}\" has criteria that change the lookup → cgo (src/net/conf.go)",
                        describe_source(src)
                    ));
                    return Choice::Cgo;
                }
                t.note(format!(
                    "go1.21–go1.27: criteria of \"{}\" ignored: Go's resolver is required (src/net/conf.go)",
                    describe_source(src)
                ));
            }
            if is_files(src) {
                files = true;
                first.get_or_insert(GoLookup::Files);
            } else {
                dns = true;
                first.get_or_insert(GoLookup::Dns);
            }
            continue;
        }
        if can_use_cgo {
            let named = !name.trimmed.is_empty();
            if named && src.name == "myhostname" {
                if name.is_myhostname_special(minor) {
                    t.note(format!(
                        "go1.21–go1.27: source myhostname and {} is one of its names → cgo (src/net/conf.go)",
                        name.trimmed
                    ));
                    return Choice::Cgo;
                }
                t.note(
                    "go1.21–go1.27: source myhostname skipped (the name is not localhost, _gateway, \
                     _outbound, nor assumed to be the machine's host name) (src/net/conf.go)"
                        .to_string(),
                );
                continue;
            }
            if named && src.name.starts_with("mdns") {
                if minor >= 23 && name.is_dot_local() {
                    t.note(format!(
                        "go1.23–go1.27: source {} and a .local name (RFC 6762) → cgo (src/net/conf.go)",
                        src.name
                    ));
                    return Choice::Cgo;
                }
                if runtime.mdns_allow_exists {
                    t.note(format!(
                        "go1.21–go1.27: source {} with /etc/mdns.allow present → cgo (src/net/conf.go)",
                        src.name
                    ));
                    return Choice::Cgo;
                }
                t.note(format!(
                    "go1.21–go1.27: source {} skipped (no /etc/mdns.allow) (src/net/conf.go)",
                    src.name
                ));
                continue;
            }
            t.note(format!(
                "go1.21–go1.27: source {} is not implemented by Go → cgo (src/net/conf.go)",
                src.name
            ));
            return Choice::Cgo;
        }
        // Go's resolver is required: an unknown source stands for DNS, unless dns is listed anyway.
        if dns_listed {
            t.note(format!(
                "go1.21–go1.27: source {} ignored (Go's resolver is required and dns is listed) \
                 (src/net/conf.go)",
                src.name
            ));
        } else {
            t.note(format!(
                "go1.21–go1.27: source {} counted as dns (Go's resolver is required and dns is not listed) \
                 (src/net/conf.go)",
                src.name
            ));
            dns = true;
            first.get_or_insert(GoLookup::Dns);
        }
    }
    let choice = match (files, dns, first) {
        (true, true, Some(GoLookup::Files)) => Choice::Go(GoLookup::FilesDns),
        (true, true, _) => Choice::Go(GoLookup::DnsFiles),
        (true, false, _) => Choice::Go(GoLookup::Files),
        (false, true, _) => Choice::Go(GoLookup::Dns),
        (false, false, _) => {
            t.note(format!(
                "go1.21–go1.27: neither files nor dns listed → fallback {} (src/net/conf.go)",
                fallback.go_name()
            ));
            return fallback;
        }
    };
    t.note(format!(
        "go1.21–go1.27: Go follows the hosts line → {} (src/net/conf.go)",
        choice.go_name()
    ));
    choice
}

#[cfg(test)]
#[path = "go_tests.rs"]
mod tests;
