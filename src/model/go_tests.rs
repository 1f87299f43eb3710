//! Tests of the Go resolver model. Expected values are written out by hand from reading the Go sources
//! (and FACTS.md §1's observations), never computed by the model itself.

use super::*;
use crate::facts::nsswitch::{HostsLine, NssCriterion};

// ---- helpers -------------------------------------------------------------------------------------------

fn ver(minor: u32, patch: u32) -> GoVersion {
    GoVersion {
        major: 1,
        minor,
        patch,
    }
}

/// A hand-built hosts line, for tests only: sources separated by spaces, `[..]` after a source.
fn hosts(spec: &str) -> NsswitchView {
    let mut sources: Vec<NssSource> = Vec::new();
    let mut rest = spec.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']').expect("test spec: unclosed [");
            let last = sources
                .last_mut()
                .expect("test spec: criteria without a source");
            for item in after[..close].split_whitespace() {
                let (negated, item) = match item.strip_prefix('!') {
                    Some(i) => (true, i),
                    None => (false, item),
                };
                let (status, action) = item
                    .split_once('=')
                    .expect("test spec: criterion without =");
                last.criteria.push(NssCriterion {
                    negated,
                    status: status.to_ascii_uppercase(),
                    action: action.to_ascii_lowercase(),
                });
            }
            rest = after[close + 1..].trim_start();
        } else {
            let end = rest.find([' ', '[']).unwrap_or(rest.len());
            sources.push(NssSource {
                name: rest[..end].to_string(),
                criteria: vec![],
            });
            rest = rest[end..].trim_start();
        }
    }
    NsswitchView::Hosts(HostsLine { sources })
}

fn libc_dns_files() -> Prediction<LookupOrder> {
    Prediction {
        order: LookupOrder::dns_files(),
        trace: vec!["glibc: hosts: dns files".into()],
    }
}

struct Case<'a> {
    version: GoVersion,
    cgo: bool,
    netgo: bool,
    netcgo: bool,
    default_godebug: Option<&'a str>,
    godebug: Option<&'a str>,
    localdomain: Option<&'a str>,
    res_options: Option<&'a str>,
    hostaliases: Option<&'a str>,
    nss: NsswitchView,
    mdns_allow: bool,
    libc: Option<Prediction<LookupOrder>>,
    host: &'a str,
}

impl<'a> Case<'a> {
    fn new(minor: u32, patch: u32, cgo: bool, nss: NsswitchView) -> Self {
        Case {
            version: ver(minor, patch),
            cgo,
            netgo: false,
            netcgo: false,
            default_godebug: None,
            godebug: None,
            localdomain: None,
            res_options: None,
            hostaliases: None,
            nss,
            mdns_allow: false,
            libc: Some(libc_dns_files()),
            host: ORDINARY_HOST,
        }
    }
    fn run(&self) -> Prediction<GoOrder> {
        let b = GoBinaryInput {
            version: self.version,
            cgo_resolver: self.cgo,
            netgo_tag: self.netgo,
            netcgo_tag: self.netcgo,
            default_godebug: self.default_godebug,
        };
        let r = RuntimeInput {
            godebug: self.godebug,
            localdomain: self.localdomain,
            res_options: self.res_options,
            hostaliases: self.hostaliases,
            nsswitch: &self.nss,
            mdns_allow_exists: self.mdns_allow,
            libc_order: self.libc.as_ref(),
        };
        predict_host(&b, &r, self.host)
    }
    fn order(&self) -> String {
        self.run().order.to_string()
    }
}

// ---- the exhaustive matrix -------------------------------------------------------------------------------

