//! Facts about an image's final filesystem and configuration: plain, serialisable data gathered by the layer
//! walk and consumed by the models and rules.

pub mod buildinfo;
pub mod elf;
pub mod file;
pub mod image;
pub mod libc;
pub mod nsswitch;
pub mod pod;
