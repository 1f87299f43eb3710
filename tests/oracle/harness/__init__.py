"""nsslint's differential oracle: real Go toolchains, glibc and musl, asked what they do (see ../README.md)."""
