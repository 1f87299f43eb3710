//! The Kubernetes manifest reader: any bytes as YAML documents (positions kept, aliases bounded), then as
//! workloads. Neither may panic, and a document's expansion stays within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nsslint::k8s::{workload, yaml};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = yaml::Limits {
        nodes: 100_000,
        alias_nodes: 10_000,
        depth: 64,
    };
    if let Ok(documents) = yaml::documents(text, limits) {
        let read = workload::read("fuzz.yaml", &documents);
        for w in &read.workloads {
            for c in &w.containers {
                let _ = c.scanned_image();
            }
        }
    }
});
