//! The cc-ci layer: what makes the booted Debian host a twin of the cc-ci NixOS
//! host, built from real parts. Before boot, [`prepare`] puts the miniature
//! cc-ci flake (`xtask/twin-files/cc-ci/`) and the Drone API twin's port into
//! the rootfs (the programs themselves come with `twin-files/root/`). After
//! boot, [`setup`] runs the twin-side `cc-ci-twin setup` over ssh: it commits
//! the checkout at /etc/cc-ci (tags `nixenv-base`, `nixenv-head`), builds the
//! flake with the twin's real Nix, `nixos-rebuild switch`es to cc-ci-hetzner
//! and checks that the host is healthy.
//!
//! The flake, its stand-in for nixpkgs (`twin-files/nixpkgs/`, the flake's `nixpkgs` input), the Drone twin and the
//! `cc-ci-twin` script are described in `xtask/twin-files/README.md`.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::configure;
use super::paths::Paths;
use super::ssh;

/// The twin-side program that sets up, sabotages and restores the cc-ci twin.
pub const SCRIPT: &str = "/usr/local/lib/cc-ci-twin/cc-ci-twin";

/// Where the flake's sources go in the rootfs; `cc-ci-twin` commits them.
const SOURCES: &str = "usr/local/share/cc-ci-twin/cc-ci";

/// Where the twin's nixpkgs goes in the rootfs: the cc-ci flake's `nixpkgs` input (a path
/// outside the checkout, as nixpkgs is for cc-ci), locked by the checkout's flake.lock.
const NIXPKGS: &str = "usr/local/share/cc-ci-twin/nixpkgs";

/// The Drone API twin's environment file (its port, chosen per boot).
const API_ENV: &str = "etc/default/drone-twin";

/// The Drone API twin's unit (a twin-host unit, not part of the flake: on the
/// real host the Drone server runs in Docker).
const API_UNIT: &str = "drone-server-twin.service";

/// A setup builds the whole system the first time (about 10 s here); a cold
/// disk cache or a slow machine may take much longer.
const SETUP_TIMEOUT: Duration = Duration::from_secs(600);

/// Copies the flake's sources into the rootfs and sets the Drone API twin's
/// port, before boot.
pub fn prepare(paths: &Paths, api_port: u16) -> Result<()> {
    let root = &paths.rootfs;
    configure::copy_tree(&configure::twin_files("cc-ci"), &root.join(SOURCES))?;
    configure::copy_tree(&configure::twin_files("nixpkgs"), &root.join(NIXPKGS))?;
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

/// Where `cc-ci-twin` leaves the claim's pinned values (`name=value` lines) at the
/// end of a setup, a restore or a sabotage that moves them.
const VARS_FILE: &str = "/var/lib/cc-ci-twin/vars";

/// The variables `cc-ci-twin` pins in the twin: on the real host the operator
/// writes these into targets.toml from the reviewed claim; the twin computes its
/// own (its commits and store paths differ from cc-ci's).
pub const PINNED: &[&str] = &[
    "base_commit",
    "head_commit",
    "canon_commit",
    "reviewed_system",
    "reviewed_cc_ci_run",
    "predeploy_since",
    "deployed_at",
];

/// The harness's `[vars]` for the twin target: where the Drone API twin and
/// the CI site answer (on the real host: its Drone and CI site URLs), then the
/// pinned values read from the twin ([`pinned_vars`]).
pub fn vars(api_port: u16, pinned: &[(String, String)]) -> Vec<(String, String)> {
    let mut vars = vec![
        (
            "drone_url".to_string(),
            format!("http://127.0.0.1:{api_port}"),
        ),
        (
            "ci_site_url".to_string(),
            format!("http://127.0.0.1:{api_port}/"),
        ),
    ];
    vars.extend(pinned.iter().cloned());
    vars
}

/// Reads the pinned values `cc-ci-twin` wrote; every name of [`PINNED`] must be
/// there (a scenario reading a missing one would be refused before it runs,
/// far from the cause).
pub fn pinned_vars(paths: &Paths, port: u16) -> Result<Vec<(String, String)>> {
    let answer = ssh::ask(
        paths,
        port,
        &format!("cat {VARS_FILE}"),
        Duration::from_secs(20),
    )?;
    let ssh::Answer::Ran { stdout } = answer else {
        bail!("could not read {VARS_FILE} in the twin");
    };
    let vars = parse_vars(&stdout);
    for name in PINNED {
        if !vars.iter().any(|(k, _)| k == name) {
            bail!("{VARS_FILE} in the twin has no `{name}` (got: {stdout:?})");
        }
    }
    Ok(vars)
}

/// `name=value` lines; others (blank, comments) are skipped.
fn parse_vars(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_file_lines_are_name_value_pairs() {
        let v = parse_vars("# pinned\nhead_commit=abc\n\nreviewed_system = /nix/store/x\n");
        assert_eq!(
            v,
            vec![
                ("head_commit".to_string(), "abc".to_string()),
                ("reviewed_system".to_string(), "/nix/store/x".to_string()),
            ]
        );
    }
}
