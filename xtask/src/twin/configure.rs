//! Turns a fresh copy of the base rootfs into this run's twin: static files
//! from `xtask/twin-files/root/`, then what must be new each time (machine id,
//! host key, client key, sshd port), the pinned known_hosts, and unit masks.
//!
//! Everything is written into the tree before boot, so the first sshd start
//! already has the right key and port: no window where a test could reach a
//! half-configured host.

use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::container;
use super::paths::Paths;
use crate::util;

/// Units masked in the twin, each for a reason; the rest of a stock Debian
/// boot stays, because the twin should behave like a real host.
const MASKED: &[&str] = &[
    // Nobody reads the console (`--console=passive`): no login prompts.
    "console-getty.service",
    "getty@tty1.service",
    "getty-static.service",
    // The clock is the host's; a container cannot set it.
    "systemd-timesyncd.service",
    // The network is the host's; there is nothing to wait for.
    "systemd-networkd-wait-online.service",
    // Background apt runs would change the host under a running test.
    "apt-daily.timer",
    "apt-daily-upgrade.timer",
    // No block devices or LVM of its own: nothing to scrub or trim.
    "e2scrub_all.timer",
    "e2scrub_reap.service",
    "fstrim.timer",
];

/// Replaces the runtime rootfs with a fresh copy of the base. The caller
/// has checked that no container runs on it.
pub fn fresh_copy(paths: &Paths) -> Result<()> {
    if !container::processes_in(&paths.rootfs).is_empty() {
        bail!(
            "processes still run inside {}; run `cargo xtask twin down` first",
            paths.rootfs.display()
        );
    }
    util::remove_tree(&paths.rootfs)?;
    // reflink where the filesystem can (btrfs, xfs): near-instant and free.
    util::run_capture(
        Command::new("cp")
            .args(["-a", "--reflink=auto"])
            .arg(&paths.base)
            .arg(&paths.rootfs),
    )?;
    Ok(())
}

/// Configures the fresh copy for an sshd on `port`; returns nothing but
/// leaves `client_key` and `known_hosts` in the twin directory.
pub fn configure(paths: &Paths, port: u16) -> Result<()> {
    let root = &paths.rootfs;
    copy_twin_files(root)?;
    write_machine_id(root)?;
    let host_pub = host_key(root)?;
    client_key(paths)?;
    write_sshd_config(root, port)?;
    let key = host_pub
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    std::fs::write(&paths.known_hosts, format!("[127.0.0.1]:{port} {key}\n"))
        .with_context(|| format!("writing {}", paths.known_hosts.display()))?;
    for unit in MASKED {
        mask(root, unit)?;
    }
    enable(root, "ssh.service", "multi-user.target")?;
    Ok(())
}

/// A free TCP port on 127.0.0.1: bind port 0, read what the kernel chose,
/// close. Another program could take it before sshd binds; unlikely, and
/// the boot wait would then fail loudly rather than connect elsewhere (the
/// host key is pinned).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// `xtask/twin-files/<name>`.
pub fn twin_files(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("twin-files")
        .join(name)
}

/// `xtask/twin-files/root/` copied over the rootfs (hostname, hosts, the
/// cc-ci twin's programs and settings...).
fn copy_twin_files(root: &Path) -> Result<()> {
    copy_tree(&twin_files("root"), root)
}

/// Copies the contents of `from` into `to` (created if missing), keeping
/// modes and symlinks.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let mut source = from.as_os_str().to_owned();
    source.push("/.");
    util::run_capture(
        Command::new("cp")
            .args(["-R", "--preserve=mode,timestamps", "--no-target-directory"])
            .arg(source)
            .arg(to),
    )?;
    Ok(())
}

/// Each boot gets its own machine id, as a separate host would: journal
/// files and D-Bus are keyed by it.
fn write_machine_id(root: &Path) -> Result<()> {
    let uuid = std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .context("reading a random UUID from /proc")?;
    let id: String = uuid.trim().chars().filter(|c| *c != '-').collect();
    std::fs::write(root.join("etc/machine-id"), format!("{id}\n"))?;
    Ok(())
}

