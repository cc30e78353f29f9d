//! The host programs the twin needs, installed with apt when missing: the
//! project's own files must install what they use, because a fresh machine
//! has only what its image shipped.

use std::process::Command;

use anyhow::{Result, bail};

use crate::util;

/// (program looked up on PATH, Debian package that ships it).
const TOOLS: &[(&str, &str)] = &[
    ("mmdebstrap", "mmdebstrap"),
    // mmdebstrap only recommends gpg, which it uses to find the keyring that signs the
    // mirror (installed without recommends, as here, it would have to guess).
    ("gpg", "gpg"),
    ("systemd-nspawn", "systemd-container"),
    ("ssh", "openssh-client"),
    ("ssh-keygen", "openssh-client"),
];

/// Installs the packages of missing tools (as root), or fails naming the
/// exact command a person should run.
pub fn ensure() -> Result<()> {
    let mut missing: Vec<&str> = TOOLS
        .iter()
        .filter(|(program, _)| !util::have_program(program) && !in_sbin(program))
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let shown = format!("apt-get install -y {}", missing.join(" "));
    if !util::is_root() {
        bail!(
            "the twin needs {}; run as root: {shown}",
            missing.join(", ")
        );
    }
    println!("twin: installing host tools with apt-get (quiet; about a minute): {shown}");
    let install = || {
        util::run(
            Command::new("apt-get")
                .args(["install", "-y", "-qq", "--no-install-recommends"])
                .args(&missing)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )
    };
    if install().is_err() {
        // A fresh machine may have no (or stale) package lists: refresh once.
        util::run(Command::new("apt-get").args(["update", "-qq"]))?;
        install()?;
    }
    Ok(())
}

/// Some tools live in /usr/sbin, which a non-login root shell may lack on PATH.
fn in_sbin(program: &str) -> bool {
    ["/usr/sbin", "/sbin"]
        .iter()
        .any(|dir| std::path::Path::new(dir).join(program).is_file())
}

/// The path to run `program` by: PATH first, then the sbin directories.
pub fn resolve(program: &str) -> String {
    if util::have_program(program) {
        return program.to_string();
    }
    ["/usr/sbin", "/sbin"]
        .iter()
        .map(|dir| std::path::Path::new(dir).join(program))
        .find(|path| path.is_file())
        .map(|path| path.display().to_string())
        .unwrap_or_else(|| program.to_string())
}
