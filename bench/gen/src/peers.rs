//! The images `bench/peers.sh` times nsslint, Syft and Trivy on (`--peers`): single-layer gzip OCI layouts
//! under `images-peers/`, each holding many distinct Go programs built here by several real Go toolchains
//! (module mode, and a few in GOPATH mode as older builds are), the Go fixtures, a hard link to one of the
//! programs, C libraries, small files and large data:
//!
//! - `medium/`: ~300 MB of tar, 12 built programs, 5 fixtures and one ~24 MiB program;
//! - `large/`:  ~1.4 GB of tar, 48 built programs, every fixture and the four 24–100 MiB programs.
//!
//! `programs.tsv` in each layout lists every Go program written (path, kind, origin), for the comparison;
//! kind is one of `module`, `gopath` (built here that way; origin: the Go release), `hardlink` (a second path to a built one),
//! `fixture` (origin: the fixture's path) and `large` (the main set's large programs).

use super::*;

/// Bumped whenever the peers' images change (the stamp `bench/peers.sh` skips regeneration by).
pub(crate) const FORMAT: u32 = 5;

/// A program that links Go's resolver and a few of the packages servers use, without `embed` (Go 1.15 has
/// none); `main.build` is set at link time, so every built program is a distinct file.
const PEER_MAIN: &str = r#"package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
)

var build = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Println(build)
		return
	}
	switch os.Args[1] {
	case "serve":
		fmt.Println(http.ListenAndServe(os.Args[2], nil))
	case "tls":
		c, err := tls.Dial("tcp", os.Args[2], nil)
		fmt.Println(c, err)
	case "json":
		b, _ := json.Marshal(os.Args)
		fmt.Println(string(b))
	default:
		addrs, err := net.LookupHost(os.Args[1])
		fmt.Println(addrs, err)
	}
}
"#;

/// How program `n` is built: in GOPATH mode every ninth (no main module in its build info), else as a
/// module `example.com/peer/app-NN`. Nine, not eight: with four toolchains the GOPATH builds then fall on
/// each of them in turn (4, 13, 22, 31, ...).
fn gopath_mode(n: usize) -> bool {
    n % 9 == 4
}

/// Builds program `n` with toolchain `go`; cached under `work/bin`, by toolchain and mode as well as number.
fn build_peer(go: &Path, work: &Path, n: usize) -> io::Result<PathBuf> {
    let name = format!("app-{n:02}");
    let key = Sha256::digest(format!("{}\0{}", go.display(), gopath_mode(n)).as_bytes());
    let out = work
        .join("bin")
        .join(&format!("{name}-{key:x}")[..name.len() + 13]);
    if out.exists() {
        return Ok(out);
    }
    let gopath = work.join("gopath");
    let src = if gopath_mode(n) {
        gopath.join("src").join(&name)
    } else {
        work.join("modules").join(&name)
    };
    fs::create_dir_all(&src)?;
    fs::write(src.join("main.go"), PEER_MAIN)?;
    if !gopath_mode(n) {
        fs::write(
            src.join("go.mod"),
            format!("module example.com/peer/{name}\n\ngo 1.15\n"),
        )?;
    }
    let goroot = go.parent().and_then(Path::parent).unwrap();
    let status = Command::new(go)
        .args(["build", "-trimpath", "-ldflags"])
        .arg(format!("-X main.build={name}"))
        .arg("-o")
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("GOROOT", goroot)
        .env("GOPATH", &gopath)
        .env("GOCACHE", work.join("gocache"))
        .env("GO111MODULE", if gopath_mode(n) { "off" } else { "on" })
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("CGO_ENABLED", "0")
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "go build {name} with {} failed",
            go.display()
        )));
    }
    Ok(out)
}

/// What `go version` says toolchain `go` is, e.g. `go1.15.15`.
fn go_release(go: &Path) -> io::Result<String> {
    let goroot = go.parent().and_then(Path::parent).unwrap();
    let out = Command::new(go)
        .arg("version")
        .env("GOROOT", goroot)
        .env("GOTOOLCHAIN", "local")
        .output()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(2)
        .map(str::to_owned)
        .ok_or_else(|| io::Error::other(format!("{} version said nothing", go.display())))
}

/// Where program `n` goes in an image: spread over the places images keep programs.
fn peer_path(n: usize) -> String {
    let dir = ["usr/local/bin", "opt/svc/bin", "app", "usr/bin"][n % 4];
    format!("{dir}/peer-{n:02}")
}

/// What one image holds.
struct Plan {
    name: &'static str,
    built: usize,
    fixtures: usize,
    /// Indices into the large built programs (100, 70, 45, 24 MiB).
    big: &'static [usize],
    small_files: u64,
    /// MiB of random, text and mixed data.
    data: [u64; 3],
}

