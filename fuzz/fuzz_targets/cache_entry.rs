//! A layer cache entry as read back from a (possibly shared) cache directory, after zstd: the magic and
//! format, the facts' JSON, the binary entry index. What decodes is merged and gathered as a cached layer
//! would be, and must encode back to the same bytes it decoded from, less what encoding normalises (JSON
//! whitespace, field order), so a second round trip is checked exactly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::cache::{decode_entry, encode_entry};
use nsslint::rootfs::Rootfs;

fuzz_target!(|data: &[u8]| {
    let Some(scan) = decode_entry(data.to_vec()) else {
        return;
    };
    let once = encode_entry(&scan).expect("a decoded entry encodes");
    let again = decode_entry(once.clone()).expect("an encoded entry decodes");
    assert_eq!(
        encode_entry(&again).expect("encodes"),
        once,
        "encoding is not stable"
    );
    let scans = [scan];
    let fs = Rootfs::merge(&scans);
    let facts = nsslint::gather::image_facts(&scans, &fs, &["layer0".to_string()], &[]);
    let _ = facts.nsswitch.view_as_glibc(facts.libc.glibc_version);
    for path in ["etc/nsswitch.conf", "lib/ld-musl-x86_64.so.1", "usr/local/bin/app"] {
        let _ = fs.resolve(path);
        let _ = fs.list_dir(path);
    }
});
