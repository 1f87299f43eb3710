//! Whether a Go binary links package net's host lookup, and which resolvers it holds (FACTS §3). The
//! pure-Go resolver is linked when both the string `/etc/nsswitch.conf` (in data) and `net.(*conf).*`
//! methods (in the function table) are present: a binary that resolves nothing has neither, and the
//! resolver rules leave it alone. The cgo resolver is linked when `net._C2func_getaddrinfo` or
//! `net._Cfunc_getaddrinfo` is a function; any `._Cfunc_`/`._C2func_` wrapper shows cgo was used at all.

use memchr::memmem;

use super::image::Image;
use super::pclntab::{find_name, Pclntab};

const NSSWITCH_PATH: &[u8] = b"/etc/nsswitch.conf";
const NET_CONF_PREFIX: &[u8] = b"net.(*conf).";
const CGO_RESOLVER_FUNCS: [&[u8]; 2] = [b"net._C2func_getaddrinfo", b"net._Cfunc_getaddrinfo"];
const CGO_WRAPPER_MARKERS: [&[u8]; 2] = [b"._Cfunc_", b"._C2func_"];

/// What the function-name table shows.
pub(super) struct Functions {
    /// `net.(*conf).*` methods: the pure-Go resolver's host lookup order.
    pub(super) net_conf: bool,
    /// Package net's cgo `getaddrinfo` wrapper: the cgo resolver.
    pub(super) cgo_resolver: bool,
    /// Any cgo wrapper, in any package (the cgo resolver's included).
    pub(super) cgo_wrappers: bool,
}

/// The string `/etc/nsswitch.conf` in a data segment (or anywhere, in a file with no segments).
pub(super) fn nsswitch_path_string(img: &Image) -> bool {
    img.data_ranges()
        .iter()
        .any(|&(s, e)| memmem::find(&img.bytes[s..e], NSSWITCH_PATH).is_some())
}

pub(super) fn functions(img: &Image, p: &Pclntab) -> Functions {
    let names = &img.bytes[p.names.clone()];
    let net_conf = find_name(names, NET_CONF_PREFIX, p.packed_names, false);
    let cgo_resolver = CGO_RESOLVER_FUNCS
        .iter()
        .any(|f| find_name(names, f, p.packed_names, true));
    let cgo_wrappers = cgo_resolver
        || CGO_WRAPPER_MARKERS
            .iter()
            .any(|m| memmem::find(names, m).is_some());
    Functions {
        net_conf,
        cgo_resolver,
        cgo_wrappers,
    }
}

/// The pure-Go resolver is linked: both halves of the evidence are there.
pub(super) fn linked(nsswitch_path_string: bool, net_conf_functions: Option<bool>) -> bool {
    nsswitch_path_string && net_conf_functions == Some(true)
}

#[cfg(test)]
mod tests {
    use super::super::synth::*;
    use super::super::*;

    #[test]
    fn net_detection_in_function_names() {
        // net.(*conf) only as a suffix of another package path does not count; the cgo wrapper must be exact.
        let pcln = pclntab120(&[
            "main.main",
            "golang.org/x/net.(*conf).x",
            "net._C2func_getaddrinfoX",
        ]);
        let g = analyze(&stripped(&["go1.26.5"], &[0], pcln))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.net_conf_functions, Some(false));
        assert_eq!(g.cgo_resolver, Some(false));
        assert!(g.nsswitch_path_string);
        assert!(!g.resolver_linked);
        // No cgo functions, no interpreter, no DT_NEEDED: built without cgo.
        assert_eq!(
            g.cgo_enabled,
            Some(true),
            "x/net wrapper name contains ._C2func_"
        );
        let pcln = pclntab120(&["main.main", "net.(*conf).hostLookupOrder"]);
        let g = analyze(&stripped(&["go1.26.5"], &[0], pcln))
            .unwrap()
            .go
            .unwrap();
        assert_eq!(g.cgo_enabled, Some(false));
        assert_eq!(g.cgo_evidence, Some(CgoEvidence::NoCgoFunctions));
        assert!(g.resolver_linked);
    }
}
