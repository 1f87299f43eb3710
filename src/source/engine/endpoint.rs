//! Where a local engine listens, found as its own command-line client finds it: for Docker `DOCKER_HOST`
//! (with `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), else the current context (`DOCKER_CONTEXT`, else
//! `currentContext` of `$DOCKER_CONFIG/config.json`, its endpoint in `contexts/meta/<sha256 of the
//! name>/meta.json`), else `/var/run/docker.sock`; for Podman `CONTAINER_HOST`, else its rootless and rootful
//! sockets. Every candidate says where it came from, so that an error can list what was tried.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The two engines that speak the Docker Engine API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Docker,
    Podman,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Docker => "Docker",
            Engine::Podman => "Podman",
        }
    }

    /// How a user starts it (or points nsslint at it), for "nothing listens" errors.
    pub fn how_to_start(self) -> &'static str {
        match self {
            Engine::Docker => {
                "start the Docker engine or set DOCKER_HOST (unix:///PATH or tcp://HOST:PORT)"
            }
            Engine::Podman => {
                "start Podman's API service (systemctl --user start podman.socket, or podman system service --time=0 &) or set CONTAINER_HOST=unix:///PATH"
            }
        }
    }
}

/// How to reach an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    /// `host:port`, over TLS when `tls` is set.
    Tcp {
        authority: String,
        tls: Option<Tls>,
    },
}

/// TLS for a `tcp://` engine: the CA to trust (else the platform's roots), the client certificate and key,
/// and whether the server's certificate is checked at all (`DOCKER_TLS` without `DOCKER_TLS_VERIFY`, or a
/// context's `SkipTLSVerify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub ca: Option<PathBuf>,
    pub client: Option<(PathBuf, PathBuf)>,
    pub verify: bool,
}

/// One place an engine may listen, and why we look there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub engine: Engine,
    pub address: Address,
    /// `DOCKER_HOST`, `docker context "remote"`, `the default`, as messages say it.
    pub origin: String,
}

impl Endpoint {
    /// `unix:///run/podman/podman.sock (CONTAINER_HOST)`.
    pub fn describe(&self) -> String {
        let place = match &self.address {
            Address::Unix(path) => format!("unix://{}", path.display()),
            Address::Tcp { authority, tls } => {
                format!(
                    "tcp://{authority}{}",
                    if tls.is_some() { " (TLS)" } else { "" }
                )
            }
        };
        format!("{place} ({})", self.origin)
    }
}

/// What the lookup reads: environment variables, the home directory, whether we run as root.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
    pub uid: Option<u32>,
}

