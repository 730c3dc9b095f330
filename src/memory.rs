//! glibc's allocator, tuned at start-up (SPEC §12: ≤ 60 MB idle, ≤ 200 MB under load).
//!
//! Left alone, glibc gives each thread that allocates its own arena (up to 8 per core) and
//! raises its mmap threshold after the first large free, so argon2's 19 MiB blocks and the
//! buffers of many blocking threads stay in arenas for good: RSS climbed from 20 MB to 420 MB
//! in a 16-client run (bench/README.md). Two arenas and a fixed 128 KiB mmap threshold (large
//! blocks are mapped and unmapped, never kept) hold it at about 36 MB with no loss of
//! throughput. The environment variables `MALLOC_ARENA_MAX` / `MALLOC_MMAP_THRESHOLD_` still
//! win if an operator sets them.

/// Apply the allocator settings; call once, first thing in `main`.
#[allow(unsafe_code)]
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const ARENAS: libc::c_int = 2;
        const MMAP_THRESHOLD: libc::c_int = 128 * 1024;
        // SAFETY: mallopt only changes allocator parameters; it is called before any other
        // thread exists and with documented parameter values.
        unsafe {
            if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
                libc::mallopt(libc::M_ARENA_MAX, ARENAS);
            }
            if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
                libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            }
        }
    }
}