/// The nsswitch states of the matrix, in the column order of the expected rows below.
fn matrix_nss() -> Vec<(&'static str, NsswitchView)> {
    vec![
        ("missing", NsswitchView::Missing),
        ("unreadable", NsswitchView::Unreadable),
        ("no hosts line", NsswitchView::NoHostsLine),
        ("files dns", hosts("files dns")),
        ("dns files", hosts("dns files")),
        ("files", hosts("files")),
        ("dns", hosts("dns")),
        (
            "files mdns4_minimal [NOTFOUND=return] dns",
            hosts("files mdns4_minimal [NOTFOUND=return] dns"),
        ),
        ("files myhostname dns", hosts("files myhostname dns")),
        (
            "files resolve [!UNAVAIL=return] dns",
            hosts("files resolve [!UNAVAIL=return] dns"),
        ),
        (
            "files [SUCCESS=continue] dns",
            hosts("files [SUCCESS=continue] dns"),
        ),
    ]
}

const C: &str = "cgo:dns,files"; // what the (test) libc does
const FD: &str = "files,dns";
const DF: &str = "dns,files";
const F: &str = "files";
const D: &str = "dns";

// go1.13–go1.15, cgo available, no resolver requested.
const E1_CGO_DYNAMIC: [&str; 11] = [DF, C, DF, FD, DF, F, D, FD, FD, C, C];
// go1.13–go1.15, Go's resolver forced (netdns=go, or no cgo resolver): unknowns fall back to files,dns.
const E1_GO: [&str; 11] = [DF, FD, DF, FD, DF, F, D, FD, FD, FD, FD];
// go1.16–go1.27, cgo available, no resolver requested.
const E2_CGO_DYNAMIC: [&str; 11] = [FD, C, FD, FD, DF, F, D, FD, FD, C, C];
// go1.16–go1.27, Go's resolver forced.
const E2_GO: [&str; 11] = [FD, FD, FD, FD, DF, F, D, FD, FD, FD, FD];
const ALL_CGO: [&str; 11] = [C; 11];
// go1.13–go1.20 without cgo but netdns=cgo: libc "forced", so the fallback files,dns is used unconditionally.
const ALL_FD: [&str; 11] = [FD; 11];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    Go,
    Cgo,
}

/// The netdns mode the runtime ends up with, by hand: env GODEBUG beats DefaultGODEBUG for the key as a
/// whole (so `netdns=2` drops a default `cgo`); DefaultGODEBUG only exists from go1.21.
fn expected_mode(godebug: Option<&str>, default: Option<&str>) -> Mode {
    match (godebug, default) {
        (Some("netdns=go"), _) => Mode::Go,
        (Some("netdns=cgo"), _) | (Some("netdns=cgo+2"), _) => Mode::Cgo,
        (Some("netdns=2"), _) => Mode::None,
        (None, Some("netdns=cgo")) => Mode::Cgo,
        (None, None) => Mode::None,
        other => panic!("no expectation for {other:?}"),
    }
}

fn expected_row(minor: u32, cgo: bool, mode: Mode) -> [&'static str; 11] {
    let early = minor <= 15;
    let legacy = minor <= 20;
    match (cgo, mode) {
        (true, Mode::None) => {
            if early {
                E1_CGO_DYNAMIC
            } else {
                E2_CGO_DYNAMIC
            }
        }
        (true, Mode::Cgo) => ALL_CGO,
        (false, Mode::Cgo) if legacy => ALL_FD,
        (_, _) => {
            if early {
                E1_GO
            } else {
                E2_GO
            }
        }
    }
}

fn late_patch(minor: u32) -> u32 {
    match minor {
        13..=16 => 15,
        17 => 13,
        18 => 10,
        19 => 13,
        20 => 14,
        21 => 13,
        22 => 12,
        23 => 12,
        24 => 11,
        25 => 5,
        26 => 6,
        27 => 3,
        _ => unreachable!(),
    }
}

