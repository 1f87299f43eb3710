//! Why a registry request failed, and what follows from it: whether another try can help (429, 408, 5xx, a
//! broken connection; never a TLS handshake), how long the registry asked to wait (`Retry-After`, seconds or
//! an HTTP-date), and the message a user reads, scrubbed of secrets, with the hint that fixes the common
//! causes (`--registry-ca`, `--insecure-registry`, credentials not found or not accepted).

use std::io;
use std::time::Duration;

use oci_client::errors::OciEnvelope;

use super::credentials::Credential;
use crate::error::error_chain;

/// Why one request failed.
pub(super) enum Fault {
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
    pub(super) async fn from_response(response: reqwest::Response, token_server: bool) -> Fault {
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
    pub(super) fn transient(&self) -> bool {
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

    pub(super) fn retry_after(&self) -> Option<Duration> {
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
pub(super) struct Failure {
    pub(super) fault: Fault,
    pub(super) attempts: u32,
    /// A `Retry-After` over the cap: (asked, cap).
    pub(super) refused_wait: Option<(Duration, Duration)>,
}

impl Failure {
    /// In words, scrubbed of the registry's secrets, with a hint where one helps.
    pub(super) fn describe(&self, credential: &Credential, registry: &str) -> String {
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

/// Reads a whole (small) body, refusing one over `limit` bytes.
pub(super) async fn read_limited(
    mut response: reqwest::Response,
    limit: u64,
) -> Result<Vec<u8>, Fault> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
