//! The layer walk and the merge: the input is up to three layers' stored bytes (gzip, zstd or plain tar,
//! told by their magic), separated by the line `--nsslint-fuzz-layer--`; each is walked with every probe,
//! the walks are merged as a runtime applies them (whiteouts, opaque directories, symlinks, hard links),
//! and the image facts are gathered from the result. Each walk also goes through the layer cache's encoding
//! and must read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::rootfs::Rootfs;
use nsslint::walk::{scan_stored_bytes, WalkOptions};

const SEPARATOR: &[u8] = b"\n--nsslint-fuzz-layer--\n";

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while parts.len() < 2 {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}

fuzz_target!(|data: &[u8]| {
    let probes = nsslint::probes::all();
    let options = WalkOptions {
        max_file_bytes: 1 << 20,
    };
    let mut scans = Vec::new();
    for (i, layer) in split(data).into_iter().enumerate() {
        if let Ok(mut scan) = scan_stored_bytes(layer, &probes, &options) {
            scan.layer = i;
            scans.push(scan);
        }
    }
    for (i, scan) in scans.iter_mut().enumerate() {
        scan.layer = i;
        // What the layer cache stores of a walk reads back as the same walk.
        let entry = nsslint::cache::encode_entry(scan).expect("a walk encodes");
        let back = nsslint::cache::decode_entry(entry.clone()).expect("a walk's entry decodes");
        assert_eq!(nsslint::cache::encode_entry(&back).unwrap(), entry);
    }
    let fs = Rootfs::merge(&scans);
    let digests: Vec<String> = (0..scans.len()).map(|i| format!("layer{i}")).collect();
    let facts = nsslint::gather::image_facts(&scans, &fs, &digests, &["GODEBUG=netdns=go".into()]);
    let _ = facts.nsswitch.view_as_glibc(facts.libc.glibc_version);
    for path in ["etc/nsswitch.conf", "lib/ld-musl-x86_64.so.1", "usr/local/bin/app"] {
        let _ = fs.resolve(path);
        let _ = fs.list_dir(path);
    }
});
