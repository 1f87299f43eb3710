//! Registries (`docker://REGISTRY/REPO:TAG` or `@sha256:…`) through `oci-client`: the tag resolves to a
//! manifest or an index (OCI and Docker v2 media types), the platform is chosen as for local images, and
//! the config and layers are blobs read through [`Files`], so the layer walk is the same one.
//!
//! Layer blobs stream: `open` starts `pull_blob_stream` on the session's tokio runtime and hands back a
//! `Read` fed through a bounded channel (a few chunks ahead of the walker; no blob on disk, no whole blob in
//! memory). A stream that breaks is resumed where it broke (a `Range` request), a bounded number of times.
//! Requests that fail with 429, 5xx or a broken connection are retried with exponential backoff. The
//! walker checks each layer's digest and size as it reads; manifests and configs are checked on arrival.

use super::auth::{normalize_host, Credential, DockerConfig};
use super::files::{Files, METADATA_LIMIT};
use super::oci::{blob_name, parse_json, read_verified_blob};
use super::oci::{is_attestation, platform_of_descriptor};
use super::platform::{choose, Platform, PlatformChoice};
use super::{parse_sha256, sha256_digest, Expected, Image, Layer};
use crate::error::ImageError;
use futures_util::StreamExt;
use oci_client::client::{BlobResponse, ClientConfig, ClientProtocol, SizedStream};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::{Client, Reference};
use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const MAX_INDEX_DEPTH: usize = 4;
/// Chunks (as the HTTP body delivers them, typically 8–64 KiB) buffered ahead of the walker.
const CHUNKS_AHEAD: usize = 16;
/// Page size for the tags and catalog lists.
const PAGE: usize = 100;
/// Most pages read from one list (100,000 names).
const MAX_PAGES: usize = 1000;

const ACCEPTED_MANIFESTS: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// How failed requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `n` (1-based): doubling from `first_delay`, capped, with up to a quarter of
    /// jitter so that parallel jobs do not retry in step.
    fn delay(&self, n: u32) -> Duration {
        let base = self
            .first_delay
            .saturating_mul(1u32 << (n.saturating_sub(1)).min(16))
            .min(self.max_delay);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        base + base.mul_f64(f64::from(nanos % 1000) / 4000.0)
    }
}

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Registry hosts (`host[:port]`) spoken to over plain HTTP.
    pub insecure: Vec<String>,
    pub retry: RetryPolicy,
}

/// One process's connection to registries: the runtime the requests run on, the client (and its token
/// cache), the credentials found so far, and how many blob bytes came in.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    client: Client,
    retry: RetryPolicy,
    docker_config: Result<DockerConfig, String>,
    credentials: Mutex<HashMap<String, Result<Credential, String>>>,
    /// Blob bytes received (configs and layers).
    pub bytes: AtomicU64,
    /// Blob requests made (configs and layers, retries and resumptions included).
    pub blob_requests: AtomicU64,
}

static OPTIONS: OnceLock<RegistryOptions> = OnceLock::new();
static SESSION: OnceLock<Arc<Session>> = OnceLock::new();

/// Sets the options of the process's session; call before the first registry image is opened.
pub fn configure(options: RegistryOptions) {
    let _ = OPTIONS.set(options);
}

/// The process's session, started on first use.
pub fn session() -> Result<Arc<Session>, String> {
    if let Some(s) = SESSION.get() {
        return Ok(Arc::clone(s));
    }
    let options = OPTIONS.get().cloned().unwrap_or_default();
    let session = Session::new(options)?;
    Ok(Arc::clone(SESSION.get_or_init(|| Arc::new(session))))
}

/// The session if one was started (for the end-of-job summary).
pub fn started_session() -> Option<Arc<Session>> {
    SESSION.get().cloned()
}

