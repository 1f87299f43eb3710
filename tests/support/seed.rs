//! The Go 1.15 program of the committed example image, taken out of `examples/seed-incident.tar` so tests
//! can place a real pre-1.16 Go binary wherever they like.

#![allow(dead_code)] // each test file uses some of this

use std::io::Read;

pub const SEED_IMAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/seed-incident.tar");

/// The bytes of `/usr/local/bin/lookup` from the example image (built with go1.15.15, static).
pub fn seed_binary() -> Vec<u8> {
    let mut outer =
        tar::Archive::new(std::fs::File::open(SEED_IMAGE).expect("examples/seed-incident.tar"));
    for member in outer.entries().unwrap() {
        let mut member = member.unwrap();
        if member.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let mut bytes = Vec::new();
        member.read_to_end(&mut bytes).unwrap();
        let layer: Box<dyn Read> = if bytes.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::GzDecoder::new(bytes.as_slice()))
        } else {
            Box::new(bytes.as_slice())
        };
        let mut inner = tar::Archive::new(layer);
        let Ok(entries) = inner.entries() else {
            continue;
        };
        for entry in entries {
            let Ok(mut entry) = entry else { break };
            let path = entry
                .path()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("./")
                .to_string();
            if path == "usr/local/bin/lookup" {
                let mut binary = Vec::new();
                entry.read_to_end(&mut binary).unwrap();
                return binary;
            }
        }
    }
    panic!("no usr/local/bin/lookup in {SEED_IMAGE}");
}

/// A one-layer image for `arch` with the seed program, `hosts: files dns` and a marker file.
pub fn small_image(arch: &str, marker: &str) -> crate::support::ImageSpec {
    crate::support::ImageSpec::new(vec![crate::support::LayerSpec::new()
        .file("etc/nsswitch.conf", "hosts: files dns\n")
        .exe("usr/local/bin/lookup", seed_binary())
        .file("etc/marker", marker)])
    .platform("linux", arch)
}

/// A one-layer image for `arch` with the seed program and no nsswitch.conf: NSL001 until fixed.
pub fn unfixed_image(arch: &str) -> crate::support::ImageSpec {
    crate::support::ImageSpec::new(vec![crate::support::LayerSpec::new()
        .file("etc/hosts", "10.1.2.3 myhost.test\n")
        .exe("usr/local/bin/lookup", seed_binary())])
    .platform("linux", arch)
}
