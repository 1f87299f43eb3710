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
//!
//! The order predicted is the *effective* one: the services glibc calls for an ordinary name that the
//! services before each one do not know, with DNS reachable, in the image as it is (a service whose
//! `libnss_<name>.so.2` the image lacks is never called). With glibc 2.31 and no nsswitch.conf that is
//! `dns`, not `dns,files`: NXDOMAIN ends the lookup and `/etc/hosts` is read only when no DNS server
//! answers, exactly what tests/oracle observes.

use super::{HostSource, LookupOrder, Prediction};
use crate::facts::libc::GlibcVersion;
use crate::facts::nsswitch::{HostsLine, NssCriterion, NssSource, NsswitchView};
use std::collections::BTreeMap;

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

/// What glibc finds in the image when a host lookup reaches an NSS service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NssContext {
    /// Service name (`files`, `mdns4_minimal`, ...) → path of the image's `libnss_<service>.so.2`, for each
    /// such library in a directory glibc's loader searches.
    pub modules: BTreeMap<String, String>,
    /// `/etc/mdns.allow` exists: nss-mdns's full modules (`mdns`, `mdns4`, `mdns6`) then try the names it
    /// lists, not only `.local` ones.
    pub mdns_allow: bool,
}

/// glibc's effective order for an ordinary host name (not `.local`, not the machine's own name, not
/// `localhost`), with DNS reachable, given the release (`None`: unknown), nsswitch.conf as that release's
/// parser reads it ([`NsswitchFile::view_as_glibc`](crate::facts::nsswitch::NsswitchFile)) and the NSS
/// modules the image has.
///
/// The order lists the services glibc calls, in line order, for a name that the services before each one
/// do not know, and stops where a service's criteria say `return` for the status that service then
/// returns (nss/nsswitch.c `nss_next_action`; sysdeps/posix/getaddrinfo.c `gaih_inet` breaks out of its
/// loop on `NSS_ACTION_RETURN`, `merge` goes on like `continue`). So `dns [!UNAVAIL=return] files` is
/// `dns`: DNS answers NXDOMAIN with NOTFOUND, which returns, and `/etc/hosts` is read only when no DNS
/// server answers (UNAVAIL). A service whose module cannot be loaded is not called: glibc gives it the
/// status UNAVAIL and its criteria decide. Errors, with the reason:
/// - the answer depends on the release (missing file or no hosts line: the built-in default changed in
///   2.35; `files`/`dns` without their modules: built in only since 2.34) and the release is unknown;
/// - the answer depends on what a service returns that nsslint does not model (`ldap`, `sss`, ...) or on
///   a daemon (`mdns*` with `/etc/mdns.allow`: avahi-daemon);
/// - the file is `Unreadable`: glibc's behaviour depends on why (see the message).
pub fn predict_glibc(
    version: Option<GlibcVersion>,
    nss: &NsswitchView,
    context: &NssContext,
) -> Result<Prediction<LookupOrder>, String> {
    let release = version.map_or_else(|| "glibc".to_string(), |v| format!("glibc {v}"));
    match nss {
        NsswitchView::Missing => {
            builtin_default(version, context, "/etc/nsswitch.conf does not exist")
        }
        NsswitchView::NoHostsLine => builtin_default(
            version,
            context,
            "/etc/nsswitch.conf has no hosts line glibc uses",
        ),
        NsswitchView::Unreadable => Err(format!(
            "{release}: /etc/nsswitch.conf exists but its contents are unknown, and what glibc does then \
             depends on why: if open() fails (EACCES, EPERM, ELOOP, ENOTDIR) it uses the built-in default; if \
             open() succeeds but reading fails (a directory) glibc 2.33+ fails every NSS lookup \
             (nss/nss_database.c nss_database_reload) while 2.32 and earlier use the default; contents the scan \
             did not capture could say anything"
        )),
        NsswitchView::Hosts(line) => follow_line(
            &release,
            version,
            line,
            "/etc/nsswitch.conf".to_string(),
            context,
        ),
    }
}

