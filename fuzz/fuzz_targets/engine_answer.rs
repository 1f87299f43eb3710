//! What a local engine answers (`docker-daemon:`, `podman:`): the image inspect and the export. The input is
//! the inspect's JSON, a NUL byte, then the export's bytes; the inspect is read as `source::engine::api`
//! reads it, and when it passes, the export is spooled to a temporary file and read as the engine source
//! reads it (a docker archive whose layers must be the inspected ones). The engine's error bodies and the
//! `DOCKER_HOST` / `CONTAINER_HOST` parser get the inspect bytes too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::source::engine::{api, endpoint, read_export};
use nsslint::source::PlatformChoice;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let (inspect, export) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let _ = api::engine_message(inspect);
    let _ = endpoint::parse_host(&String::from_utf8_lossy(inspect), None);
    let Ok(inspect) = api::parse_inspect(inspect) else {
        return;
    };
    let Ok(mut spool) = tempfile::tempfile() else {
        return;
    };
    if spool.write_all(export).is_err() {
        return;
    }
    for choice in [PlatformChoice::Default, PlatformChoice::All] {
        let Ok(spool) = spool.try_clone() else {
            return;
        };
        if let Ok(images) = read_export("fuzz", &inspect, "app:dev", spool, &choice) {
            for image in &images {
                let _ = image.env();
                let _ = image.layer_history();
            }
        }
    }
});
