//! Images read from a local engine (`docker-daemon:`, `podman:`), against Podman's real API service
//! (`podman system service`, vfs storage in a temporary directory) with images the test builds with the real
//! `buildah bud` from a Dockerfile it writes, holding real Go binaries from the fixtures. Each engine read must
//! give the verdict of the same image saved by `podman save` (docker-archive, oci-archive, docker-dir,
//! oci-dir); engines that are not there, or that answer nonsense, must fail with exit 3 and say where nsslint
//! looked. Without podman and buildah the tests print `SKIPPED:` (and fail when `CI` is set).
//!
//! Debian's `docker.io` engine (Docker 20.10, a `dockerd` of its own: vfs storage, no iptables, no bridge)
//! builds the same Dockerfile with its classic builder; `docker-daemon:` must give the verdict of its
//! `docker save`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// Whether every tool runs; prints SKIPPED (or fails in CI) when one does not.
fn tools_present(test: &str, tools: &[&str], packages: &str) -> bool {
    let runs = |tool: &&str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if tools.iter().all(runs) {
        return true;
    }
    let message = format!(
        "{test}: {} not installed (apt-get install {packages})",
        tools.join(", ")
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}; .ci/run installs them");
    }
    eprintln!("SKIPPED: {message}");
    false
}

/// Waits until something accepts connections on the socket.
fn wait_for_socket(socket: &Path, log: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::os::unix::net::UnixStream::connect(socket).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen within 30 s: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A Podman API service on a socket of its own, over a store of its own.
struct Podman {
    dir: tempfile::TempDir,
    service: Child,
}

impl Podman {
    fn start() -> Podman {
        let dir = tempfile::tempdir().unwrap();
        let mut podman = Podman {
            service: Command::new("true").spawn().unwrap(),
            dir,
        };
        podman.service = Command::new("podman")
            .args(podman.store())
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", podman.socket().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(podman.dir.path().join("service.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        wait_for_socket(
            &podman.socket(),
            &podman.dir.path().join("service.log"),
            "podman system service",
        );
        podman
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("podman.sock")
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The options that put podman and buildah on this store (vfs: no overlay mounts needed).
    fn store(&self) -> Vec<String> {
        let root = self.dir.path();
        vec![
            "--root".into(),
            root.join("storage").display().to_string(),
            "--runroot".into(),
            root.join("run").display().to_string(),
            "--storage-driver".into(),
            "vfs".into(),
        ]
    }

    fn run(&self, tool: &str, args: &[&str]) -> String {
        let output = Command::new(tool)
            .args(self.store())
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Builds `tag` with `buildah bud` from the Dockerfile and files; returns the image ID.
    fn build(&self, tag: &str, dockerfile: &str, files: &[(&str, Vec<u8>)]) -> String {
        let context = self
            .dir
            .path()
            .join(format!("context-{}", tag.replace(['/', ':'], "-")));
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("Dockerfile"), dockerfile).unwrap();
        for (name, bytes) in files {
            std::fs::write(context.join(name), bytes).unwrap();
        }
        self.run(
            "buildah",
            &["bud", "-q", "-t", tag, &context.display().to_string()],
        );
        self.run("podman", &["image", "inspect", "--format", "{{.Id}}", tag])
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.service.kill();
        let _ = self.service.wait();
    }
}

/// (code, images, stderr) of `scan --format json INPUT` with the environment given.
fn scan_with(input: &str, env: &[(&str, &str)]) -> (i32, Vec<serde_json::Value>, String) {
    let (code, stdout, stderr) = nsslint_with(&["scan", "--format", "json", input], env);
    let images = if code <= 1 {
        images(&stdout, &stderr)
    } else {
        Vec::new()
    };
    (code, images, stderr)
}

const DOCKERFILE: &str = "FROM scratch
COPY ld-musl-x86_64.so.1 /lib/ld-musl-x86_64.so.1
COPY old /usr/local/bin/esbuild-old
COPY new /usr/local/bin/esbuild-new
ENV GODEBUG=netdns=cgo
ENTRYPOINT [\"/usr/local/bin/esbuild-old\"]
";

/// The real files of the test image: musl's loader, esbuild 0.8.30 (go1.15.5) and 0.26.0 (go1.23.12).
fn image_files() -> Option<Vec<(&'static str, Vec<u8>)>> {
    Some(vec![
        (
            "ld-musl-x86_64.so.1",
            fixture("debian/musl/lib/ld-musl-x86_64.so.1")?,
        ),
        ("old", fixture("esbuild-0.8.30/esbuild")?),
        ("new", fixture("esbuild-0.26.0/esbuild")?),
    ])
}

#[test]
fn engine_reads_give_the_verdict_of_the_saved_image() {
    if !tools_present(
        "engine reads",
        &["podman", "buildah", "umoci"],
        "podman buildah umoci",
    ) {
        return;
    }
    let Some(files) = image_files() else { return };
    let podman = Podman::start();
    let id = podman.build("nsslint-test/app:dev", DOCKERFILE, &files);
    let saved = podman.dir.path().join("saved");
    std::fs::create_dir_all(&saved).unwrap();
    let save = |format: &str, name: &str, extra: &[&str]| -> String {
        let out = saved.join(name).display().to_string();
        let mut args = vec!["save", "-q", "--format", format, "-o", &out];
        args.extend_from_slice(extra);
        args.push("nsslint-test/app:dev");
        podman.run("podman", &args);
        out
    };
    let archive = save("docker-archive", "app.tar", &[]);
    let (code, expected, stderr) = scan_with(&archive, &[]);
    assert_eq!(code, 0, "{stderr}");
    // The ENV came with the image: GODEBUG=netdns=cgo asks a program built without cgo for the cgo
    // resolver, which it lacks, so Go 1.15 falls back to its own in the order files,dns (src/net/lookup.go).
    assert_eq!(
        verdict(&expected[0]),
        (
            vec![
                (
                    "/usr/local/bin/esbuild-new".to_string(),
                    "files,dns".to_string()
                ),
                (
                    "/usr/local/bin/esbuild-old".to_string(),
                    "files,dns".to_string()
                ),
            ],
            vec![]
        )
    );

    let host = podman.host();
    let reads: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "docker-daemon:nsslint-test/app:dev".into(),
            vec![("DOCKER_HOST", host.as_str())],
        ),
        (
            "podman:nsslint-test/app:dev".into(),
            vec![("CONTAINER_HOST", host.as_str())],
        ),
        (
            format!("podman:{id}"),
            vec![("CONTAINER_HOST", host.as_str())],
        ),
        (
            format!("oci-archive:{}", save("oci-archive", "app-oci.tar", &[])),
            vec![],
        ),
        (
            format!("dir:{}", save("docker-dir", "app-dir", &[])),
            vec![],
        ),
        (
            format!(
                "dir:{}",
                save("docker-dir", "app-dir-gzip", &["--compress"])
            ),
            vec![],
        ),
        (
            format!("oci:{}", save("oci-dir", "app-oci-dir", &[])),
            vec![],
        ),
    ];
    for (input, env) in &reads {
        let (code, images, stderr) = scan_with(input, env);
        assert_eq!(code, 0, "{input}: {stderr}");
        assert_eq!(images.len(), 1, "{input}");
        assert_eq!(verdict(&images[0]), verdict(&expected[0]), "{input}");
        assert_eq!(images[0]["input"], input.as_str(), "{input}");
    }
    // The same image unpacked by umoci and read as a tree: the same verdict but for what its ENV decided —
    // the tree has no ENV, so the old program asks DNS first (NSL001) there.
    let bundle = podman.dir.path().join("bundle");
    let layout = saved.join("app-oci-dir");
    let unpacked = Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!(
            "{}:localhost/nsslint-test/app:dev",
            layout.display()
        ))
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        unpacked.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&unpacked.stderr)
    );
    let (code, tree, stderr) =
        scan_with(&format!("rootfs:{}", bundle.join("rootfs").display()), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        verdict(&tree[0]),
        (
            vec![
                (
                    "/usr/local/bin/esbuild-new".to_string(),
                    "files,dns".to_string()
                ),
                (
                    "/usr/local/bin/esbuild-old".to_string(),
                    "dns,files".to_string()
                ),
            ],
            vec![(
                "NSL001".to_string(),
                "/usr/local/bin/esbuild-old".to_string()
            )]
        )
    );
    assert_eq!(tree[0]["libc"], expected[0]["libc"]);
    assert!(tree[0]["env"]["unknown"].is_string());

    // An ID names the image by its first tag.
    let (_, by_id, _) = scan_with(&format!("podman:{id}"), &[("CONTAINER_HOST", &host)]);
    assert_eq!(by_id[0]["name"], "localhost/nsslint-test/app:dev");

    // Without the ENV the old program asks DNS first: the finding is the engine image's too.
    let plain = DOCKERFILE.replace("ENV GODEBUG=netdns=cgo\n", "");
    podman.build("nsslint-test/app:plain", &plain, &files);
    let (code, images, stderr) = scan_with(
        "docker-daemon:nsslint-test/app:plain",
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(code, 1, "{stderr}");
    let (programs, findings) = verdict(&images[0]);
    assert!(
        programs.contains(&("/usr/local/bin/esbuild-old".into(), "dns,files".into())),
        "{programs:?}"
    );
    assert_eq!(
        findings,
        [(
            "NSL001".to_string(),
            "/usr/local/bin/esbuild-old".to_string()
        )]
    );

    // A bare name: no such file, no Docker engine answers, Podman has it.
    let nowhere = format!(
        "unix://{}",
        podman.dir.path().join("no-docker.sock").display()
    );
    let (code, images, stderr) = scan_with(
        "nsslint-test/app:dev",
        &[("DOCKER_HOST", &nowhere), ("CONTAINER_HOST", &host)],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(verdict(&images[0]), verdict(&expected[0]));
    assert_eq!(images[0]["input"], "nsslint-test/app:dev");

    // An image the engine does not have: exit 3, naming the engine's socket and its own message.
    let (code, _, stderr) = scan_with("podman:nsslint-test/absent:1", &[("CONTAINER_HOST", &host)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Podman at {host} (CONTAINER_HOST) has no image \"nsslint-test/absent:1\""
        )),
        "{stderr}"
    );
}

