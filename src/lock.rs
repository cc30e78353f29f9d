//! File locks shared across threads and processes: per-target locks (read-only scenarios
//! share a target, a mutating scenario or action has it to itself) and the per-run locks
//! of actions and of the gate report.
//!
//! flock(2): it works across threads (each holds its own open file) and across processes
//! (nextest runs one process per scenario), and the kernel drops it if the process dies.

use std::fs::{File, OpenOptions};
use std::path::Path;

/// Holds the lock until dropped.
pub(crate) struct TargetLock {
    _file: File,
}

/// Take the target's lock: exclusive for a mutating scenario, shared otherwise.
pub(crate) fn lock_target(
    state_dir: &Path,
    target: &str,
    exclusive: bool,
) -> Result<TargetLock, String> {
    let dir = state_dir.join("locks");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(format!("{target}.lock"));
    let file =
        flock(&path, exclusive).map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(TargetLock { _file: file })
}

/// Open (creating it) and lock `path`, blocking until the lock is ours; the lock lasts as
/// long as the returned file.
pub(crate) fn flock(path: &Path, exclusive: bool) -> std::io::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    if exclusive { f.lock() } else { f.lock_shared() }?;
    Ok(f)
}