fn builtin_default(
    version: Option<GlibcVersion>,
    context: &NssContext,
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
    let mut prediction = follow_line(&release, Some(version), &line, origin.to_string(), context)?;
    prediction.trace.insert(0, format!("{release}: {why}"));
    Ok(prediction)
}

fn source(name: &str, criteria: Vec<NssCriterion>) -> NssSource {
    NssSource {
        name: name.to_string(),
        criteria,
    }
}

/// The first glibc release with `files` and `dns` built into libc: nss/nss_module.c `module_load` binds
/// them without dlopen (`module_load_nss_files`, `module_load_nss_dns`, glibc 2.34; libnss_files.so.2 and
/// libnss_dns.so.2 remain as empty stubs). Before, they are modules like any other.
pub const GLIBC_BUILTIN_FILES_DNS_SINCE: GlibcVersion = GlibcVersion::new(2, 34);

/// An NSS status, in the order of [`STATUSES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotFound = 1,
    Unavail = 2,
}

impl Status {
    fn name(self) -> &'static str {
        STATUSES[self as usize]
    }
}

/// Whether glibc can call a service, and how the trace names where it comes from.
enum Loading {
    /// Built into libc (files, dns from 2.34).
    Builtin,
    /// `libnss_<name>.so.2` at this path.
    Module(String),
    /// No module in the image.
    Missing,
    /// files/dns with an unknown release and no module: built in from 2.34, missing before.
    Unknown,
}

/// One service of the line: how it loads, what it returns for an ordinary name it does not know, and why.
struct Step<'a> {
    service: &'a NssSource,
    loading: Loading,
    /// The possible statuses when it is called; more than one when it depends on something nsslint
    /// cannot see (a daemon, a service nsslint does not model).
    statuses: Vec<Status>,
    /// Why it returns that, with the source that says so.
    why: String,
}

fn loading(name: &str, version: Option<GlibcVersion>, context: &NssContext) -> Loading {
    let builtin = matches!(name, "files" | "dns");
    match version {
        Some(v) if builtin && v >= GLIBC_BUILTIN_FILES_DNS_SINCE => Loading::Builtin,
        _ => match context.modules.get(name) {
            Some(path) => Loading::Module(path.clone()),
            None if builtin && version.is_none() => Loading::Unknown,
            None => Loading::Missing,
        },
    }
}

/// What a service returns for an ordinary name it does not know, in a container (no avahi-daemon, no
/// systemd-resolved on a system bus), with DNS reachable.
fn statuses_for(name: &str, context: &NssContext) -> (Vec<Status>, String) {
    use Status::*;
    let mdns_minimal = matches!(name, "mdns_minimal" | "mdns4_minimal" | "mdns6_minimal");
    let mdns_full = matches!(name, "mdns" | "mdns4" | "mdns6");
    match name {
        "files" => (
            vec![NotFound],
            "NOTFOUND for a name /etc/hosts does not list (UNAVAIL only if /etc/hosts cannot be opened; \
             container runtimes provide one)"
                .into(),
        ),
        "dns" => (
            vec![NotFound],
            "NOTFOUND when a DNS server answers that it does not know the name (NXDOMAIN); SUCCESS, which \
             always ends the lookup, when it does; UNAVAIL only when no DNS server answers"
                .into(),
        ),
        "myhostname" => (
            vec![NotFound],
            "NOTFOUND for any name but the machine's own, localhost, _gateway and _outbound (systemd \
             src/nss-myhostname/nss-myhostname.c)"
                .into(),
        ),
        "resolve" => (
            vec![Unavail],
            "UNAVAIL when it cannot talk to systemd-resolved, which a container does not run \
             (systemd src/nss-resolve/nss-resolve.c: \"Return NSS_STATUS_UNAVAIL when communication with \
             systemd-resolved fails\"); NOTFOUND where resolved answers"
                .into(),
        ),
        _ if mdns_minimal || (mdns_full && !context.mdns_allow) => (
            vec![Unavail],
            "UNAVAIL for a name outside .local, without asking anyone (nss-mdns src/nss.c \
             _nss_mdns_gethostbyname_impl: a name verify_name_allowed_with_soa skips gets \
             NSS_STATUS_UNAVAIL; the minimal modules and the full ones without /etc/mdns.allow allow only \
             .local)"
                .into(),
        ),
        _ if mdns_full => (
            vec![Unavail, NotFound],
            "with /etc/mdns.allow, for a name it allows: UNAVAIL without a reachable avahi-daemon, NOTFOUND \
             when avahi-daemon does not know the name (nss-mdns src/nss.c)"
                .into(),
        ),
        other => (
            vec![NotFound, Unavail],
            format!("what {other} returns is not modelled by nsslint (NOTFOUND or UNAVAIL)"),
        ),
    }
}

