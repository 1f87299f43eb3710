//! Models of the resolvers: pure functions from facts about an image to the order in which a program will
//! consult its host sources, each with a trace of the decisions that led there.
//!
//! `go` models Go's `net` package release by release; `libc` models glibc (by version) and musl; `queries`
//! how each sends its A and AAAA queries when resolv.conf asks for them one at a time.

pub mod go;
pub mod libc;
pub mod queries;

use serde::Serialize;
use std::fmt;

/// One source of answers for a host-name lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum HostSource {
    /// `/etc/hosts`.
    Files,
    /// The DNS servers of `/etc/resolv.conf`.
    Dns,
    /// Any other NSS service (`mdns4_minimal`, `myhostname`, `resolve`, ...), by its nsswitch.conf name.
    Other(String),
}

impl fmt::Display for HostSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostSource::Files => f.write_str("files"),
            HostSource::Dns => f.write_str("dns"),
            HostSource::Other(name) => f.write_str(name),
        }
    }
}

impl From<HostSource> for String {
    fn from(source: HostSource) -> String {
        source.to_string()
    }
}

/// The sources a resolver tries, first to last. Displayed as `files,dns`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct LookupOrder(pub Vec<HostSource>);

impl LookupOrder {
    pub fn files_dns() -> Self {
        LookupOrder(vec![HostSource::Files, HostSource::Dns])
    }
    pub fn dns_files() -> Self {
        LookupOrder(vec![HostSource::Dns, HostSource::Files])
    }
    pub fn files() -> Self {
        LookupOrder(vec![HostSource::Files])
    }
    pub fn dns() -> Self {
        LookupOrder(vec![HostSource::Dns])
    }
    /// True when a DNS query is sent before `/etc/hosts` is read (or `/etc/hosts` is never read).
    pub fn dns_before_files(&self) -> bool {
        let dns = self.0.iter().position(|s| *s == HostSource::Dns);
        let files = self.0.iter().position(|s| *s == HostSource::Files);
        match (dns, files) {
            (Some(d), Some(f)) => d < f,
            (Some(_), None) => true,
            _ => false,
        }
    }
    pub fn consults_files(&self) -> bool {
        self.0.contains(&HostSource::Files)
    }
}

impl fmt::Display for LookupOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, source) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{source}")?;
        }
        Ok(())
    }
}

impl From<LookupOrder> for String {
    fn from(order: LookupOrder) -> String {
        order.to_string()
    }
}

/// A predicted order plus the decisions that produced it, in the words of the resolver's own debug output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction<O> {
    pub order: O,
    pub trace: Vec<String>,
}
