//! Generates nsslint's benchmark images, deterministically (a fixed seed; the same bytes on every run with
//! the same fixtures, Go toolchain and crate versions), as OCI layouts:
//!
//! - `gzip/`  (a): ~1.5 GB uncompressed, 8 layers, ~60k small files, Go programs of 20–100 MB, large non-ELF
//!   files (random, text, mixed), gzip layers;
//! - `zstd/`  (b): the same layers, zstd;
//! - `multi/` (c): 100 images (`img000`…`img099`) of 10 layers each, the first 9 shared by all.
//!
//! With `--peers --peer-go GO...`, instead, the single-layer images `bench/peers.sh` runs nsslint, Syft and
//! Trivy on (see `peers.rs`).
//!
//! Every layer is written streaming (tar → compressor → hasher → file): nothing is held whole in memory.
//! Usage: `nsslint-bench-gen --out DIR --fixtures DIR --go PATH/TO/bin/go [--scale F] [--peers --peer-go GO…]`.

use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

mod peers;

const MIB: u64 = 1024 * 1024;
const MTIME: u64 = 1_700_000_000;
/// Bumped whenever the generated images change; part of the stamp that lets run.sh skip regeneration.
const FORMAT: u32 = 3;

// ---------------------------------------------------------------------------------------------------------
// Deterministic randomness: xoshiro256** seeded through splitmix64.

