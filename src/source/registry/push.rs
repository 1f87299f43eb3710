//! The registry's write side, for `nsslint fix --output docker://…`: whether a repository has a blob
//! (HEAD), a cross-repository mount from another repository of the same registry, a blob upload in
//! chunks (POST, PATCH…, PUT with the digest: the registry checks the digest and commits nothing
//! otherwise), and a manifest PUT. Requests are authorized with the push scope (plus pull on the mount's
//! source repository) through the same session, credentials and retries as reading.

use std::io::Write;

use oci_client::Reference;

use super::auth::Target;
use super::client::{session, Session};
use super::fault::Fault;
use super::parse_reference;
use std::sync::Arc;

/// How much of a blob goes in one PATCH: large enough to be few requests, small enough to hold in memory
/// and send again after a transient failure.
const CHUNK: usize = 8 << 20;

/// A repository that blobs and manifests are pushed to.
pub struct Pusher {
    session: Arc<Session>,
    target: Target,
    pub reference: Reference,
    /// The repository mounts come from (same registry), whose pull scope the token also holds.
    mount_from: Option<String>,
}

/// What became of one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOutcome {
    /// The repository had it.
    Present,
    /// Mounted from the source repository: no bytes sent.
    Mounted,
    /// Uploaded: this many bytes.
    Uploaded(u64),
}

impl Pusher {
    /// A pusher to `text` (`REGISTRY/REPO[:TAG]`), mounting from `mount_from` (`REGISTRY/REPO` of the
    /// source) when that is on the same registry.
    pub fn new(text: &str, mount_from: Option<&str>) -> Result<Pusher, String> {
        let reference = parse_reference(text)?;
        if reference.digest().is_some() {
            return Err(format!(
                "{text}: a pushed image is named by a tag; its digest is what the push gives"
            ));
        }
        let session = session()?;
        let registry = reference.resolve_registry().to_string();
        let credential = session.credential(&registry)?;
        let mount_from = mount_from
            .and_then(|source| parse_reference(source).ok())
            .filter(|source| {
                source.resolve_registry() == registry
                    && source.repository() != reference.repository()
            })
            .map(|source| source.repository().to_string());
        let mut scope = format!("repository:{}:pull,push", reference.repository());
        if let Some(from) = &mount_from {
            scope.push_str(&format!(" repository:{from}:pull"));
        }
        Ok(Pusher {
            target: Target {
                registry,
                scope,
                credential,
            },
            session,
            reference,
            mount_from,
        })
    }

    fn url(&self, path: &str) -> String {
        self.session.url(&self.target.registry, path)
    }

    fn describe(&self, failure: super::fault::Failure) -> String {
        failure.describe(&self.target.credential, &self.target.registry)
    }

    /// Whether the repository has the blob.
    pub fn has_blob(&self, digest: &str) -> Result<bool, String> {
        self.exists(&format!("blobs/{digest}"), None)
    }

    /// Whether the repository has a manifest under the tag (or digest).
    pub fn has_manifest(&self, reference: &str) -> Result<bool, String> {
        let accept = super::blobs::ACCEPTED_MANIFESTS.join(", ");
        self.exists(&format!("manifests/{reference}"), Some(&accept))
    }

    /// A HEAD of `/v2/REPO/<what>`: found (2xx) or not (404).
    fn exists(&self, what: &str, accept: Option<&str>) -> Result<bool, String> {
        let url = self.url(&format!("/v2/{}/{what}", self.reference.repository()));
        let session = &self.session;
        session
            .runtime
            .block_on(session.retrying(|| async {
                let build = |r: reqwest::RequestBuilder| match accept {
                    Some(accept) => r.header(reqwest::header::ACCEPT, accept),
                    None => r,
                };
                match session
                    .send(&self.target, reqwest::Method::HEAD, &url, &build)
                    .await
                {
                    Ok(_) => Ok(true),
                    Err(Fault::Status { code: 404, .. }) => Ok(false),
                    Err(fault) => Err(fault),
                }
            }))
            .map_err(|f| self.describe(f))
    }

