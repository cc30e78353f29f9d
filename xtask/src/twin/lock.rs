//! An exclusive flock(2) on `target/twin/lock`, so concurrent `twin up`s (two
//! test runs started at once) serialize: the second waits, then finds the
//! twin the first one booted and reuses it. The kernel drops the lock when
//! the process exits, so a crashed `up` never leaves it stuck.
//!
//! Through std's `File::try_lock`/`File::lock` (flock(2) on Linux, stable since Rust 1.89,
//! the project's `rust-version`): no `unsafe`, no hand-written EINTR loop.

use std::fs::{File, OpenOptions, TryLockError};
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
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            println!(
                "twin: another `twin` command holds {}; waiting for it",
                path.display()
            );
            file.lock().context("flock on the twin lock file")?;
        }
        Err(TryLockError::Error(e)) => return Err(e).context("flock on the twin lock file"),
    }
    Ok(Lock { _file: file })
}
