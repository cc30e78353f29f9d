//! Where the twin keeps its files: everything lives under `<target>/twin/`,
//! so `cargo clean` removes it and nothing leaks outside the build tree.

use std::path::{Path, PathBuf};

use crate::util;

/// All twin paths, resolved once from the target directory.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `<target>/twin`: the twin's own directory.
    pub dir: PathBuf,
    /// The cached bootstrap (mmdebstrap) result, never booted (booting would dirty it). Machine-wide
    /// (see [`cache_dir`]): a second clone on the same machine reuses it.
    pub base: PathBuf,
    /// Hash of the package list and mirror the base was built with.
    pub base_stamp: PathBuf,
    /// Where the base, its stamp, its build lock and build leftovers live.
    pub cache: PathBuf,
    /// Where an older witness kept the base (`<target>/twin/base`): moved, not rebuilt.
    pub legacy_base: PathBuf,
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
    /// nspawn's machine name, unique per twin directory (see [`machine_name`]).
    pub machine: String,
}

impl Paths {
    pub fn new() -> Self {
        let dir = util::target_dir().join("twin");
        let cache = cache_dir();
        Self {
            base: cache.join("base"),
            base_stamp: cache.join("base.stamp"),
            legacy_base: dir.join("base"),
            cache,
            rootfs: dir.join("rootfs"),
            lock: dir.join("lock"),
            pid_file: dir.join("nspawn.pid"),
            log: dir.join("nspawn.log"),
            client_key: dir.join("client_key"),
            known_hosts: dir.join("known_hosts"),
            connection: dir.join("connection.toml"),
            machine: machine_name(&dir),
            dir,
        }
    }

    /// `client_key.pub`.
    pub fn client_pub_key(&self) -> PathBuf {
        self.dir.join("client_key.pub")
    }
}

/// The machine-wide twin cache: `$WITNESS_TWIN_CACHE`, else `/var/cache/witness/twin`.
/// The base bootstrap is the slow part of a first `twin up` (about 30 s); it depends only on the
/// machine's mirror and the package list, so every checkout on the machine shares it.
fn cache_dir() -> PathBuf {
    std::env::var_os("WITNESS_TWIN_CACHE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/witness/twin"))
}

/// `witness-twin-<8 hex>`: nspawn keys per-machine state on the host by this
/// name (`/run/systemd/nspawn/propagate/<name>`), so two twins (one per cargo
/// target directory, e.g. two engineers' checkouts) must not share it. The
/// suffix is a hash of the twin directory, stable across runs.
fn machine_name(dir: &Path) -> String {
    // FNV-1a (64 bit): tiny, stable across Rust versions (unlike `DefaultHasher`).
    let hash = dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("witness-twin-{:08x}", hash >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_differ_per_directory_and_are_stable() {
        let a = machine_name(Path::new("/work/main/target/twin"));
        let b = machine_name(Path::new("/work/target-cc/twin"));
        assert_ne!(a, b);
        assert_eq!(a, machine_name(Path::new("/work/main/target/twin")));
        assert!(a.starts_with("witness-twin-") && a.len() == "witness-twin-".len() + 8);
    }
}
