//! SQLite allocates through the C library's `malloc` unless told otherwise. In a page
//! request most allocations are SQLite's (statements, rows, page cache), and glibc's
//! malloc takes a lock and keeps per-thread arenas that hold freed memory: measured, it
//! was a sixth of an uncached article page's CPU time (`bench/results/`). This crate
//! points SQLite at mimalloc, which the binary already uses for Rust's allocations,
//! and switches off SQLite's memory statistics (a global mutex on every allocation,
//! and nothing here reads them).
//!
//! SQLite accepts this only before its first connection opens, so [`install`] runs
//! once, before the store opens a database.

use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

use libmimalloc_sys as mi;
use libsqlite3_sys as ffi;

/// Makes SQLite allocate through mimalloc. Idempotent; returns whether SQLite took the
/// table (false when a connection was already open in this process: SQLite keeps the
/// allocator it started with, which is harmless, only slower).
pub fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(malloc),
            xFree: Some(free),
            xRealloc: Some(realloc),
            xSize: Some(size),
            xRoundup: Some(roundup),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: `sqlite3_config` is called with the argument types each option
        // documents (a pointer to a `sqlite3_mem_methods`, which SQLite copies before
        // returning; an int). It returns SQLITE_MISUSE, changing nothing, once SQLite
        // is initialised, so a late call cannot swap allocators under live allocations.
        unsafe {
            let table = ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_MALLOC,
                &methods as *const ffi::sqlite3_mem_methods,
            );
            if table != ffi::SQLITE_OK {
                return false;
            }
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        }
        true
    })
}

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, v2 and v3 alike;
/// `libmimalloc-sys` names no constant for it).
const PURGE_DELAY: mi::mi_option_t = 15;

/// For a bulk job (an import, a rebuild): memory freed goes back to the system after
/// `ms` milliseconds instead of mimalloc's second. An import frees tens of megabytes a
/// second (batches, read-backs, finished index segments); held for a second, they
/// made its resident memory saw-tooth ~30 MB above what it used, and its peak grew
/// with the length of the import (14,200 posts 215-226 MiB, 142,000 posts 254-266; at
/// 100 ms 186-218 and 198-211, as fast). `MIMALLOC_PURGE_DELAY`, when set, wins.
pub fn purge_freed_memory_after(ms: i64) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores a number in mimalloc's option table (an atomic
    // write); the purge delay is read when memory is next freed, at any time.
    unsafe { mi::mi_option_set(PURGE_DELAY, ms as std::ffi::c_long) }
}

/// SQLite passes sizes as ints and never a negative one; treat one as zero anyway.
fn bytes(n: c_int) -> usize {
    usize::try_from(n).unwrap_or(0)
}

unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
    // SAFETY: mimalloc's malloc accepts any size and returns null on failure, which
    // SQLite handles (SQLITE_NOMEM).
    unsafe { mi::mi_malloc(bytes(n)) }
}

unsafe extern "C" fn free(p: *mut c_void) {
    // SAFETY: SQLite frees only what `malloc`/`realloc` above returned (or null).
    unsafe { mi::mi_free(p) }
}

unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: `p` came from `malloc`/`realloc` above; SQLite never passes null here.
    unsafe { mi::mi_realloc(p, bytes(n)) }
}

unsafe extern "C" fn size(p: *mut c_void) -> c_int {
    // SAFETY: `p` came from `malloc`/`realloc` above. SQLite's allocations are far
    // below 2 GiB (its limit is an int), so the usable size fits.
    let n = unsafe { mi::mi_usable_size(p) };
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn roundup(n: c_int) -> c_int {
    // SAFETY: a pure function of its argument.
    let good = unsafe { mi::mi_good_size(bytes(n)) };
    c_int::try_from(good).unwrap_or(n)
}

unsafe extern "C" fn init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn shutdown(_: *mut c_void) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_is_the_option_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option is an atomic load.
        let get = |option| unsafe { mi::mi_option_get(option) };
        // mimalloc's documented default: the option is the one its name says.
        assert_eq!(get(PURGE_DELAY), 1000);
        purge_freed_memory_after(100);
        assert_eq!(get(PURGE_DELAY), 100);
    }

    #[test]
    fn sqlite_allocates_through_mimalloc_once_installed() {
        assert!(install(), "installed before any connection opened");
        assert!(install(), "a second call reports the same");
        // SAFETY: plain SQLite API use on a private in-memory database.
        unsafe {
            let p = ffi::sqlite3_malloc(1000);
            assert!(!p.is_null());
            // mimalloc knows the block: it came from mimalloc's heap.
            assert!(mi::mi_is_in_heap_region(p));
            assert!(ffi::sqlite3_msize(p) >= 1000);
            ffi::sqlite3_free(p);
        }
    }
}