#[test]
fn matrix_every_release_nsswitch_cgo_godebug_default() {
    let godebugs = [
        None,
        Some("netdns=go"),
        Some("netdns=cgo"),
        Some("netdns=2"),
        Some("netdns=cgo+2"),
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for minor in 13..=27 {
        let defaults: &[Option<&str>] = if minor >= 21 {
            &[None, Some("netdns=cgo")]
        } else {
            &[None]
        };
        for patch in [0, late_patch(minor)] {
            for cgo in [true, false] {
                for &godebug in &godebugs {
                    for &default in defaults {
                        let row = expected_row(minor, cgo, expected_mode(godebug, default));
                        for (i, (label, nss)) in matrix_nss().into_iter().enumerate() {
                            let mut case = Case::new(minor, patch, cgo, nss);
                            case.godebug = godebug;
                            case.default_godebug = default;
                            let got = case.order();
                            checked += 1;
                            if got != row[i] {
                                failures.push(format!(
                                    "go1.{minor}.{patch} cgo={cgo} GODEBUG={godebug:?} default={default:?} \
                                     hosts={label}: got {got}, want {}",
                                    row[i]
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(checked, 2 * 2 * 5 * 11 * (8 + 7 * 2));
}

// ---- FACTS.md §1, cell by cell ---------------------------------------------------------------------------

#[test]
fn facts_section_1_observed_cells() {
    // (minor, patch, nsswitch, want) — same with CGO_ENABLED=0 and =1.
    let cells: &[(u32, u32, &str, &str)] = &[
        (13, 8, "missing", DF),
        (13, 8, "no hosts line", DF),
        (13, 8, "files dns", FD),
        (13, 8, "dns files", DF),
        (15, 7, "missing", DF),
        (15, 15, "missing", DF),
        (15, 15, "no hosts line", DF),
        (15, 15, "files dns", FD),
        (15, 15, "dns files", DF),
        (16, 0, "missing", FD),
        (16, 0, "no hosts line", FD),
        (16, 0, "files dns", FD),
        (16, 0, "dns files", DF),
        (19, 8, "missing", FD),
        (21, 13, "missing", FD),
        (23, 12, "no hosts line", FD),
        (27, 3, "missing", FD),
        (27, 3, "no hosts line", FD),
        (27, 3, "files dns", FD),
        (27, 3, "dns files", DF),
    ];
    for &(minor, patch, label, want) in cells {
        for cgo in [true, false] {
            let nss = matrix_nss()
                .into_iter()
                .find(|(l, _)| *l == label)
                .unwrap()
                .1;
            let got = Case::new(minor, patch, cgo, nss).order();
            assert_eq!(got, want, "go1.{minor}.{patch} cgo={cgo} {label}");
        }
    }
    // Sources Go does not implement, go1.15–go1.27.
    for minor in 15..=27 {
        for cgo in [true, false] {
            assert_eq!(
                Case::new(
                    minor,
                    0,
                    cgo,
                    hosts("files mdns4_minimal [NOTFOUND=return] dns")
                )
                .order(),
                FD
            );
            assert_eq!(
                Case::new(minor, 0, cgo, hosts("files myhostname dns")).order(),
                FD
            );
        }
        assert_eq!(
            Case::new(minor, 0, true, hosts("files resolve [!UNAVAIL=return] dns")).order(),
            C
        );
        assert_eq!(
            Case::new(
                minor,
                0,
                false,
                hosts("files resolve [!UNAVAIL=return] dns")
            )
            .order(),
            FD
        );
    }
}

// ---- GODEBUG and DefaultGODEBUG ---------------------------------------------------------------------------

#[test]
fn facts_netdns_2_replaces_default_cgo_and_cgo_plus_2_keeps_it() {
    let mut c = Case::new(21, 1, true, hosts("files dns"));
    c.default_godebug = Some("panicnil=1,netdns=cgo");
    assert_eq!(c.order(), C);
    c.godebug = Some("netdns=2");
    assert_eq!(c.order(), FD);
    c.godebug = Some("netdns=cgo+2");
    assert_eq!(c.order(), C);
    // An empty value in the environment also claims the key.
    c.godebug = Some("netdns=");
    assert_eq!(c.order(), FD);
}

#[test]
fn godebug_first_entry_wins_until_go1_19_last_from_go1_20() {
    for (minor, want) in [
        (13, DF),
        (17, DF),
        (18, DF),
        (19, DF),
        (20, C),
        (21, C),
        (27, C),
    ] {
        let mut c = Case::new(minor, 0, true, hosts("dns files"));
        c.godebug = Some("netdns=go,netdns=cgo");
        assert_eq!(c.order(), want, "go1.{minor}");
    }
}

#[test]
fn godebug_key_must_start_an_entry() {
    let mut c = Case::new(19, 0, true, hosts("files resolve dns"));
    for (godebug, want) in [
        ("http2client=0,netdns=go", FD),
        ("xnetdns=go", C),
        ("netdns=go+1", FD),
        ("netdns=1+go", FD),
        ("netdns=go+cgo", C),
        ("netdns=2+cgo+x", C),
        ("netdns=Go", C), // modes are case-sensitive: unknown mode, dynamic selection
        (" netdns=go", C),
    ] {
        c.godebug = Some(godebug);
        assert_eq!(c.order(), want, "GODEBUG={godebug}");
    }
}

#[test]
fn godebug_bare_key_at_end_is_not_found_before_go1_20() {
    assert_eq!(godebug_first_match("netdns=", "netdns"), None);
    assert_eq!(godebug_first_match("a=1,netdns=", "netdns"), None);
    assert_eq!(godebug_first_match("netdns=,netdns=go", "netdns"), Some(""));
    assert_eq!(godebug_first_match("netdns=g", "netdns"), Some("g"));
    assert_eq!(
        godebug_first_match("netdnsx=go,netdns=cgo", "netdns"),
        Some("cgo")
    );
    assert_eq!(
        godebug_last_match("netdns=go,netdns=cgo", "netdns"),
        Some("cgo")
    );
    assert_eq!(godebug_last_match("netdns=go,netdns", "netdns"), Some("go"));
    assert_eq!(godebug_last_match("netdns=a=b", "netdns"), Some("a=b"));
    assert_eq!(godebug_last_match("", "netdns"), None);
}

#[test]
fn netdns_value_parsing() {
    let p = |s: &str| {
        let n = parse_netdns(s);
        (n.mode, n.level)
    };
    assert_eq!(p("go"), ("go".to_string(), 0));
    assert_eq!(p("cgo+2"), ("cgo".to_string(), 2));
    assert_eq!(p("2+cgo"), ("cgo".to_string(), 2));
    assert_eq!(p("12x"), (String::new(), 12));
    assert_eq!(p("cgo+go"), ("go".to_string(), 0));
    assert_eq!(p("1+2+cgo"), (String::new(), 2));
    assert_eq!(p("99999999"), (String::new(), 0xFF_FFFF));
    assert_eq!(p(""), (String::new(), 0));
}

#[test]
fn bisect_suffix_is_stripped_from_go1_21_only() {
    let mut c = Case::new(20, 0, true, hosts("files dns"));
    c.godebug = Some("netdns=cgo#0101");
    assert_eq!(c.order(), FD, "go1.20 sees the invalid mode \"cgo#0101\"");
    c.version = ver(21, 0);
    assert_eq!(c.order(), C);
}

#[test]
fn default_godebug_is_ignored_before_go1_20() {
    for minor in [13, 16, 19] {
        let mut c = Case::new(minor, 0, true, hosts("files dns"));
        c.default_godebug = Some("netdns=cgo");
        assert_eq!(c.order(), FD, "go1.{minor}");
    }
    let mut c = Case::new(21, 0, true, hosts("files resolve dns"));
    c.default_godebug = Some("netdns=go");
    assert_eq!(c.order(), FD);
}

// ---- build tags --------------------------------------------------------------------------------------------

#[test]
fn netcgo_tag() {
    // go1.13–go1.20: libc forced; with netdns=go as well, the fallback files,dns is used without reading
    // nsswitch.conf. go1.21+: netdns=go wins outright and the hosts line is followed.
    for (minor, want_plain, want_with_go) in [(13, C, FD), (20, C, FD), (21, C, DF), (27, C, DF)] {
        let mut c = Case::new(minor, 0, true, hosts("dns files"));
        c.netcgo = true;
        assert_eq!(c.order(), want_plain, "go1.{minor}");
        c.godebug = Some("netdns=go");
        assert_eq!(c.order(), want_with_go, "go1.{minor} netdns=go");
    }
}

#[test]
fn netgo_tag_wins_over_netdns_cgo() {
    for (minor, want) in [(15, FD), (20, FD), (21, DF), (24, DF)] {
        let mut c = Case::new(minor, 0, false, hosts("dns files"));
        c.netgo = true;
        c.godebug = Some("netdns=cgo");
        assert_eq!(c.order(), want, "go1.{minor}");
        // Inconsistent input (netgo yet a cgo resolver) is treated as netgo.
        c.cgo = true;
        assert_eq!(c.order(), want, "go1.{minor} cgo+netgo");
    }
}

// ---- environment -------------------------------------------------------------------------------------------

#[test]
fn localdomain_set_even_empty_prefers_libc() {
    for minor in [13, 16, 20, 21, 27] {
        let mut c = Case::new(minor, 0, true, hosts("files dns"));
        c.localdomain = Some("");
        assert_eq!(c.order(), C, "go1.{minor}");
    }
    // Without a cgo resolver: go1.13–go1.20 "force" libc, so the fallback files,dns is used without
    // reading nsswitch.conf; go1.21+ ignore the variable.
    for (minor, nss, want) in [
        (15, NsswitchView::Missing, FD),
        (15, hosts("dns files"), FD),
        (20, hosts("dns"), FD),
        (21, hosts("dns files"), DF),
        (21, hosts("dns"), D),
    ] {
        let mut c = Case::new(minor, 0, false, nss);
        c.localdomain = Some("example.org");
        assert_eq!(c.order(), want, "go1.{minor}");
    }
}

#[test]
fn res_options_and_hostaliases_only_when_non_empty() {
    for minor in [14, 21] {
        let mut c = Case::new(minor, 0, true, hosts("files dns"));
        c.res_options = Some("");
        c.hostaliases = Some("");
        assert_eq!(c.order(), FD);
        c.res_options = Some("ndots:2");
        assert_eq!(c.order(), C);
        c.res_options = None;
        c.hostaliases = Some("/etc/host.aliases");
        assert_eq!(c.order(), C);
    }
}

// ---- nsswitch.conf details ---------------------------------------------------------------------------------

#[test]
fn mdns_allow_sends_mdns_lines_to_libc() {
    for minor in [13, 20, 21, 27] {
        let mut c = Case::new(
            minor,
            0,
            true,
            hosts("files mdns4_minimal [NOTFOUND=return] dns"),
        );
        c.mdns_allow = true;
        assert_eq!(c.order(), C, "go1.{minor}");
        // No mdns source: the file does not matter.
        c.nss = hosts("files dns");
        assert_eq!(c.order(), FD, "go1.{minor}");
    }
    // Without cgo: go1.13–go1.20 use the fallback files,dns; go1.21+ skip the check.
    for (minor, want) in [(13, FD), (20, FD), (21, DF), (27, DF)] {
        let mut c = Case::new(minor, 0, false, hosts("dns mdns4 files"));
        c.mdns_allow = true;
        assert_eq!(c.order(), want, "go1.{minor}");
    }
}

#[test]
fn unknown_sources_without_cgo() {
    // go1.13–go1.20: an unknown source → fallback files,dns; mdns* skipped.
    // go1.21+: an unknown source stands for DNS where dns is not listed.
    let cases: &[(&str, &str, &str)] = &[
        // (hosts, go1.20, go1.21)
        ("resolve files", FD, DF),
        ("files resolve", FD, FD),
        ("files mdns4", F, FD),
        ("mdns4_minimal [NOTFOUND=return] files", F, DF),
        ("myhostname", FD, D),
        ("files myhostname", F, FD),
        ("resolve [!UNAVAIL=return] dns files", FD, DF),
        ("mymachines resolve", FD, D),
        // dns listed later: the unknown source before it is ignored, not counted as DNS.
        ("resolve files dns", FD, FD),
        ("mdns4_minimal [NOTFOUND=return] files dns", FD, FD),
        ("myhostname files dns", FD, FD),
        ("files dns resolve", FD, FD),
    ];
    for &(line, want20, want21) in cases {
        assert_eq!(
            Case::new(20, 14, false, hosts(line)).order(),
            want20,
            "go1.20 {line}"
        );
        assert_eq!(
            Case::new(21, 0, false, hosts(line)).order(),
            want21,
            "go1.21 {line}"
        );
        assert_eq!(
            Case::new(27, 3, false, hosts(line)).order(),
            want21,
            "go1.27 {line}"
        );
    }
    // With cgo every one of them that names a non-mdns, non-myhostname unknown goes to libc.
    assert_eq!(Case::new(21, 0, true, hosts("resolve files")).order(), C);
    assert_eq!(Case::new(21, 0, true, hosts("files mdns4")).order(), F);
    assert_eq!(Case::new(20, 0, true, hosts("files mdns4")).order(), F);
    assert_eq!(
        Case::new(21, 0, true, hosts("myhostname")).order(),
        C,
        "no files or dns: fallback"
    );
}

#[test]
fn criteria() {
    let cases: &[(&str, bool)] = &[
        // (hosts, standard?)
        ("files [SUCCESS=return] dns", true),
        ("files dns [NOTFOUND=return]", true),
        ("files dns [notfound=return]", true),
        // Go's quirk: "return" is accepted for whatever criterion comes last *in the brackets*, so a lone
        // NOTFOUND=return counts as standard even on files (glibc would stop there; Go goes on to DNS).
        ("files [NOTFOUND=return] dns", true),
        ("files [UNAVAIL=continue NOTFOUND=return] dns", true),
        ("files [NOTFOUND=return UNAVAIL=continue] dns", false),
        ("files [NOTFOUND=continue] dns", true),
        ("files dns [UNAVAIL=continue TRYAGAIN=return]", true),
        ("files dns [TRYAGAIN=return UNAVAIL=continue]", false),
        ("files [!NOTFOUND=continue] dns", false),
        ("files [SUCCESS=merge] dns", false),
        ("files [BOGUS=return] dns", false),
    ];
    for &(line, standard) in cases {
        for minor in [13, 20, 21, 27] {
            let got = Case::new(minor, 0, true, hosts(line)).order();
            assert_eq!(got, if standard { FD } else { C }, "go1.{minor} cgo {line}");
        }
        // Without cgo the criteria never matter for this order (fallback is files,dns; go1.21 ignores them).
        assert_eq!(
            Case::new(16, 0, false, hosts(line)).order(),
            FD,
            "go1.16 {line}"
        );
        assert_eq!(
            Case::new(21, 0, false, hosts(line)).order(),
            FD,
            "go1.21 {line}"
        );
    }
    // glibc's old default written out: go1.13–go1.20 without cgo fall back to files,dns; go1.21+ follow it.
    let line = "dns [!UNAVAIL=return] files";
    assert_eq!(Case::new(20, 0, false, hosts(line)).order(), FD);
    assert_eq!(Case::new(21, 0, false, hosts(line)).order(), DF);
    assert_eq!(Case::new(20, 0, true, hosts(line)).order(), C);
    assert_eq!(Case::new(21, 0, true, hosts(line)).order(), C);
}

#[test]
fn empty_hosts_line_is_like_no_hosts_line() {
    let empty = NsswitchView::Hosts(HostsLine { sources: vec![] });
    assert_eq!(Case::new(15, 0, true, empty.clone()).order(), DF);
    assert_eq!(Case::new(16, 0, true, empty.clone()).order(), FD);
    assert_eq!(Case::new(21, 0, true, empty).order(), FD);
}

// ---- names that matter -------------------------------------------------------------------------------------

#[test]
fn dot_local_names() {
    let mdns = "files mdns4_minimal [NOTFOUND=return] dns";
    let cases: &[(u32, bool, &str, &str)] = &[
        (13, true, "files dns", C),
        (20, true, "files dns", C),
        (22, true, "files dns", C),
        (23, true, "files dns", FD), // go1.23: only with an mdns source
        (23, true, mdns, C),
        (27, true, mdns, C),
        (13, false, "dns files", FD), // fallback of a netgo binary
        (20, false, "dns files", FD),
        (21, false, "dns files", DF),
        (27, false, mdns, FD),
    ];
    for &(minor, cgo, line, want) in cases {
        let mut c = Case::new(minor, 0, cgo, hosts(line));
        c.host = "printer.LOCAL.";
        assert_eq!(c.order(), want, "go1.{minor} cgo={cgo} {line}");
    }
}

#[test]
fn backslash_or_percent_names() {
    for (minor, cgo, want) in [
        (13, true, C),
        (21, true, C),
        (16, false, FD),
        (21, false, DF),
    ] {
        let mut c = Case::new(minor, 0, cgo, hosts("dns files"));
        c.host = "fe80::1%eth0";
        assert_eq!(c.order(), want, "go1.{minor} cgo={cgo}");
    }
}

#[test]
fn myhostname_names() {
    let line = hosts("files myhostname dns");
    let cases: &[(u32, &str, &str)] = &[
        (13, "localhost", C),
        (13, "gateway", C),
        (19, "_gateway", FD),
        (20, "gateway", FD),
        (20, "_gateway", C),
        (20, "_outbound", C),
        (21, "foo.localhost", C),
        (27, "_gateway", C),
    ];
    for &(minor, host, want) in cases {
        let mut c = Case::new(minor, 0, true, line.clone());
        c.host = host;
        assert_eq!(c.order(), want, "go1.{minor} {host}");
    }
}

// ---- output and trace --------------------------------------------------------------------------------------

#[test]
fn display_and_serialisation() {
    assert_eq!(
        GoOrder::Go(LookupOrder::files_dns()).to_string(),
        "files,dns"
    );
    assert_eq!(
        GoOrder::Cgo(LookupOrder::files_dns()).to_string(),
        "cgo:files,dns"
    );
    assert_eq!(GoOrder::CgoUnknownLibc.to_string(), "cgo:unknown");
    assert_eq!(
        serde_json::to_string(&GoOrder::Cgo(LookupOrder::dns())).unwrap(),
        "\"cgo:dns\""
    );
    assert_eq!(
        serde_json::to_string(&GoOrder::Go(LookupOrder::files())).unwrap(),
        "\"files\""
    );
}

#[test]
fn unknown_libc() {
    let mut c = Case::new(21, 0, true, hosts("files resolve dns"));
    c.libc = None;
    assert_eq!(c.order(), "cgo:unknown");
    c.libc = Some(Prediction {
        order: LookupOrder::files_dns(),
        trace: vec![],
    });
    assert_eq!(c.order(), "cgo:files,dns");
}

fn has_line(p: &Prediction<GoOrder>, needle: &str) -> bool {
    p.trace.iter().any(|l| l == needle)
}

fn has_part(p: &Prediction<GoOrder>, needle: &str) -> bool {
    p.trace.iter().any(|l| l.contains(needle))
}

#[test]
fn trace_reads_like_netdns_2() {
    let p = Case::new(15, 15, true, NsswitchView::Missing).run();
    assert!(
        has_line(&p, "go package net: dynamic selection of DNS resolver"),
        "{:#?}",
        p.trace
    );
    assert!(
        has_line(
            &p,
            "go package net: hostLookupOrder(myhost.test) = dns,files"
        ),
        "{:#?}",
        p.trace
    );
    assert!(
        has_part(
            &p,
            "go1.13–go1.15: /etc/nsswitch.conf missing on linux → glibc's documented default"
        ),
        "{:#?}",
        p.trace
    );
    assert!(has_part(&p, "resolv.conf is not modelled"));
    assert!(
        !has_part(&p, "confVal.netCgo"),
        "go1.15 does not print the confVal line"
    );

    // A go1.13 binary without cgo calls itself netgo.
    let p = Case::new(13, 0, false, hosts("files dns")).run();
    assert!(has_line(
        &p,
        "go package net: built with netgo build tag; using Go's DNS resolver"
    ));

    let mut c = Case::new(19, 0, true, hosts("files resolve dns"));
    c.godebug = Some("netdns=cgo+2");
    let p = c.run();
    assert!(
        has_line(&p, "go package net: confVal.netCgo = true  netGo = false"),
        "{:#?}",
        p.trace
    );
    assert!(has_line(&p, "go package net: using cgo DNS resolver"));
    assert!(has_line(
        &p,
        "go package net: hostLookupOrder(myhost.test) = cgo"
    ));
    assert!(has_line(&p, "libc: glibc: hosts: dns files"));

    let p = Case::new(21, 0, false, hosts("files dns")).run();
    assert!(has_line(
        &p,
        "go package net: cgo resolver not supported; using Go's DNS resolver"
    ));

    let mut c = Case::new(24, 0, false, hosts("files dns"));
    c.godebug = Some("netdns=cgo");
    let p = c.run();
    assert!(has_line(
        &p,
        "go package net: ignoring GODEBUG=netdns=cgo as the binary was compiled without support for the cgo resolver"
    ));
    c.godebug = Some("netdns=bogus");
    let p = c.run();
    assert!(has_line(
        &p,
        "go package net: GODEBUG=netdns contains an invalid dns mode, ignoring it"
    ));

    let mut c = Case::new(27, 3, true, hosts("files dns"));
    c.default_godebug = Some("netdns=cgo");
    let p = c.run();
    assert!(has_line(
        &p,
        "go package net: GODEBUG setting forcing use of the cgo resolver"
    ));
    assert!(has_part(&p, "netdns from DefaultGODEBUG"));
}

#[test]
fn every_decision_line_cites_a_release_range_and_file() {
    let mut seen = 0;
    for minor in [13, 16, 20, 21, 23, 27] {
        for (_, nss) in matrix_nss() {
            for cgo in [true, false] {
                let p = Case::new(minor, 0, cgo, nss.clone()).run();
                for line in p.trace.iter().filter(|l| l.starts_with("go1.")) {
                    seen += 1;
                    assert!(
                        line.contains('–') || line.starts_with("go1.20:"),
                        "no range: {line}"
                    );
                    assert!(
                        line.contains("(src/") || line.contains("; src/"),
                        "no file: {line}"
                    );
                }
            }
        }
    }
    assert!(seen > 100);
}

#[test]
fn versions_outside_the_checked_range_say_so() {
    let p = Case::new(12, 17, true, NsswitchView::Missing).run();
    assert_eq!(p.order.to_string(), DF);
    assert!(has_part(&p, "older than go1.13"));
    let p = Case::new(28, 0, true, NsswitchView::Missing).run();
    assert_eq!(p.order.to_string(), FD);
    assert!(has_part(&p, "newer than go1.27.3"));
}
