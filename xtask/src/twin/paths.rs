//! Where the twin keeps its files: everything lives under `<target>/twin/`,
//! so `cargo clean` removes it and nothing leaks outside the build tree.

use std::path::PathBuf;

use crate::util;

/// All twin paths, resolved once from the target directory.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `<target>/twin`: the twin's own directory.
    pub dir: PathBuf,
    /// The cached debootstrap result, never booted (booting would dirty it).
    pub base: PathBuf,
    /// Hash of the package list and mirror the base was built with.
    pub base_stamp: PathBuf,
    /// The runtime copy of `base` that the container actually boots.
    pub rootfs: PathBuf,
    /// flock(2) target serializing `up`/`down`.
    pub lock: PathBuf,
    /// PID of the detached `systemd-nspawn`.
    pub pid_file: PathBuf,
    /// stdout/stderr of `systemd-nspawn` (the container's console).
    pub log: PathBuf,
    /// Private key the harness logs in with (public half next to it).
    pub client_key: PathBuf,
    /// The single pinned host key line for the twin.
    pub known_hosts: PathBuf,
    /// What the harness's `twin` target reads; exists only while ready.
    pub connection: PathBuf,
}

impl Paths {
    pub fn new() -> Self {
        let dir = util::target_dir().join("twin");
        Self {
            base: dir.join("base"),
            base_stamp: dir.join("base.stamp"),
            rootfs: dir.join("rootfs"),
            lock: dir.join("lock"),
            pid_file: dir.join("nspawn.pid"),
            log: dir.join("nspawn.log"),
            client_key: dir.join("client_key"),
            known_hosts: dir.join("known_hosts"),
            connection: dir.join("connection.toml"),
            dir,
        }
    }

    /// `client_key.pub`.
    pub fn client_pub_key(&self) -> PathBuf {
        self.dir.join("client_key.pub")
    }
}
