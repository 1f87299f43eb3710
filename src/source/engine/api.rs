//! The two calls of the Docker Engine API nsslint makes (Podman serves the same ones): inspect an image
//! (`GET /images/{name}/json`: its ID, tags and layer diff IDs) and export it (`GET /images/get?names=ID`:
//! a `docker save` archive, streamed into a file as it arrives). Over a Unix socket or `tcp://` (with TLS),
//! on a small runtime of its own; the engine's own error message is kept in every failure.

use super::endpoint::{Address, Endpoint};
use crate::error::error_chain as chain;
use crate::source::files::METADATA_LIMIT;
use serde::Deserialize;
use std::fs::File;
use std::io::Write;
use std::time::Duration;

/// What the engine says about an image (the fields nsslint reads of `GET /images/{name}/json`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Inspect {
    /// `sha256:<hex>`: the config's digest (Podman, Docker's own store) or the manifest's (Docker's
    /// containerd store).
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "RepoTags", default)]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "RepoDigests", default)]
    pub repo_digests: Option<Vec<String>>,
    #[serde(rename = "RootFS", default)]
    pub rootfs: Option<RootFs>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RootFs {
    #[serde(rename = "Layers", default)]
    pub layers: Option<Vec<String>>,
}

impl Inspect {
    /// The layers' diff IDs, bottom first, as the engine lists them.
    pub fn diff_ids(&self) -> Vec<String> {
        self.rootfs
            .as_ref()
            .and_then(|r| r.layers.clone())
            .unwrap_or_default()
    }
}

/// Reads an inspect answer; the ID must be a digest (it names what is exported).
pub fn parse_inspect(bytes: &[u8]) -> Result<Inspect, String> {
    let inspect: Inspect = serde_json::from_slice(bytes)
        .map_err(|e| format!("the engine's image inspect is not what the API documents: {e}"))?;
    if crate::source::parse_sha256(&inspect.id).is_none() {
        return Err(format!(
            "the engine's image inspect gives the ID {:?}, not a sha256 digest",
            inspect.id
        ));
    }
    Ok(inspect)
}

/// Why a call failed: nothing listens, the engine refused (its status and message), or the answer broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// No socket file, connection refused, or no route: the engine is not there.
    Absent(String),
    /// The engine answered with this status.
    Refused {
        status: u16,
        message: String,
    },
    /// The socket is there but this user may not connect (not in its group).
    Denied(String),
    Broken(String),
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::Absent(what) | Fault::Denied(what) | Fault::Broken(what) => f.write_str(what),
            Fault::Refused { status, message } => {
                write!(f, "the engine answered {status}: {message}")
            }
        }
    }
}

/// A connection to one engine.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
    pub endpoint: Endpoint,
}

