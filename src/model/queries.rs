//! How each resolver sends a lookup's A and AAAA queries when resolv.conf carries `single-request` or
//! `single-request-reopen` (the usual workaround for the conntrack race on parallel UDP queries from one
//! socket): one after the other, as asked, or both at once anyway.
//!
//! - glibc honours both options (resolv/res_send.c: `single-request` sends AAAA after A's answer on the
//!   same socket, `-reopen` on a new one).
//! - musl ignores them: its resolv.conf reader knows only `ndots:`, `attempts:` and `timeout:`
//!   (src/network/resolvconf.c), and `__res_msend` sends every query of a lookup at once from one socket.
//! - Go's own resolver honours both in every release nsslint models (src/net/dnsconfig_unix.go sets
//!   `singleRequest`; dnsclient_unix.go then asks for AAAA only after A's answer), and a program that hands
//!   the lookup to the C library (cgo) does what that C library does.
//!
//! tests/oracle observes it: the fake DNS server holds each answer and records from which socket, and
//! when, each query came.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SingleRequest {
    /// A, then AAAA once A's answer is in.
    Honoured,
    /// A and AAAA at once, from one socket, whatever resolv.conf says.
    Ignored,
}

/// The C library's behaviour, by kind (`None` when the image has no C library nsslint knows).
pub fn of_libc(kind: crate::facts::image::LibcKind) -> Option<SingleRequest> {
    use crate::facts::image::LibcKind;
    match kind {
        LibcKind::Musl => Some(SingleRequest::Ignored),
        LibcKind::Glibc | LibcKind::Both => Some(SingleRequest::Honoured),
        LibcKind::None | LibcKind::Unknown => None,
    }
}

/// Go's own resolver honours the options in every modelled release (go1.13 onwards).
pub const GO_RESOLVER: SingleRequest = SingleRequest::Honoured;
