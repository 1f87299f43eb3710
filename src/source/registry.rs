//! Registries (`docker://REGISTRY/REPO:TAG` or `@sha256:…`): the tag resolves to a manifest or an index
//! (OCI and Docker v2 media types), the platform is chosen as for local images, and the config and layers
//! are blobs read through [`Files`], so the layer walk is the same one. References are parsed by
//! `oci-client`; the requests are made here with its `reqwest`, so that the answers' headers are seen.
//!
//! Layer blobs stream: `open` starts the GET on the session's tokio runtime and hands back a `Read` fed
//! through a bounded channel (a few chunks ahead of the walker; no blob on disk, no whole blob in memory).
//! A stream that breaks is resumed where it broke (a `Range` request), a bounded number of times. Requests
//! that fail with 429, 408, 5xx or a broken connection are retried with exponential backoff, waiting at
//! least what `Retry-After` asks (up to a cap). A 401 is answered as its `WWW-Authenticate` asks: a bearer
//! token from the registry's token server, or basic auth. The walker checks each layer's digest and size as
//! it reads; manifests and configs are checked on arrival.

use super::auth::{normalize_host, Credential, DockerConfig};
use super::files::{Files, METADATA_LIMIT};
use super::oci::{check_is_image, layers_of, parse_json, read_verified_blob};
use super::oci::{is_attestation, platform_of_descriptor};
use super::platform::{choose, Platform, PlatformChoice};
use super::{parse_sha256, sha256_digest, Image};
use crate::error::ImageError;
use futures_util::StreamExt;
use oci_client::errors::OciEnvelope;
use oci_client::secrets::RegistryAuth;
use oci_client::Reference;
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
    /// The longest `Retry-After` waited for; a registry that asks for more gives up the image.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
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
    /// PEM files of CA certificates trusted besides the platform's (`--registry-ca`).
    pub ca_files: Vec<std::path::PathBuf>,
    pub retry: RetryPolicy,
}

/// The certificates of `--registry-ca` files.
fn extra_roots(files: &[std::path::PathBuf]) -> Result<Vec<reqwest::Certificate>, String> {
    let mut roots = Vec::new();
    for file in files {
        let shown = file.display();
        let pem = std::fs::read(file).map_err(|e| format!("--registry-ca {shown}: {e}"))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("--registry-ca {shown}: not PEM certificates: {e}"))?;
        if certs.is_empty() {
            return Err(format!(
                "--registry-ca {shown}: no certificate in it (want PEM: -----BEGIN CERTIFICATE-----)"
            ));
        }
        roots.extend(certs);
    }
    Ok(roots)
}

/// How requests to one repository (or a registry's catalog) are authorized, once a challenge said how.
#[derive(Clone)]
enum Authorization {
    Bearer(String),
    Basic,
}

/// One process's connection to registries: the runtime the requests run on, the HTTP client, the tokens
/// and credentials found so far, and how many blob bytes came in.
///
/// The requests are made here with `reqwest` (the version `oci-client` uses, so no second copy) rather than
/// through `oci-client`'s pull functions, which turn an HTTP failure into an error without its headers:
/// `Retry-After` and `WWW-Authenticate` are read from the answers themselves.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// Hosts spoken to over plain HTTP (normalized).
    insecure: Vec<String>,
    retry: RetryPolicy,
    docker_config: Result<DockerConfig, String>,
    credentials: Mutex<HashMap<String, Result<Credential, String>>>,
    /// By (registry, scope): how the last challenge was answered.
    authorizations: Mutex<HashMap<(String, String), Authorization>>,
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

/// What requests go to: one repository of a registry (or its catalog), with the registry's credentials.
struct Target {
    /// `host[:port]`, as `Reference::resolve_registry` gives it.
    registry: String,
    /// The token scope: `repository:NAME:pull`, or `registry:catalog:*`.
    scope: String,
    credential: Credential,
}

