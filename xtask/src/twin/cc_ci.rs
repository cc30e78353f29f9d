//! The cc-ci layer: what makes the booted Debian host a twin of the cc-ci NixOS
//! host, built from real parts. Before boot, [`prepare`] puts the miniature
//! cc-ci flake (`xtask/twin-files/cc-ci/`) and the Drone API twin's port into
//! the rootfs (the programs themselves come with `twin-files/root/`). After
//! boot, [`setup`] runs the twin-side `cc-ci-twin setup` over ssh: it commits
//! the checkout at /etc/cc-ci (tags `nixenv-base`, `nixenv-head`), builds the
//! flake with the twin's real Nix, `nixos-rebuild switch`es to cc-ci-hetzner
//! and checks that the host is healthy.
//!
//! The flake, its stand-in for nixpkgs (`twinpkgs/`), the Drone twin and the
//! `cc-ci-twin` script are described in `xtask/twin-files/README.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::configure;
use super::paths::Paths;
use super::ssh;

/// The twin-side program that sets up, sabotages and restores the cc-ci twin.
pub const SCRIPT: &str = "/usr/local/lib/cc-ci-twin/cc-ci-twin";

/// Where the flake's sources go in the rootfs; `cc-ci-twin` commits them.
const SOURCES: &str = "usr/local/share/cc-ci-twin/cc-ci";

/// The Drone API twin's environment file (its port, chosen per boot).
const API_ENV: &str = "etc/default/drone-twin";

/// The Drone API twin's unit (a twin-host unit, not part of the flake: on the
/// real host the Drone server runs in Docker).
const API_UNIT: &str = "drone-server-twin.service";

/// A setup builds the whole system the first time (about 10 s here); a cold
/// disk cache or a slow machine may take much longer.
const SETUP_TIMEOUT: Duration = Duration::from_secs(300);

/// Copies the flake's sources into the rootfs and sets the Drone API twin's
/// port, before boot.
pub fn prepare(paths: &Paths, api_port: u16) -> Result<()> {
    let root = &paths.rootfs;
    configure::copy_tree(&configure::twin_files("cc-ci"), &root.join(SOURCES))?;
    let env = root.join(API_ENV);
    std::fs::create_dir_all(env.parent().unwrap_or(Path::new("/")))?;
    std::fs::write(
        &env,
        format!(
            "# Written by `cargo xtask twin up`: where the Drone API twin listens.\n\
             DRONE_TWIN_PORT={api_port}\n"
        ),
    )
    .with_context(|| format!("writing {}", env.display()))?;
    configure::enable(root, API_UNIT, "multi-user.target")
}

/// Runs `cc-ci-twin setup` in the booted twin (its output shown as it comes);
/// returns how long it took.
pub fn setup(paths: &Paths, port: u16) -> Result<Duration> {
    run(paths, port, "setup")
}

/// Runs `cc-ci-twin <args>` in the twin, showing its output; fails if it
/// fails or outlasts [`SETUP_TIMEOUT`]. Returns how long it took.
pub fn run(paths: &Paths, port: u16, args: &str) -> Result<Duration> {
    let started = Instant::now();
    ssh::run(paths, port, &format!("{SCRIPT} {args}"), SETUP_TIMEOUT)
        .with_context(|| format!("`cc-ci-twin {args}` in the twin failed"))?;
    Ok(started.elapsed())
}

/// The harness's `[vars]` for the twin target: where the Drone API twin and
/// the CI site answer (on the real host: its Drone and CI site URLs).
pub fn vars(api_port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("drone_url", format!("http://127.0.0.1:{api_port}")),
        ("ci_site_url", format!("http://127.0.0.1:{api_port}/")),
    ]
}
