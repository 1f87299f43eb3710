//! nsslint reads a container image without extracting it and predicts, for every Go program in it, the order
//! in which the program's resolver will consult `/etc/hosts` and DNS; it reports the programs that will ask
//! DNS first (or never read `/etc/hosts`) and the image settings that cause it.

pub mod error;
pub mod facts;
pub mod model;
pub mod probes;
pub mod rootfs;
pub mod source;
pub mod walk;