impl Session {
    fn new(options: RegistryOptions) -> Result<Session, String> {
        // The TLS provider: ring, the one rustls is built with here. Installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nsslint-registry")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the registry client: {e}"))?;
        let insecure: Vec<String> = options.insecure.iter().map(|h| normalize_host(h)).collect();
        let config = ClientConfig {
            protocol: if insecure.is_empty() {
                ClientProtocol::Https
            } else {
                ClientProtocol::HttpsExcept(insecure)
            },
            // The platform is chosen here, from the index; the client never resolves one itself.
            platform_resolver: None,
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(120)),
            user_agent: concat!("nsslint/", env!("CARGO_PKG_VERSION")),
            ..Default::default()
        };
        let client = runtime
            .block_on(async { Client::try_from(config) })
            .map_err(|e| format!("cannot start the registry client: {e}"))?;
        Ok(Session {
            runtime,
            client,
            retry: options.retry,
            docker_config: DockerConfig::load(),
            credentials: Mutex::new(HashMap::new()),
            bytes: AtomicU64::new(0),
            blob_requests: AtomicU64::new(0),
        })
    }

    /// The credentials for a registry (as `Reference::resolve_registry` names it), looked up once.
    pub fn credential(&self, registry: &str) -> Result<Credential, String> {
        let host = normalize_host(registry);
        let mut known = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = known.get(&host) {
            return found.clone();
        }
        let found = match &self.docker_config {
            Ok(config) => config.credential_for(&host),
            Err(e) => Err(e.clone()),
        };
        known.insert(host, found.clone());
        found
    }

    /// Runs a request, again after a transient failure, up to the policy's attempts.
    async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, OciDistributionError>>,
    {
        let mut attempt = 1;
        loop {
            match request().await {
                Ok(value) => return Ok(value),
                Err(error) if transient(&error) && attempt < self.retry.attempts => {
                    tokio::time::sleep(self.retry.delay(attempt)).await;
                    attempt += 1;
                }
                Err(error) => {
                    return Err(Failure {
                        error,
                        attempts: attempt,
                    })
                }
            }
        }
    }
}

/// A request that failed for good.
struct Failure {
    error: OciDistributionError,
    attempts: u32,
}

impl Failure {
    /// In words, scrubbed of the registry's secrets, with a hint where one helps.
    fn describe(&self, credential: &Credential, registry: &str) -> String {
        let mut text = describe_error(&self.error);
        if let OciDistributionError::RequestError(e) = &self.error {
            if tls_failure(e) {
                text.push_str(&format!(
                    "; the TLS handshake with {registry} failed (for a plain-HTTP registry, give --insecure-registry {registry})"
                ));
            }
        }
        if is_unauthorized(&self.error) {
            text.push_str(&match &credential.source {
                Some(source) => format!("; the credentials for {registry} from {source} were not accepted"),
                None => format!(
                    "; no credentials for {registry} were found (DOCKER_CONFIG or ~/.docker/config.json: auths, credHelpers, credsStore)"
                ),
            });
        }
        if self.attempts > 1 {
            text.push_str(&format!(" (after {} attempts)", self.attempts));
        }
        credential.scrub(&text)
    }
}

fn is_unauthorized(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| matches!(e.code, OciErrorCode::Unauthorized | OciErrorCode::Denied)),
        OciDistributionError::ServerError { code, .. } => *code == 401 || *code == 403,
        _ => false,
    }
}

/// Worth another try: rate limits, server errors, broken connections, timeouts.
fn transient(error: &OciDistributionError) -> bool {
    match error {
        OciDistributionError::ServerError { code, .. } => {
            *code == 429 || *code == 408 || (500..=599).contains(code)
        }
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| matches!(e.code, OciErrorCode::Toomanyrequests)),
        OciDistributionError::RequestError(e) => {
            (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()) && !tls_failure(e)
        }
        OciDistributionError::IoError(e) => transient_io(e),
        _ => false,
    }
}

/// A TLS handshake that failed (a plain-HTTP server, an untrusted certificate) fails the same way again.
fn tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        // io::Error's source() skips the error it wraps; look inside it.
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            current = Some(inner);
            continue;
        }
        current = e.source();
    }
    false
}

fn transient_io(error: &io::Error) -> bool {
    // A digest mismatch arrives as an io::Error too; it is not transient.
    let digest = error
        .get_ref()
        .is_some_and(|inner| inner.is::<oci_client::errors::DigestError>());
    !digest
        && !matches!(
            error.kind(),
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
        )
}

