//! A repository's content as [`Files`]: manifests by tag or digest (checked against the digest asked for and
//! the one the registry reports), and blobs streamed. A blob's GET runs on the session's runtime and feeds a
//! bounded channel a few chunks ahead of the walker (no blob on disk, no whole blob in memory); a stream that
//! breaks is resumed with a `Range` request from where it broke, a bounded number of times; a stream longer
//! than the manifest says is cut off. The walker checks each blob's digest and size as it reads.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use oci_client::Reference;

use super::super::files::{Files, METADATA_LIMIT};
use super::super::{parse_sha256, sha256_digest};
use super::auth::Target;
use super::client::Session;
use super::credentials::Credential;
use super::fault::{read_limited, Failure};
use crate::error::error_chain;

/// Chunks (as the HTTP body delivers them, typically 8–64 KiB) buffered ahead of the walker.
const CHUNKS_AHEAD: usize = 16;

pub(super) const ACCEPTED_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Blobs of one repository, as [`Files`] (`blobs/sha256/<hex>` names, like an OCI layout's).
pub(super) struct RegistryFiles {
    session: Arc<Session>,
    reference: Reference,
    target: Arc<Target>,
    /// Each blob's size as its manifest gives it: a stream is cut off (and fails) past it, so a hostile
    /// registry cannot stream forever.
    sizes: Mutex<HashMap<String, u64>>,
}

impl RegistryFiles {
    pub(super) fn new(
        session: Arc<Session>,
        reference: &Reference,
        credential: Credential,
    ) -> Self {
        RegistryFiles {
            session,
            reference: reference.clone(),
            target: Arc::new(Target::repository(reference, credential)),
            sizes: Mutex::new(HashMap::new()),
        }
    }

    /// The repository's reference, for reading other manifests of it by digest.
    pub(super) fn reference(&self) -> &Reference {
        &self.reference
    }

    /// Notes a blob's size as its manifest gives it: its stream is cut off (and fails) past it.
    pub(super) fn expect_size(&self, digest: &str, size: u64) {
        self.sizes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest.to_string(), size);
    }
    fn registry(&self) -> &str {
        &self.target.registry
    }

    fn io_error(&self, failure: Failure) -> io::Error {
        io::Error::other(failure.describe(&self.target.credential, self.registry()))
    }

    /// A manifest or index by digest or tag: its bytes (checked against the digest) and digest.
    pub(super) fn manifest(&self, reference: &Reference) -> Result<(Vec<u8>, String), String> {
        let session = &self.session;
        let path = format!(
            "/v2/{}/manifests/{}",
            reference.repository(),
            reference
                .digest()
                .unwrap_or_else(|| reference.tag().unwrap_or("latest"))
        );
        let accept = ACCEPTED_MANIFESTS.join(", ");
        let (bytes, digest) = session
            .runtime
            .block_on(session.retrying(|| async {
                let response = session
                    .get(&self.target, &path, Some(&accept), None)
                    .await?;
                let digest = response
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let bytes = read_limited(response, METADATA_LIMIT).await?;
                Ok((bytes, digest))
            }))
            .map_err(|f| f.describe(&self.target.credential, self.registry()))?;
        let actual = sha256_digest(&bytes);
        if let Some(wanted) = reference.digest() {
            if actual != wanted {
                return Err(format!(
                    "digest mismatch: expected {wanted}, content hashes to {actual}"
                ));
            }
        }
        if let Some(digest) = digest.filter(|d| parse_sha256(d).is_some()) {
            if digest != actual {
                return Err(format!(
                    "digest mismatch: the registry says {digest}, content hashes to {actual}"
                ));
            }
        }
        Ok((bytes, actual))
    }
}

type BodyStream = futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>;

impl Files for RegistryFiles {
    fn exists(&self, name: &str) -> bool {
        name.strip_prefix("blobs/sha256/")
            .is_some_and(|hex| parse_sha256(&format!("sha256:{hex}")).is_some())
    }

