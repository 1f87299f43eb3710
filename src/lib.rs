//! nsslint reads a container image without extracting it and predicts, for every Go program in it, the order
//! in which the program's resolver will consult `/etc/hosts` and DNS; it reports the programs that will ask
//! DNS first (or never read `/etc/hosts`) and the image settings that cause it.
//!
//! The data's way through: [`source`] (where bytes come from) → [`walk`] (one streaming pass per layer,
//! offering entries to [`probes`]) → [`rootfs`] (the merged final filesystem) → [`gather`] → [`facts`] (plain
//! data) → [`model`]
//! (resolver behaviour by Go release and C library) → [`rules`] (findings, documented in `rules/*.md`) →
//! [`report`] (text, JSON, SARIF). [`analyze`] strings the middle together for one image; [`job`] runs many
//! images (inputs, workers, cache, progress); [`ops`] holds each command's work; [`cli`] only parses.

pub mod analyze;
pub mod cache;
pub mod cli;
pub mod config;
pub mod dockerfile;
pub mod error;
pub mod facts;
pub mod fix;
pub mod gather;
pub mod job;
pub mod k8s;
pub mod memory;
pub mod model;
pub mod ops;
pub mod probes;
pub mod report;
pub mod rootfs;
pub mod rules;
pub mod sink;
pub mod source;
pub mod tarstream;
pub mod walk;