#[derive(Clone)]
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }
    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn fill(&mut self, buf: &mut [u8]) {
        let mut chunks = buf.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let v = self.next().to_le_bytes();
        let n = rest.len();
        rest.copy_from_slice(&v[..n]);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Text: a fixed pool of source-code-and-log-like lines; text files are random slices of it.

struct Words(Vec<String>);

impl Words {
    fn new(rng: &mut Rng) -> Words {
        let letters = b"etaoinshrdlcumwfgypbvkjxqz";
        let words = (0..4096)
            .map(|_| {
                let len = rng.range(2, 10) as usize;
                (0..len)
                    .map(|_| {
                        // Skewed toward common letters.
                        let u = rng.unit();
                        letters[(u * u * letters.len() as f64) as usize] as char
                    })
                    .collect()
            })
            .collect();
        Words(words)
    }
    /// A Zipf-ish pick: low indices are much more frequent.
    fn pick(&self, rng: &mut Rng) -> &str {
        let u = rng.unit();
        &self.0[(u * u * u * self.0.len() as f64) as usize]
    }
}

fn text_pool(words: &Words, size: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 256);
    while out.len() < size {
        let line = match rng.below(4) {
            0 => format!(
                "{} [{}] {}: {} {} {} id={} took={}ms\n",
                1_700_000_000 + rng.below(10_000_000),
                ["INFO", "WARN", "DEBUG", "ERROR"][rng.below(4) as usize],
                words.pick(rng),
                words.pick(rng),
                words.pick(rng),
                words.pick(rng),
                rng.below(1 << 20),
                rng.below(5000)
            ),
            1 => {
                let indent = "    ".repeat(rng.below(4) as usize);
                format!(
                    "{indent}{} {}({}, {}) {{\n",
                    ["func", "def", "function", "fn"][rng.below(4) as usize],
                    words.pick(rng),
                    words.pick(rng),
                    words.pick(rng)
                )
            }
            2 => {
                let indent = "    ".repeat(rng.below(5) as usize);
                let n = rng.range(3, 12);
                let body: Vec<&str> = (0..n).map(|_| words.pick(rng)).collect();
                format!("{indent}{}\n", body.join(" "))
            }
            _ => format!(
                "{}_{} = \"{}\"  # {}\n",
                words.pick(rng),
                words.pick(rng),
                words.pick(rng),
                rng.below(100_000)
            ),
        };
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// What a generated file holds.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Text-like (compresses ~3–4×).
    Text,
    /// Incompressible.
    Random,
    /// Binary data with structure: runs of zeros, text and random bytes.
    Mixed,
}

/// A reader producing `len` bytes of one kind.
struct Content<'a> {
    kind: Kind,
    left: u64,
    rng: Rng,
    pool: &'a [u8],
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = (buf.len() as u64).min(self.left).min(64 * 1024) as usize;
        let out = &mut buf[..want];
        let mut kind = self.kind;
        if let Kind::Mixed = kind {
            kind = match self.rng.below(10) {
                0..=3 => {
                    out.fill(0);
                    // Sparse structure in the zero run.
                    for i in (0..want).step_by(64) {
                        out[i] = self.rng.next() as u8;
                    }
                    self.left -= want as u64;
                    return Ok(want);
                }
                4..=6 => Kind::Random,
                _ => Kind::Text,
            };
        }
        match kind {
            Kind::Random => self.rng.fill(out),
            _ => {
                let mut at = 0;
                while at < want {
                    let n = (self.rng.range(256, 4096) as usize).min(want - at);
                    let start = self.rng.below((self.pool.len() - n) as u64) as usize;
                    out[at..at + n].copy_from_slice(&self.pool[start..start + n]);
                    at += n;
                }
            }
        }
        self.left -= want as u64;
        Ok(want)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Writing: tar → (gzip | zstd) → sha256 → file, all streaming.

/// Counts and hashes what passes through to `inner`.
struct HashWriter<W> {
    inner: W,
    hash: Sha256,
    count: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn hash_writer<W>(inner: W) -> HashWriter<W> {
    HashWriter {
        inner,
        hash: Sha256::new(),
        count: 0,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Comp {
    Gzip,
    Zstd,
}

enum Encoder {
    Gzip(GzEncoder<HashWriter<BufWriter<File>>>),
    Zstd(zstd::stream::write::Encoder<'static, HashWriter<BufWriter<File>>>),
}

impl Encoder {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Encoder::Gzip(e) => e,
            Encoder::Zstd(e) => e,
        }
    }
    fn finish(self) -> io::Result<HashWriter<BufWriter<File>>> {
        let mut w = match self {
            Encoder::Gzip(e) => e.finish()?,
            Encoder::Zstd(e) => e.finish()?,
        };
        w.flush()?;
        Ok(w)
    }
}

/// The tar stream, fanned out to every compressor, with its own digest (the layer's diff ID).
struct Tee {
    outs: Vec<(Comp, PathBuf, Encoder)>,
    hash: Sha256,
    count: u64,
}

impl Write for Tee {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for (_, _, e) in &mut self.outs {
            e.writer().write_all(buf)?;
        }
        self.hash.update(buf);
        self.count += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One finished layer blob.
#[derive(Clone, Debug)]
struct Blob {
    digest: String,
    size: u64,
    media_type: &'static str,
}

#[derive(Clone, Debug)]
struct LayerOut {
    diff_id: String,
    tar_bytes: u64,
    entries: u64,
    blobs: Vec<(Comp, Blob)>,
}

struct LayerWriter<'a> {
    builder: tar::Builder<Tee>,
    entries: u64,
    pool: &'a [u8],
}

impl<'a> LayerWriter<'a> {
    fn new(layouts: &[(Comp, &Path)], name: &str, pool: &'a [u8]) -> io::Result<Self> {
        let mut outs = Vec::new();
        for &(comp, dir) in layouts {
            let blobs = dir.join("blobs/sha256");
            fs::create_dir_all(&blobs)?;
            let tmp = blobs.join(format!(".tmp-{name}"));
            let file = hash_writer(BufWriter::with_capacity(1 << 20, File::create(&tmp)?));
            let encoder = match comp {
                Comp::Gzip => Encoder::Gzip(GzEncoder::new(file, flate2::Compression::new(6))),
                Comp::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(file, 3)?),
            };
            outs.push((comp, tmp, encoder));
        }
        let mut builder = tar::Builder::new(Tee {
            outs,
            hash: Sha256::new(),
            count: 0,
        });
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(LayerWriter {
            builder,
            entries: 0,
            pool,
        })
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(MTIME);
        h.set_size(size);
        h
    }

    fn dir(&mut self, path: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.entries += 1;
        self.builder.append_data(&mut h, path, io::empty())
    }

    fn data(&mut self, path: &str, mode: u32, size: u64, reader: impl Read) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, mode, size);
        self.entries += 1;
        self.builder.append_data(&mut h, path, reader)
    }

    fn generated(&mut self, path: &str, kind: Kind, size: u64, seed: u64) -> io::Result<()> {
        let content = Content {
            kind,
            left: size,
            rng: Rng::new(seed),
            pool: self.pool,
        };
        self.data(path, 0o644, size, content)
    }

    fn copy(&mut self, path: &str, from: &Path) -> io::Result<()> {
        let file = File::open(from)?;
        let size = file.metadata()?.len();
        self.data(path, 0o755, size, file)
    }

    fn hardlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Link, 0o755, 0);
        self.entries += 1;
        self.builder.append_link(&mut h, path, target)
    }

    fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.entries += 1;
        self.builder.append_link(&mut h, path, target)
    }

    fn finish(self) -> io::Result<LayerOut> {
        let entries = self.entries;
        let tee = self.builder.into_inner()?;
        let diff_id = format!("sha256:{}", hex(&tee.hash.finalize()));
        let mut blobs = Vec::new();
        for (comp, tmp, encoder) in tee.outs {
            let w = encoder.finish()?;
            let digest = hex(&w.hash.finalize());
            let size = w.count;
            drop(w.inner);
            fs::rename(&tmp, tmp.with_file_name(&digest))?;
            let media_type = match comp {
                Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            };
            blobs.push((
                comp,
                Blob {
                    digest: format!("sha256:{digest}"),
                    size,
                    media_type,
                },
            ));
        }
        Ok(LayerOut {
            diff_id,
            tar_bytes: tee.count,
            entries,
            blobs,
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// What goes into the layers.

/// Real ELF files to place: Go programs and C libraries from the fixtures, and the big Go programs built here.
struct Inputs {
    go_fixtures: Vec<PathBuf>,
    c_libs: Vec<PathBuf>,
    /// (size class in MiB, path), largest first.
    big_go: Vec<(u64, PathBuf)>,
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"\x7fELF"
}

fn elf_files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            elf_files_under(&path, out);
        } else if meta.is_file() && is_elf(&path) {
            out.push(path);
        }
    }
}