impl Client {
    /// A client for the endpoint; a Unix socket that does not exist or refuses is [`Fault::Absent`] at
    /// once, one we may not open [`Fault::Denied`].
    pub fn new(endpoint: &Endpoint) -> Result<Client, Fault> {
        // reqwest builds its TLS settings even for plain HTTP: it needs the provider (ring, as the
        // registry client's) installed first. Installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Fault::Broken(format!("cannot start the engine client: {e}")))?;
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(300))
            .user_agent(concat!("nsslint/", env!("CARGO_PKG_VERSION")));
        let (builder, base) = match &endpoint.address {
            Address::Unix(path) => {
                probe_socket(path)?;
                // The host is not looked up: every request goes to the socket.
                (
                    builder.unix_socket(path.as_path()),
                    "http://localhost".to_string(),
                )
            }
            Address::Tcp { authority, tls } => match tls {
                None => (builder, format!("http://{authority}")),
                Some(tls) => {
                    let mut builder = builder.tls_danger_accept_invalid_certs(!tls.verify);
                    if let Some(ca) = &tls.ca {
                        let pem = std::fs::read(ca).map_err(|e| {
                            Fault::Broken(format!("cannot read {}: {e}", ca.display()))
                        })?;
                        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                            Fault::Broken(format!("{}: not PEM certificates: {e}", ca.display()))
                        })?;
                        builder = builder.tls_certs_only(certs);
                    }
                    if let Some((cert, key)) = &tls.client {
                        let mut pem = std::fs::read(cert).map_err(|e| {
                            Fault::Broken(format!("cannot read {}: {e}", cert.display()))
                        })?;
                        pem.extend(std::fs::read(key).map_err(|e| {
                            Fault::Broken(format!("cannot read {}: {e}", key.display()))
                        })?);
                        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
                            Fault::Broken(format!(
                                "{} + {}: not a client certificate and key: {e}",
                                cert.display(),
                                key.display()
                            ))
                        })?;
                        builder = builder.identity(identity);
                    }
                    (builder, format!("https://{authority}"))
                }
            },
        };
        let http = runtime
            .block_on(async { builder.build() })
            .map_err(|e| Fault::Broken(format!("cannot start the engine client: {e}")))?;
        Ok(Client {
            runtime,
            http,
            base,
            endpoint: endpoint.clone(),
        })
    }

    /// `GET /images/{name}/json`.
    pub fn inspect(&self, name: &str) -> Result<Inspect, Fault> {
        let url = format!("{}/images/{}/json", self.base, encode(name));
        let bytes = self.runtime.block_on(async {
            let response = self.send(&url).await?;
            let mut body = Vec::new();
            let mut response = response;
            while let Some(chunk) = response.chunk().await.map_err(|e| broken(&e))? {
                body.extend_from_slice(&chunk);
                if body.len() as u64 > METADATA_LIMIT {
                    return Err(Fault::Broken(format!(
                        "the image inspect is over {METADATA_LIMIT} bytes"
                    )));
                }
            }
            Ok(body)
        })?;
        parse_inspect(&bytes).map_err(Fault::Broken)
    }

    /// `GET /images/get?names=ID`, written to `into` as it streams; the bytes written. Chunks arrive in
    /// a few KiB; they are written in MiB (one system call per MiB, not per chunk).
    pub fn export(&self, id: &str, into: &mut File) -> Result<u64, Fault> {
        let url = format!("{}/images/get?names={}", self.base, encode(id));
        let spool_error = |written: u64, e: std::io::Error| {
            Fault::Broken(format!(
                "cannot spool the export to a temporary file (TMPDIR) after {written} bytes: {e}"
            ))
        };
        self.runtime.block_on(async {
            let mut response = self.send(&url).await?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut *into);
            let mut written = 0u64;
            while let Some(chunk) = response.chunk().await.map_err(|e| {
                Fault::Broken(format!(
                    "the export broke after {written} bytes: {}",
                    chain(&e)
                ))
            })? {
                out.write_all(&chunk).map_err(|e| spool_error(written, e))?;
                written += chunk.len() as u64;
            }
            out.flush().map_err(|e| spool_error(written, e))?;
            Ok(written)
        })
    }

    async fn send(&self, url: &str) -> Result<reqwest::Response, Fault> {
        let response = self.http.get(url).send().await.map_err(|e| {
            if e.is_connect() {
                Fault::Absent(format!("nothing answers there ({})", chain(&e)))
            } else {
                broken(&e)
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(Fault::Refused {
            status: status.as_u16(),
            message: engine_message(&body),
        })
    }
}

/// Connects once to tell the ways a socket fails apart (reqwest says only "error trying to connect").
fn probe_socket(path: &std::path::Path) -> Result<(), Fault> {
    use std::io::ErrorKind;
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            Err(Fault::Absent(format!("no socket at {}", path.display())))
        }
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            use std::os::unix::fs::MetadataExt;
            let owner = std::fs::metadata(path)
                .map(|m| {
                    let group = group_name(m.gid()).unwrap_or_else(|| format!("gid {}", m.gid()));
                    format!(" (group {group}, mode {:o}): run as a member of {group} (sudo usermod -aG {group} $USER, then log in again) or as root", m.mode() & 0o777)
                })
                .unwrap_or_default();
            Err(Fault::Denied(format!(
                "permission denied on {}{owner}",
                path.display()
            )))
        }
        Err(e) => Err(Fault::Absent(format!(
            "nothing answers at {} ({e})",
            path.display()
        ))),
    }
}

/// The name of a group, from `/etc/group` (no libc call for one name).
fn group_name(gid: u32) -> Option<String> {
    let groups = std::fs::read_to_string("/etc/group").ok()?;
    groups.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == gid).then(|| name.to_string())
    })
}

fn broken(e: &reqwest::Error) -> Fault {
    Fault::Broken(chain(e))
}

/// The engine's `{"message": "..."}` (Docker and Podman both send it), else the body as text.
pub fn engine_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message")?.as_str().map(str::to_string))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(500)])
                .trim()
                .to_string()
        })
}

/// Percent-encodes what may not stand in a path segment or query value as it is (names keep `/`, `:`,
/// `@`, which the engines route on).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_answers_are_read_and_checked() {
        let hex = "a".repeat(64);
        let body = format!(
            r#"{{"Id":"sha256:{hex}","RepoTags":["app:dev"],"RootFS":{{"Type":"layers","Layers":["sha256:{hex}"]}},"Os":"linux"}}"#
        );
        let inspect = parse_inspect(body.as_bytes()).unwrap();
        assert_eq!(inspect.diff_ids(), [format!("sha256:{hex}")]);
        assert_eq!(inspect.repo_tags, Some(vec!["app:dev".to_string()]));
        assert!(parse_inspect(br#"{"Id":"abc"}"#)
            .unwrap_err()
            .contains("not a sha256 digest"));
        assert!(parse_inspect(b"[]").is_err());
    }

    #[test]
    fn engine_messages_are_kept() {
        assert_eq!(
            engine_message(br#"{"cause":"image not known","message":"failed to find image app: image not known","response":404}"#),
            "failed to find image app: image not known"
        );
        assert_eq!(engine_message(b"plain text\n"), "plain text");
    }

    #[test]
    fn names_are_encoded_for_the_url() {
        assert_eq!(encode("reg:5000/team/app:1.0"), "reg:5000/team/app:1.0");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
