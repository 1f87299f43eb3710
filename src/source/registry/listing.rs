//! Listings: every tag of a repository (the tags list API) and every repository of a registry
//! (`/v2/_catalog`), page by page (`n=`/`last=`), bounded in pages; they turn into `docker://` inputs.

use oci_client::Reference;

use super::super::files::METADATA_LIMIT;
use super::auth::Target;
use super::client::{session, Session};
use super::fault::{read_limited, Failure, Fault};
use super::parse_reference;

/// Page size for the tags and catalog lists.
const PAGE: usize = 100;

/// Most pages read from one list (100,000 names).
const MAX_PAGES: usize = 1000;

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
    fn repositories_for_tag_listing_carry_no_tag() {
        assert!(repository_reference("reg.example:5000/team/app").is_ok());
        assert!(repository_reference("reg.example:5000/team/app:1.0").is_err());
    }

    #[test]
    fn page_queries_escape_the_last_name() {
        assert_eq!(page_query(None), "n=100");
        assert_eq!(page_query(Some("team/app")), "n=100&last=team/app");
        assert_eq!(page_query(Some("a b&c")), "n=100&last=a%20b%26c");
    }
}