const GO_FIXTURES: &[&str] = &[
    "esbuild-0.8.30/esbuild",
    "esbuild-0.14.0/esbuild",
    "esbuild-0.19.12/esbuild",
    "esbuild-0.26.0/esbuild",
    "esbuild-0.28.2/esbuild",
    "debian/runc/usr/sbin/runc",
    "debian/fzf/usr/bin/fzf",
    "debian/shfmt/usr/bin/shfmt",
    "nonet/shfmt",
    "pypi/lefthook/lefthook/bin/lefthook-linux-x86_64/lefthook",
    "pypi/lefthook/lefthook/bin/lefthook-linux-arm64/lefthook",
    "pypi/gojsonnet/_gojsonnet.cpython-311-x86_64-linux-gnu.so",
];

const GO_MAIN: &str = r#"package main

import (
	"archive/zip"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httputil"
	"net/smtp"
	"net/url"
	"os"
	"os/exec"
	"regexp"
)

//go:embed asset.bin
var asset []byte

func main() {
	if len(os.Args) < 2 {
		fmt.Println(len(asset))
		return
	}
	switch os.Args[1] {
	case "serve":
		u, _ := url.Parse(os.Args[2])
		http.Handle("/", httputil.NewSingleHostReverseProxy(u))
		fmt.Println(http.ListenAndServe(":8080", nil))
	case "mail":
		fmt.Println(smtp.SendMail(os.Args[2], nil, "a@b", []string{"c@d"}, asset[:16]))
	case "sql":
		db, err := sql.Open(os.Args[2], os.Args[3])
		fmt.Println(db, err)
	case "tls":
		pool, _ := x509.SystemCertPool()
		c, err := tls.Dial("tcp", os.Args[2], &tls.Config{RootCAs: pool})
		fmt.Println(c, err)
	case "tmpl":
		t := template.Must(template.New("x").Parse(os.Args[2]))
		fmt.Println(t.Execute(os.Stdout, os.Args))
	case "zip":
		r, err := zip.OpenReader(os.Args[2])
		fmt.Println(r, err)
		f, _ := os.Open(os.Args[2])
		g, err := gzip.NewReader(f)
		fmt.Println(g, err)
	case "json":
		b, _ := json.Marshal(os.Args)
		x, _ := xml.Marshal(os.Args)
		fmt.Println(string(b), string(x), regexp.MustCompile(os.Args[2]).FindString(os.Args[3]))
	case "exec":
		fmt.Println(exec.Command(os.Args[2]).Run())
	default:
		addrs, err := net.LookupHost(os.Args[1])
		fmt.Println(addrs, err)
	}
}
"#;