impl Env {
    /// This process's.
    pub fn process() -> Env {
        Env {
            vars: std::env::vars().collect(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            uid: current_uid(),
        }
    }

    fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The real user ID, read from `/proc/self/status` (no libc call needed for one number).
fn current_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The places to try, in order; an error when the settings themselves are wrong (a context that does not
/// exist, an `ssh://` host).
pub fn candidates(engine: Engine, env: &Env) -> Result<Vec<Endpoint>, String> {
    match engine {
        Engine::Docker => docker(env),
        Engine::Podman => podman(env),
    }
}

fn docker(env: &Env) -> Result<Vec<Endpoint>, String> {
    let endpoint = |address, origin: String| Endpoint {
        engine: Engine::Docker,
        address,
        origin,
    };
    let config_dir = env
        .var("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env.home.as_ref().map(|h| h.join(".docker")));
    if let Some(host) = env.var("DOCKER_HOST") {
        let tls_on = env.var("DOCKER_TLS_VERIFY").is_some() || env.var("DOCKER_TLS").is_some();
        let tls = tls_on.then(|| {
            let dir = env
                .var("DOCKER_CERT_PATH")
                .map(PathBuf::from)
                .or_else(|| config_dir.clone())
                .unwrap_or_default();
            tls_files(&dir, env.var("DOCKER_TLS_VERIFY").is_some())
        });
        let address = parse_host(host, tls).map_err(|e| format!("DOCKER_HOST={host}: {e}"))?;
        return Ok(vec![endpoint(address, "DOCKER_HOST".into())]);
    }
    let (context, from) = match env.var("DOCKER_CONTEXT") {
        Some(name) => (Some(name.to_string()), "DOCKER_CONTEXT".to_string()),
        None => {
            let config = config_dir.as_ref().map(|d| d.join("config.json"));
            let current = config.as_deref().and_then(current_context);
            let from = config
                .map(|c| format!("currentContext in {}", c.display()))
                .unwrap_or_default();
            (current, from)
        }
    };
    if let Some(name) = context.filter(|n| n != "default") {
        let dir = config_dir.ok_or("no home directory to find docker contexts in")?;
        let id = super::super::sha256_digest(name.as_bytes());
        let id = id.trim_start_matches("sha256:");
        let meta = dir.join("contexts/meta").join(id).join("meta.json");
        let (host, skip_verify) = context_host(&meta).map_err(|e| {
            format!(
                "docker context {name:?} ({from}): {e} ({}); `docker context ls` lists the contexts",
                meta.display()
            )
        })?;
        let tls_dir = dir.join("contexts/tls").join(id).join("docker");
        let tls = (host.starts_with("tcp://") && (tls_dir.is_dir() || skip_verify))
            .then(|| tls_files(&tls_dir, !skip_verify));
        let address = parse_host(&host, tls)
            .map_err(|e| format!("docker context {name:?} ({from}): {host}: {e}"))?;
        return Ok(vec![endpoint(address, format!("docker context {name:?}"))]);
    }
    Ok(vec![endpoint(
        Address::Unix("/var/run/docker.sock".into()),
        "the default; DOCKER_HOST is not set and the docker context is the default".into(),
    )])
}

fn podman(env: &Env) -> Result<Vec<Endpoint>, String> {
    let endpoint = |address, origin: &str| Endpoint {
        engine: Engine::Podman,
        address,
        origin: origin.into(),
    };
    if let Some(host) = env.var("CONTAINER_HOST") {
        let address = parse_host(host, None).map_err(|e| format!("CONTAINER_HOST={host}: {e}"))?;
        return Ok(vec![endpoint(address, "CONTAINER_HOST")]);
    }
    let rootful = endpoint(
        Address::Unix("/run/podman/podman.sock".into()),
        "Podman's rootful socket",
    );
    let runtime_dir = env
        .var("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .or_else(|| env.uid.map(|uid| PathBuf::from(format!("/run/user/{uid}"))));
    let rootless = runtime_dir.map(|dir| {
        endpoint(
            Address::Unix(dir.join("podman/podman.sock")),
            "Podman's rootless socket, in XDG_RUNTIME_DIR",
        )
    });
    // Root's own images are the rootful store's; anyone else's are in their rootless store.
    Ok(match (env.uid == Some(0), rootless) {
        (true, Some(rootless)) => vec![rootful, rootless],
        (false, Some(rootless)) => vec![rootless, rootful],
        (_, None) => vec![rootful],
    })
}

fn tls_files(dir: &Path, verify: bool) -> Tls {
    let existing = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
    Tls {
        ca: existing("ca.pem"),
        client: existing("cert.pem").zip(existing("key.pem")),
        verify,
    }
}

/// `unix:///path` or `tcp://host:port` (`http://` too, as the Docker CLI takes it); `ssh://` and Windows'
/// named pipes are refused with what to do instead.
pub fn parse_host(host: &str, tls: Option<Tls>) -> Result<Address, String> {
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err("no socket path after unix://".into());
        }
        return Ok(Address::Unix(PathBuf::from(path)));
    }
    if let Some(rest) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err("want tcp://HOST:PORT".into());
        }
        let authority = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_string()
        } else {
            let port = if tls.is_some() { 2376 } else { 2375 };
            format!("{authority}:{port}")
        };
        return Ok(Address::Tcp { authority, tls });
    }
    if host.starts_with("ssh://") {
        return Err("ssh:// engines are not reached directly: forward the socket (ssh -nNT -L /tmp/engine.sock:/var/run/docker.sock HOST) and point nsslint at unix:///tmp/engine.sock".into());
    }
    Err("not an address nsslint reads (want unix:///PATH or tcp://HOST:PORT)".into())
}

