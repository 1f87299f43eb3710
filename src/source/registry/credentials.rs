//! Registry credentials, found the way the Docker CLI finds them: `$DOCKER_CONFIG/config.json` (else
//! `~/.docker/config.json`); for a registry, its `credHelpers` entry, else the `credsStore`, else its `auths`
//! entry (`auth` = base64 `user:password`, or `username`/`password`, or an `identitytoken`). Helpers run as
//! `docker-credential-<name> get` with the server address on standard input and answer with JSON.
//!
//! Secrets never leave this module except inside a [`Credential`], which prints without them, and every
//! message about credentials names only their source (the file, the helper) and the registry.

use base64::Engine;
use oci_client::secrets::RegistryAuth;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// How long a credential helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest config file or helper answer read.
const LIMIT: u64 = 1024 * 1024;

/// Credentials for one registry, and where they came from.
#[derive(Clone)]
pub struct Credential {
    pub auth: RegistryAuth,
    /// Where they came from, for messages: `auths in /root/.docker/config.json`, `docker-credential-pass`.
    pub source: Option<String>,
    /// The secret strings, so that messages can be scrubbed of them should a server echo one.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({:?}, from {:?})", self.auth, self.source)
    }
}

impl Credential {
    pub fn anonymous() -> Self {
        Credential {
            auth: RegistryAuth::Anonymous,
            source: None,
            secrets: Vec::new(),
        }
    }

    fn basic(username: String, password: String, source: String) -> Self {
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(format!("{username}:{password}").as_bytes());
        Credential {
            secrets: vec![password.clone(), encoded],
            auth: RegistryAuth::Basic(username, password),
            source: Some(source),
        }
    }

    /// Replaces every secret of this credential in `text` (a server's message) with `<redacted>`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in self.secrets.iter().filter(|s| s.len() >= 4) {
            text = text.replace(secret.as_str(), "<redacted>");
        }
        text
    }
}

/// The registry host a config key or a reference names: `https://index.docker.io/v1/` → `index.docker.io`,
/// `HTTP://Reg.example:5000/x` → `reg.example:5000`. Docker Hub's names all become `index.docker.io`.
pub fn normalize_host(key: &str) -> String {
    let lower = key.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let host = rest.split('/').next().unwrap_or(rest);
    match host {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" | "registry.hub.docker.com" => {
            "index.docker.io".into()
        }
        other => other.into(),
    }
}

/// The server address credential helpers are asked for (Docker Hub keeps its historical URL).
fn helper_server(host: &str) -> String {
    if host == "index.docker.io" {
        "https://index.docker.io/v1/".into()
    } else {
        host.into()
    }
}

#[derive(serde::Deserialize, Default)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: HashMap<String, String>,
}

/// The Docker CLI's configuration, as far as credentials go.
pub struct DockerConfig {
    path: Option<PathBuf>,
    file: ConfigFile,
}

impl DockerConfig {
    /// The file `DOCKER_CONFIG` or `HOME` points at; none is no error (anonymous access).
    pub fn load() -> Result<DockerConfig, String> {
        let path = match std::env::var_os("DOCKER_CONFIG") {
            Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir).join("config.json")),
            _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
        };
        match path {
            Some(path) if path.is_file() => Self::from_file(&path),
            _ => Ok(DockerConfig {
                path: None,
                file: ConfigFile::default(),
            }),
        }
    }

    pub fn from_file(path: &Path) -> Result<DockerConfig, String> {
        let shown = path.display();
        let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
        if meta.len() > LIMIT {
            return Err(format!(
                "{shown}: over {LIMIT} bytes; not a Docker config file"
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
        // serde_json's messages name a line and column, never the text there: no secret leaks through them.
        let file: ConfigFile = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{shown}: not a Docker config file: {e}"))?;
        for name in file.cred_helpers.values().chain(file.creds_store.iter()) {
            valid_helper_name(name).map_err(|e| format!("{shown}: {e}"))?;
        }
        Ok(DockerConfig {
            path: Some(path.to_path_buf()),
            file,
        })
    }

    /// The credentials for a registry host (as `Reference::resolve_registry` names it).
    pub fn credential_for(&self, registry: &str) -> Result<Credential, String> {
        let host = normalize_host(registry);
        let helper = self
            .file
            .cred_helpers
            .iter()
            .find(|(key, _)| normalize_host(key) == host)
            .map(|(_, name)| name.as_str())
            .or(self.file.creds_store.as_deref());
        if let Some(name) = helper {
            return run_helper(name, &host);
        }
        let shown = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let Some(entry) = self
            .file
            .auths
            .iter()
            .find(|(key, _)| normalize_host(key) == host)
            .map(|(_, entry)| entry)
        else {
            return Ok(Credential::anonymous());
        };
        let source = format!("auths[{host}] in {shown}");
        if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
            // An identity token is a refresh token for the registry's token server; it is offered there as the
            // password of a basic login, which the token servers that issue them accept.
            let user = entry
                .username
                .clone()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "<token>".into());
            return Ok(Credential::basic(user, token.to_string(), source));
        }
        if let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| format!("{source}: \"auth\" is not base64 of user:password"))?;
            let (user, password) = decoded
                .split_once(':')
                .ok_or_else(|| format!("{source}: \"auth\" is not base64 of user:password"))?;
            return Ok(Credential::basic(user.into(), password.into(), source));
        }
        match (&entry.username, &entry.password) {
            (Some(user), Some(password)) if !user.is_empty() => {
                Ok(Credential::basic(user.clone(), password.clone(), source))
            }
            _ => Ok(Credential::anonymous()),
        }
    }
}