/// Builds a Go program of about `mib` MiB: the program above embedding an asset of the rest of the size.
fn build_go(go: &Path, work: &Path, mib: u64, pool: &[u8]) -> io::Result<PathBuf> {
    let out = work.join(format!("bin/app{mib}"));
    if out.exists() {
        return Ok(out);
    }
    let src = work.join(format!("gopath/src/app{mib}"));
    fs::create_dir_all(&src)?;
    fs::write(src.join("main.go"), GO_MAIN)?;
    // The program without the asset is ~8 MiB; the asset is half random, half text (as embedded web assets,
    // models and bundles are).
    let asset = (mib.saturating_sub(8)).max(1) * MIB;
    let mut file = BufWriter::new(File::create(src.join("asset.bin"))?);
    let mut half = Content {
        kind: Kind::Random,
        left: asset / 2,
        rng: Rng::new(mib),
        pool,
    };
    io::copy(&mut half, &mut file)?;
    let mut rest = Content {
        kind: Kind::Text,
        left: asset - asset / 2,
        rng: Rng::new(mib + 1),
        pool,
    };
    io::copy(&mut rest, &mut file)?;
    file.flush()?;
    drop(file);
    let goroot = go.parent().and_then(Path::parent).unwrap();
    let status = Command::new(go)
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("GOROOT", goroot)
        .env("GOPATH", work.join("gopath"))
        .env("GOCACHE", work.join("gocache"))
        .env("GO111MODULE", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("CGO_ENABLED", "0")
        .env_remove("GOFLAGS")
        .status()?;
    if !status.success() {
        return Err(io::Error::other(format!("go build app{mib} failed")));
    }
    fs::remove_file(src.join("asset.bin"))?;
    Ok(out)
}

/// Small files in a package-like tree under `top`: directories first, then their files.
fn small_files(
    w: &mut LayerWriter,
    rng: &mut Rng,
    words: &Words,
    top: &str,
    count: u64,
    exts: &[&str],
) -> io::Result<()> {
    let mut made = 0;
    let mut dirs_made = std::collections::HashSet::new();
    let mut ensure = |w: &mut LayerWriter, path: &str| -> io::Result<()> {
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            let dir = &path[..at + i];
            if dirs_made.insert(dir.to_string()) {
                w.dir(dir)?;
            }
            at += i + 1;
        }
        if dirs_made.insert(path.to_string()) {
            w.dir(path)?;
        }
        Ok(())
    };
    let mut pkg = 0;
    while made < count {
        let pkg_dir = format!("{top}/{}-{pkg}", words.pick(rng));
        pkg += 1;
        let files = rng.range(1, 40).min(count - made);
        // A package has its top directory and up to three subdirectories, one of them two deep.
        let subs = [
            String::new(),
            format!("/{}", words.pick(rng)),
            format!("/{}", words.pick(rng)),
            format!("/lib/{}", words.pick(rng)),
        ];
        let nsubs = rng.range(1, subs.len() as u64);
        for _ in 0..files {
            let sub = &subs[rng.below(nsubs) as usize];
            let dir = format!("{pkg_dir}{sub}");
            ensure(w, &dir)?;
            let ext = exts[rng.below(exts.len() as u64) as usize];
            let path = format!("{dir}/{}-{made}.{ext}", words.pick(rng));
            // 64 B … 256 KiB, most of them a few KiB.
            let u = rng.unit();
            let size = (64.0 * (2048f64).powf(u * u * u)) as u64 + rng.below(64);
            let kind = match rng.below(10) {
                0..=6 => Kind::Text,
                7..=8 => Kind::Mixed,
                _ => Kind::Random,
            };
            w.generated(&path, kind, size, rng.next())?;
            made += 1;
        }
    }
    Ok(())
}

fn dpkg_status(words: &Words, rng: &mut Rng) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..1200 {
        let name = if i == 600 {
            "libc6".to_string()
        } else {
            format!("{}-{i}", words.pick(rng))
        };
        let version = if i == 600 {
            "2.31-13+deb11u11".to_string()
        } else {
            format!("{}.{}-{}", rng.below(10), rng.below(30), rng.below(5))
        };
        out.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
             Installed-Size: {}\nMaintainer: Nobody <nobody@example.org>\nArchitecture: amd64\n\
             Version: {version}\nDescription: {} {} {}\n {} {} {} {}\n\n",
            rng.below(100_000),
            words.pick(rng),
            words.pick(rng),
            words.pick(rng),
            words.pick(rng),
            words.pick(rng),
            words.pick(rng),
            words.pick(rng),
        ));
    }
    out.into_bytes()
}

fn base_etc(w: &mut LayerWriter, words: &Words, rng: &mut Rng) -> io::Result<()> {
    for d in [
        "etc",
        "usr",
        "usr/bin",
        "usr/lib",
        "usr/lib/x86_64-linux-gnu",
        "usr/lib64",
        "var",
        "var/lib",
        "var/lib/dpkg",
    ] {
        w.dir(d)?;
    }
    w.symlink("bin", "usr/bin")?;
    w.symlink("lib", "usr/lib")?;
    w.symlink("lib64", "usr/lib64")?;
    w.symlink(
        "usr/lib64/ld-linux-x86-64.so.2",
        "/lib/x86_64-linux-gnu/ld-2.31.so",
    )?;
    let status = dpkg_status(words, rng);
    w.data(
        "var/lib/dpkg/status",
        0o644,
        status.len() as u64,
        &status[..],
    )?;
    let hosts = b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
    w.data("etc/hosts", 0o644, hosts.len() as u64, &hosts[..])?;
    Ok(())
}

