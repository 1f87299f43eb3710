//! The nsslint binary: the allocator and string functions of the static builds, then the command line ([`nsslint::cli`]).

/// musl's allocator is slow for the walk's many small, short-lived buffers on several threads; the static
/// musl builds use mimalloc instead (measured by bench/run.sh, README "Install"). glibc's malloc is kept.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// musl's byte-at-a-time memcmp and its backward memmove made the all-cached re-scan 1.44 × slower than the
// glibc build; these take their place in the static link (nsslint::memory).
#[cfg(target_env = "musl")]
mod musl_string {
    #[unsafe(no_mangle)]
    unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        unsafe { nsslint::memory::compare(a, b, n) }
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        unsafe { nsslint::memory::compare(a, b, n) }
    }

    #[unsafe(no_mangle)]
    unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        unsafe { nsslint::memory::copy_overlapping(dst, src, n) }
    }
}

fn main() -> std::process::ExitCode {
    nsslint::cli::main()
}
