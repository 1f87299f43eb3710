//! glibc's and musl's host lookup order.
//!
//! - musl never reads `/etc/nsswitch.conf`: `__lookup_name` (src/network/lookup_name.c, the same from musl
//!   1.1.24 to 1.2.5 and master) answers a null name and numeric addresses itself, then tries
//!   `/etc/hosts`, then DNS only if `/etc/hosts` gave no address.
//! - glibc follows the `hosts` line of nsswitch.conf as its own parser reads it
//!   ([`crate::facts::nsswitch::read_as_glibc`]), service by service, each service's criteria deciding on
//!   which status the chain stops. Without a hosts line it uses a built-in default, which changed in glibc
//!   2.35 (bug 28700, commit b99b0f93ee "nss: Use "files dns" as the default for the hosts database",
//!   listed in the 2.35 NEWS): `dns [!UNAVAIL=return] files` up to 2.34 (nss/hosts-lookup.c
//!   `DEFAULT_CONFIG` up to 2.32, nss/nss_database.c in 2.33 and 2.34), `files dns` from 2.35.

use super::{HostSource, LookupOrder, Prediction};
use crate::facts::libc::GlibcVersion;
use crate::facts::nsswitch::{HostsLine, NssCriterion, NssSource, NsswitchView};

/// The first glibc release whose built-in hosts default is `files dns`.
pub const GLIBC_FILES_DNS_DEFAULT_SINCE: GlibcVersion = GlibcVersion::new(2, 35);

/// musl's order for an ordinary host name: `/etc/hosts`, then DNS.
pub fn predict_musl() -> Prediction<LookupOrder> {
    let order = LookupOrder::files_dns();
    let trace = vec![
        "musl: /etc/nsswitch.conf is never read (musl has no NSS; src/network/lookup_name.c __lookup_name \
         decides alone)"
            .to_string(),
        "musl: a null name and numeric addresses are answered without any lookup (name_from_null, \
         name_from_numeric)"
            .to_string(),
        "musl: /etc/hosts is read first (name_from_hosts); DNS is asked, with resolv.conf's search domains, only \
         when /etc/hosts has no address for the name (name_from_dns_search)"
            .to_string(),
        format!("musl: host lookup order = {order}"),
    ];
    Prediction { order, trace }
}

/// glibc's order for an ordinary host name, given its release (`None`: unknown) and nsswitch.conf as that
/// release's parser reads it ([`NsswitchFile::view_as_glibc`](crate::facts::nsswitch::NsswitchFile)).
///
/// The order lists the services of the hosts line in file order; a service's criteria may end the lookup
/// before later services on some statuses, which the trace says. Errors, with the reason:
/// - the answer depends on the release (missing file or no hosts line: the built-in default changed in
///   2.35) and the release is unknown;
/// - the file is `Unreadable`: glibc's behaviour depends on why (see the message).
pub fn predict_glibc(
    version: Option<GlibcVersion>,
    nss: &NsswitchView,
) -> Result<Prediction<LookupOrder>, String> {
    let release = version.map_or_else(|| "glibc".to_string(), |v| format!("glibc {v}"));
    match nss {
        NsswitchView::Missing => builtin_default(version, "/etc/nsswitch.conf does not exist"),
        NsswitchView::NoHostsLine => {
            builtin_default(version, "/etc/nsswitch.conf has no hosts line glibc uses")
        }
        NsswitchView::Unreadable => Err(format!(
            "{release}: /etc/nsswitch.conf exists but its contents are unknown, and what glibc does then \
             depends on why: if open() fails (EACCES, EPERM, ELOOP, ENOTDIR) it uses the built-in default; if \
             open() succeeds but reading fails (a directory) glibc 2.33+ fails every NSS lookup \
             (nss/nss_database.c nss_database_reload) while 2.32 and earlier use the default; contents the scan \
             did not capture could say anything"
        )),
        NsswitchView::Hosts(line) => Ok(follow_line(
            &release,
            line,
            "/etc/nsswitch.conf".to_string(),
        )),
    }
}

