//! The ELF probe: any bytes that start with the ELF magic reach `facts::elf::analyze` (headers, notes,
//! `.go.buildinfo` in its three eras, pclntab, version strings).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Seeds are real binaries; the magic is kept so mutations explore past it.
    let _ = nsslint::facts::elf::analyze(data);
});