/// A Docker engine of its own: data, exec root and socket in a temporary directory; no networking set up
/// (the builds here run no container).
struct Docker {
    dir: tempfile::TempDir,
    daemon: Child,
}

impl Docker {
    fn start() -> Docker {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        let daemon = Command::new("dockerd")
            .args([
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
            ])
            .args(["--data-root", &path("data"), "--exec-root", &path("exec")])
            .args([
                "--pidfile",
                &path("dockerd.pid"),
                "-H",
                &format!("unix://{}", path("docker.sock")),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("dockerd.log")).unwrap(),
            ))
            .spawn()
            .unwrap();
        let docker = Docker { dir, daemon };
        wait_for_socket(
            &docker.socket(),
            &docker.dir.path().join("dockerd.log"),
            "dockerd",
        );
        docker
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", self.host())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

impl Drop for Docker {
    /// SIGTERM, so that dockerd stops the containerd it started.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.daemon.id().to_string())
            .status();
        let _ = self.daemon.wait();
    }
}

#[test]
fn docker_engine_reads_give_the_verdict_of_docker_save() {
    if !tools_present("docker engine reads", &["dockerd", "docker"], "docker.io") {
        return;
    }
    let Some(files) = image_files() else { return };
    let docker = Docker::start();
    let context = docker.dir.path().join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        DOCKERFILE.replace("ENV GODEBUG=netdns=cgo\n", ""),
    )
    .unwrap();
    for (name, bytes) in &files {
        std::fs::write(context.join(name), bytes).unwrap();
    }
    docker.run(&[
        "build",
        "-q",
        "-t",
        "nsslint-test/app:dev",
        &context.display().to_string(),
    ]);
    let saved = docker.dir.path().join("app.tar").display().to_string();
    docker.run(&["save", "-o", &saved, "nsslint-test/app:dev"]);
    let (code, expected, stderr) = scan_with(&saved, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        verdict(&expected[0]).1,
        [(
            "NSL001".to_string(),
            "/usr/local/bin/esbuild-old".to_string()
        )]
    );
    let host = docker.host();
    let (code, images, stderr) = scan_with(
        "docker-daemon:nsslint-test/app:dev",
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images[0]), verdict(&expected[0]));
    // The same engine found through the current docker context instead of DOCKER_HOST.
    let config = docker.dir.path().join("docker-config");
    let id = support::sha256(b"test-engine");
    std::fs::create_dir_all(config.join("contexts/meta").join(&id)).unwrap();
    std::fs::write(
        config.join("config.json"),
        r#"{"currentContext":"test-engine"}"#,
    )
    .unwrap();
    std::fs::write(
        config.join("contexts/meta").join(&id).join("meta.json"),
        format!(r#"{{"Name":"test-engine","Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#),
    )
    .unwrap();
    let (code, images, stderr) = scan_with(
        "docker-daemon:nsslint-test/app:dev",
        &[("DOCKER_CONFIG", &config.display().to_string())],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(verdict(&images[0]), verdict(&expected[0]));
}

#[test]
fn no_engine_listening_names_the_socket_and_the_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("docker.sock");
    let host = format!("unix://{}", missing.display());
    let (code, _, stderr) = scan_with("docker-daemon:app:dev", &[("DOCKER_HOST", &host)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "no Docker engine answers ({host} (DOCKER_HOST): no socket at {})",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("docker save app:dev -o image.tar"),
        "{stderr}"
    );

    // A socket file nobody listens on (an engine that died): connection refused, said so.
    let stale = dir.path().join("stale.sock");
    drop(UnixListener::bind(&stale).unwrap());
    let host = format!("unix://{}", stale.display());
    let (code, _, stderr) = scan_with("podman:app:dev", &[("CONTAINER_HOST", &host)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains(&format!("nothing answers at {}", stale.display())),
        "{stderr}"
    );
    assert!(stderr.contains("podman system service"), "{stderr}");

    // Settings that cannot work are refused before any connection.
    let (code, _, stderr) = scan_with("docker-daemon:app:dev", &[("DOCKER_HOST", "ssh://me@box")]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("DOCKER_HOST=ssh://me@box: ssh:// engines are not reached directly"),
        "{stderr}"
    );
}

/// A one-connection-at-a-time fake engine on a Unix socket: answers every request with the response
/// `answer` makes of its request line.
fn fake_engine(socket: &Path, answer: fn(&str) -> Vec<u8>) {
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = stream.write_all(&answer(&request_line));
        }
    });
}