fn c_libs(w: &mut LayerWriter, inputs: &Inputs, copies: usize, tag: &str) -> io::Result<()> {
    for copy in 0..copies {
        for (n, lib) in inputs.c_libs.iter().enumerate() {
            let name = lib.file_name().unwrap().to_string_lossy();
            let path = if copy == 0 && tag == "base" {
                format!("usr/lib/x86_64-linux-gnu/{name}")
            } else {
                format!("usr/lib/x86_64-linux-gnu/{tag}{copy}/{n}-{name}")
            };
            w.copy(&path, lib)?;
        }
    }
    Ok(())
}

/// One layer's recipe: writes its entries.
type Recipe<'a> = Box<dyn Fn(&mut LayerWriter) -> io::Result<()> + Send + Sync + 'a>;

fn scaled(n: u64, scale: f64) -> u64 {
    ((n as f64 * scale).round() as u64).max(1)
}

/// The 8 layers of images (a) and (b).
fn big_image_layers<'a>(inputs: &'a Inputs, words: &'a Words, scale: f64) -> Vec<Recipe<'a>> {
    let s = move |n: u64| scaled(n, scale);
    let go_fx = |i: usize| inputs.go_fixtures[i % inputs.go_fixtures.len()].clone();
    let big = |i: usize| inputs.big_go.get(i).map(|(_, p)| p.clone());
    vec![
        // 1: a distro base: /etc, dpkg's status, C libraries, docs and locales.
        Box::new(move |w| {
            let mut rng = Rng::new(101);
            base_etc(w, words, &mut rng)?;
            c_libs(w, inputs, 1, "base")?;
            small_files(
                w,
                &mut rng,
                words,
                "usr/share/doc",
                s(12_000),
                &["txt", "gz", "html", "md"],
            )?;
            small_files(
                w,
                &mut rng,
                words,
                "usr/share/locale",
                s(8_000),
                &["mo", "po"],
            )
        }),
        // 2: packages: more libraries and Python modules.
        Box::new(move |w| {
            let mut rng = Rng::new(102);
            w.dir("usr/lib/x86_64-linux-gnu")?;
            c_libs(w, inputs, s(8) as usize, "pkg")?;
            small_files(
                w,
                &mut rng,
                words,
                "usr/lib/python3/dist-packages",
                s(15_000),
                &["py", "pyc", "json", "txt"],
            )
        }),
        // 3: a language runtime's package tree.
        Box::new(move |w| {
            let mut rng = Rng::new(103);
            small_files(
                w,
                &mut rng,
                words,
                "app/node_modules",
                s(15_000),
                &["js", "json", "md", "map", "ts"],
            )
        }),
        // 4: large data files: incompressible, text, mixed.
        Box::new(move |w| {
            w.dir("srv")?;
            w.generated("srv/model.bin", Kind::Random, s(220) * MIB, 401)?;
            w.generated("srv/archive.log", Kind::Text, s(260) * MIB, 402)?;
            w.generated("srv/assets.pak", Kind::Mixed, s(140) * MIB, 403)
        }),
        // 5: tools: the two largest Go programs and older Go releases.
        Box::new(move |w| {
            let mut rng = Rng::new(105);
            w.dir("usr/local")?;
            w.dir("usr/local/bin")?;
            for (i, name) in [(0, "usr/local/bin/platform"), (2, "usr/local/bin/agent")] {
                if let Some(p) = big(i) {
                    w.copy(name, &p)?;
                }
            }
            for i in 0..6 {
                w.copy(&format!("usr/local/bin/tool{i}"), &go_fx(i))?;
            }
            small_files(
                w,
                &mut rng,
                words,
                "usr/local/share",
                s(2_000),
                &["txt", "json"],
            )
        }),
        // 6: the application: two more Go programs and the rest of the fixtures.
        Box::new(move |w| {
            w.dir("opt")?;
            w.dir("opt/app")?;
            w.dir("opt/app/bin")?;
            for (i, name) in [(1, "opt/app/bin/server"), (3, "opt/app/bin/worker")] {
                if let Some(p) = big(i) {
                    w.copy(name, &p)?;
                }
            }
            for i in 6..inputs.go_fixtures.len() {
                w.copy(&format!("opt/app/bin/helper{i}"), &go_fx(i))?;
            }
            Ok(())
        }),
        // 7: application assets.
        Box::new(move |w| {
            let mut rng = Rng::new(107);
            small_files(
                w,
                &mut rng,
                words,
                "opt/app/static",
                s(8_000),
                &["css", "js", "svg", "png", "html"],
            )?;
            w.generated("opt/app/static/bundle.js", Kind::Text, s(60) * MIB, 701)
        }),
        // 8: configuration, as the last layers of real images are: tiny.
        Box::new(move |w| {
            let mut rng = Rng::new(108);
            w.dir("etc")?;
            let conf = b"app_name = bench\nlisten = :8080\n";
            w.data("etc/app.conf", 0o644, conf.len() as u64, &conf[..])?;
            small_files(w, &mut rng, words, "etc/app.d", s(100), &["conf"])
        }),
    ]
}

