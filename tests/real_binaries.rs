//! Real Go binaries built by others (FACTS.md §4, fetched by `tests/fixtures/fetch.sh`), placed in images the
//! tests build, in all three container formats, with and without an nsswitch.conf: the exact JSON each one
//! gets (Go version, cgo, static, resolver linked, predicted order, findings).

mod support;

use serde_json::{json, Value};
use support::*;

const BIN: &str = "usr/local/bin/app";

fn musl_layer() -> LayerSpec {
    LayerSpec::new()
        .file("lib/ld-musl-x86_64.so.1", "stand-in for the musl loader")
        .symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
        .file("etc/hosts", "127.0.0.1 localhost\n10.1.2.3 myhost.test\n")
}

/// glibc 2.31 from Debian bullseye's libc6 package, laid out as that package does, with its NSS modules
/// for files and dns (before glibc 2.34 they are not built into libc: without them glibc skips both).
fn glibc_231_layer() -> Option<LayerSpec> {
    let dir = "debian/libc6-bullseye/lib/x86_64-linux-gnu";
    let libc = fixture(&format!("{dir}/libc-2.31.so"))?;
    let ld = fixture(&format!("{dir}/ld-2.31.so"))?;
    let nss_files = fixture(&format!("{dir}/libnss_files-2.31.so"))?;
    let nss_dns = fixture(&format!("{dir}/libnss_dns-2.31.so"))?;
    Some(
        LayerSpec::new()
            .exe("lib/x86_64-linux-gnu/libc-2.31.so", libc)
            .symlink("lib/x86_64-linux-gnu/libc.so.6", "libc-2.31.so")
            .exe("lib/x86_64-linux-gnu/libnss_files-2.31.so", nss_files)
            .symlink(
                "lib/x86_64-linux-gnu/libnss_files.so.2",
                "libnss_files-2.31.so",
            )
            .exe("lib/x86_64-linux-gnu/libnss_dns-2.31.so", nss_dns)
            .symlink("lib/x86_64-linux-gnu/libnss_dns.so.2", "libnss_dns-2.31.so")
            .exe("lib/x86_64-linux-gnu/ld-2.31.so", ld)
            .symlink(
                "lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-2.31.so",
            )
            .file("etc/hosts", "127.0.0.1 localhost\n10.1.2.3 myhost.test\n"),
    )
}

enum Format {
    Docker,
    Oci,
    OciArchive,
}

/// Scans the image in the given format; returns the first image's JSON.
fn scan_as(spec: &ImageSpec, format: Format) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = match format {
        Format::Docker => {
            let path = dir.path().join("image.tar");
            spec.write_docker_archive(&path, DockerStyle::Legacy);
            path.display().to_string()
        }
        Format::Oci => {
            spec.write_oci_layout(dir.path(), true);
            format!("oci:{}", dir.path().display())
        }
        Format::OciArchive => {
            let path = dir.path().join("image-oci.tar");
            spec.write_oci_archive(&path);
            format!("oci-archive:{}", path.display())
        }
    };
    let (code, json) = scan_json(&input);
    (code, json["images"][0].clone())
}

/// The parts of a binary's JSON the tests pin down.
fn binary_summary(image: &Value) -> Value {
    let b = &image["binaries"][0];
    json!({
        "path": b["path"], "go_version": b["go_version"], "cgo": b["cgo"], "static": b["static"],
        "os": b["os"], "resolver_linked": b["resolver_linked"], "order": b["order"],
    })
}

