//! The build-info decoders on their own: varint-framed strings (Go 1.18+), modinfo text, Go's string
//! unquoting and version strings, fed directly rather than through an ELF file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::facts::buildinfo;

fuzz_target!(|data: &[u8]| {
    if let Ok(strings) = buildinfo::decode_inline(data) {
        let _ = strings;
    }
    let _ = buildinfo::parse_modinfo(buildinfo::strip_sentinels(data));
    let _ = buildinfo::parse_modinfo(data);
    let _ = buildinfo::read_uvarint(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = buildinfo::go_unquote(text);
        let _ = buildinfo::quoted_prefix_len(text);
        let _ = nsslint::facts::elf::GoVersion::parse(text);
    }
});