fn builtin_default(
    version: Option<GlibcVersion>,
    why: &str,
) -> Result<Prediction<LookupOrder>, String> {
    let Some(version) = version else {
        return Err(format!(
            "{why}, so glibc uses its built-in hosts default, which depends on the release: \
             `dns [!UNAVAIL=return] files` before {GLIBC_FILES_DNS_DEFAULT_SINCE}, `files dns` from \
             {GLIBC_FILES_DNS_DEFAULT_SINCE} (glibc bug 28700); the glibc release is unknown"
        ));
    };
    let (line, origin) = if version >= GLIBC_FILES_DNS_DEFAULT_SINCE {
        (
            HostsLine {
                sources: vec![source("files", vec![]), source("dns", vec![])],
            },
            "the built-in default of glibc 2.35+ (nss/nss_database.c, glibc bug 28700)",
        )
    } else {
        let not_unavail_return = NssCriterion {
            negated: true,
            status: "UNAVAIL".into(),
            action: "return".into(),
        };
        (
            HostsLine {
                sources: vec![
                    source("dns", vec![not_unavail_return]),
                    source("files", vec![]),
                ],
            },
            if version >= GlibcVersion::new(2, 33) {
                "the built-in default of glibc before 2.35 (nss/nss_database.c in 2.33-2.34)"
            } else {
                "the built-in default of glibc before 2.35 (nss/hosts-lookup.c DEFAULT_CONFIG up to 2.32)"
            },
        )
    };
    let release = format!("glibc {version}");
    let mut prediction = follow_line(&release, &line, origin.to_string());
    prediction.trace.insert(0, format!("{release}: {why}"));
    Ok(prediction)
}

fn source(name: &str, criteria: Vec<NssCriterion>) -> NssSource {
    NssSource {
        name: name.to_string(),
        criteria,
    }
}

/// The order and trace for one hosts line; `origin` says where the line comes from.
fn follow_line(release: &str, line: &HostsLine, origin: String) -> Prediction<LookupOrder> {
    let mut trace = Vec::new();
    if line.sources.is_empty() {
        trace.push(format!(
            "{release}: hosts lists no service in {origin} (an empty hosts line, or a file glibc 2.33+ \
             rejected): glibc consults neither /etc/hosts nor DNS and every host lookup fails"
        ));
        let order = LookupOrder(Vec::new());
        trace.push(format!("{release}: host lookup order = (none)"));
        return Prediction { order, trace };
    }
    trace.push(format!("{release}: hosts: {line} (from {origin})"));
    for service in &line.sources {
        if let HostSource::Other(name) = host_source(&service.name) {
            trace.push(format!(
                "{release}: {name} comes from libnss_{name}.so.2; where the image lacks that library glibc \
                 skips the service with status UNAVAIL (observed with glibc 2.31 and 2.36)"
            ));
        }
    }
    for (index, service) in line.sources.iter().enumerate() {
        let Some(next) = line.sources.get(index + 1) else {
            break;
        };
        let actions = status_actions(&service.criteria);
        if actions == DEFAULT_ACTIONS {
            continue;
        }
        let on = |wanted: &str| {
            let statuses: Vec<&str> = STATUSES
                .iter()
                .zip(actions)
                .filter(|(_, action)| *action == wanted)
                .map(|(status, _)| *status)
                .collect();
            statuses.join(", ")
        };
        let mut sentence = format!("{release}: after {service}, the lookup ");
        match (on("return").as_str(), on("continue").as_str()) {
            (_, "") => sentence.push_str(&format!("always ends: {} is never consulted", next.name)),
            (stops, goes_on) => sentence.push_str(&format!(
                "ends on {stops}; {} is consulted only on {goes_on}",
                next.name
            )),
        }
        let merges = on("merge");
        if !merges.is_empty() {
            sentence.push_str(&format!(" (merge on {merges})"));
        }
        trace.push(sentence);
    }
    let order = LookupOrder(line.sources.iter().map(|s| host_source(&s.name)).collect());
    trace.push(format!("{release}: host lookup order = {order}"));
    Prediction { order, trace }
}

fn host_source(name: &str) -> HostSource {
    match name {
        "files" => HostSource::Files,
        "dns" => HostSource::Dns,
        other => HostSource::Other(other.to_string()),
    }
}

