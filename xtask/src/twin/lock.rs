//! An exclusive flock(2) on `target/twin/lock`, so concurrent `twin up`s (two
//! test runs started at once) serialize: the second waits, then finds the
//! twin the first one booted and reuses it. The kernel drops the lock when
//! the process exits, so a crashed `up` never leaves it stuck.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{Context, Result};

/// Held lock; released when dropped (the file descriptor closes).
pub struct Lock {
    _file: File,
}

/// Blocks until the exclusive lock on `path` is ours.
pub fn acquire(path: &Path) -> Result<Lock> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    // Try first without blocking, only to tell the person why we pause.
    if !flock(&file, libc::LOCK_EX | libc::LOCK_NB)? {
        println!(
            "twin: another `twin` command holds {}; waiting for it",
            path.display()
        );
        flock(&file, libc::LOCK_EX)?;
    }
    Ok(Lock { _file: file })
}

/// Ok(false) when a non-blocking request would have blocked.
fn flock(file: &File, op: libc::c_int) -> Result<bool> {
    loop {
        // SAFETY: the descriptor is valid for the lifetime of `file`.
        let rc = unsafe { libc::flock(file.as_raw_fd(), op) };
        if rc == 0 {
            return Ok(true);
        }
        let err = std::io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) if op & libc::LOCK_NB != 0 => return Ok(false),
            _ => return Err(err).context("flock on the twin lock file"),
        }
    }
}