/// An error with its causes, one line: reqwest's own message leaves out the cause that matters.
fn describe_error(error: &OciDistributionError) -> String {
    let mut text = match error {
        OciDistributionError::ServerError { code, url, message } => {
            let message: String = message.trim().chars().take(300).collect();
            format!("HTTP {code} for {url}: {message}")
        }
        OciDistributionError::RegistryError { envelope, url } => {
            let errors: Vec<String> = envelope
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.code, e.message))
                .collect();
            format!("the registry answered {} for {url}", errors.join("; "))
        }
        OciDistributionError::UnauthorizedError { url } => {
            format!("HTTP 401 Unauthorized for {url}")
        }
        other => other.to_string(),
    };
    let mut source = std::error::Error::source(error);
    // Causes are often repeated by the wrapper's message; add only what is new.
    let mut depth = 0;
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    text
}

/// Parses what follows `docker://`: `REGISTRY/REPO[:TAG][@DIGEST]` (Docker Hub's short names expand as the
/// Docker CLI expands them).
pub fn parse_reference(text: &str) -> Result<Reference, String> {
    let reference: Reference = text.parse().map_err(|e| {
        format!("not an image reference ({e}); write docker://REGISTRY/REPOSITORY:TAG or @sha256:…")
    })?;
    if let Some(digest) = reference.digest() {
        if parse_sha256(digest).is_none() {
            return Err(format!(
                "unsupported or malformed digest {digest:?} (want sha256:<64 hex>)"
            ));
        }
    }
    Ok(reference)
}

/// Blobs of one repository, as [`Files`] (`blobs/sha256/<hex>` names, like an OCI layout's).
struct RegistryFiles {
    session: Arc<Session>,
    reference: Reference,
    credential: Credential,
    /// Each blob's size as its manifest gives it: a stream is cut off (and fails) past it, so a hostile
    /// registry cannot stream forever.
    sizes: Mutex<HashMap<String, u64>>,
}

impl RegistryFiles {
    fn registry(&self) -> &str {
        self.reference.resolve_registry()
    }

    fn io_error(&self, failure: Failure) -> io::Error {
        io::Error::other(failure.describe(&self.credential, self.registry()))
    }

    /// A manifest or index by digest or tag: its bytes (checked against the digest) and digest.
    fn manifest(&self, reference: &Reference) -> Result<(Vec<u8>, String), String> {
        let client = &self.session.client;
        let auth = &self.credential.auth;
        let (bytes, digest) = self
            .session
            .runtime
            .block_on(
                self.session
                    .retrying(|| client.pull_manifest_raw(reference, auth, ACCEPTED_MANIFESTS)),
            )
            .map_err(|f| f.describe(&self.credential, self.registry()))?;
        if bytes.len() as u64 > METADATA_LIMIT {
            return Err(format!(
                "{} bytes, over the {METADATA_LIMIT}-byte limit for metadata",
                bytes.len()
            ));
        }
        let actual = sha256_digest(&bytes);
        if let Some(wanted) = reference.digest() {
            if actual != wanted {
                return Err(format!(
                    "digest mismatch: expected {wanted}, content hashes to {actual}"
                ));
            }
        }
        if parse_sha256(&digest).is_some() && digest != actual {
            return Err(format!(
                "digest mismatch: the registry says {digest}, content hashes to {actual}"
            ));
        }
        Ok((bytes.to_vec(), actual))
    }
}

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
        let client = &session.client;
        let reference = &self.reference;
        let first = session
            .runtime
            .block_on(session.retrying(|| {
                session.blob_requests.fetch_add(1, Ordering::Relaxed);
                client.pull_blob_stream(reference, digest.as_str())
            }))
            .map_err(|f| self.io_error(f))?;
        let size = first.content_length.unwrap_or(0);
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
            reference: self.reference.clone(),
            credential: self.credential.clone(),
            digest,
            tx,
        };
        let task = session.runtime.spawn(pump.run(first));
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
    reference: Reference,
    credential: Credential,
    digest: String,
    tx: tokio::sync::mpsc::Sender<io::Result<bytes::Bytes>>,
}

