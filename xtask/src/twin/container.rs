//! The container's life: start `systemd-nspawn` detached, find it again by
//! its recorded PID, and stop it, leaving nothing running.
//!
//! The host's PID 1 is not systemd, so nspawn can neither register the
//! machine with machined nor ask systemd for a scope unit: `--register=no
//! --keep-unit` make it run in the caller's own cgroup instead. The network
//! is shared with the host (no `--private-network`), so sshd inside the
//! container listens directly on the host's loopback.

use std::convert::Infallible;
use std::fs::File;
use std::ops::ControlFlow::{Break, Continue};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::poll;
use anyhow::{Context, Result, bail};

use super::host_tools;
use super::paths::Paths;

/// How long a clean shutdown may take before the container is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts the container detached from our session and records its PID.
/// Returns the child so the caller can notice an early exit while waiting.
pub fn spawn(paths: &Paths) -> Result<Child> {
    let log =
        File::create(&paths.log).with_context(|| format!("creating {}", paths.log.display()))?;
    let mut cmd = Command::new(host_tools::resolve("systemd-nspawn"));
    cmd.arg("--boot")
        // No systemd/machined on the host to register with or get a unit from.
        .arg("--register=no")
        .arg("--keep-unit")
        // No tty here: the console output goes to nspawn.log, and stdin is
        // not read, so nspawn runs fine detached.
        .arg("--console=passive")
        // Unique per twin directory; the hostname comes from /etc/hostname.
        .arg("--machine")
        .arg(&paths.machine)
        .arg("-D")
        .arg(&paths.rootfs)
        // Plain shutdown messages in nspawn.log, no colour escape codes.
        .arg("--setenv=SYSTEMD_COLORS=0")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; it detaches the container from our
    // session and terminal so a Ctrl-C in the shell that ran `twin up` (or
    // the shell closing) does not reach it.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let shown = crate::util::display_command(&cmd);
    println!("twin: $ {shown}");
    let child = cmd
        .spawn()
        .with_context(|| format!("could not start `{shown}`"))?;
    std::fs::write(&paths.pid_file, format!("{}\n", child.id()))
        .with_context(|| format!("writing {}", paths.pid_file.display()))?;
    Ok(child)
}

/// The recorded PID, if the pid file names a live `systemd-nspawn` booting
/// our rootfs. A stale file (reboot, PID reused by another program) is None.
pub fn recorded_pid(paths: &Paths) -> Option<i32> {
    let text = std::fs::read_to_string(&paths.pid_file).ok()?;
    let pid: i32 = text.trim().parse().ok()?;
    is_our_nspawn(pid, &paths.rootfs).then_some(pid)
}

/// Checks the PID's command line rather than trusting the number alone, so a
/// stale pid file can never make us signal an unrelated process.
fn is_our_nspawn(pid: i32, rootfs: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    // A zombie has an empty cmdline: it is not running.
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    let is_nspawn = args
        .first()
        .is_some_and(|prog| prog.ends_with(b"systemd-nspawn"));
    let rootfs = rootfs.as_os_str().as_encoded_bytes();
    is_nspawn && args.contains(&rootfs)
}

/// PIDs of processes whose root directory is the twin rootfs: the
/// container's init and everything under it. `/proc/PID/root` reads as "/"
/// from outside the container's mount namespace, so compare the directory's
/// identity (device, inode) instead of the link text.
pub fn processes_in(rootfs: &Path) -> Vec<i32> {
    let Ok(meta) = std::fs::metadata(rootfs) else {
        return Vec::new();
    };
    let id = (meta.dev(), meta.ino());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::metadata(format!("/proc/{pid}/root"))
                .is_ok_and(|root| (root.dev(), root.ino()) == id)
        })
        .collect()
}

/// Stops the twin: SIGTERM to nspawn, which (with `--boot`) forwards
/// SIGRTMIN+3 to the container's systemd, i.e. an orderly halt: units stop,
/// the journal is flushed, then nspawn exits. If that takes longer than
/// [`STOP_TIMEOUT`], SIGKILL the recorded PID and the container's processes
/// (found by their root directory, each by PID). Fails if anything is left.
pub fn stop(paths: &Paths, pid: Option<i32>) -> Result<()> {
    if let Some(pid) = pid {
        println!("twin: stopping systemd-nspawn (PID {pid}) with SIGTERM (orderly halt)");
        signal(pid, libc::SIGTERM);
        let started = Instant::now();
        let halted = poll::until(started + STOP_TIMEOUT, Duration::from_millis(100), |a| {
            let done = !is_our_nspawn(pid, &paths.rootfs) || a.past_deadline();
            Ok::<_, Infallible>(if done { Break(()) } else { Continue(()) })
        });
        let Ok(()) = halted;
        if is_our_nspawn(pid, &paths.rootfs) {
            println!(
                "twin: still running after {}s; sending SIGKILL to PID {pid}",
                STOP_TIMEOUT.as_secs()
            );
            signal(pid, libc::SIGKILL);
        } else {
            println!("twin: halted in {:.1}s", started.elapsed().as_secs_f64());
        }
    }
    // The container's init is nspawn's child: if nspawn was killed it lives
    // on, reparented. Killing a PID namespace's init kills the whole
    // namespace, but kill every process by PID anyway, to be sure.
    let deadline = Instant::now() + Duration::from_secs(5);
    poll::until(deadline, Duration::from_millis(100), |a| {
        let left = processes_in(&paths.rootfs);
        if left.is_empty() {
            return Ok(Break(()));
        }
        if a.past_deadline() {
            bail!(
                "processes still running inside {}: {left:?}",
                paths.rootfs.display()
            );
        }
        for pid in left {
            signal(pid, libc::SIGKILL);
        }
        Ok(Continue(()))
    })?;
    let _ = std::fs::remove_file(&paths.pid_file);
    // nspawn cannot remove this dir itself where /run is not a tmpfs (it
    // says so in nspawn.log); remove_dir only succeeds if it is empty.
    let _ = std::fs::remove_dir(format!("/run/systemd/nspawn/propagate/{}", paths.machine));
    Ok(())
}

fn signal(pid: i32, sig: libc::c_int) {
    // SAFETY: kill(2) has no memory-safety preconditions; the PID was checked
    // to be our nspawn or a process rooted in our rootfs.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Last `n` lines of nspawn.log, for error messages.
pub fn log_tail(paths: &Paths, n: usize) -> String {
    let text = std::fs::read_to_string(&paths.log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Last `n` lines of the twin's own journal, read from the host: systemd
/// prints next to nothing on the console while booting, so this is where a
/// stuck boot shows what it is waiting for. Empty if it cannot be read.
pub fn journal_tail(paths: &Paths, n: usize) -> String {
    let dir = paths.rootfs.join("var/log/journal");
    if !dir.is_dir() || !crate::util::have_program("journalctl") {
        return String::new();
    }
    let mut cmd = Command::new("journalctl");
    cmd.arg("-D")
        .arg(&dir)
        .args(["--no-pager", "-n"])
        .arg(n.to_string());
    match crate::util::output_with_timeout(&mut cmd, Duration::from_secs(10)) {
        Ok(Some(output)) => String::from_utf8_lossy(&output.stdout).trim().to_string(),
        _ => String::new(),
    }
}
