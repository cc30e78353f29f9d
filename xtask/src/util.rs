//! Helpers shared by the xtask tasks: where the workspace is, and running
//! external commands with errors a person can act on.
//!
//! Every task shells out (cargo, ssh, mmdebstrap, systemd-nspawn...). A bare
//! "exit status: 1" tells nobody anything, so these helpers always name the
//! command line and carry its stderr into the error.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use wait_timeout::ChildExt;

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// The cargo that runs us (cargo-xtask's advice), else `cargo`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (relative values are
/// taken from the workspace root, as cargo does), else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// `prog arg1 arg2`, quoted just enough to be read (and pasted) by a person.
pub fn display_command(cmd: &Command) -> String {
    let mut words = vec![quote(cmd.get_program())];
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

pub fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%^".contains(c));
    if plain {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited stdout/stderr (the person sees its progress);
/// fails naming the command if it cannot start or exits non-zero.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = display_command(cmd);
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    check_status(&shown, status, b"")
}

/// Runs `cmd` with inherited stdout/stderr like [`run`], but kills it (by its
/// handle, i.e. its PID) if it has not finished within `timeout`.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<()> {
    let shown = display_command(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    match child.wait_timeout(timeout)? {
        Some(status) => check_status(&shown, status, b""),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("`{shown}` did not finish within {}s", timeout.as_secs());
        }
    }
}

/// Runs `cmd` capturing its output; fails naming the command and quoting its
/// stderr if it exits non-zero. Returns stdout as (lossy) UTF-8.
pub fn run_capture(cmd: &mut Command) -> Result<String> {
    let shown = display_command(cmd);
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    check_status(&shown, output.status, &output.stderr)?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn check_status(shown: &str, status: ExitStatus, stderr: &[u8]) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(stderr);
    let stderr = stderr.trim();
    if stderr.is_empty() {
        bail!("`{shown}` failed ({status})");
    }
    bail!("`{shown}` failed ({status}):\n{stderr}");
}

/// Runs `cmd` capturing stdout and stderr, killing it if it has not finished
/// within `timeout`. `Ok(None)` means it timed out. Unlike `run_capture`, a
/// non-zero exit is not an error here: callers probing a host want to look at
/// the status themselves.
pub fn output_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<Option<Output>> {
    let shown = display_command(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    // Drain both pipes on threads so a chatty child can't block on a full pipe
    // while we poll for its exit.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = child.wait_timeout(timeout)?;
    if status.is_none() {
        // Our own child, ended by its handle (i.e. by its PID).
        let _ = child.kill();
        let _ = child.wait();
    }
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout,
        stderr,
    }))
}

/// True if `program` is found on `PATH` (or is an existing path itself).
pub fn have_program(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}

/// Writes `contents` to `path` atomically (a sibling temp file, then rename), so a reader
/// never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    crate::atomic_file::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// True when running as root (effective uid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo).
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|point| PathBuf::from(unescape_mountinfo(point)))
        .filter(|point| point.starts_with(&dir))
        .collect();
    found.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
    found.dedup();
    found
}

/// mountinfo writes space, tab, newline and backslash as `\ooo` octal.
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(digits) => {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                out.push(value as u8);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes a directory tree that may still have something mounted inside
/// (an interrupted bootstrap leaves its /proc and /sys mounts, maybe a
/// bind mount of the host's /dev): those are unmounted first, because
/// deleting through a bind mount would delete the host's files.
pub fn remove_tree(dir: &Path) -> Result<()> {
    if dir.symlink_metadata().is_err() {
        return Ok(());
    }
    for point in mounts_under(dir) {
        println!("unmounting leftover mount {}", point.display());
        // --lazy: detach now even if busy; nothing of ours uses it any more.
        run_capture(Command::new("umount").arg("--lazy").arg(&point))?;
    }
    let left = mounts_under(dir);
    if !left.is_empty() {
        bail!(
            "refusing to remove {}: still mounted inside: {left:?}",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
}