impl Pump {
    async fn run(self, first: SizedStream) {
        let mut stream = first.stream;
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
                        .bytes
                        .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if self.tx.send(Ok(chunk)).await.is_err() {
                        return; // the reader is gone
                    }
                }
                Some(Err(error)) => {
                    breaks += 1;
                    if !transient_io(&error) || breaks >= self.session.retry.attempts {
                        let what = if breaks > 1 {
                            format!("{error} (after {breaks} attempts)")
                        } else {
                            error.to_string()
                        };
                        let what = self.credential.scrub(&what);
                        let _ = self.tx.send(Err(io::Error::other(what))).await;
                        return;
                    }
                    tokio::time::sleep(self.session.retry.delay(breaks)).await;
                    let client = &self.session.client;
                    let resumed = self
                        .session
                        .retrying(|| {
                            self.session.blob_requests.fetch_add(1, Ordering::Relaxed);
                            client.pull_blob_stream_partial(
                                &self.reference,
                                self.digest.as_str(),
                                sent,
                                None,
                            )
                        })
                        .await;
                    match resumed {
                        Ok(BlobResponse::Partial(s)) => {
                            stream = s.stream;
                            skip = 0;
                        }
                        Ok(BlobResponse::Full(s)) => {
                            stream = s.stream;
                            skip = sent;
                        }
                        Err(failure) => {
                            let what = failure
                                .describe(&self.credential, self.reference.resolve_registry());
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

fn is_index(media_type: Option<&str>, value: &serde_json::Value) -> bool {
    match media_type {
        Some(m) => matches!(
            m,
            "application/vnd.oci.image.index.v1+json"
                | "application/vnd.docker.distribution.manifest.list.v2+json"
        ),
        None => value.get("manifests").is_some(),
    }
}

/// An image manifest found in the (possibly nested) index, with its bytes once fetched.
struct Candidate {
    digest: String,
    platform: Option<Platform>,
    bytes: Option<Vec<u8>>,
}

/// Opens the images a registry reference selects for the platform choice.
pub fn open(input: &str, text: &str, choice: &PlatformChoice) -> Result<Vec<Image>, ImageError> {
    let fail = |part: &str, what: String| ImageError::new(input, part, what);
    let reference = parse_reference(text).map_err(|e| fail("", e))?;
    let session = session().map_err(|e| fail("", e))?;
    let registry = reference.resolve_registry().to_string();
    let credential = session
        .credential(&registry)
        .map_err(|e| fail("credentials", e))?;
    let files = Arc::new(RegistryFiles {
        session,
        reference: reference.clone(),
        credential,
        sizes: Mutex::new(HashMap::new()),
    });
    let top_part = match reference.digest() {
        Some(d) => format!("manifest {d}"),
        None => format!("manifest {}", reference.tag().unwrap_or("latest")),
    };
    let (bytes, digest) = files.manifest(&reference).map_err(|e| fail(&top_part, e))?;
    let mut candidates = Vec::new();
    collect(input, &files, bytes, digest, None, 0, &mut candidates)?;
    // Candidates whose index entry names no platform get it from their config (and are kept, loaded).
    let mut with_platform = Vec::new();
    for candidate in candidates {
        match candidate.platform.clone() {
            Some(p) => with_platform.push((p, (candidate, None))),
            None => {
                let image = load_manifest(input, &files, &reference, &candidate)?;
                with_platform.push((image.platform.clone(), (candidate, Some(image))));
            }
        }
    }
    let chosen = choose(with_platform, choice).map_err(|what| fail(&top_part, what))?;
    chosen
        .into_iter()
        .map(|(platform, (candidate, loaded))| {
            let mut image = match loaded {
                Some(image) => image,
                None => load_manifest(input, &files, &reference, &candidate)?,
            };
            image.platform = platform;
            Ok(image)
        })
        .collect()
}

/// Expands a manifest or index into image manifests, following nested indexes.
fn collect(
    input: &str,
    files: &RegistryFiles,
    bytes: Vec<u8>,
    digest: String,
    platform: Option<Platform>,
    depth: usize,
    out: &mut Vec<Candidate>,
) -> Result<(), ImageError> {
    let part = format!("manifest {digest}");
    let value: serde_json::Value = parse_json(input, &part, &bytes)?;
    let media_type = value.get("mediaType").and_then(|m| m.as_str());
    if value.get("schemaVersion").and_then(|v| v.as_i64()) == Some(1) {
        return Err(ImageError::new(
            input,
            part,
            "a Docker schema 1 manifest; nsslint reads schema 2 and OCI images (push it again with a current client)",
        ));
    }
    if !is_index(media_type, &value) {
        out.push(Candidate {
            digest,
            platform,
            bytes: Some(bytes),
        });
        return Ok(());
    }
    if depth >= MAX_INDEX_DEPTH {
        return Err(ImageError::new(
            input,
            part,
            format!("indexes nested more than {MAX_INDEX_DEPTH} deep"),
        ));
    }
    let index: ImageIndex = parse_json(input, &format!("index {digest}"), &bytes)?;
    for descriptor in index.manifests() {
        if is_attestation(descriptor) {
            continue;
        }
        let child = descriptor.digest().to_string();
        if parse_sha256(&child).is_none() {
            return Err(ImageError::new(
                input,
                format!("index {digest}"),
                format!("unsupported or malformed digest {child:?} (want sha256:<64 hex>)"),
            ));
        }
        let child_platform = platform_of_descriptor(descriptor);
        let nested = matches!(
            descriptor.media_type().to_string().as_str(),
            "application/vnd.oci.image.index.v1+json"
                | "application/vnd.docker.distribution.manifest.list.v2+json"
        );
        if nested {
            let reference = files.reference.clone_with_digest(child.clone());
            let (bytes, child) = files
                .manifest(&reference)
                .map_err(|e| ImageError::new(input, format!("index {child}"), e))?;
            collect(input, files, bytes, child, child_platform, depth + 1, out)?;
        } else {
            out.push(Candidate {
                digest: child,
                platform: child_platform,
                bytes: None,
            });
        }
    }
    Ok(())
}

fn load_manifest(
    input: &str,
    files: &Arc<RegistryFiles>,
    reference: &Reference,
    candidate: &Candidate,
) -> Result<Image, ImageError> {
    let digest = &candidate.digest;
    let part = format!("manifest {digest}");
    let bytes = match &candidate.bytes {
        Some(b) => b.clone(),
        None => {
            files
                .manifest(&reference.clone_with_digest(digest.clone()))
                .map_err(|e| ImageError::new(input, &part, e))?
                .0
        }
    };
    let manifest: ImageManifest = parse_json(input, &part, &bytes)?;
    let config_digest = manifest.config().digest().to_string();
    {
        let mut sizes = files.sizes.lock().unwrap_or_else(|e| e.into_inner());
        sizes.insert(
            config_digest.clone(),
            manifest.config().size().min(METADATA_LIMIT),
        );
        for layer in manifest.layers() {
            sizes.insert(layer.digest().to_string(), layer.size());
        }
    }
    let config_bytes = read_verified_blob(input, files.as_ref(), &config_digest, "config")?;
    let config: ImageConfiguration =
        parse_json(input, &format!("config {config_digest}"), &config_bytes)?;
    let diff_ids = config.rootfs().diff_ids();
    let descriptors = manifest.layers();
    if diff_ids.len() != descriptors.len() {
        return Err(ImageError::new(
            input,
            &part,
            format!(
                "lists {} layers but its config lists {} diff IDs",
                descriptors.len(),
                diff_ids.len()
            ),
        ));
    }
    let mut layers = Vec::with_capacity(descriptors.len());
    for (index, (descriptor, diff_id)) in descriptors.iter().zip(diff_ids).enumerate() {
        let layer_digest = descriptor.digest().to_string();
        let location = blob_name(&layer_digest).ok_or_else(|| {
            ImageError::new(
                input,
                &part,
                format!(
                    "layer {} has an unsupported digest {layer_digest:?}",
                    index + 1
                ),
            )
        })?;
        layers.push(Layer {
            index,
            digest: layer_digest.clone(),
            media_type: Some(descriptor.media_type().to_string()),
            location,
            expected: Expected {
                blob_digest: Some(layer_digest),
                blob_size: Some(descriptor.size()),
                diff_id: Some(diff_id.clone()),
            },
        });
    }
    let platform = Platform {
        os: config.os().to_string(),
        architecture: config.architecture().to_string(),
        variant: config.variant().clone(),
    };
    let files: Arc<dyn Files> = files.clone();
    Ok(Image {
        input: input.to_string(),
        name: Some(display_name(reference)),
        manifest_digest: Some(digest.clone()),
        platform,
        config,
        config_digest: Some(config_digest),
        layers,
        files,
    })
}

/// `registry/repository:tag` (or `@digest`), as users write it.
fn display_name(reference: &Reference) -> String {
    let base = format!("{}/{}", reference.registry(), reference.repository());
    match (reference.tag(), reference.digest()) {
        (Some(tag), _) => format!("{base}:{tag}"),
        (None, Some(digest)) => format!("{base}@{digest}"),
        (None, None) => base,
    }
}

/// A registry and repository from `REGISTRY/REPO` (no tag), for listing tags.
fn repository_reference(text: &str) -> Result<Reference, String> {
    let text = text.trim_start_matches("docker://");
    let last = text.rsplit('/').next().unwrap_or(text);
    if text.contains('@') || (text.contains('/') && last.contains(':')) {
        return Err(format!(
            "{text:?}: give a repository without a tag or digest (REGISTRY/REPOSITORY)"
        ));
    }
    parse_reference(text)
}

/// Every tag of a repository (the tags list API, page by page), as `docker://` inputs.
pub fn list_tags(repository: &str) -> Result<Vec<String>, String> {
    let reference = repository_reference(repository)?;
    let session = session()?;
    let registry = reference.resolve_registry().to_string();
    let credential = session.credential(&registry)?;
    let client = &session.client;
    let mut tags: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = session
            .runtime
            .block_on(session.retrying(|| {
                client.list_tags(&reference, &credential.auth, Some(PAGE), last.as_deref())
            }))
            .map_err(|f| {
                format!(
                    "{repository}: tags list: {}",
                    f.describe(&credential, &registry)
                )
            })?;
        let count = page.tags.len();
        let next = page.tags.last().cloned();
        tags.extend(page.tags);
        if count < PAGE || next.is_none() || next == last {
            break;
        }
        last = next;
    }
    tags.sort();
    tags.dedup();
    let base = format!("{}/{}", reference.registry(), reference.repository());
    Ok(tags
        .into_iter()
        .map(|t| format!("docker://{base}:{t}"))
        .collect())
}

/// Every repository of a registry (`/v2/_catalog`, page by page).
pub fn catalog(registry: &str) -> Result<Vec<String>, String> {
    let host = registry
        .trim_start_matches("docker://")
        .trim_end_matches('/')
        .to_string();
    if host.is_empty() || host.contains('/') {
        return Err(format!(
            "{registry:?}: give a registry host, e.g. registry.example.com:5000"
        ));
    }
    let reference = Reference::with_tag(host.clone(), "catalog".into(), "latest".into());
    let session = session()?;
    let credential = session.credential(reference.resolve_registry())?;
    let client = &session.client;
    let mut repositories: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = session
            .runtime
            .block_on(session.retrying(|| {
                client.catalog(&reference, &credential.auth, Some(PAGE), last.as_deref())
            }))
            .map_err(|f| format!("{host}: catalog: {}", f.describe(&credential, &host)))?;
        let count = page.repositories.len();
        let next = page.repositories.last().cloned();
        repositories.extend(page.repositories);
        if count < PAGE || next.is_none() || next == last {
            break;
        }
        last = next;
    }
    repositories.sort();
    repositories.dedup();
    Ok(repositories
        .into_iter()
        .map(|r| format!("{host}/{r}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_tags_digests_and_ports() {
        let r = parse_reference("127.0.0.1:5000/team/app:1.4").unwrap();
        assert_eq!(r.resolve_registry(), "127.0.0.1:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(display_name(&r), "127.0.0.1:5000/team/app:1.4");
        let d = format!("reg.example/app@sha256:{}", "a".repeat(64));
        assert_eq!(
            parse_reference(&d).unwrap().digest().map(str::len),
            Some(71)
        );
        assert!(parse_reference("reg.example/app@sha256:abc").is_err());
        assert!(parse_reference("UPPER/Case:x").is_err());
    }

    #[test]
    fn delays_double_and_stay_capped() {
        let p = RetryPolicy {
            attempts: 9,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert!(
            p.delay(1) >= Duration::from_millis(100) && p.delay(1) < Duration::from_millis(130)
        );
        assert!(p.delay(3) >= Duration::from_millis(400));
        assert!(p.delay(40) <= Duration::from_millis(1250));
    }

    #[test]
    fn repositories_for_tag_listing_carry_no_tag() {
        assert!(repository_reference("reg.example:5000/team/app").is_ok());
        assert!(repository_reference("reg.example:5000/team/app:1.0").is_err());
    }
}