impl Target {
    fn repository(reference: &Reference, credential: Credential) -> Target {
        Target {
            registry: reference.resolve_registry().to_string(),
            scope: format!("repository:{}:pull", reference.repository()),
            credential,
        }
    }
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
        // Certificates are checked against the platform's trust store (rustls-platform-verifier; on Linux the
        // system's CA bundle, or only the file SSL_CERT_FILE names) and the --registry-ca certificates.
        // Redirects (blob storage) are followed, and reqwest drops the Authorization header when one leads
        // to another host.
        let roots = extra_roots(&options.ca_files)?;
        let http = runtime
            .block_on(async {
                reqwest::Client::builder()
                    .tls_certs_merge(roots)
                    .connect_timeout(Duration::from_secs(30))
                    .read_timeout(Duration::from_secs(120))
                    .user_agent(concat!("nsslint/", env!("CARGO_PKG_VERSION")))
                    .build()
            })
            .map_err(|e| format!("cannot start the registry client: {e}"))?;
        Ok(Session {
            runtime,
            http,
            insecure,
            retry: options.retry,
            docker_config: DockerConfig::load(),
            credentials: Mutex::new(HashMap::new()),
            authorizations: Mutex::new(HashMap::new()),
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

    fn url(&self, registry: &str, path: &str) -> String {
        let scheme = if self.insecure.contains(&normalize_host(registry)) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{registry}{path}")
    }

    fn authorization(&self, target: &Target) -> Option<Authorization> {
        let known = self
            .authorizations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        known
            .get(&(target.registry.clone(), target.scope.clone()))
            .cloned()
    }

    fn remember(&self, target: &Target, authorization: Authorization) {
        let mut known = self
            .authorizations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        known.insert(
            (target.registry.clone(), target.scope.clone()),
            authorization,
        );
    }

    /// One GET of `path` on the target's registry, authorized as its last challenge asked. A 401 that asks
    /// for a bearer token (or for basic auth, with credentials at hand) is answered and the GET made once
    /// more; any other answer but a success is a [`Fault`] carrying the status and `Retry-After`.
    async fn get(
        &self,
        target: &Target,
        path: &str,
        accept: Option<&str>,
        offset: Option<u64>,
    ) -> Result<reqwest::Response, Fault> {
        let url = self.url(&target.registry, path);
        let mut answered = false;
        loop {
            let authorization = self.authorization(target);
            let mut request = self.http.get(&url);
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            if let Some(offset) = offset {
                request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
            }
            request = match (&authorization, &target.credential.auth) {
                (Some(Authorization::Bearer(token)), _) => request.bearer_auth(token),
                (Some(Authorization::Basic), RegistryAuth::Basic(user, password)) => {
                    request.basic_auth(user, Some(password))
                }
                _ => request,
            };
            let response = request.send().await.map_err(Fault::Transport)?;
            let status = response.status();
            if status.is_success() {
                return Ok(response);
            }
            if status == reqwest::StatusCode::UNAUTHORIZED && !answered {
                let challenge = response
                    .headers()
                    .get(reqwest::header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Challenge::parse);
                match challenge {
                    Some(Challenge::Bearer { realm, service }) => {
                        drop(response);
                        let token = self.token(target, &realm, service.as_deref()).await?;
                        self.remember(target, Authorization::Bearer(token));
                        answered = true;
                        continue;
                    }
                    Some(Challenge::Basic)
                        if matches!(target.credential.auth, RegistryAuth::Basic(..))
                            && !matches!(authorization, Some(Authorization::Basic)) =>
                    {
                        self.remember(target, Authorization::Basic);
                        answered = true;
                        continue;
                    }
                    _ => {}
                }
            }
            return Err(Fault::from_response(response, false).await);
        }
    }

    /// A bearer token from the registry's token server (`realm`) for the target's scope: anonymous, or
    /// with the registry's credentials as a basic login — sent only over HTTPS, or to the registry's own
    /// host (a plain-HTTP test registry serving its own tokens).
    async fn token(
        &self,
        target: &Target,
        realm: &str,
        service: Option<&str>,
    ) -> Result<String, Fault> {
        let mut url = reqwest::Url::parse(realm).map_err(|e| {
            Fault::Other(format!(
                "the registry {} names a token server that is not a URL ({realm:?}: {e})",
                target.registry
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Fault::Other(format!(
                "the registry {} names a token server that is not HTTP(S): {realm:?}",
                target.registry
            )));
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", &target.scope);
        }
        let mut request = self.http.get(url.clone());
        if let RegistryAuth::Basic(user, password) = &target.credential.auth {
            if credentials_may_go_to(&url, &target.registry) {
                request = request.basic_auth(user, Some(password));
            }
        }
        let response = request.send().await.map_err(Fault::Transport)?;
        if !response.status().is_success() {
            return Err(Fault::from_response(response, true).await);
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body = read_limited(response, 1 << 20).await?;
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| {
            Fault::Other(format!(
                "the token server {realm} answered with no token ({e})"
            ))
        })?;
        answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Fault::Other(format!("the token server {realm} answered with no token")))
    }

    /// Runs a request, again after a transient failure, up to the policy's attempts. The wait is the
    /// backoff or the answer's `Retry-After`, whichever is longer; a `Retry-After` over the policy's cap is
    /// not waited for: the request fails at once, saying what was asked.
    async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Fault>>,
    {
        let mut attempt = 1;
        loop {
            match request().await {
                Ok(value) => return Ok(value),
                Err(fault) if fault.transient() && attempt < self.retry.attempts => {
                    let asked = fault.retry_after();
                    if let Some(asked) = asked.filter(|a| *a > self.retry.max_retry_after) {
                        return Err(Failure {
                            fault,
                            attempts: attempt,
                            refused_wait: Some((asked, self.retry.max_retry_after)),
                        });
                    }
                    let wait = self.retry.delay(attempt).max(asked.unwrap_or_default());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(fault) => {
                    return Err(Failure {
                        fault,
                        attempts: attempt,
                        refused_wait: None,
                    })
                }
            }
        }
    }
}

/// Whether a registry's credentials may go to the token server it named: over HTTPS, or on the registry's
/// own host and port (a plain-HTTP registry serving its own tokens); never in clear text to another host.
fn credentials_may_go_to(realm: &reqwest::Url, registry: &str) -> bool {
    let same_host = realm
        .host_str()
        .map(|h| match realm.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        })
        .is_some_and(|h| normalize_host(&h) == normalize_host(registry));
    realm.scheme() == "https" || same_host
}

/// A `WWW-Authenticate` challenge, as far as it matters here.
#[derive(Debug, PartialEq)]
enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
    },
    Basic,
}

impl Challenge {
    /// `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"` (the first challenge given).
    fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let mut params: HashMap<String, String> = HashMap::new();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let key: String = chars
                .by_ref()
                .take_while(|c| *c != '=')
                .collect::<String>()
                .trim()
                .to_ascii_lowercase();
            if key.is_empty() {
                break;
            }
            let mut value = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => value.extend(chars.next()),
                        '"' => break,
                        c => value.push(c),
                    }
                }
            } else {
                value = chars
                    .by_ref()
                    .take_while(|c| *c != ',')
                    .collect::<String>()
                    .trim()
                    .to_string();
            }
            params.insert(key, value);
        }
        Some(Challenge::Bearer {
            realm: params.remove("realm").filter(|r| !r.is_empty())?,
            service: params.remove("service"),
        })
    }
}

