//! The registry client: one session per process (the tokio runtime, the HTTP client with the platform's
//! trust store and `--registry-ca`, credentials, authorizations, the download counters), and its ways of
//! asking: [`Session::send`], one request answered through any auth challenge ([`Session::get`] for the
//! GETs of reading), and [`Session::retrying`], which
//! repeats a request after a transient failure with exponential backoff, waiting at least what
//! `Retry-After` asks, up to a cap.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use oci_client::secrets::RegistryAuth;

use super::auth::{self, Authorization, Authorizations, Challenge, Target};
use super::credentials::{normalize_host, Credential, Credentials};
use super::fault::{Failure, Fault};

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
    pub(super) fn delay(&self, n: u32) -> Duration {
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

/// What registries sent: blob bytes and blob requests (configs and layers; retries and resumptions
/// included). The job that configures the session owns them and reads them for its progress and summary.
#[derive(Debug, Default)]
pub struct DownloadCounters {
    /// A session was started (some input was read from a registry).
    pub started: AtomicBool,
    pub bytes: AtomicU64,
    pub blob_requests: AtomicU64,
}

impl DownloadCounters {
    /// (bytes, blob requests), once a session has started.
    pub fn figures(&self) -> Option<(u64, u64)> {
        self.started.load(Ordering::Relaxed).then(|| {
            (
                self.bytes.load(Ordering::Relaxed),
                self.blob_requests.load(Ordering::Relaxed),
            )
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Registry hosts (`host[:port]`) spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// PEM files of CA certificates trusted besides the platform's (`--registry-ca`).
    pub ca_files: Vec<std::path::PathBuf>,
    pub retry: RetryPolicy,
    /// Where the session counts what it downloads.
    pub counters: Arc<DownloadCounters>,
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

/// One process's connection to registries: the runtime the requests run on, the HTTP client, the tokens
/// and credentials found so far, and how many blob bytes came in.
///
/// The requests are made here with `reqwest` (the version `oci-client` uses, so no second copy) rather than
/// through `oci-client`'s pull functions, which turn an HTTP failure into an error without its headers:
/// `Retry-After` and `WWW-Authenticate` are read from the answers themselves.
pub struct Session {
    pub(super) runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    /// Hosts spoken to over plain HTTP (normalized).
    insecure: Vec<String>,
    pub(super) retry: RetryPolicy,
    credentials: Credentials,
    authorizations: Authorizations,
    /// What came in, for the job's progress and summary.
    pub(super) counters: Arc<DownloadCounters>,
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
        options.counters.started.store(true, Ordering::Relaxed);
        Ok(Session {
            runtime,
            http,
            insecure,
            retry: options.retry,
            credentials: Credentials::load(),
            authorizations: Authorizations::default(),
            counters: options.counters,
        })
    }

    /// The credentials for a registry (as `Reference::resolve_registry` names it), looked up once.
    pub fn credential(&self, registry: &str) -> Result<Credential, String> {
        self.credentials.for_registry(registry)
    }

    pub(super) fn url(&self, registry: &str, path: &str) -> String {
        let scheme = if self.insecure.contains(&normalize_host(registry)) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{registry}{path}")
    }

    /// One GET of `path` on the target's registry (see [`Session::send`]).
    pub(super) async fn get(
        &self,
        target: &Target,
        path: &str,
        accept: Option<&str>,
        offset: Option<u64>,
    ) -> Result<reqwest::Response, Fault> {
        let url = self.url(&target.registry, path);
        self.send(target, reqwest::Method::GET, &url, &|mut request| {
            if let Some(accept) = accept {
                request = request.header(reqwest::header::ACCEPT, accept);
            }
            if let Some(offset) = offset {
                request = request.header(reqwest::header::RANGE, format!("bytes={offset}-"));
            }
            request
        })
        .await
    }

    /// One request to `url` on the target's registry, made by `build` (headers, body: called again for
    /// each try) and authorized as the target's last challenge asked. A 401 that asks for a bearer token
    /// (or for basic auth, with credentials at hand) is answered and the request made once more; any other
    /// answer but a success is a [`Fault`] carrying the status and `Retry-After`.
    pub(super) async fn send(
        &self,
        target: &Target,
        method: reqwest::Method,
        url: &str,
        build: &(dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder + Sync),
    ) -> Result<reqwest::Response, Fault> {
        let mut answered = false;
        loop {
            let authorization = self.authorizations.get(target);
            let mut request = build(self.http.request(method.clone(), url));
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
                        let token =
                            auth::token(&self.http, target, &realm, service.as_deref()).await?;
                        self.authorizations
                            .remember(target, Authorization::Bearer(token));
                        answered = true;
                        continue;
                    }
                    Some(Challenge::Basic)
                        if matches!(target.credential.auth, RegistryAuth::Basic(..))
                            && !matches!(authorization, Some(Authorization::Basic)) =>
                    {
                        self.authorizations.remember(target, Authorization::Basic);
                        answered = true;
                        continue;
                    }
                    _ => {}
                }
            }
            return Err(Fault::from_response(response, false).await);
        }
    }

    /// Runs a request, again after a transient failure, up to the policy's attempts. The wait is the
    /// backoff or the answer's `Retry-After`, whichever is longer; a `Retry-After` over the policy's cap is
    /// not waited for: the request fails at once, saying what was asked.
    pub(super) async fn retrying<T, F, Fut>(&self, mut request: F) -> Result<T, Failure>
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