const STATUSES: [&str; 4] = ["SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN"];
/// What a service does on each of [`STATUSES`] when it has no criteria (nss_action_parse.c,
/// nsswitch.c): stop on success, go on otherwise.
const DEFAULT_ACTIONS: [&str; 4] = ["return", "continue", "continue", "continue"];

/// The action for each of [`STATUSES`] after applying `criteria` in order, as glibc does: `STATUS=action`
/// sets one; `!STATUS=action` sets all the others.
fn status_actions(criteria: &[NssCriterion]) -> [&str; 4] {
    let mut actions = DEFAULT_ACTIONS;
    for criterion in criteria {
        let Some(index) = STATUSES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(&criterion.status))
        else {
            continue;
        };
        if criterion.negated {
            let kept = actions[index];
            actions = [criterion.action.as_str(); 4];
            actions[index] = kept;
        } else {
            actions[index] = criterion.action.as_str();
        }
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::nsswitch::{parse_as_glibc, NsswitchFile};

    fn v(minor: u32) -> Option<GlibcVersion> {
        Some(GlibcVersion::new(2, minor))
    }

    fn hosts(contents: &str, minor: u32) -> NsswitchView {
        parse_as_glibc(contents, v(minor)).unwrap()
    }

    #[test]
    fn musl_is_files_then_dns() {
        let prediction = predict_musl();
        assert_eq!(prediction.order.to_string(), "files,dns");
        assert!(!prediction.order.dns_before_files());
        assert!(prediction
            .trace
            .iter()
            .any(|t| t.contains("src/network/lookup_name.c")));
        assert_eq!(
            prediction.trace.last().unwrap(),
            "musl: host lookup order = files,dns"
        );
    }

    #[test]
    fn glibc_table() {
        let mdns = "hosts: files mdns4_minimal [NOTFOUND=return] dns\n";
        // (glibc minor or None, view, order or Err)
        let cases: Vec<(Option<GlibcVersion>, NsswitchView, Result<&str, ()>)> = vec![
            // FACTS.md §2, glibc 2.36: missing → files first; files dns → files first; dns files → DNS first.
            (v(36), NsswitchView::Missing, Ok("files,dns")),
            (v(36), hosts("hosts: files dns\n", 36), Ok("files,dns")),
            (v(36), hosts("hosts: dns files\n", 36), Ok("dns,files")),
            // The built-in default, on both sides of 2.35 and of the 2.33 parser change.
            (v(31), NsswitchView::Missing, Ok("dns,files")),
            (v(32), NsswitchView::NoHostsLine, Ok("dns,files")),
            (v(33), NsswitchView::Missing, Ok("dns,files")),
            (v(34), NsswitchView::NoHostsLine, Ok("dns,files")),
            (v(35), NsswitchView::Missing, Ok("files,dns")),
            (v(35), NsswitchView::NoHostsLine, Ok("files,dns")),
            (v(40), NsswitchView::NoHostsLine, Ok("files,dns")),
            (None, NsswitchView::Missing, Err(())),
            (None, NsswitchView::NoHostsLine, Err(())),
            // A hosts line decides whatever the release.
            (None, hosts("hosts: dns files\n", 36), Ok("dns,files")),
            (v(31), hosts(mdns, 31), Ok("files,mdns4_minimal,dns")),
            (
                v(36),
                hosts("hosts: files resolve [!UNAVAIL=return] dns\n", 36),
                Ok("files,resolve,dns"),
            ),
            // glibc 2.33+: an empty hosts line or a rejected file consults nothing.
            (v(36), hosts("hosts:\n", 36), Ok("")),
            (v(36), hosts("hosts: files [foo=bar] dns\n", 36), Ok("")),
            // glibc 2.31 reads the same rejected line as no hosts line: the default.
            (
                v(31),
                hosts("hosts: files [foo=bar] dns\n", 31),
                Ok("dns,files"),
            ),
            // Unreadable: unknown.
            (v(36), NsswitchView::Unreadable, Err(())),
            (v(31), NsswitchView::Unreadable, Err(())),
        ];
        for (version, view, want) in cases {
            let got = predict_glibc(version, &view);
            match (got, want) {
                (Ok(p), Ok(order)) => assert_eq!(p.order.to_string(), order, "{version:?} {view}"),
                (Err(_), Err(())) => {}
                (got, want) => panic!("{version:?} {view}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn default_flips_exactly_at_2_35() {
        for minor in 0..=45 {
            let order = predict_glibc(v(minor), &NsswitchView::Missing)
                .unwrap()
                .order;
            assert_eq!(
                order.dns_before_files(),
                minor < 35,
                "glibc 2.{minor}: {order}"
            );
        }
    }

    #[test]
    fn traces_say_why() {
        let old = predict_glibc(v(31), &NsswitchView::Missing).unwrap().trace;
        assert_eq!(
            old,
            vec![
                "glibc 2.31: /etc/nsswitch.conf does not exist",
                "glibc 2.31: hosts: dns [!UNAVAIL=return] files (from the built-in default of glibc before 2.35 \
                 (nss/hosts-lookup.c DEFAULT_CONFIG up to 2.32))",
                "glibc 2.31: after dns [!UNAVAIL=return], the lookup ends on SUCCESS, NOTFOUND, TRYAGAIN; files \
                 is consulted only on UNAVAIL",
                "glibc 2.31: host lookup order = dns,files",
            ]
        );
        let new = predict_glibc(v(36), &NsswitchView::NoHostsLine)
            .unwrap()
            .trace;
        assert!(new[1].contains("glibc bug 28700"), "{new:?}");

        let mdns = hosts("hosts: files mdns4_minimal [NOTFOUND=return] dns\n", 36);
        let trace = predict_glibc(v(36), &mdns).unwrap().trace;
        assert!(
            trace[1].starts_with("glibc 2.36: mdns4_minimal comes from libnss_mdns4_minimal.so.2")
        );
        assert_eq!(
            trace[2],
            "glibc 2.36: after mdns4_minimal [NOTFOUND=return], the lookup ends on SUCCESS, NOTFOUND; dns is \
             consulted only on UNAVAIL, TRYAGAIN"
        );

        let never = hosts(
            "hosts: files [NOTFOUND=return UNAVAIL=return TRYAGAIN=return] dns\n",
            36,
        );
        let trace = predict_glibc(v(36), &never).unwrap().trace;
        assert!(
            trace[1].ends_with("the lookup always ends: dns is never consulted"),
            "{trace:?}"
        );

        let unknown = predict_glibc(None, &NsswitchView::Missing).unwrap_err();
        assert!(
            unknown.contains("the glibc release is unknown"),
            "{unknown}"
        );
        let unreadable = predict_glibc(v(36), &NsswitchView::Unreadable).unwrap_err();
        assert!(unreadable.contains("depends on why"), "{unreadable}");
    }

    #[test]
    fn negated_criterion_keeps_its_own_status() {
        let negated = [NssCriterion {
            negated: true,
            status: "UNAVAIL".into(),
            action: "return".into(),
        }];
        assert_eq!(
            status_actions(&negated),
            ["return", "return", "continue", "return"]
        );
        let two = [
            NssCriterion {
                negated: true,
                status: "UNAVAIL".into(),
                action: "return".into(),
            },
            NssCriterion {
                negated: false,
                status: "NOTFOUND".into(),
                action: "continue".into(),
            },
        ];
        assert_eq!(
            status_actions(&two),
            ["return", "continue", "continue", "return"]
        );
    }

    #[test]
    fn from_the_file_through_both_parsers() {
        // The same file, two releases: 2.31 cuts the comment, 2.36 reads `# files` as services.
        let file = NsswitchFile::Present {
            contents: "hosts: dns # files\n".into(),
        };
        let old = predict_glibc(v(31), &file.view_as_glibc(v(31)).unwrap()).unwrap();
        let new = predict_glibc(v(36), &file.view_as_glibc(v(36)).unwrap()).unwrap();
        assert_eq!(old.order.to_string(), "dns");
        assert_eq!(new.order.to_string(), "dns,#,files");
        assert!(old.order.dns_before_files() && new.order.dns_before_files());
        // A file without a final newline: 2.36 ignores the line and falls back to `files dns`.
        let file = NsswitchFile::Present {
            contents: "hosts: dns files".into(),
        };
        let new = predict_glibc(v(36), &file.view_as_glibc(v(36)).unwrap()).unwrap();
        assert_eq!(new.order.to_string(), "files,dns");
    }
}