/// The 9 shared layers of image set (c), then its per-image layer.
fn multi_shared_layers<'a>(inputs: &'a Inputs, words: &'a Words, scale: f64) -> Vec<Recipe<'a>> {
    let s = move |n: u64| scaled(n, scale);
    let mut layers: Vec<Recipe<'a>> = vec![Box::new(move |w| {
        let mut rng = Rng::new(201);
        base_etc(w, words, &mut rng)?;
        c_libs(w, inputs, 1, "base")?;
        small_files(
            w,
            &mut rng,
            words,
            "usr/share/doc",
            s(3_000),
            &["txt", "gz"],
        )
    })];
    for l in 1..8u64 {
        layers.push(Box::new(move |w| {
            let mut rng = Rng::new(201 + l);
            small_files(
                w,
                &mut rng,
                words,
                &format!("usr/lib/pkg{l}"),
                s(800),
                &["py", "so.txt", "json"],
            )
        }));
    }
    layers.push(Box::new(move |w| {
        w.dir("usr/local")?;
        w.dir("usr/local/bin")?;
        w.copy("usr/local/bin/esbuild", &inputs.go_fixtures[2])?;
        w.copy("usr/local/bin/fzf", &inputs.go_fixtures[6])
    }));
    layers
}

fn multi_unique_layer<'a>(inputs: &'a Inputs, words: &'a Words, scale: f64, i: u64) -> Recipe<'a> {
    Box::new(move |w| {
        let mut rng = Rng::new(10_000 + i);
        w.dir("srv")?;
        let go = &inputs.go_fixtures[i as usize % inputs.go_fixtures.len()];
        w.copy(&format!("srv/service-{i}"), go)?;
        small_files(
            w,
            &mut rng,
            words,
            "srv/static",
            scaled(300, scale),
            &["html", "js"],
        )
    })
}

// ---------------------------------------------------------------------------------------------------------
// OCI layouts.

fn write_blob(dir: &Path, bytes: &[u8]) -> io::Result<(String, u64)> {
    let digest = hex(&Sha256::digest(bytes));
    let blobs = dir.join("blobs/sha256");
    fs::create_dir_all(&blobs)?;
    fs::write(blobs.join(&digest), bytes)?;
    Ok((format!("sha256:{digest}"), bytes.len() as u64))
}

/// Writes an image's config and manifest; returns the manifest descriptor (for index.json). Appends the
/// image's layer blobs, in order, to `list` (`tag<TAB>blobs/sha256/HEX` lines: what bench/run.sh reads).
fn write_image(
    dir: &Path,
    layers: &[&LayerOut],
    comp: Comp,
    tag: &str,
    list: &mut String,
) -> io::Result<String> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("\"{}\"", l.diff_id))
        .collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}},"rootfs":{{"type":"layers","diff_ids":[{}]}}}}"#,
        diff_ids.join(",")
    );
    let (config_digest, config_size) = write_blob(dir, config.as_bytes())?;
    let descriptors: Vec<String> = layers
        .iter()
        .map(|l| {
            let blob = &l.blobs.iter().find(|(c, _)| *c == comp).unwrap().1;
            list.push_str(&format!(
                "{tag}\tblobs/sha256/{}\n",
                blob.digest.trim_start_matches("sha256:")
            ));
            format!(
                r#"{{"mediaType":"{}","digest":"{}","size":{}}}"#,
                blob.media_type, blob.digest, blob.size
            )
        })
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{config_size}}},"layers":[{}]}}"#,
        descriptors.join(",")
    );
    let (digest, size) = write_blob(dir, manifest.as_bytes())?;
    Ok(format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{size},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}"#
    ))
}