fn rules_and_paths(image: &Value) -> Vec<(String, String)> {
    image["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["path"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Checks one binary in a musl image, in all three formats, without nsswitch.conf and with `hosts: files dns`.
fn check_in_musl_image(
    fixture_path: &str,
    without: Value,
    without_findings: &[(&str, &str)],
    with_files_dns: Value,
) {
    let Some(bytes) = fixture(fixture_path) else {
        return;
    };
    let bare = ImageSpec::new(vec![musl_layer(), LayerSpec::new().exe(BIN, bytes.clone())]);
    for format in [Format::Docker, Format::Oci, Format::OciArchive] {
        let (code, image) = scan_as(&bare, format);
        assert_eq!(binary_summary(&image), without, "{fixture_path}");
        assert_eq!(
            rules_and_paths(&image),
            pairs(without_findings),
            "{fixture_path}"
        );
        let expected_code = if without_findings.iter().any(|(rule, _)| *rule == "NSL001") {
            1
        } else {
            0
        };
        assert_eq!(code, expected_code, "{fixture_path}");
    }
    let with = ImageSpec::new(vec![
        musl_layer().file("etc/nsswitch.conf", "hosts: files dns\n"),
        LayerSpec::new().exe(BIN, bytes),
    ]);
    let (code, image) = scan_as(&with, Format::Docker);
    assert_eq!(
        binary_summary(&image),
        with_files_dns,
        "{fixture_path} with hosts: files dns"
    );
    assert_eq!(
        rules_and_paths(&image),
        vec![],
        "{fixture_path} with hosts: files dns"
    );
    assert_eq!(code, 0);
}

fn summary(go_version: &str, cgo: Value, static_: bool, linked: bool, order: Value) -> Value {
    json!({
        "path": "/usr/local/bin/app", "go_version": go_version, "cgo": cgo, "static": static_,
        "os": "linux", "resolver_linked": linked, "order": order,
    })
}

#[test]
fn esbuild_0_8_30_go1_15_5_asks_dns_first_without_nsswitch() {
    check_in_musl_image(
        "esbuild-0.8.30/esbuild",
        summary("go1.15.5", json!(false), true, true, json!("dns,files")),
        &[("NSL001", "/usr/local/bin/app")],
        summary("go1.15.5", json!(false), true, true, json!("files,dns")),
    );
}

#[test]
fn esbuild_0_14_0_go1_17_2_reads_hosts_first() {
    check_in_musl_image(
        "esbuild-0.14.0/esbuild",
        summary("go1.17.2", json!(false), true, true, json!("files,dns")),
        &[],
        summary("go1.17.2", json!(false), true, true, json!("files,dns")),
    );
}

#[test]
fn esbuild_0_19_12_go1_20_12_reads_hosts_first() {
    check_in_musl_image(
        "esbuild-0.19.12/esbuild",
        summary("go1.20.12", json!(false), true, true, json!("files,dns")),
        &[],
        summary("go1.20.12", json!(false), true, true, json!("files,dns")),
    );
}

#[test]
fn esbuild_0_26_0_go1_23_12_reads_hosts_first() {
    check_in_musl_image(
        "esbuild-0.26.0/esbuild",
        summary("go1.23.12", json!(false), true, true, json!("files,dns")),
        &[],
        summary("go1.23.12", json!(false), true, true, json!("files,dns")),
    );
}

#[test]
fn esbuild_0_28_2_without_build_info_is_still_read_as_go1_26_5() {
    check_in_musl_image(
        "esbuild-0.28.2/esbuild",
        summary("go1.26.5", json!(false), true, true, json!("files,dns")),
        &[],
        summary("go1.26.5", json!(false), true, true, json!("files,dns")),
    );
}

#[test]
fn a_go_binary_without_the_resolver_gets_no_order_and_no_finding() {
    check_in_musl_image(
        "nonet/shfmt",
        summary("go1.27.1", json!(false), true, false, Value::Null),
        &[],
        summary("go1.27.1", json!(false), true, false, Value::Null),
    );
}

#[test]
fn a_post_1_16_binary_still_obeys_dns_files_in_nsswitch() {
    let Some(bytes) = fixture("esbuild-0.14.0/esbuild") else {
        return;
    };
    let spec = ImageSpec::new(vec![
        musl_layer().file("etc/nsswitch.conf", "hosts: dns files\n"),
        LayerSpec::new().exe(BIN, bytes),
    ]);
    let (code, image) = scan_as(&spec, Format::Oci);
    assert_eq!(image["binaries"][0]["order"], "dns,files");
    assert_eq!(
        rules_and_paths(&image),
        pairs(&[
            ("NSL003", "/etc/nsswitch.conf"),
            ("NSL001", "/usr/local/bin/app")
        ])
    );
    assert_eq!(code, 1);
}

#[test]
fn a_cgo_glibc_binary_in_a_musl_image_cannot_start() {
    let Some(runc) = fixture("debian/runc/usr/sbin/runc") else {
        return;
    };
    let spec = ImageSpec::new(vec![
        musl_layer().file("etc/nsswitch.conf", "hosts: files dns\n"),
        LayerSpec::new().exe("usr/sbin/runc", runc),
    ]);
    let (code, image) = scan_as(&spec, Format::Docker);
    assert_eq!(
        binary_summary(&image),
        json!({"path": "/usr/sbin/runc", "go_version": "go1.19.8", "cgo": true, "static": false, "os": "linux", "resolver_linked": true, "order": "files,dns"})
    );
    assert_eq!(
        rules_and_paths(&image),
        pairs(&[("NSL005", "/usr/sbin/runc")])
    );
    assert!(image["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("/lib64/ld-linux-x86-64.so.2, which is not in the image"));
    assert_eq!(code, 1);
}

#[test]
fn a_cgo_binary_on_glibc_2_31_without_nsswitch() {
    let (Some(runc), Some(glibc)) = (fixture("debian/runc/usr/sbin/runc"), glibc_231_layer())
    else {
        return;
    };
    let spec = ImageSpec::new(vec![glibc, LayerSpec::new().exe("usr/sbin/runc", runc)]);
    let (code, image) = scan_as(&spec, Format::OciArchive);
    assert_eq!(image["libc"]["kind"], "glibc");
    assert_eq!(image["libc"]["version"], "2.31");
    // glibc 2.31's default `dns [!UNAVAIL=return] files`: /etc/hosts only when no DNS server answers.
    assert_eq!(image["libc"]["order"], "dns");
    // Go 1.19 decides itself (files,dns) although glibc 2.31 would ask DNS first: NSL004 is about C programs.
    assert_eq!(binary_summary(&image)["order"], "files,dns");
    assert_eq!(
        rules_and_paths(&image),
        pairs(&[("NSL004", "/etc/nsswitch.conf")])
    );
    let message = image["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("asks DNS and reads /etc/hosts only when no DNS server answers"),
        "{message}"
    );
    assert_eq!(code, 0, "NSL004 is a warning");
}

#[test]
fn a_cgo_binary_hands_unknown_sources_to_glibc() {
    let (Some(runc), Some(glibc)) = (fixture("debian/runc/usr/sbin/runc"), glibc_231_layer())
    else {
        return;
    };
    let spec = ImageSpec::new(vec![
        glibc.file(
            "etc/nsswitch.conf",
            "hosts: files resolve [!UNAVAIL=return] dns\n",
        ),
        LayerSpec::new().exe("usr/sbin/runc", runc),
    ]);
    let (_, image) = scan_as(&spec, Format::Docker);
    // The image has no libnss_resolve.so.2: glibc skips resolve (UNAVAIL, which [!UNAVAIL=return] lets
    // through) and goes on to dns, as tests/oracle observes.
    assert_eq!(binary_summary(&image)["order"], "cgo:files,dns");
    assert_eq!(image["libc"]["order"], "files,dns");
    assert_eq!(rules_and_paths(&image), vec![]);
}

#[test]
fn freebsd_and_openbsd_go_binaries_are_not_judged_as_linux_resolvers() {
    let dir = "pypi/lefthook/lefthook/bin";
    let (Some(freebsd), Some(openbsd)) = (
        fixture(&format!("{dir}/lefthook-freebsd-x86_64/lefthook")),
        fixture(&format!("{dir}/lefthook-openbsd-x86_64/lefthook")),
    ) else {
        return;
    };
    let spec = ImageSpec::new(vec![
        musl_layer(),
        LayerSpec::new()
            .exe("opt/bsd/lefthook-freebsd", freebsd)
            .exe("opt/bsd/lefthook-openbsd", openbsd),
    ]);
    let (code, image) = scan_as(&spec, Format::Docker);
    let found: Vec<(Value, Value, Value)> = image["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["path"].clone(), b["os"].clone(), b["order"].clone()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                json!("/opt/bsd/lefthook-freebsd"),
                json!("freebsd"),
                Value::Null
            ),
            (
                json!("/opt/bsd/lefthook-openbsd"),
                json!("openbsd"),
                Value::Null
            ),
        ]
    );
    // The OpenBSD loader is missing too, but an OpenBSD program is not expected to start on Linux.
    assert_eq!(rules_and_paths(&image), vec![]);
    assert_eq!(code, 0);
}
