//! nsswitch.conf as Go reads it (per release) and as glibc reads it (per release): the first byte picks the
//! releases, the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::facts::elf::GoVersion;
use nsslint::facts::libc::GlibcVersion;
use nsslint::facts::nsswitch;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let go = GoVersion::new(1, u32::from(pick % 32), 0);
    let _ = nsswitch::parse_as_go(&text, go);
    let _ = nsswitch::read_as_go(&text, go);
    let glibc = (pick & 0x80 != 0).then_some(GlibcVersion {
        major: 2,
        minor: u32::from(pick % 45),
    });
    let _ = nsswitch::parse_as_glibc(&text, glibc);
    let _ = nsswitch::read_as_glibc(&text, glibc);
});