/// `Retry-After`: delay-seconds, or an HTTP-date (IMF-fixdate, as RFC 9110 has senders write it); a date
/// in the past is no wait.
fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_http_date(value: &str) -> Option<std::time::SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms[..] else { return None };
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(std::time::UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s))
}

/// Reads a whole (small) body, refusing one over `limit` bytes.
async fn read_limited(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, Fault> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Fault::Transport)? {
        body.extend_from_slice(&chunk);
        if body.len() as u64 > limit {
            return Err(Fault::Other(format!(
                "{} bytes or more, over the {limit}-byte limit for metadata",
                body.len()
            )));
        }
    }
    Ok(body)
}

/// Why one request failed.
enum Fault {
    /// The registry (or its token server) answered with an error status.
    Status {
        code: u16,
        url: String,
        /// The error envelope's codes and messages, else the start of the body.
        message: String,
        retry_after: Option<Duration>,
        token_server: bool,
    },
    /// No answer: the connection, TLS, a timeout, a broken body.
    Transport(reqwest::Error),
    Other(String),
}

impl Fault {
    async fn from_response(response: reqwest::Response, token_server: bool) -> Fault {
        let code = response.status().as_u16();
        let mut url = response.url().clone();
        // A token URL's query names only service and scope, but keep messages short.
        url.set_query(None);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
        let body = read_limited(response, 64 * 1024).await.unwrap_or_default();
        let message = match serde_json::from_slice::<OciEnvelope>(&body) {
            Ok(envelope) if !envelope.errors.is_empty() => envelope
                .errors
                .iter()
                .map(|e| format!("{:?}: {}", e.code, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            _ => String::from_utf8_lossy(&body)
                .trim()
                .chars()
                .take(300)
                .collect(),
        };
        Fault::Status {
            code,
            url: url.to_string(),
            message,
            retry_after,
            token_server,
        }
    }

    /// Worth another try: rate limits, server errors, broken connections, timeouts.
    fn transient(&self) -> bool {
        match self {
            Fault::Status { code, .. } => {
                *code == 429 || *code == 408 || (500..=599).contains(code)
            }
            Fault::Transport(e) => {
                (e.is_connect() || e.is_timeout() || e.is_request() || e.is_body())
                    && !tls_failure(e)
            }
            Fault::Other(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Fault::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn unauthorized(&self) -> bool {
        match self {
            Fault::Status { code, message, .. } => {
                *code == 401
                    || *code == 403
                    || message.starts_with("Unauthorized:")
                    || message.starts_with("Denied:")
            }
            _ => false,
        }
    }
}

/// A request that failed for good.
struct Failure {
    fault: Fault,
    attempts: u32,
    /// A `Retry-After` over the cap: (asked, cap).
    refused_wait: Option<(Duration, Duration)>,
}

impl Failure {
    /// In words, scrubbed of the registry's secrets, with a hint where one helps.
    fn describe(&self, credential: &Credential, registry: &str) -> String {
        let mut text = match &self.fault {
            Fault::Status {
                code,
                url,
                message,
                token_server,
                ..
            } => {
                let whose = if *token_server {
                    "the token server "
                } else {
                    ""
                };
                format!("HTTP {code} from {whose}{url}: {message}")
            }
            Fault::Transport(e) => {
                let mut text = error_chain(e);
                if certificate_failure(e) {
                    text.push_str(&format!(
                        "; the TLS handshake with {registry} failed: its certificate is not trusted (for a private CA or a self-signed registry, give --registry-ca FILE with the CA's certificate)"
                    ));
                } else if tls_failure(e) {
                    text.push_str(&format!(
                        "; the TLS handshake with {registry} failed (for a plain-HTTP registry, give --insecure-registry {registry})"
                    ));
                }
                text
            }
            Fault::Other(text) => text.clone(),
        };
        if self.fault.unauthorized() {
            text.push_str(&match &credential.source {
                Some(source) => format!("; the credentials for {registry} from {source} were not accepted"),
                None => format!(
                    "; no credentials for {registry} were found (DOCKER_CONFIG or ~/.docker/config.json: auths, credHelpers, credsStore)"
                ),
            });
        }
        if let Some((asked, cap)) = self.refused_wait {
            text.push_str(&format!(
                "; the registry {registry} asked to wait {} s before trying again (Retry-After), more than the {} s nsslint waits, so it gave up without waiting",
                asked.as_secs(),
                cap.as_secs()
            ));
        }
        if self.attempts > 1 {
            text.push_str(&format!(" (after {} attempts)", self.attempts));
        }
        credential.scrub(&text)
    }
}

/// A TLS handshake that failed (a plain-HTTP server, an untrusted certificate) fails the same way again.
fn tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    rustls_error(error).is_some()
}

/// A certificate the verifier refused (an unknown issuer, a wrong name, expired).
fn certificate_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    matches!(
        rustls_error(error),
        Some(rustls::Error::InvalidCertificate(_))
    )
}

fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        // io::Error's source() skips the error it wraps; look inside it.
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            current = Some(inner);
            continue;
        }
        current = e.source();
    }
    None
}