/// The credentials of every registry one session speaks to, each looked up once (a helper runs once per
/// registry, not once per image).
pub struct Credentials {
    config: Result<DockerConfig, String>,
    found: Mutex<HashMap<String, Result<Credential, String>>>,
}

impl Credentials {
    /// Reads the Docker config now; a broken one is an error for each registry that needs credentials.
    pub fn load() -> Self {
        Credentials {
            config: DockerConfig::load(),
            found: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials for a registry (as `Reference::resolve_registry` names it).
    pub fn for_registry(&self, registry: &str) -> Result<Credential, String> {
        let host = normalize_host(registry);
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = found.get(&host) {
            return known.clone();
        }
        let looked_up = match &self.config {
            Ok(config) => config.credential_for(&host),
            Err(e) => Err(e.clone()),
        };
        found.insert(host, looked_up.clone());
        looked_up
    }
}

fn valid_helper_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "credential helper name {name:?} is not a plain name"
        ))
    }
}

#[derive(serde::Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `docker-credential-<name> get` for a registry. "credentials not found" is anonymous access; any
/// other failure is an error that names the helper and its exit status (not its output, which may hold
/// secrets).
fn run_helper(name: &str, host: &str) -> Result<Credential, String> {
    valid_helper_name(name)?;
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("credential helper {program} for {host}: cannot run it: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading is judged by its exit status below.
        let _ = stdin.write_all(helper_server(host).as_bytes());
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(HELPER_TIMEOUT) {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(format!("credential helper {program} for {host}: {e}")),
        Err(_) => {
            // The child is ours: end it by its id.
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            return Err(format!(
                "credential helper {program} for {host}: no answer within {}s",
                HELPER_TIMEOUT.as_secs()
            ));
        }
    };
    let stdout = &output.stdout[..output.stdout.len().min(LIMIT as usize)];
    if !output.status.success() {
        if String::from_utf8_lossy(stdout).contains("credentials not found") {
            return Ok(Credential::anonymous());
        }
        return Err(format!(
            "credential helper {program} for {host} failed ({}); its output is not shown, as it may hold secrets",
            output.status
        ));
    }
    let answer: HelperAnswer = serde_json::from_slice(stdout).map_err(|_| {
        format!("credential helper {program} for {host}: its answer is not the JSON a helper gives")
    })?;
    if answer.secret.is_empty() {
        return Ok(Credential::anonymous());
    }
    let user = if answer.username.is_empty() {
        "<token>".to_string()
    } else {
        answer.username
    };
    Ok(Credential::basic(user, answer.secret, program))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalized_like_docker_keys() {
        assert_eq!(
            normalize_host("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(normalize_host("docker.io"), "index.docker.io");
        assert_eq!(
            normalize_host("HTTP://Reg.Example:5000/v2/"),
            "reg.example:5000"
        );
        assert_eq!(normalize_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    fn config(json: &str) -> DockerConfig {
        DockerConfig {
            path: Some("/c/config.json".into()),
            file: serde_json::from_str(json).unwrap(),
        }
    }

    #[test]
    fn auths_entries_belong_to_their_registry_only() {
        let c = config(
            r#"{"auths":{"https://reg.example:5000":{"auth":"dXNlcjpzM2NyZXQ6eA=="},"other.example":{"username":"u","password":"p"}}}"#,
        );
        let cred = c.credential_for("reg.example:5000").unwrap();
        assert_eq!(
            cred.auth,
            RegistryAuth::Basic("user".into(), "s3cret:x".into())
        );
        assert!(!format!("{cred:?}").contains("s3cret"));
        assert_eq!(cred.scrub("echo s3cret:x back"), "echo <redacted> back");
        assert_eq!(
            c.credential_for("third.example").unwrap().auth,
            RegistryAuth::Anonymous
        );
        assert_eq!(
            c.credential_for("reg.example").unwrap().auth,
            RegistryAuth::Anonymous
        );
    }

    #[test]
    fn bad_auth_fields_are_errors_without_the_secret() {
        let c = config(r#"{"auths":{"r.example":{"auth":"bm9jb2xvbg=="}}}"#);
        let err = c.credential_for("r.example").unwrap_err();
        assert!(err.contains("auths[r.example]"), "{err}");
        assert!(!err.contains("nocolon"), "{err}");
        assert!(valid_helper_name("../evil").is_err());
    }
}
