//! Authorization: what a request is for (a repository's pull scope, or the catalog), the `WWW-Authenticate`
//! challenge a 401 carries, the bearer token fetched from the registry's token server (credentials sent only
//! over HTTPS or to the registry itself), and how each scope was last authorized so the next request goes
//! authorized at once.

use std::collections::HashMap;
use std::sync::Mutex;

use oci_client::secrets::RegistryAuth;
use oci_client::Reference;

use super::credentials::{normalize_host, Credential};
use super::fault::{read_limited, Fault};

/// What requests go to: one repository of a registry (or its catalog), with the registry's credentials.
pub(super) struct Target {
    /// `host[:port]`, as `Reference::resolve_registry` gives it.
    pub(super) registry: String,
    /// The token scope: `repository:NAME:pull`, or `registry:catalog:*`; several, space-separated, for a
    /// push (`repository:NAME:pull,push repository:FROM:pull`).
    pub(super) scope: String,
    pub(super) credential: Credential,
}

impl Target {
    pub(super) fn repository(reference: &Reference, credential: Credential) -> Target {
        Target {
            registry: reference.resolve_registry().to_string(),
            scope: format!("repository:{}:pull", reference.repository()),
            credential,
        }
    }
}

/// How requests to one repository (or a registry's catalog) are authorized, once a challenge said how.
#[derive(Clone)]
pub(super) enum Authorization {
    Bearer(String),
    Basic,
}

/// How each (registry, scope) was last authorized, shared by a session's requests.
#[derive(Default)]
pub(super) struct Authorizations(Mutex<HashMap<(String, String), Authorization>>);

impl Authorizations {
    pub(super) fn get(&self, target: &Target) -> Option<Authorization> {
        let known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known
            .get(&(target.registry.clone(), target.scope.clone()))
            .cloned()
    }

    pub(super) fn remember(&self, target: &Target, authorization: Authorization) {
        let mut known = self.0.lock().unwrap_or_else(|e| e.into_inner());
        known.insert(
            (target.registry.clone(), target.scope.clone()),
            authorization,
        );
    }
}

/// A `WWW-Authenticate` challenge, as far as it matters here.
#[derive(Debug, PartialEq)]
pub(super) enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
    },
    Basic,
}

impl Challenge {
    /// `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"` (the first challenge given).
    pub(super) fn parse(header: &str) -> Option<Challenge> {
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

/// A bearer token from the registry's token server (`realm`) for the target's scope: anonymous, or
/// with the registry's credentials as a basic login — sent only over HTTPS, or to the registry's own
/// host (a plain-HTTP test registry serving its own tokens).
pub(super) async fn token(
    http: &reqwest::Client,
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
        // A push that mounts from another repository asks for both scopes, each its own parameter.
        for scope in target.scope.split_whitespace() {
            query.append_pair("scope", scope);
        }
    }
    let mut request = http.get(url.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

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