    /// Puts the blob in the repository: nothing when it is there, a mount when the source repository may
    /// lend it, else an upload of what `fill` writes (checked by the registry against `digest`).
    pub fn put_blob(
        &self,
        digest: &str,
        mountable: bool,
        fill: impl FnOnce(&mut dyn Write) -> Result<u64, String>,
    ) -> Result<BlobOutcome, String> {
        if self.has_blob(digest)? {
            return Ok(BlobOutcome::Present);
        }
        let repository = self.reference.repository();
        let mut start = format!("/v2/{repository}/blobs/uploads/");
        if let (true, Some(from)) = (mountable, &self.mount_from) {
            start.push_str(&format!("?mount={digest}&from={from}"));
        }
        let url = self.url(&start);
        let session = &self.session;
        let (status, location) = session
            .runtime
            .block_on(session.retrying(|| async {
                let response = session
                    .send(&self.target, reqwest::Method::POST, &url, &|r| {
                        r.header(reqwest::header::CONTENT_LENGTH, "0")
                    })
                    .await?;
                Ok((response.status().as_u16(), location_of(&response)))
            }))
            .map_err(|f| self.describe(f))?;
        if status == 201 {
            return Ok(BlobOutcome::Mounted);
        }
        let location = location
            .ok_or_else(|| format!("{url}: the registry started an upload without a Location"))?;
        let mut upload = Upload {
            pusher: self,
            location: self.absolute(&location),
            buffer: Vec::with_capacity(CHUNK.min(1 << 20)),
            sent: 0,
            error: None,
        };
        let filled = fill(&mut upload);
        let result = filled.and_then(|bytes| upload.finish(digest).map(|()| bytes));
        match result {
            Ok(bytes) => Ok(BlobOutcome::Uploaded(bytes)),
            Err(e) => {
                upload.cancel();
                Err(e)
            }
        }
    }

    /// PUTs a manifest (or index) under `reference` (a tag, or its digest).
    pub fn put_manifest(
        &self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<(), String> {
        let url = self.url(&format!(
            "/v2/{}/manifests/{reference}",
            self.reference.repository()
        ));
        let session = &self.session;
        session
            .runtime
            .block_on(session.retrying(|| async {
                session
                    .send(&self.target, reqwest::Method::PUT, &url, &|r| {
                        r.header(reqwest::header::CONTENT_TYPE, media_type)
                            .body(bytes.to_vec())
                    })
                    .await
                    .map(drop)
            }))
            .map_err(|f| self.describe(f))
    }

    /// A Location header made absolute against the registry.
    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            self.url(location)
        }
    }
}

fn location_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// An upload session: bytes written are sent a chunk at a time (PATCH), the last with the digest (PUT).
struct Upload<'a> {
    pusher: &'a Pusher,
    location: String,
    buffer: Vec<u8>,
    sent: u64,
    /// The first failure, kept for the message (`Write` can only say "other").
    error: Option<String>,
}

impl Upload<'_> {
    /// Sends the buffered bytes as one PATCH; the registry's next Location is where the upload goes on.
    fn send_chunk(&mut self) -> Result<(), String> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let pusher = self.pusher;
        let session = &pusher.session;
        let chunk = std::mem::take(&mut self.buffer);
        let (first, last) = (self.sent, self.sent + chunk.len() as u64 - 1);
        let location = self.location.clone();
        let next = session
            .runtime
            .block_on(session.retrying(|| async {
                let response = session
                    .send(&pusher.target, reqwest::Method::PATCH, &location, &|r| {
                        r.header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                            .header(reqwest::header::CONTENT_RANGE, format!("{first}-{last}"))
                            .body(chunk.clone())
                    })
                    .await?;
                Ok(location_of(&response))
            }))
            .map_err(|f| pusher.describe(f))?;
        self.sent = last + 1;
        if let Some(next) = next {
            self.location = pusher.absolute(&next);
        }
        self.buffer = chunk;
        self.buffer.clear();
        Ok(())
    }

    /// The last chunk and the PUT that names the digest: the registry commits the blob only if it matches.
    fn finish(&mut self, digest: &str) -> Result<(), String> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.send_chunk()?;
        let pusher = self.pusher;
        let session = &pusher.session;
        let separator = if self.location.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{}{separator}digest={digest}", self.location);
        session
            .runtime
            .block_on(session.retrying(|| async {
                session
                    .send(&pusher.target, reqwest::Method::PUT, &url, &|r| {
                        r.header(reqwest::header::CONTENT_LENGTH, "0")
                    })
                    .await
                    .map(drop)
            }))
            .map_err(|f| pusher.describe(f))
    }

    /// Abandons the upload (DELETE), so the registry drops what it had; a failure here changes nothing.
    fn cancel(&self) {
        let pusher = self.pusher;
        let session = &pusher.session;
        let _ = session.runtime.block_on(session.send(
            &pusher.target,
            reqwest::Method::DELETE,
            &self.location,
            &|r| r,
        ));
    }
}

impl Write for Upload<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(bytes.len());
        self.buffer.extend_from_slice(&bytes[..taken]);
        if self.buffer.len() == CHUNK {
            if let Err(e) = self.send_chunk() {
                self.error = Some(e.clone());
                return Err(std::io::Error::other(e));
            }
        }
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