/// An error with its causes, one line: reqwest's own message leaves out the cause that matters.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
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
    target: Arc<Target>,
    /// Each blob's size as its manifest gives it: a stream is cut off (and fails) past it, so a hostile
    /// registry cannot stream forever.
    sizes: Mutex<HashMap<String, u64>>,
}

impl RegistryFiles {
    fn registry(&self) -> &str {
        &self.target.registry
    }

    fn io_error(&self, failure: Failure) -> io::Error {
        io::Error::other(failure.describe(&self.target.credential, self.registry()))
    }

    /// A manifest or index by digest or tag: its bytes (checked against the digest) and digest.
    fn manifest(&self, reference: &Reference) -> Result<(Vec<u8>, String), String> {
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
                session.blob_requests.fetch_add(1, Ordering::Relaxed);
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
                            self.session.blob_requests.fetch_add(1, Ordering::Relaxed);
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
        target: Arc::new(Target::repository(&reference, credential)),
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
    check_is_image(input, &part, &manifest)?;
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
    let layers = layers_of(input, &part, &manifest, &config)?;
    let platform = Platform::of_config(&config);
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

/// `n=PAGE[&last=NAME]`, the list APIs' pagination.
fn page_query(last: Option<&str>) -> String {
    let mut query = format!("n={PAGE}");
    if let Some(last) = last {
        query.push_str("&last=");
        for byte in last.bytes() {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
                query.push(byte as char);
            } else {
                query.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    query
}

/// One page of a list API, as JSON (bounded like metadata).
fn list_page<T: serde::de::DeserializeOwned>(
    session: &Session,
    target: &Target,
    path: &str,
) -> Result<T, Failure> {
    session.runtime.block_on(session.retrying(|| async {
        let response = session.get(target, path, None, None).await?;
        let url = response.url().path().to_string();
        let body = read_limited(response, METADATA_LIMIT).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Fault::Other(format!("{url}: not the JSON of a list API: {e}")))
    }))
}

/// Every tag of a repository (the tags list API, page by page), as `docker://` inputs.
pub fn list_tags(repository: &str) -> Result<Vec<String>, String> {
    let reference = repository_reference(repository)?;
    let session = session()?;
    let registry = reference.resolve_registry().to_string();
    let credential = session.credential(&registry)?;
    let target = Target::repository(&reference, credential);
    let mut tags: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for _ in 0..MAX_PAGES {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let path = format!(
            "/v2/{}/tags/list?{}",
            reference.repository(),
            page_query(last.as_deref())
        );
        let page: Page = list_page(&session, &target, &path).map_err(|f| {
            format!(
                "{repository}: tags list: {}",
                f.describe(&target.credential, &registry)
            )
        })?;
        let page = page.tags.unwrap_or_default();
        let count = page.len();
        let next = page.last().cloned();
        tags.extend(page);
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
    let session = session()?;
    let target = Target {
        registry: host.clone(),
        scope: "registry:catalog:*".into(),
        credential: session.credential(&host)?,
    };
    let mut repositories: Vec<String> = Vec::new();
    let mut last: Option<String> = None;
    for _ in 0..MAX_PAGES {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Vec<String>,
        }
        let path = format!("/v2/_catalog?{}", page_query(last.as_deref()));
        let page: Page = list_page(&session, &target, &path)
            .map_err(|f| format!("{host}: catalog: {}", f.describe(&target.credential, &host)))?;
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
            max_retry_after: Duration::from_secs(60),
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

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(86_400))
        );
        // 2000-02-29 (a leap day) and 2024-03-01.
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(std::time::UNIX_EPOCH + Duration::from_secs(951_782_400))
        );
        assert_eq!(
            parse_http_date("Fri, 01 Mar 2024 12:00:00 GMT"),
            Some(std::time::UNIX_EPOCH + Duration::from_secs(1_709_294_400))
        );
        // A date in the past is no wait; nonsense is no Retry-After at all.
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 25:00:00 GMT", now),
            None
        );
    }

    #[test]
    fn challenges_parse_with_quoted_commas() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("reg.example".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"bearer service=x, realm="http://127.0.0.1:5/t""#),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:5/t".into(),
                service: Some("x".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="nsslint-test""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse(r#"Bearer service="x""#), None);
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn page_queries_escape_the_last_name() {
        assert_eq!(page_query(None), "n=100");
        assert_eq!(page_query(Some("team/app")), "n=100&last=team/app");
        assert_eq!(page_query(Some("a b&c")), "n=100&last=a%20b%26c");
    }

    #[test]
    fn credentials_go_to_a_token_server_over_https_or_on_the_registry_itself() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(credentials_may_go_to(
            &url("https://auth.example/token"),
            "reg.example"
        ));
        assert!(credentials_may_go_to(
            &url("http://127.0.0.1:5000/token"),
            "127.0.0.1:5000"
        ));
        assert!(!credentials_may_go_to(
            &url("http://127.0.0.1:5001/token"),
            "127.0.0.1:5000"
        ));
        assert!(!credentials_may_go_to(
            &url("http://auth.example/token"),
            "reg.example"
        ));
    }
}
