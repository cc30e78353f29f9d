//! File locks shared across threads and processes: per-target locks (read-only scenarios
//! share a target, a mutating scenario or action has it to itself) and the per-run locks
//! of actions and of the gate report.
//!
//! flock(2): it works across threads (each holds its own open file) and across processes
//! (nextest runs one process per scenario), and the kernel drops it if the process dies.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::LockError;

/// Holds the lock until dropped.
pub(crate) struct TargetLock {
    _file: File,
}

/// Take the target's lock: exclusive for a mutating scenario, shared otherwise.
pub(crate) fn lock_target(
    state_dir: &Path,
    target: &str,
    exclusive: bool,
) -> Result<TargetLock, LockError> {
    let dir = state_dir.join("locks");
    std::fs::create_dir_all(&dir).map_err(|source| LockError::CreateDir {
        dir: dir.clone(),
        source,
    })?;
    let path = dir.join(format!("{target}.lock"));
    let file = flock(&path, exclusive).map_err(|source| LockError::Flock { path, source })?;
    Ok(TargetLock { _file: file })
}

/// The target's build lock: one building scenario or action at a time (Nix builds are
/// heavy on a production host; several at once is what a cold run must not do).
pub(crate) fn lock_builds(state_dir: &Path, target: &str) -> Result<TargetLock, LockError> {
    lock_target(state_dir, &format!("{target}.builds"), true)
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

/// The lock on the target itself that keeps two mutating runs apart, wherever they run from
/// (a builder and an adversary on two machines): `flock` on `/run/lock/witness-mutation.lock`
/// held by a command that lives as long as this value, on its own SSH session (or as a child
/// process on the local target). A lost connection or a dead witness ends the command, and
/// the kernel drops the lock with it. A second run waits up to `wait`, saying who holds it,
/// then is refused.
pub enum OnTarget {
    Ssh { _held: crate::transport::Held },
    Local(std::process::Child),
}

impl Drop for OnTarget {
    fn drop(&mut self) {
        if let OnTarget::Local(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The script that takes the lock: prints `WAITING <holder>` while another run holds it,
/// then `HELD` (and keeps the lock until its stdin closes), or `BUSY <holder>` when `wait`
/// seconds pass.
fn lock_script(holder: &str, wait_secs: u64) -> String {
    let holder = shlex::try_quote(holder).map_or_else(|_| "'?'".into(), |q| q.into_owned());
    format!(
        r#"mkdir -p /run/lock
exec 9>>/run/lock/witness-mutation.lock
if ! flock -n 9; then
  echo "WAITING $(cat /run/lock/witness-mutation.holder 2>/dev/null)"
  flock -w {wait_secs} 9 || {{ echo "BUSY $(cat /run/lock/witness-mutation.holder 2>/dev/null)"; exit 0; }}
fi
printf '%s\n' {holder} > /run/lock/witness-mutation.holder
echo HELD
exec cat >/dev/null"#
    )
}

/// Take the target-side mutation lock for `holder` (who and what, shown to a second run).
pub fn lock_on_target(
    rt: &crate::target::TargetRuntime,
    holder: &str,
    wait: std::time::Duration,
    progress: &dyn Fn(&str),
) -> Result<OnTarget, LockError> {
    let script = lock_script(holder, wait.as_secs());
    let mut on_line = |line: &str| {
        if let Some(who) = line.strip_prefix("WAITING ") {
            progress(&format!(
                "the target's mutation lock is held by {who}; waiting up to {}s",
                wait.as_secs()
            ));
            return false;
        }
        true
    };
    let (held, last) = match &rt.ssh {
        Some(pool) => {
            let (h, last) = pool
                .hold(
                    &script,
                    wait + std::time::Duration::from_secs(30),
                    &mut on_line,
                )
                .map_err(|e| LockError::OnTarget(Box::new(e)))?;
            (OnTarget::Ssh { _held: h }, last)
        }
        None => {
            use std::io::{BufRead, BufReader};
            let mut child = std::process::Command::new("bash")
                .arg("-c")
                .arg(&script)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .map_err(LockError::Spawn)?;
            let out = child.stdout.take().expect("piped");
            let mut last = String::new();
            for line in BufReader::new(out).lines() {
                let line = line.unwrap_or_default();
                if on_line(&line) {
                    last = line;
                    break;
                }
            }
            (OnTarget::Local(child), last)
        }
    };
    match last.as_str() {
        "HELD" => Ok(held),
        busy if busy.starts_with("BUSY") => Err(LockError::Busy {
            holder: busy.trim_start_matches("BUSY").trim().to_string(),
            wait,
        }),
        other => Err(LockError::Unexpected {
            said: other.to_string(),
        }),
    }
}
