//! Layer semantics, end to end through `nsslint scan --format json`: whiteouts, opaque directories, symlinks
//! (absolute, relative, through `/lib -> usr/lib`), hard links, and gzip/zstd/plain layers, each asserting the
//! exact final-filesystem facts and findings.

#[path = "support/seed.rs"]
mod seed;
mod support;

use serde_json::Value;
use support::*;

const MUSL: &[u8] = b"a stand-in for the musl loader: only its name matters here";

fn musl_base() -> LayerSpec {
    LayerSpec::new()
        .dir("lib")
        .file("lib/ld-musl-x86_64.so.1", MUSL)
        .dir("etc")
        .file("etc/hosts", "127.0.0.1 localhost\n10.1.2.3 myhost.test\n")
}

fn scan(spec: &ImageSpec) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    spec.write_docker_archive(&path, DockerStyle::Legacy);
    let (code, json) = scan_json(path.to_str().unwrap());
    assert!(code == 0 || code == 1, "exit {code}: {json}");
    json["images"][0].clone()
}

fn programs(image: &Value) -> Vec<(String, Option<String>)> {
    image["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["path"].as_str().unwrap().to_string(),
                b["order"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn findings(image: &Value) -> Vec<(String, String)> {
    image["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn nsswitch_added_then_whited_out_is_missing() {
    let image = scan(&ImageSpec::new(vec![
        musl_base().file("etc/nsswitch.conf", "hosts: files dns\n"),
        LayerSpec::new().whiteout("etc/nsswitch.conf"),
    ]));
    assert_eq!(image["nsswitch"]["present"], false);
    assert_eq!(image["nsswitch"]["hosts"], Value::Null);
    assert_eq!(image["libc"]["kind"], "musl");
}

#[test]
fn an_opaque_etc_hides_the_lower_nsswitch_but_keeps_its_own_files() {
    let image = scan(&ImageSpec::new(vec![
        musl_base().file("etc/nsswitch.conf", "hosts: files dns\n"),
        LayerSpec::new()
            .opaque("etc")
            .file("etc/hosts", "127.0.0.1 localhost\n"),
    ]));
    assert_eq!(image["nsswitch"]["present"], false);
    // The opaque marker and a file of the same layer: the layer's own file survives.
    let image = scan(&ImageSpec::new(vec![
        musl_base().file("etc/nsswitch.conf", "hosts: dns files\n"),
        LayerSpec::new()
            .opaque("etc")
            .file("etc/nsswitch.conf", "hosts: files dns\n"),
    ]));
    assert_eq!(image["nsswitch"]["hosts"], "files dns");
}

#[test]
fn a_symlinked_nsswitch_is_read_through_the_link() {
    let image = scan(&ImageSpec::new(vec![musl_base()
        .dir("usr/share/base")
        .file("usr/share/base/nsswitch.conf", "hosts: dns files\n")
        .symlink("etc/nsswitch.conf", "../usr/share/base/nsswitch.conf")]));
    assert_eq!(image["nsswitch"]["present"], true);
    assert_eq!(image["nsswitch"]["hosts"], "dns files");
    assert_eq!(findings(&image), owned(&[("NSL003", "/etc/nsswitch.conf")]));
}

#[test]
fn an_absolute_symlinked_etc_directory_is_followed() {
    let image = scan(&ImageSpec::new(vec![
        musl_base(),
        LayerSpec::new()
            .dir("config/etc")
            .file("config/etc/nsswitch.conf", "hosts: dns\n")
            .whiteout("etc")
            .symlink("etc", "/config/etc"),
    ]));
    assert_eq!(image["nsswitch"]["hosts"], "dns");
}

#[test]
fn lib_symlinked_to_usr_lib_finds_the_musl_loader_and_places_later_entries() {
    let image = scan(&ImageSpec::new(vec![
        LayerSpec::new().dir("usr/lib").symlink("lib", "usr/lib"),
        // Written under lib/ by a later layer: lands in usr/lib, as a runtime would place it.
        LayerSpec::new().file("lib/ld-musl-x86_64.so.1", MUSL),
    ]));
    assert_eq!(image["libc"]["kind"], "musl");
    assert_eq!(image["libc"]["evidence"][0], "/lib/ld-musl-x86_64.so.1");
}

#[test]
fn a_symlink_loop_for_nsswitch_is_reported_not_followed_forever() {
    let image = scan(&ImageSpec::new(vec![
        musl_base().symlink("etc/nsswitch.conf", "nsswitch.conf")
    ]));
    assert_eq!(image["nsswitch"]["present"], true);
    assert_eq!(findings(&image), owned(&[("NSL900", "/etc/nsswitch.conf")]));
}

#[test]
fn the_seed_binary_is_found_and_predicted_dns_first() {
    let binary = seed::seed_binary();
    let image = scan(&ImageSpec::new(vec![
        musl_base(),
        LayerSpec::new().exe("usr/local/bin/lookup", binary),
    ]));
    assert_eq!(
        programs(&image),
        vec![(
            "/usr/local/bin/lookup".to_string(),
            Some("dns,files".to_string())
        )]
    );
    assert_eq!(image["binaries"][0]["go_version"], "go1.15.15");
    assert_eq!(
        findings(&image),
        owned(&[("NSL001", "/usr/local/bin/lookup")])
    );
}

#[test]
fn an_opaque_directory_hides_a_binary_of_a_lower_layer() {
    let binary = seed::seed_binary();
    let image = scan(&ImageSpec::new(vec![
        musl_base()
            .exe("opt/app/lookup", binary.clone())
            .exe("usr/bin/lookup", binary),
        LayerSpec::new()
            .opaque("opt/app")
            .file("opt/app/README", "nothing here\n"),
    ]));
    assert_eq!(
        programs(&image),
        vec![("/usr/bin/lookup".to_string(), Some("dns,files".to_string()))]
    );
}

#[test]
fn a_whiteout_or_a_replacement_removes_a_binary() {
    let binary = seed::seed_binary();
    let image = scan(&ImageSpec::new(vec![
        musl_base()
            .exe("usr/bin/a", binary.clone())
            .exe("usr/bin/b", binary),
        LayerSpec::new()
            .whiteout("usr/bin/a")
            .exe("usr/bin/b", "#!/bin/sh\necho replaced\n"),
    ]));
    assert_eq!(programs(&image), vec![]);
    assert_eq!(findings(&image), vec![]);
}

#[test]
fn a_hardlinked_binary_is_reported_under_each_name() {
    let binary = seed::seed_binary();
    let image = scan(&ImageSpec::new(vec![musl_base()
        .exe("usr/bin/lookup", binary)
        .hardlink("usr/local/bin/lookup-again", "usr/bin/lookup")]));
    let paths: Vec<String> = programs(&image).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        vec!["/usr/bin/lookup", "/usr/local/bin/lookup-again"]
    );
}

#[test]
fn a_nsswitch_conf_with_files_first_clears_the_seed_binary() {
    let binary = seed::seed_binary();
    let image = scan(&ImageSpec::new(vec![
        musl_base().exe("usr/local/bin/lookup", binary),
        LayerSpec::new().file("etc/nsswitch.conf", "hosts: files dns\n"),
    ]));
    assert_eq!(
        programs(&image),
        vec![(
            "/usr/local/bin/lookup".to_string(),
            Some("files,dns".to_string())
        )]
    );
    assert_eq!(findings(&image), vec![]);
}

#[test]
fn gzip_zstd_and_plain_layers_give_the_same_answer() {
    let binary = seed::seed_binary();
    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let spec = ImageSpec::new(vec![
            musl_base().compressed(compression),
            LayerSpec::new()
                .exe("usr/local/bin/lookup", binary.clone())
                .compressed(compression),
        ]);
        let dir = tempfile::tempdir().unwrap();
        spec.write_oci_layout(dir.path(), true);
        let (code, json) = scan_json(&format!("oci:{}", dir.path().display()));
        assert_eq!(code, 1, "{compression:?}: {json}");
        let image = &json["images"][0];
        assert_eq!(
            programs(image),
            vec![(
                "/usr/local/bin/lookup".to_string(),
                Some("dns,files".to_string())
            )],
            "{compression:?}"
        );
        let expected = match compression {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        };
        assert_eq!(image["layers"][1]["compression"], expected);
    }
}

/// The layer cache gives the same report as a walk, for an image whose lower layers another image put in the
/// cache (some layers from the cache, the rest walked) and for one with every layer cached — through
/// symlinked parents, whiteouts, an opaque directory and hard links, which the merge applies to cached and
/// walked layers alike.
#[test]
fn a_partly_and_a_fully_cached_image_report_what_a_walk_reports() {
    let lower = vec![
        musl_base()
            .dir("usr")
            .dir("usr/bin")
            .symlink("bin", "usr/bin")
            .file("etc/nsswitch.conf", "hosts: dns files\n")
            .dir("opt")
            .file("opt/old", "old"),
        LayerSpec::new()
            .compressed(Compression::Zstd)
            .exe("bin/lookup", seed::seed_binary())
            .hardlink("usr/bin/lookup-again", "usr/bin/lookup"),
    ];
    let first = ImageSpec::new(lower.clone());
    let mut upper = lower;
    upper.push(
        LayerSpec::new()
            .whiteout("etc/nsswitch.conf")
            .opaque("opt")
            .file("opt/new", "new"),
    );
    let second = ImageSpec::new(upper);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let write = |spec: &ImageSpec, name: &str| {
        let path = dir.path().join(name);
        spec.write_docker_archive(&path, DockerStyle::Legacy);
        path.to_str().unwrap().to_string()
    };
    let (first, second) = (write(&first, "first.tar"), write(&second, "second.tar"));
    let scan_with = |input: &str, cached: bool| {
        let mut args = vec!["scan", "--format", "json"];
        if cached {
            args.extend(["--cache-dir", cache.to_str().unwrap()]);
        }
        args.push(input);
        let (code, stdout, stderr) = nsslint(&args);
        assert_eq!(code, 1, "{stderr}");
        stdout
    };
    let walked = scan_with(&second, false);
    scan_with(&first, true); // caches the two lower layers
    let partly_cached = scan_with(&second, true);
    let fully_cached = scan_with(&second, true);
    assert_eq!(partly_cached, walked);
    assert_eq!(fully_cached, walked);
    let image = serde_json::from_str::<Value>(&walked).unwrap()["images"][0].clone();
    assert_eq!(image["nsswitch"]["present"], false);
    assert_eq!(
        programs(&image),
        vec![
            ("/usr/bin/lookup".to_string(), Some("dns,files".to_string())),
            (
                "/usr/bin/lookup-again".to_string(),
                Some("dns,files".to_string())
            ),
        ]
    );
    assert_eq!(
        findings(&image),
        owned(&[
            ("NSL001", "/usr/bin/lookup"),
            ("NSL001", "/usr/bin/lookup-again")
        ])
    );
    let entries = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .flat_map(|version| std::fs::read_dir(version.path()).unwrap().flatten())
        .count();
    assert_eq!(entries, 3, "one cache entry per distinct layer");
}
