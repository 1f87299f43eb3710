//! The C library of an image: musl, glibc (with its version), both or none, and the evidence for it.