    fn open(&self, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
        let digest = name
            .strip_prefix("blobs/sha256/")
            .map(|hex| format!("sha256:{hex}"))
            .filter(|d| parse_sha256(d).is_some())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("not a blob name: {name:?}"),
                )
            })?;
        let session = Arc::clone(&self.session);
        let path = format!("/v2/{}/blobs/{digest}", self.reference.repository());
        // The bytes are not hashed here: the walker checks each blob's digest and size as it reads (and the
        // config's is checked on arrival), once.
        let first = session
            .runtime
            .block_on(session.retrying(|| {
                session
                    .counters
                    .blob_requests
                    .fetch_add(1, Ordering::Relaxed);
                session.get(&self.target, &path, None, None)
            }))
            .map_err(|f| self.io_error(f))?;
        let size = first.content_length().unwrap_or(0);
        let limit = self
            .sizes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&digest)
            .copied()
            .unwrap_or(METADATA_LIMIT);
        let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
        let pump = Pump {
            limit,
            session: Arc::clone(&session),
            target: Arc::clone(&self.target),
            path,
            tx,
        };
        let task = session
            .runtime
            .spawn(pump.run(first.bytes_stream().boxed()));
        Ok((
            Box::new(ChannelReader {
                rx,
                current: bytes::Bytes::new(),
                task,
            }),
            size,
        ))
    }
}

/// Moves one blob's bytes from the HTTP body into the channel, resuming a broken stream where it broke.
struct Pump {
    /// The most bytes the blob may have.
    limit: u64,
    session: Arc<Session>,
    target: Arc<Target>,
    /// The blob's path on the registry.
    path: String,
    tx: tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>,
}

impl Pump {
    async fn run(self, first: BodyStream) {
        let mut stream = first;
        let mut sent: u64 = 0;
        // Bytes of a full answer to a resumption that were already sent.
        let mut skip: u64 = 0;
        let mut breaks = 0;
        loop {
            match stream.next().await {
                None => return,
                Some(Ok(mut chunk)) => {
                    if skip > 0 {
                        let n = skip.min(chunk.len() as u64);
                        chunk = chunk.slice(n as usize..);
                        skip -= n;
                        if chunk.is_empty() {
                            continue;
                        }
                    }
                    sent += chunk.len() as u64;
                    if sent > self.limit {
                        let what = format!(
                            "size mismatch: the registry sent more than the manifest's {} bytes",
                            self.limit
                        );
                        let _ = self.tx.send(Err(io::Error::other(what))).await;
                        return;
                    }
                    self.session
                        .counters
                        .bytes
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if self.tx.send(Ok(chunk)).await.is_err() {
                        return; // the reader is gone
                    }
                }
                Some(Err(error)) => {
                    breaks += 1;
                    let error = error_chain(&error);
                    if breaks >= self.session.retry.attempts {
                        let what = self
                            .target
                            .credential
                            .scrub(&format!("{error} (after {breaks} attempts)"));
                        let _ = self.tx.send(Err(io::Error::other(what))).await;
                        return;
                    }
                    tokio::time::sleep(self.session.retry.delay(breaks)).await;
                    let resumed = self
                        .session
                        .retrying(|| {
                            self.session
                                .counters
                                .blob_requests
                                .fetch_add(1, Ordering::Relaxed);
                            self.session.get(&self.target, &self.path, None, Some(sent))
                        })
                        .await;
                    match resumed {
                        Ok(response) => {
                            // 206 carries the rest; a 200 (Range not supported) starts again from byte 0.
                            skip = if response.status() == reqwest::StatusCode::PARTIAL_CONTENT {
                                0
                            } else {
                                sent
                            };
                            stream = response.bytes_stream().boxed();
                        }
                        Err(failure) => {
                            let what =
                                failure.describe(&self.target.credential, &self.target.registry);
                            let _ = self
                                .tx
                                .send(Err(io::Error::other(format!(
                                    "the stream broke at byte {sent} ({error}) and could not be resumed: {what}"
                                ))))
                                .await;
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The walker's end of a blob stream.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
    task: tokio::task::JoinHandle<()>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(e),
                Some(Ok(chunk)) => self.current = chunk,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

impl Drop for ChannelReader {
    fn drop(&mut self) {
        // A walk that stops early (an error, an unsupported compression) stops the download too.
        self.task.abort();
    }
}