fn current_context(config: &Path) -> Option<String> {
    let bytes = std::fs::read(config).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value
        .get("currentContext")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The Docker endpoint of a context's `meta.json`: its host and whether TLS verification is skipped.
fn context_host(meta: &Path) -> Result<(String, bool), String> {
    let bytes = std::fs::read(meta).map_err(|e| format!("cannot read its meta.json: {e}"))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("its meta.json is not JSON: {e}"))?;
    let docker = value
        .pointer("/Endpoints/docker")
        .ok_or("its meta.json has no Endpoints.docker")?;
    let host = docker
        .get("Host")
        .and_then(|h| h.as_str())
        .ok_or("its meta.json has no Endpoints.docker.Host")?;
    let skip = docker
        .get("SkipTLSVerify")
        .and_then(|s| s.as_bool())
        .unwrap_or(false);
    Ok((host.to_string(), skip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)], home: Option<&Path>, uid: u32) -> Env {
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: home.map(Path::to_path_buf),
            uid: Some(uid),
        }
    }

    fn unix(path: &str) -> Address {
        Address::Unix(path.into())
    }

    #[test]
    fn docker_host_wins_and_tls_reads_the_cert_path() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let found = candidates(
            Engine::Docker,
            &env(
                &[
                    ("DOCKER_HOST", "tcp://10.0.0.5"),
                    ("DOCKER_TLS_VERIFY", "1"),
                    ("DOCKER_CERT_PATH", dir.path().to_str().unwrap()),
                ],
                None,
                1000,
            ),
        )
        .unwrap();
        assert_eq!(
            found[0].address,
            Address::Tcp {
                authority: "10.0.0.5:2376".into(),
                tls: Some(Tls {
                    ca: Some(dir.path().join("ca.pem")),
                    client: Some((dir.path().join("cert.pem"), dir.path().join("key.pem"))),
                    verify: true,
                }),
            }
        );
        let plain = candidates(
            Engine::Docker,
            &env(&[("DOCKER_HOST", "unix:///x/d.sock")], None, 0),
        )
        .unwrap();
        assert_eq!(plain[0].address, unix("/x/d.sock"));
        assert_eq!(plain[0].origin, "DOCKER_HOST");
    }

    #[test]
    fn the_current_context_is_read_from_config_and_meta() {
        let home = tempfile::tempdir().unwrap();
        let docker = home.path().join(".docker");
        std::fs::create_dir_all(&docker).unwrap();
        std::fs::write(docker.join("config.json"), r#"{"currentContext":"colima"}"#).unwrap();
        let id = super::super::super::sha256_digest(b"colima");
        let meta = docker
            .join("contexts/meta")
            .join(id.trim_start_matches("sha256:"));
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"colima","Endpoints":{"docker":{"Host":"unix:///home/u/.colima/docker.sock","SkipTLSVerify":false}}}"#,
        )
        .unwrap();
        let found = candidates(Engine::Docker, &env(&[], Some(home.path()), 1000)).unwrap();
        assert_eq!(found[0].address, unix("/home/u/.colima/docker.sock"));
        assert_eq!(found[0].origin, "docker context \"colima\"");
        // DOCKER_CONTEXT names one that has no meta: the error says which and where it looked.
        let missing = candidates(
            Engine::Docker,
            &env(&[("DOCKER_CONTEXT", "gone")], Some(home.path()), 1000),
        )
        .unwrap_err();
        assert!(
            missing.contains("docker context \"gone\" (DOCKER_CONTEXT)"),
            "{missing}"
        );
        // The default context is the default socket.
        let default = candidates(
            Engine::Docker,
            &env(&[("DOCKER_CONTEXT", "default")], Some(home.path()), 1000),
        )
        .unwrap();
        assert_eq!(default[0].address, unix("/var/run/docker.sock"));
    }

    #[test]
    fn podman_tries_the_store_of_the_user_first() {
        let root = candidates(
            Engine::Podman,
            &env(&[("XDG_RUNTIME_DIR", "/run/user/0")], None, 0),
        )
        .unwrap();
        assert_eq!(
            root.iter().map(|e| e.address.clone()).collect::<Vec<_>>(),
            [
                unix("/run/podman/podman.sock"),
                unix("/run/user/0/podman/podman.sock")
            ]
        );
        let user = candidates(Engine::Podman, &env(&[], None, 1000)).unwrap();
        assert_eq!(
            user.iter().map(|e| e.address.clone()).collect::<Vec<_>>(),
            [
                unix("/run/user/1000/podman/podman.sock"),
                unix("/run/podman/podman.sock")
            ]
        );
        let host = candidates(
            Engine::Podman,
            &env(&[("CONTAINER_HOST", "unix:///tmp/p.sock")], None, 0),
        )
        .unwrap();
        assert_eq!(host.len(), 1);
        assert_eq!(host[0].address, unix("/tmp/p.sock"));
    }

    #[test]
    fn hosts_we_cannot_reach_say_what_to_do() {
        assert!(parse_host("ssh://me@box", None)
            .unwrap_err()
            .contains("forward the socket"));
        assert!(parse_host("npipe:////./pipe/docker_engine", None).is_err());
        assert!(parse_host("unix://", None).is_err());
        assert_eq!(
            parse_host("tcp://box:2375/", None).unwrap(),
            Address::Tcp {
                authority: "box:2375".into(),
                tls: None
            }
        );
    }
}
