//! ssh into the twin with the pinned files only: our client key, our
//! known_hosts with the twin's one host key, strict checking, and no user or
//! system ssh config (so a person's ~/.ssh/config cannot change what the
//! harness sees).

use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use super::paths::Paths;
use crate::util;

/// A `ssh` command for root@127.0.0.1:port; append the remote command.
/// `batch` forbids any prompt (probes and one-shot commands).
pub fn command(paths: &Paths, port: u16, batch: bool) -> Command {
    let mut cmd = Command::new("ssh");
    cmd.arg("-F")
        .arg("none")
        .arg("-i")
        .arg(&paths.client_key)
        .args(["-o", "IdentitiesOnly=yes"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            paths.known_hosts.display()
        ))
        .args(["-o", "GlobalKnownHostsFile=/dev/null"])
        .args(["-o", "StrictHostKeyChecking=yes"])
        .args(["-o", "ConnectTimeout=5"])
        .args(["-o", "LogLevel=ERROR"])
        .arg("-p")
        .arg(port.to_string());
    if batch {
        cmd.args(["-o", "BatchMode=yes"]);
    }
    cmd.arg("root@127.0.0.1");
    cmd
}

/// What a one-shot remote command did.
pub enum Answer {
    /// ssh connected and the command ran (whatever its exit code, which
    /// `systemctl is-system-running` uses for states); its stdout, trimmed.
    Ran { stdout: String },
    /// ssh itself failed (exit 255): not listening yet, key refused...
    NoConnection(String),
    /// No answer within the timeout.
    TimedOut,
}

/// Runs `remote` in the twin with its output shown as it comes; fails if it
/// fails or outlasts `timeout`.
pub fn run(paths: &Paths, port: u16, remote: &str, timeout: Duration) -> Result<()> {
    let mut cmd = command(paths, port, true);
    cmd.arg(remote);
    util::run_with_timeout(&mut cmd, timeout)
}

/// Runs `remote` in the twin, bounded by `timeout`.
pub fn ask(paths: &Paths, port: u16, remote: &str, timeout: Duration) -> Result<Answer> {
    let mut cmd = command(paths, port, true);
    cmd.arg(remote);
    let Some(output) = util::output_with_timeout(&mut cmd, timeout)? else {
        return Ok(Answer::TimedOut);
    };
    // ssh exits 255 for its own errors, else with the remote command's code.
    if output.status.code() == Some(255) {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Ok(Answer::NoConnection(stderr));
    }
    Ok(Answer::Ran {
        stdout: String::from_utf8_lossy(&output.stdout).trim().to_string(),
    })
}

/// Debian's systemctl, by path: sessions have a NixOS host's PATH, which has
/// no tools until the first switch.
pub const SYSTEMCTL: &str = "/usr/bin/systemctl";

/// `systemctl is-system-running` inside the twin, None if ssh cannot get in.
pub fn system_state(paths: &Paths, port: u16) -> Option<String> {
    match ask(
        paths,
        port,
        &format!("{SYSTEMCTL} is-system-running"),
        Duration::from_secs(10),
    ) {
        Ok(Answer::Ran { stdout, .. }) => Some(stdout),
        _ => None,
    }
}