fn http(status: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

#[test]
fn engines_that_answer_nonsense_are_reported_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    type Answer = fn(&str) -> Vec<u8>;
    let cases: [(&str, Answer, &str); 4] = [
        (
            "inspect.sock",
            |_| http("200 OK", b"{\"Id\": 42"),
            "not what the API documents",
        ),
        (
            "id.sock",
            |_| http("200 OK", br#"{"Id":"not-a-digest"}"#),
            "not a sha256 digest",
        ),
        (
            "export.sock",
            |line| {
                if line.contains("/images/get") {
                    http("200 OK", &[7u8; 1500])
                } else {
                    http(
                        "200 OK",
                        format!(r#"{{"Id":"sha256:{}"}}"#, "ab".repeat(32)).as_bytes(),
                    )
                }
            },
            "the export is not a tar archive",
        ),
        (
            "refused.sock",
            |_| {
                http(
                    "500 Internal Server Error",
                    br#"{"message":"database is locked"}"#,
                )
            },
            "the engine answered 500: database is locked",
        ),
    ];
    for (name, answer, expected) in cases {
        let socket = dir.path().join(name);
        fake_engine(&socket, answer);
        let host = format!("unix://{}", socket.display());
        let (code, _, stderr) = scan_with("docker-daemon:app:dev", &[("DOCKER_HOST", &host)]);
        assert_eq!(code, 3, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    }
}

#[test]
fn a_socket_we_may_not_open_names_its_group() {
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    if !root {
        eprintln!("SKIPPED: a socket we may not open: needs root, to run nsslint as nobody");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let socket = dir.path().join("docker.sock");
    let _listener = UnixListener::bind(&socket).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o660)).unwrap();
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_nsslint"))
        .args(["scan", "docker-daemon:app:dev"])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "permission denied on {} (group root, mode 660): run as a member of root",
            socket.display()
        )),
        "{stderr}"
    );
}

#[test]
fn an_export_cut_off_midway_names_the_image_and_how_far_it_got() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("cut.sock");
    fake_engine(&socket, |line| {
        if line.contains("/images/get") {
            // Promises 1 MiB, sends 5000 bytes, closes.
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: 1048576\r\n\r\n".to_vec();
            out.extend_from_slice(&[0u8; 5000]);
            out
        } else {
            http(
                "200 OK",
                format!(r#"{{"Id":"sha256:{}"}}"#, "cd".repeat(32)).as_bytes(),
            )
        }
    });
    let host = format!("unix://{}", socket.display());
    let (code, _, stderr) = scan_with("docker-daemon:team/app:1.4", &[("DOCKER_HOST", &host)]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("docker-daemon:team/app:1.4: "), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot export \"team/app:1.4\" (sha256:{}): the export broke after 5000 bytes",
            "cd".repeat(32)
        )),
        "{stderr}"
    );
}