/// The order and trace for one hosts line; `origin` says where the line comes from.
fn follow_line(
    release: &str,
    version: Option<GlibcVersion>,
    line: &HostsLine,
    origin: String,
    context: &NssContext,
) -> Result<Prediction<LookupOrder>, String> {
    let mut trace = Vec::new();
    if line.sources.is_empty() {
        trace.push(format!(
            "{release}: hosts lists no service in {origin} (an empty hosts line, or a file glibc 2.33+ \
             rejected): glibc consults neither /etc/hosts nor DNS and every host lookup fails"
        ));
        let order = LookupOrder(Vec::new());
        trace.push(format!("{release}: host lookup order = (none)"));
        return Ok(Prediction { order, trace });
    }
    trace.push(format!("{release}: hosts: {line} (from {origin})"));
    let steps: Vec<Step> = line
        .sources
        .iter()
        .map(|service| {
            let (statuses, why) = statuses_for(&service.name, context);
            Step {
                service,
                loading: loading(&service.name, version, context),
                statuses,
                why,
            }
        })
        .collect();
    for (index, step) in steps.iter().enumerate() {
        trace.push(describe(release, step, steps.get(index + 1)));
    }
    let mut orders = Vec::new();
    walk(&steps, 0, Vec::new(), &mut orders);
    orders.dedup();
    orders.sort_by_key(|o| o.to_string());
    orders.dedup();
    match orders.as_slice() {
        [order] => {
            trace.push(format!(
                "{release}: host lookup order = {} (for a name neither source before a service knows, DNS \
                 reachable)",
                if order.0.is_empty() {
                    "(none)".to_string()
                } else {
                    order.to_string()
                }
            ));
            Ok(Prediction {
                order: order.clone(),
                trace,
            })
        }
        _ => {
            let possible: Vec<String> = orders.iter().map(ToString::to_string).collect();
            Err(format!(
                "{release} with hosts: {line}: the order depends on {} (possible orders: {})",
                steps
                    .iter()
                    .filter(|s| s.statuses.len() > 1 || matches!(s.loading, Loading::Unknown))
                    .map(|s| match s.loading {
                        Loading::Unknown => format!(
                            "whether {} is built in (glibc 2.34+) or missing (no libnss_{}.so.2 in the \
                             image), the glibc release being unknown",
                            s.service.name, s.service.name
                        ),
                        _ => format!("what {} returns: {}", s.service.name, s.why),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                possible.join(" / ")
            ))
        }
    }
}

/// Every order the line can give, one per combination of the steps' unknowns.
fn walk(steps: &[Step], index: usize, order: Vec<HostSource>, out: &mut Vec<LookupOrder>) {
    let Some(step) = steps.get(index) else {
        out.push(LookupOrder(order));
        return;
    };
    let loads: &[bool] = match step.loading {
        Loading::Builtin | Loading::Module(_) => &[true],
        Loading::Missing => &[false],
        Loading::Unknown => &[true, false],
    };
    let actions = status_actions(&step.service.criteria);
    for &loaded in loads {
        // A service glibc cannot load is never called: nss/nsswitch.c (`__nss_lookup_function` returns
        // NULL) and sysdeps/posix/getaddrinfo.c (`status = NSS_STATUS_UNAVAIL`).
        let statuses = if loaded {
            step.statuses.clone()
        } else {
            vec![Status::Unavail]
        };
        for status in statuses {
            let mut next = order.clone();
            if loaded {
                next.push(host_source(&step.service.name));
            }
            if actions[status as usize] == "return" {
                out.push(LookupOrder(next));
            } else {
                walk(steps, index + 1, next, out);
            }
        }
    }
}

/// One trace line per service: where glibc gets it, what it returns, and whether the lookup goes on.
fn describe(release: &str, step: &Step, next: Option<&Step>) -> String {
    let name = &step.service.name;
    let actions = status_actions(&step.service.criteria);
    let after = |status: Status| -> String {
        let action = actions[status as usize];
        let goes_on = action != "return";
        match (goes_on, next) {
            (true, Some(n)) => format!("{} → {action}: on to {}", status.name(), n.service.name),
            (true, None) => format!("{} → {action}: no service left", status.name()),
            (false, _) => format!("{} → return: the lookup ends here", status.name()),
        }
    };
    let missing = |why: &str| {
        format!(
            "{release}: {}: {why}; glibc cannot call it and treats it as UNAVAIL (nss/nss_module.c \
             module_load: dlopen failed; sysdeps/posix/getaddrinfo.c: no function → \
             NSS_STATUS_UNAVAIL): {}",
            step.service,
            after(Status::Unavail)
        )
    };
    match &step.loading {
        Loading::Missing => missing(&format!("libnss_{name}.so.2 is not in the image's library directories")),
        Loading::Unknown => format!(
            "{release}: {}: built into libc from glibc 2.34; before, libnss_{name}.so.2, which the image \
             lacks (UNAVAIL: {}); when called it returns {}",
            step.service,
            after(Status::Unavail),
            statuses_text(step, &after)
        ),
        loaded => {
            let from = match loaded {
                Loading::Module(path) => path.clone(),
                _ => "built into libc (glibc 2.34+, nss/nss_module.c)".to_string(),
            };
            format!(
                "{release}: {} ({from}): returns {}",
                step.service,
                statuses_text(step, &after)
            )
        }
    }
}

fn statuses_text(step: &Step, after: &dyn Fn(Status) -> String) -> String {
    let outcomes: Vec<String> = step.statuses.iter().map(|s| after(*s)).collect();
    format!("{} ({})", outcomes.join(" or "), step.why)
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

    /// An image whose library directory holds `libnss_<name>.so.2` for each name.
    fn with(names: &[&str]) -> NssContext {
        NssContext {
            modules: names
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        format!("/lib/x86_64-linux-gnu/libnss_{n}.so.2"),
                    )
                })
                .collect(),
            mdns_allow: false,
        }
    }

    /// Debian's libc6 before 2.34: files and dns are modules of the package.
    fn libc6() -> NssContext {
        with(&["files", "dns"])
    }

    fn none() -> NssContext {
        NssContext::default()
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

    /// (glibc release or None, view, modules in the image, effective order or Err)
    type Case = (
        Option<GlibcVersion>,
        NsswitchView,
        NssContext,
        Result<&'static str, ()>,
    );

    #[test]
    fn glibc_table() {
        let mdns = "hosts: files mdns4_minimal [NOTFOUND=return] dns\n";
        let resolve = "hosts: files resolve [!UNAVAIL=return] dns\n";
        let myhostname = "hosts: files myhostname dns\n";
        let mdns_allow = NssContext {
            mdns_allow: true,
            ..with(&["files", "dns", "mdns4"])
        };
        let cases: Vec<Case> = vec![
            // FACTS.md §2 and the oracle, glibc 2.36: missing → files first; files dns → files first; dns files →
            // DNS first, then /etc/hosts after NXDOMAIN (no criteria: NOTFOUND continues).
            (v(36), NsswitchView::Missing, none(), Ok("files,dns")),
            (
                v(36),
                hosts("hosts: files dns\n", 36),
                none(),
                Ok("files,dns"),
            ),
            (
                v(36),
                hosts("hosts: dns files\n", 36),
                none(),
                Ok("dns,files"),
            ),
            // The built-in default before 2.35 is `dns [!UNAVAIL=return] files`: NXDOMAIN (NOTFOUND) ends the
            // lookup, /etc/hosts is read only when DNS is UNAVAIL. Observed with glibc 2.31 (tests/oracle).
            (v(31), NsswitchView::Missing, libc6(), Ok("dns")),
            (v(32), NsswitchView::NoHostsLine, libc6(), Ok("dns")),
            (v(33), NsswitchView::Missing, libc6(), Ok("dns")),
            (v(34), NsswitchView::NoHostsLine, none(), Ok("dns")), // built in from 2.34
            (v(35), NsswitchView::Missing, none(), Ok("files,dns")),
            (v(35), NsswitchView::NoHostsLine, none(), Ok("files,dns")),
            (v(40), NsswitchView::NoHostsLine, none(), Ok("files,dns")),
            (None, NsswitchView::Missing, libc6(), Err(())),
            (None, NsswitchView::NoHostsLine, libc6(), Err(())),
            // Before 2.34 files and dns are modules: without libnss_dns.so.2 dns is UNAVAIL, which
            // [!UNAVAIL=return] lets through to files; without libnss_files.so.2 files is skipped too.
            (v(31), NsswitchView::Missing, with(&["files"]), Ok("files")),
            (v(31), NsswitchView::Missing, with(&["dns"]), Ok("dns")),
            (v(33), NsswitchView::Missing, none(), Ok("")),
            (
                v(31),
                hosts("hosts: files dns\n", 31),
                with(&["dns"]),
                Ok("dns"),
            ),
            // A hosts line decides whatever the release, once files and dns are known to load.
            (
                None,
                hosts("hosts: dns files\n", 36),
                libc6(),
                Ok("dns,files"),
            ),
            (None, hosts("hosts: dns files\n", 36), none(), Err(())),
            // NOTFOUND=return after files: a name /etc/hosts does not list is never asked of DNS.
            (
                v(36),
                hosts("hosts: files [NOTFOUND=return] dns\n", 36),
                none(),
                Ok("files"),
            ),
            (
                v(36),
                hosts("hosts: dns [NOTFOUND=return] files\n", 36),
                none(),
                Ok("dns"),
            ),
            (
                v(36),
                hosts("hosts: dns [!UNAVAIL=return] files\n", 36),
                none(),
                Ok("dns"),
            ),
            (
                v(36),
                hosts("hosts: files [SUCCESS=continue] dns\n", 36),
                none(),
                Ok("files,dns"),
            ),
            // mdns4_minimal returns UNAVAIL for a name outside .local (nss-mdns), so [NOTFOUND=return] does not
            // stop before dns, whether or not the module is there; when it is, it is called.
            (v(36), hosts(mdns, 36), none(), Ok("files,dns")),
            (
                v(36),
                hosts(mdns, 36),
                with(&["mdns4_minimal"]),
                Ok("files,mdns4_minimal,dns"),
            ),
            (v(31), hosts(mdns, 31), libc6(), Ok("files,dns")),
            (
                v(31),
                hosts(mdns, 31),
                with(&["files", "dns", "mdns4_minimal"]),
                Ok("files,mdns4_minimal,dns"),
            ),
            // The full mdns4 module tries the names /etc/mdns.allow lists: NOTFOUND from avahi-daemon or
            // UNAVAIL without it; with [NOTFOUND=return] that decides whether dns is asked.
            (
                v(36),
                hosts("hosts: files mdns4 [NOTFOUND=return] dns\n", 36),
                mdns_allow.clone(),
                Err(()),
            ),
            (
                v(36),
                hosts("hosts: files mdns4 dns\n", 36),
                mdns_allow,
                Ok("files,mdns4,dns"),
            ),
            (
                v(36),
                hosts("hosts: files mdns4 [NOTFOUND=return] dns\n", 36),
                with(&["mdns4"]),
                Ok("files,mdns4,dns"),
            ),
            // resolve: skipped without libnss_resolve.so.2; with it, UNAVAIL without systemd-resolved.
            (v(36), hosts(resolve, 36), none(), Ok("files,dns")),
            (
                v(36),
                hosts(resolve, 36),
                with(&["resolve"]),
                Ok("files,resolve,dns"),
            ),
            // myhostname: NOTFOUND for other names.
            (v(36), hosts(myhostname, 36), none(), Ok("files,dns")),
            (
                v(36),
                hosts(myhostname, 36),
                with(&["myhostname"]),
                Ok("files,myhostname,dns"),
            ),
            // A service nsslint does not model: fine while its status does not matter, an error when it does.
            (
                v(36),
                hosts("hosts: files ldap dns\n", 36),
                with(&["ldap"]),
                Ok("files,ldap,dns"),
            ),
            (
                v(36),
                hosts("hosts: files ldap [NOTFOUND=return] dns\n", 36),
                with(&["ldap"]),
                Err(()),
            ),
            (
                v(36),
                hosts("hosts: files ldap [NOTFOUND=return] dns\n", 36),
                none(),
                Ok("files,dns"),
            ),
            // A missing module with UNAVAIL=return ends the lookup before later services.
            (
                v(36),
                hosts("hosts: files resolve [UNAVAIL=return] dns\n", 36),
                none(),
                Ok("files"),
            ),
            // glibc 2.33+: an empty hosts line or a rejected file consults nothing.
            (v(36), hosts("hosts:\n", 36), none(), Ok("")),
            (
                v(36),
                hosts("hosts: files [foo=bar] dns\n", 36),
                none(),
                Ok(""),
            ),
            // glibc 2.31 reads the same rejected line as no hosts line: the default.
            (
                v(31),
                hosts("hosts: files [foo=bar] dns\n", 31),
                libc6(),
                Ok("dns"),
            ),
            // Unreadable: unknown.
            (v(36), NsswitchView::Unreadable, none(), Err(())),
            (v(31), NsswitchView::Unreadable, libc6(), Err(())),
        ];
        for (version, view, context, want) in cases {
            let got = predict_glibc(version, &view, &context);
            let modules: Vec<&String> = context.modules.keys().collect();
            match (got, want) {
                (Ok(p), Ok(order)) => {
                    assert_eq!(p.order.to_string(), order, "{version:?} {view} {modules:?}")
                }
                (Err(_), Err(())) => {}
                (got, want) => {
                    panic!("{version:?} {view} {modules:?}: got {got:?}, want {want:?}")
                }
            }
        }
    }

    #[test]
    fn default_flips_exactly_at_2_35() {
        for minor in 0..=45 {
            let order = predict_glibc(v(minor), &NsswitchView::Missing, &libc6())
                .unwrap()
                .order;
            assert_eq!(
                order.dns_before_files(),
                minor < 35,
                "glibc 2.{minor}: {order}"
            );
            // Before 2.35 /etc/hosts is not read at all while DNS answers.
            assert_eq!(
                order.consults_files(),
                minor >= 35,
                "glibc 2.{minor}: {order}"
            );
        }
    }

    #[test]
    fn traces_say_why() {
        let old = predict_glibc(v(31), &NsswitchView::Missing, &libc6())
            .unwrap()
            .trace;
        assert_eq!(old[0], "glibc 2.31: /etc/nsswitch.conf does not exist");
        assert_eq!(
            old[1],
            "glibc 2.31: hosts: dns [!UNAVAIL=return] files (from the built-in default of glibc before 2.35 \
             (nss/hosts-lookup.c DEFAULT_CONFIG up to 2.32))"
        );
        assert!(
            old[2].starts_with(
                "glibc 2.31: dns [!UNAVAIL=return] (/lib/x86_64-linux-gnu/libnss_dns.so.2): returns NOTFOUND \
                 → return: the lookup ends here (NOTFOUND when a DNS server answers"
            ),
            "{old:?}"
        );
        assert!(
            old[3].starts_with(
                "glibc 2.31: files (/lib/x86_64-linux-gnu/libnss_files.so.2): returns NOTFOUND → continue: \
                 no service left"
            ),
            "{old:?}"
        );
        assert!(
            old[4].starts_with("glibc 2.31: host lookup order = dns (for a name"),
            "{old:?}"
        );
        let new = predict_glibc(v(36), &NsswitchView::NoHostsLine, &none())
            .unwrap()
            .trace;
        assert!(new[1].contains("glibc bug 28700"), "{new:?}");
        assert!(new[2].contains("built into libc (glibc 2.34+"), "{new:?}");

        let mdns = hosts("hosts: files mdns4_minimal [NOTFOUND=return] dns\n", 36);
        let trace = predict_glibc(v(36), &mdns, &none()).unwrap().trace;
        assert!(
            trace[2].starts_with(
                "glibc 2.36: mdns4_minimal [NOTFOUND=return]: libnss_mdns4_minimal.so.2 is not in the image's \
                 library directories; glibc cannot call it and treats it as UNAVAIL"
            ),
            "{trace:?}"
        );
        assert!(
            trace[2].ends_with("UNAVAIL → continue: on to dns"),
            "{trace:?}"
        );
        let trace = predict_glibc(v(36), &mdns, &with(&["mdns4_minimal"]))
            .unwrap()
            .trace;
        assert!(
            trace[2].contains(
                "returns UNAVAIL → continue: on to dns (UNAVAIL for a name outside .local"
            ),
            "{trace:?}"
        );

        let never = hosts(
            "hosts: files [NOTFOUND=return UNAVAIL=return TRYAGAIN=return] dns\n",
            36,
        );
        let p = predict_glibc(v(36), &never, &none()).unwrap();
        assert_eq!(p.order.to_string(), "files");
        assert!(
            p.trace[1].contains("NOTFOUND → return: the lookup ends here"),
            "{:?}",
            p.trace
        );

        let unknown = predict_glibc(None, &NsswitchView::Missing, &libc6()).unwrap_err();
        assert!(
            unknown.contains("the glibc release is unknown"),
            "{unknown}"
        );
        let builtin = predict_glibc(None, &hosts("hosts: files dns\n", 36), &none()).unwrap_err();
        assert!(builtin.contains("whether files is built in"), "{builtin}");
        assert!(builtin.contains("possible orders"), "{builtin}");
        let unreadable = predict_glibc(v(36), &NsswitchView::Unreadable, &none()).unwrap_err();
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
        // The same file, two releases: 2.31 cuts the comment, 2.36 reads `# files` as services ("#" has no
        // module: UNAVAIL, skipped).
        let file = NsswitchFile::Present {
            contents: "hosts: dns # files\n".into(),
        };
        let old = predict_glibc(v(31), &file.view_as_glibc(v(31)).unwrap(), &libc6()).unwrap();
        let new = predict_glibc(v(36), &file.view_as_glibc(v(36)).unwrap(), &none()).unwrap();
        assert_eq!(old.order.to_string(), "dns");
        assert_eq!(new.order.to_string(), "dns,files");
        assert!(old.order.dns_before_files() && new.order.dns_before_files());
        // A file without a final newline: 2.36 ignores the line and falls back to `files dns`.
        let file = NsswitchFile::Present {
            contents: "hosts: dns files".into(),
        };
        let new = predict_glibc(v(36), &file.view_as_glibc(v(36)).unwrap(), &none()).unwrap();
        assert_eq!(new.order.to_string(), "files,dns");
    }
}
