//! A real registry for the tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 at a free port
//! with a temporary storage directory, started and stopped by the test; images pushed into it with Debian's
//! `skopeo`; and `proxy.py` beside this file in front of it to count requests and inject faults. Everything
//! is loopback and bounded in time. Without the tools the tests print `SKIPPED:` (and fail when `CI` is set).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// Whether the registry tools are here; prints SKIPPED (or fails in CI) when not.
pub fn tools_present(test: &str) -> bool {
    tools_present_with(test, &[])
}

/// As [`tools_present`], with more (program, its version argument, Debian package).
pub fn tools_present_with(test: &str, more: &[(&str, &str, &str)]) -> bool {
    let missing: Vec<&str> = [
        (REGISTRY_BIN, "--version", "docker-registry"),
        ("skopeo", "--version", "skopeo"),
    ]
    .into_iter()
    .chain(more.iter().copied())
    .filter(|(bin, version, _)| {
        !Command::new(bin)
            .arg(version)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
    .map(|(_, _, package)| package)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "registry test {test}: {} not installed (apt-get install docker-registry skopeo apache2-utils openssl)",
        missing.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}; .ci/run installs them");
    }
    eprintln!("SKIPPED: {message}");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP GET on loopback; returns the status code.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

pub struct Registry {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// `user:password` when the registry wants basic auth.
    pub creds: Option<String>,
    /// The self-signed certificate (PEM) when the registry speaks TLS.
    pub cert: Option<PathBuf>,
}

impl Registry {
    pub fn start() -> Registry {
        Self::start_with(None, false)
    }

    /// With basic auth from an htpasswd file (bcrypt, as distribution wants it).
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Self::start_with(Some((user, password)), false)
    }

    /// Speaking TLS only, with a self-signed certificate for 127.0.0.1 and localhost made by `openssl`.
    pub fn start_with_tls() -> Registry {
        Self::start_with(None, true)
    }

    fn start_with(auth: Option<(&str, &str)>, tls: bool) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let mut tls_section = String::new();
        let mut cert = None;
        if tls {
            let (key_path, cert_path) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
            // Not a CA (rustls refuses a CA certificate as a server's), and a subject of its own: a system
            // store may hold another self-signed "CN=localhost" (Debian's snakeoil certificate).
            let output = Command::new("openssl")
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
                .args(["-subj", "/CN=nsslint test registry"])
                .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
                .args(["-addext", "basicConstraints=critical,CA:FALSE"])
                .args(["-addext", "extendedKeyUsage=serverAuth"])
                .arg("-keyout")
                .arg(&key_path)
                .arg("-out")
                .arg(&cert_path)
                .output()
                .expect("openssl is installed");
            assert!(
                output.status.success(),
                "openssl req: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            tls_section = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert_path.display(),
                key_path.display()
            );
            cert = Some(cert_path);
        }
        let mut auth_section = String::new();
        if let Some((user, password)) = auth {
            let htpasswd = dir.path().join("htpasswd");
            let line = htpasswd_line(user, password);
            std::fs::write(&htpasswd, line).unwrap();
            auth_section = format!(
                "auth:\n  htpasswd:\n    realm: nsslint-test\n    path: {}\n",
                htpasswd.display()
            );
        }
        for _ in 0..5 {
            let port = free_port();
            let config = format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n{tls_section}{auth_section}",
                dir.path().join("storage").display()
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
            let mut child = Command::new(REGISTRY_BIN)
                .arg("serve")
                .arg(&config_path)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("docker-registry starts");
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: the port was taken; try another
                }
                // A TLS port answers a plain-HTTP request with 400: up all the same.
                if http_status(port, "/v2/").is_some() {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if up {
                return Registry {
                    child,
                    port,
                    dir,
                    creds: auth.map(|(u, p)| format!("{u}:{p}")),
                    cert,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start on 127.0.0.1");
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// `skopeo copy SRC docker://HOST/DEST` with extra options (`--format oci`, `--dest-compress-format zstd`, …).
    pub fn push(&self, src: &str, dest: &str, extra: &[&str]) {
        let mut command = Command::new("skopeo");
        command
            .args(["copy", "--quiet", "--dest-tls-verify=false"])
            .args(extra);
        if let Some(creds) = &self.creds {
            command.arg("--dest-creds").arg(creds);
        }
        let target = format!("docker://{}/{dest}", self.host());
        let output = command
            .arg(src)
            .arg(&target)
            .env("HOME", self.dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "skopeo copy {src} {target}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An htpasswd line with a bcrypt hash, from apache2-utils' htpasswd.
fn htpasswd_line(user: &str, password: &str) -> String {
    let output = Command::new("htpasswd")
        .args(["-nbB", user, password])
        .output()
        .expect("htpasswd (apache2-utils) is installed");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().trim().to_string() + "\n"
}

/// One request as the proxy logged it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// When it came in, Unix seconds.
    pub arrived: f64,
    /// `-`, `basic`, `basic-ok`, `basic-bad`, `bearer-ok`, `bearer-bad` or `other`.
    pub auth: String,
}

/// `proxy.py` in front of a registry.
pub struct Proxy {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// Rules as `proxy.py` takes them: `KIND[=RETRY_AFTER]:TIMES:SUBSTRING`, or `bearer:USER:PASSWORD`.
    pub fn start(upstream: u16, rules: &[String]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.log");
        std::fs::write(&log, "").unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/registry/proxy.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(upstream.to_string())
            .arg(&log)
            .args(rules)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the proxy");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the proxy prints its port");
        Proxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Logged requests: (method, path, status).
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        let mut text = String::new();
        std::fs::File::open(&self.log)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text.lines()
            .filter_map(|l| {
                let mut parts = l.split(' ');
                Some((
                    parts.next()?.to_string(),
                    parts.next()?.to_string(),
                    parts.next()?.parse().ok()?,
                ))
            })
            .collect()
    }

    /// Logged requests with when each came in and what authorization it carried (see proxy.py).
    /// Logged requests in the order they arrived. (The log is written as each is answered, by the proxy's
    /// thread for it: under load a quick answer to a later request can be written first.)
    pub fn entries(&self) -> Vec<Logged> {
        let text = std::fs::read_to_string(&self.log).unwrap();
        let mut entries: Vec<Logged> = text
            .lines()
            .map(|l| {
                let parts: Vec<&str> = l.split(' ').collect();
                assert_eq!(parts.len(), 6, "a proxy log line: {l}");
                Logged {
                    method: parts[0].to_string(),
                    path: parts[1].to_string(),
                    status: parts[2].parse().unwrap(),
                    arrived: parts[4].parse().unwrap(),
                    auth: parts[5].to_string(),
                }
            })
            .collect();
        entries.sort_by(|a, b| a.arrived.total_cmp(&b.arrived));
        entries
    }

    /// GETs of blobs, by digest.
    pub fn blob_gets(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for (method, path, _) in self.requests() {
            if method == "GET" {
                if let Some((_, digest)) = path.split_once("/blobs/") {
                    *counts.entry(digest.to_string()).or_default() += 1;
                }
            }
        }
        counts
    }

    pub fn clear(&self) {
        std::fs::write(&self.log, "").unwrap();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs nsslint with a clean environment for credentials (an empty DOCKER_CONFIG unless one is given) and a
/// time limit; returns (exit code, stdout, stderr).
pub fn nsslint_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let empty = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_nsslint"));
    command
        .args(args)
        .env("DOCKER_CONFIG", empty.path())
        .env("HOME", empty.path())
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command.spawn().unwrap();
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("nsslint {args:?} did not finish within 180 s");
        }
    };
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub fn nsslint(args: &[&str]) -> (i32, String, String) {
    nsslint_env(args, &[])
}