/// A fresh ed25519 host key, the only one sshd offers; returns the public
/// key line. The keys the bootstrap generated are shared by every copy of the
/// base, so they are removed.
fn host_key(root: &Path) -> Result<String> {
    let ssh_dir = root.join("etc/ssh");
    for entry in std::fs::read_dir(&ssh_dir)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("ssh_host_") {
            std::fs::remove_file(entry.path())?;
        }
    }
    let key = ssh_dir.join("ssh_host_ed25519_key");
    keygen(&key, "witness-twin-host")?;
    let public = std::fs::read_to_string(key.with_extension("pub"))?;
    Ok(public.trim().to_string())
}

/// A fresh client key pair in the twin directory, authorized for root.
fn client_key(paths: &Paths) -> Result<()> {
    let _ = std::fs::remove_file(&paths.client_key);
    let _ = std::fs::remove_file(paths.client_pub_key());
    keygen(&paths.client_key, "witness-harness")?;
    let ssh_dir = paths.rootfs.join("root/.ssh");
    std::fs::create_dir_all(&ssh_dir)?;
    std::fs::set_permissions(&ssh_dir, std::fs::Permissions::from_mode(0o700))?;
    let authorized = ssh_dir.join("authorized_keys");
    std::fs::copy(paths.client_pub_key(), &authorized)?;
    std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

fn keygen(path: &Path, comment: &str) -> Result<()> {
    util::run_capture(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
            .arg(path),
    )?;
    Ok(())
}

/// The PATH of a NixOS host's sessions (what `ssh cc-ci 'cmd'` runs with):
/// no Debian directories, so a command resolves a tool only if the running
/// system (`/run/current-system/sw/bin`) has it, as on the real host.
pub const NIXOS_PATH: &str = "/run/wrappers/bin:/root/.nix-profile/bin:/nix/profile/bin:\
/root/.local/state/nix/profile/bin:/etc/profiles/per-user/root/bin:\
/nix/var/nix/profiles/default/bin:/run/current-system/sw/bin";

/// The sshd drop-in. The network is shared with the host, so the address
/// and port are the host's loopback and a port nobody else uses.
fn write_sshd_config(root: &Path, port: u16) -> Result<()> {
    let text = format!(
        "# Written by `cargo xtask twin up` for this boot only.\n\
         # Shared network namespace: this is the host's loopback, nothing else.\n\
         ListenAddress 127.0.0.1\n\
         Port {port}\n\
         # Only the fresh key whose public half is pinned in known_hosts.\n\
         HostKey /etc/ssh/ssh_host_ed25519_key\n\
         PermitRootLogin prohibit-password\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         # No resolver round trip per login.\n\
         UseDNS no\n\
         # The harness opens several sessions in parallel; sshd's defaults\n\
         # (MaxStartups 10:30:100, MaxSessions 10) would drop some of them.\n\
         MaxStartups 100:30:200\n\
         MaxSessions 20\n\
         # Sessions get a NixOS host's PATH (interactive logins: /etc/profile.d).\n\
         SetEnv PATH={NIXOS_PATH}\n"
    );
    let dir = root.join("etc/ssh/sshd_config.d");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("witness.conf"), text)?;
    Ok(())
}

/// `systemctl mask`, offline: a /dev/null symlink in /etc/systemd/system.
fn mask(root: &Path, unit: &str) -> Result<()> {
    let link = root.join("etc/systemd/system").join(unit);
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    symlink("/dev/null", &link).with_context(|| format!("masking {unit}"))
}

/// `systemctl enable`, offline: the `.wants/` symlink of `target`.
pub fn enable(root: &Path, unit: &str, target: &str) -> Result<()> {
    let unit_file = [
        "etc/systemd/system",
        "lib/systemd/system",
        "usr/lib/systemd/system",
    ]
    .iter()
    .map(|dir| Path::new("/").join(dir).join(unit))
    .find(|path| root.join(path.strip_prefix("/").unwrap_or(path)).is_file())
    .with_context(|| format!("{unit} is not installed in the twin"))?;
    let wants = root
        .join("etc/systemd/system")
        .join(format!("{target}.wants"));
    std::fs::create_dir_all(&wants)?;
    let link = wants.join(unit);
    if link.symlink_metadata().is_err() {
        symlink(&unit_file, &link).with_context(|| format!("enabling {unit}"))?;
    }
    Ok(())
}