fn write_index(dir: &Path, manifests: &[String], list: &str) -> io::Result<()> {
    fs::write(dir.join("layers.tsv"), list)?;
    fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            manifests.join(",")
        ),
    )
}

/// Runs the recipes on `threads` threads; results in recipe order.
fn run_layers(
    recipes: &[Recipe],
    layouts: &[(Comp, &Path)],
    prefix: &str,
    pool: &[u8],
    threads: usize,
) -> io::Result<Vec<LayerOut>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<io::Result<LayerOut>>>> =
        Mutex::new((0..recipes.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= recipes.len() {
                    break;
                }
                let result = (|| {
                    let mut w = LayerWriter::new(layouts, &format!("{prefix}{i}"), pool)?;
                    recipes[i](&mut w)?;
                    w.finish()
                })();
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

struct Args {
    out: PathBuf,
    fixtures: PathBuf,
    go: PathBuf,
    scale: f64,
    multi: u64,
    /// Write the peers' images (and only them), with programs built by these toolchains.
    peers: bool,
    peer_gos: Vec<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        out: PathBuf::from("target/bench"),
        fixtures: PathBuf::from("target/nsslint-fixtures"),
        go: PathBuf::new(),
        scale: 1.0,
        multi: 100,
        peers: false,
        peer_gos: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--out" => args.out = value().into(),
            "--fixtures" => args.fixtures = value().into(),
            "--go" => args.go = value().into(),
            "--scale" => args.scale = value().parse().expect("--scale F"),
            "--images" => args.multi = value().parse().expect("--images N"),
            "--peers" => args.peers = true,
            "--peer-go" => args.peer_gos.push(value().into()),
            other => panic!("unknown argument {other}"),
        }
    }
    args
}

