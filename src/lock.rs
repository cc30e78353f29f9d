//! Per-target locks: read-only scenarios share a target, a mutating scenario (or action)
//! has it to itself.
//!
//! flock(2) on a file under `target/witness/locks/`: it works across threads (each holds
//! its own open file) and across processes (nextest runs one process per scenario), and the
//! kernel drops it if the process dies.

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
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open lock {}: {e}", path.display()))?;
    if exclusive { f.lock() } else { f.lock_shared() }
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(TargetLock { _file: f })
}
