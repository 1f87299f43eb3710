//! The nsslint binary: the allocator of the static builds, then the command line ([`nsslint::cli`]).

/// musl's allocator is slow for the walk's many small, short-lived buffers on several threads; the static
/// musl builds use mimalloc instead (measured by bench/run.sh, README "Install"). glibc's malloc is kept.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nsslint::cli::main()
}