const PLANS: &[Plan] = &[
    Plan {
        name: "medium",
        built: 12,
        fixtures: 5,
        big: &[3],
        small_files: 4_000,
        data: [60, 80, 40],
    },
    Plan {
        name: "large",
        built: 48,
        fixtures: usize::MAX,
        big: &[0, 1, 2, 3],
        small_files: 20_000,
        data: [250, 220, 150],
    },
];

/// Writes the peers' images under `out/images-peers`; `gos` are the toolchains the built programs cycle
/// through (oldest first), `inputs` the fixtures and large programs of the main set.
pub(crate) fn write(
    out: &Path,
    inputs: &Inputs,
    gos: &[PathBuf],
    words: &Words,
    pool: &[u8],
    scale: f64,
) -> io::Result<()> {
    let root = out.join("images-peers");
    let _ = fs::remove_dir_all(&root);
    let work = out.join("go-peers");
    let most = PLANS.iter().map(|p| p.built).max().unwrap_or(0);
    let mut built = Vec::new();
    let releases = gos
        .iter()
        .map(|go| go_release(go))
        .collect::<io::Result<Vec<_>>>()?;
    for n in 0..most {
        let go = &gos[n % gos.len()];
        eprintln!("bench-gen: building peer program {n} with {}", go.display());
        built.push(build_peer(go, &work, n)?);
    }
    let s = |n: u64| scaled(n, scale);
    let mut summary = String::new();
    for plan in PLANS {
        let dir = root.join(plan.name);
        let mut programs = String::new();
        let mut list = String::new();
        let recipe = |w: &mut LayerWriter| -> io::Result<()> {
            let mut rng = Rng::new(300 + plan.built as u64);
            base_etc(w, words, &mut rng)?;
            c_libs(w, inputs, 1, "base")?;
            for d in [
                "usr/local",
                "usr/local/bin",
                "opt",
                "opt/svc",
                "opt/svc/bin",
                "app",
                "srv",
            ] {
                w.dir(d)?;
            }
            for (n, program) in built.iter().enumerate().take(plan.built) {
                w.copy(&peer_path(n), program)?;
            }
            // A second name for the first program, as `ln` in a Dockerfile makes: one file, two paths.
            w.hardlink("opt/svc/bin/peer-00-alias", &peer_path(0))?;
            for (i, fixture) in inputs.go_fixtures.iter().enumerate().take(plan.fixtures) {
                let name = fixture.file_name().unwrap().to_string_lossy();
                w.copy(&format!("opt/tools/{i}/{name}"), fixture)?;
            }
            for &b in plan.big {
                if let Some((mib, program)) = inputs.big_go.get(b) {
                    w.copy(&format!("srv/platform-{mib}m"), program)?;
                }
            }
            small_files(
                w,
                &mut rng,
                words,
                "usr/share/doc",
                s(plan.small_files),
                &["txt", "gz", "html", "json"],
            )?;
            let [random, text, mixed] = plan.data;
            w.generated("srv/model.bin", Kind::Random, s(random) * MIB, 501)?;
            w.generated("srv/archive.log", Kind::Text, s(text) * MIB, 502)?;
            w.generated("srv/assets.pak", Kind::Mixed, s(mixed) * MIB, 503)
        };
        for n in 0..plan.built {
            programs.push_str(&format!(
                "/{}\t{}\t{}\n",
                peer_path(n),
                if gopath_mode(n) { "gopath" } else { "module" },
                releases[n % gos.len()],
            ));
        }
        programs.push_str(&format!(
            "/opt/svc/bin/peer-00-alias\thardlink\thard link to /{}\n",
            peer_path(0)
        ));
        for (i, fixture) in inputs.go_fixtures.iter().enumerate().take(plan.fixtures) {
            let name = fixture.file_name().unwrap().to_string_lossy();
            programs.push_str(&format!(
                "/opt/tools/{i}/{name}\tfixture\t{}\n",
                fixture.display()
            ));
        }
        for &b in plan.big {
            if let Some((mib, _)) = inputs.big_go.get(b) {
                programs.push_str(&format!(
                    "/srv/platform-{mib}m\tlarge\tbuilt with the main set's toolchain\n"
                ));
            }
        }
        eprintln!("bench-gen: writing the peers' image {}", plan.name);
        let recipes: Vec<Recipe> = vec![Box::new(recipe)];
        let layers = run_layers(&recipes, &[(Comp::Gzip, dir.as_path())], plan.name, pool, 1)?;
        let refs: Vec<&LayerOut> = layers.iter().collect();
        let manifest = write_image(&dir, &refs, Comp::Gzip, "latest", &mut list)?;
        write_index(&dir, &[manifest], &list)?;
        fs::write(dir.join("programs.tsv"), &programs)?;
        let layer = &layers[0];
        summary.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\n",
            plan.name,
            layer.tar_bytes,
            layer.blobs[0].1.size,
            layer.entries,
            programs.lines().count()
        ));
    }
    // One line per image: name, tar bytes, stored bytes, entries, Go program paths.
    fs::write(root.join("summary.tsv"), summary)
}