fn main() -> io::Result<()> {
    let mut args = parse_args();
    fs::create_dir_all(&args.out)?;
    args.out = fs::canonicalize(&args.out)?;
    args.fixtures = fs::canonicalize(&args.fixtures)?;
    args.go = fs::canonicalize(&args.go)?;
    for go in &mut args.peer_gos {
        *go = fs::canonicalize(&*go)?;
    }
    let stamp = if args.peers {
        format!(
            "peers format {} scale {} toolchains {:?}\n",
            peers::FORMAT,
            args.scale,
            args.peer_gos
        )
    } else {
        format!(
            "format {FORMAT} scale {} images {}\n",
            args.scale, args.multi
        )
    };
    let images = args
        .out
        .join(if args.peers { "images-peers" } else { "images" });
    let stamp_path = images.join(".complete");
    if fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str()) {
        eprintln!("bench-gen: images in {} are up to date", images.display());
        return Ok(());
    }
    let _ = fs::remove_dir_all(&images);
    if args.peers && args.peer_gos.is_empty() {
        return Err(io::Error::other("--peers needs at least one --peer-go"));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());

    let mut rng = Rng::new(1);
    let words = Words::new(&mut rng);
    let pool = text_pool(&words, 8 << 20, &mut rng);

    let mut go_fixtures = Vec::new();
    for f in GO_FIXTURES {
        let p = args.fixtures.join(f);
        if !p.is_file() {
            return Err(io::Error::other(format!(
                "missing fixture {} (run tests/fixtures/fetch.sh)",
                p.display()
            )));
        }
        go_fixtures.push(p);
    }
    let mut c_libs = Vec::new();
    elf_files_under(&args.fixtures.join("debian/libc6-bullseye"), &mut c_libs);
    elf_files_under(&args.fixtures.join("debian/musl"), &mut c_libs);
    let work = args.out.join("go");
    let big_sizes: Vec<u64> = [100u64, 70, 45, 24]
        .iter()
        .map(|&m| scaled(m, args.scale).max(9))
        .collect();
    let mut big_go = Vec::new();
    for &mib in &big_sizes {
        eprintln!("bench-gen: building a ~{mib} MiB Go program");
        big_go.push((mib, build_go(&args.go, &work, mib, &pool)?));
    }
    let inputs = Inputs {
        go_fixtures,
        c_libs,
        big_go,
    };
    if args.peers {
        peers::write(
            &args.out,
            &inputs,
            &args.peer_gos,
            &words,
            &pool,
            args.scale,
        )?;
        fs::write(&stamp_path, stamp)?;
        return Ok(());
    }

    // (a) and (b): the same tar streams, compressed twice.
    let gzip_dir = images.join("gzip");
    let zstd_dir = images.join("zstd");
    eprintln!("bench-gen: writing images (a) gzip and (b) zstd");
    let recipes = big_image_layers(&inputs, &words, args.scale);
    let layouts = [
        (Comp::Gzip, gzip_dir.as_path()),
        (Comp::Zstd, zstd_dir.as_path()),
    ];
    let layers = run_layers(&recipes, &layouts, "big", &pool, threads)?;
    let refs: Vec<&LayerOut> = layers.iter().collect();
    for (comp, dir) in layouts {
        let mut list = String::new();
        let m = write_image(dir, &refs, comp, "latest", &mut list)?;
        write_index(dir, &[m], &list)?;
    }
    for (i, l) in layers.iter().enumerate() {
        eprintln!(
            "  layer {}: {} entries, {} MiB tar, gzip {} MiB, zstd {} MiB",
            i + 1,
            l.entries,
            l.tar_bytes / MIB,
            l.blobs[0].1.size / MIB,
            l.blobs[1].1.size / MIB
        );
    }

    // (c): 100 images sharing their first 9 layers.
    eprintln!("bench-gen: writing image set (c), {} images", args.multi);
    let multi_dir = images.join("multi");
    let mlayouts = [(Comp::Gzip, multi_dir.as_path())];
    let shared = run_layers(
        &multi_shared_layers(&inputs, &words, args.scale),
        &mlayouts,
        "shared",
        &pool,
        threads,
    )?;
    let unique_recipes: Vec<Recipe> = (0..args.multi)
        .map(|i| multi_unique_layer(&inputs, &words, args.scale, i))
        .collect();
    let unique = run_layers(&unique_recipes, &mlayouts, "unique", &pool, threads)?;
    let mut manifests = Vec::new();
    let mut list = String::new();
    for (i, u) in unique.iter().enumerate() {
        let mut refs: Vec<&LayerOut> = shared.iter().collect();
        refs.push(u);
        let tag = format!("img{i:03}");
        manifests.push(write_image(&multi_dir, &refs, Comp::Gzip, &tag, &mut list)?);
    }
    write_index(&multi_dir, &manifests, &list)?;

    let total = |ls: &[LayerOut]| ls.iter().map(|l| l.tar_bytes).sum::<u64>();
    let entries: u64 = layers.iter().map(|l| l.entries).sum();
    eprintln!(
        "bench-gen: (a)/(b) {} MiB uncompressed, {entries} entries; (c) {} MiB per image",
        total(&layers) / MIB,
        (total(&shared) + total(&unique) / args.multi.max(1)) / MIB
    );
    // The largest Go program of each set (the RSS target is 64 MiB + that): (a)/(b) hold every fixture and
    // every built program; (c) the two shared fixtures and one fixture per image, round robin.
    let size = |p: &Path| fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let largest_big = inputs
        .big_go
        .iter()
        .map(|(_, p)| size(p))
        .chain(inputs.go_fixtures.iter().map(|p| size(p)))
        .max()
        .unwrap_or(0);
    let largest_multi = [2, 6]
        .into_iter()
        .chain((0..args.multi as usize).map(|i| i % inputs.go_fixtures.len()))
        .map(|i| size(&inputs.go_fixtures[i]))
        .max()
        .unwrap_or(0);
    // One line per set: name, images, layers per image, uncompressed bytes per image, stored bytes per image,
    // entries per image (the unique layer of (c) is averaged), the largest Go program's bytes.
    let stored = |ls: &[LayerOut], c: usize| ls.iter().map(|l| l.blobs[c].1.size).sum::<u64>();
    let n = args.multi.max(1);
    let per_multi = |f: &dyn Fn(&[LayerOut]) -> u64| f(&shared) + f(&unique) / n;
    let summary = format!(
        "gzip\t1\t{}\t{}\t{}\t{entries}\t{largest_big}\n\
         zstd\t1\t{}\t{}\t{}\t{entries}\t{largest_big}\n\
         multi\t{n}\t{}\t{}\t{}\t{}\t{largest_multi}\n",
        layers.len(),
        total(&layers),
        stored(&layers, 0),
        layers.len(),
        total(&layers),
        stored(&layers, 1),
        shared.len() + 1,
        per_multi(&|ls| total(ls)),
        per_multi(&|ls| stored(ls, 0)),
        per_multi(&|ls| ls.iter().map(|l| l.entries).sum()),
    );
    fs::write(images.join("summary.tsv"), summary)?;
    fs::write(&stamp_path, stamp)?;
    Ok(())
}
