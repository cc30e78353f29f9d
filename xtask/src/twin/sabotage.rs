//! `cargo xtask twin sabotage <name> | --list` and `cargo xtask twin restore`:
//! switches that break one claim of the cc-ci `nixenv` gates on the running
//! twin, so each scenario can be seen to go red, and the way back to the
//! pristine cc-ci twin.
//!
//! The table here names each switch and what it breaks; the twin-side
//! `cc-ci-twin sabotage <name>` does it. Most are what an operator would do: a
//! change to the cc-ci tree committed on main and, where the regression needs
//! it live, `nixos-rebuild switch`ed; "claimed" means the commit becomes the
//! one the claim reviews (`nixenv-head`, the `head_commit` variable), as when a
//! builder claims a commit that carries the regression. A few break the running
//! host directly (a unit stopped, a fault file). Sabotages are meant for a pristine twin,
//! one at a time; `restore` undoes any of them: it remakes the checkout at
//! `nixenv-head`, switches, and resets the twin's state.

use anyhow::{Result, bail};

use super::paths::Paths;
use super::{cc_ci, connection, lock};

/// One switch: its name and what it breaks (claims of cc-ci-nixenv.md).
pub struct Sabotage {
    pub name: &'static str,
    pub breaks: &'static str,
}

/// Every switch, in the order `--list` prints them.
pub const ALL: &[Sabotage] = &[
    Sabotage {
        name: "lfs-dropped",
        breaks: "a tool missing on both paths: git-lfs dropped from ccciRuntimeTools \
                 (claimed, switched): the shared set no longer covers the prior lists and the \
                 cc-ci host's sw/bin lacks git-lfs (M1.4, M1.6); git-lfs MISSING on the host PATH \
                 and for both the timer fire and Drone builds, test_lfs_roundtrip FAILED (M2.3, \
                 M2.4, M2.5, M2.6)",
    },
    Sabotage {
        name: "defect3",
        breaks: "DEFECT-3 itself: git-lfs out of ccciRuntimeTools and added one-off to \
                 both hosts' systemPackages (claimed, switched): reachable on the Drone path (the \
                 runner's PATH is sw/bin), missing on the timer path (M1.2 tool list outside \
                 packages.nix, M1.4; M2.4 timer fire and its process's PATH, M2.6 parity; the \
                 Drone path M2.5 stays green)",
    },
    Sabotage {
        name: "defect3-drone-busy",
        breaks: "DEFECT-3 while Drone builds (hedgedoc PR builds, same run_recipe_ci \
                 command line, git-lfs on their PATH) run all the time: a probe must take the \
                 timer fire's process from nightly-sweep.service's cgroup, not the first \
                 command-line match (M2.4)",
    },
    Sabotage {
        name: "sweep-host-path",
        breaks: "the DEFECT-3 host-PATH prepend back in the sweep wrapper (claimed, \
                 switched) (M1.3; M2.4: the fire's process PATH has /run/current-system/sw/bin)",
    },
    Sabotage {
        name: "sweep-own-tools",
        breaks: "a plain duplicate tool list without withPackages: \
                 `systemd.services.nightly-sweep.path = with pkgs; [ git git-lfs openssl curl ]` \
                 (claimed, switched) (M1.2, M1.3; M2.4: the unit's own PATH has git-lfs)",
    },
    Sabotage {
        name: "duplicate-pyenv",
        breaks: "nightly-sweep.nix declares its own withPackages Python env and tool \
                 list (claimed, switched): 2 withPackages / pytest playwright hits (M1.2, M1.3)",
    },
    Sabotage {
        name: "host-copied-list",
        breaks: "the cc-ci host's systemPackages a copied literal list of the same \
                 tools instead of ccciRuntimeTools (claimed; builds the same) (M1.2, M1.6)",
    },
    Sabotage {
        name: "host-divergence",
        breaks: "the cc-ci host's systemPackages filters openssl out of \
                 ccciRuntimeTools (claimed): not identical, and its sw/bin lacks openssl (M1.6)",
    },
    Sabotage {
        name: "harness-own-cc-ci-run",
        breaks: "harness.nix builds its own cc-ci-run for the Drone step from the \
                 shared set, without PLAYWRIGHT_BROWSERS_PATH (claimed, switched): the sweep and \
                 the Drone step run different cc-ci-run store paths (M1.2, M1.5; M2 parity of \
                 PLAYWRIGHT_BROWSERS_PATH)",
    },
    Sabotage {
        name: "pytest-dropped",
        breaks: "ccciPyEnv loses pytest (claimed, switched): no recipe test runs, gitea \
                 rc=1 instead of GREEN-BUT-PROMOTE-FAILED (M1.2, M1.4; M2.4, M2.5, M2.7)",
    },
    Sabotage {
        name: "ops-module-tools",
        breaks: "DEFECT-3's one-off in another module: git-lfs out of ccciRuntimeTools and \
                 `nix/modules/ops.nix` (`environment.systemPackages = with pkgs; [ git-lfs openssl ]`) \
                 imported by both hosts (claimed, switched): a harness list outside the shared \
                 definition (M1.2), git-lfs gone from the timer path (M1.4)",
    },
    Sabotage {
        name: "sweep-host-path-profile",
        breaks: "the host-PATH patch in another spelling and position: the sweep wrapper \
                 appends `/nix/var/nix/profiles/system/sw/bin` to its PATH (claimed, switched) (M1.3)",
    },
    Sabotage {
        name: "sweep-unit-path",
        breaks: "a divergent `environment.PATH` on the sweep unit \
                 (`lib.mkForce (lib.makeBinPath [ coreutils openssl curl ])`, claimed, switched): \
                 a harness unit's own list (M1.2), a unit PATH entry outside NixOS' unit path \
                 (M1.3), find/xargs/systemctl gone from the timer path (M1.4)",
    },
    Sabotage {
        name: "runner-hotfix-uncommitted",
        breaks: "an uncommitted hot-fix in /etc/cc-ci's runner/run_recipe_ci.py (the host's \
                 sw/bin appended to the tests' PATH), not committed, not switched: HEAD is \
                 still the reviewed commit, but the checkout the sweep runs runner/ from is not \
                 (M2.1, M2.4)",
    },
    Sabotage {
        name: "timer-lost-bash",
        breaks: "bash dropped from ccciRuntimeTools (\"every system has it\", claimed, \
                 switched): the Drone path keeps it through the host's sw/bin, the timer path, \
                 which had it from its list and the host PATH, loses it (M1.4)",
    },
    Sabotage {
        name: "hosts-drop-openssh",
        breaks: "both hosts' systemPackages lose openssh (claimed): the host configs no longer \
                 say what the seed's M1.6 line says; the Drone path keeps ssh/scp, which NixOS's \
                 system path has anyway (programs.ssh.package) (M1.6)",
    },
    Sabotage {
        name: "host-own-tools",
        breaks: "cc-ci-hetzner's systemPackages gain hello and gzip beside the shared set \
                 (claimed, switched): two commands on the Drone runner's PATH only that are not \
                 the platform's (gzip is NixOS's too, but the host lists it) (M2.6)",
    },
    Sabotage {
        name: "playwright-dropped",
        breaks: "ccciPyEnv loses playwright (claimed): a package of the prior Python env, \
                 with no command of its own, is gone (M1.4, the Python env)",
    },
    Sabotage {
        name: "sixteenth-tool",
        breaks: "a 16th tool (less) in ccciRuntimeTools (claimed): cc-ci-run's PATH is not \
                 the claimed 15 store dirs (M1.4)",
    },
    Sabotage {
        name: "host-imports-diverge",
        breaks: "the cc-ci host no longer imports nightly-sweep.nix (claimed); its \
                 systemPackages line stays identical: the two host configs differ in units, \
                 timers and harness modules (guardrail: both host configs consistent)",
    },
    Sabotage {
        name: "drone-runner-edited",
        breaks: "drone-runner.nix edited inside the reviewed range (the runner's capacity, \
                 claimed): the file differs between base and head (M1.5b)",
    },
    Sabotage {
        name: "unpushed",
        breaks: "a commit of the bot's claimed but never pushed (guardrail: push every \
                 commit)",
    },
    Sabotage {
        name: "other-author",
        breaks: "a commit by root, not the bot, pushed and claimed (guardrail: commit \
                 author)",
    },
    Sabotage {
        name: "build-collision",
        breaks: "ccciPyEnv gets a second pytest (pytest_7, claimed): the Python env's \
                 build fails with a collision, so neither host builds (M1.1)",
    },
    Sabotage {
        name: "build-broken",
        breaks: "the cc-ci host no longer evaluates: a second, conflicting \
                 networking.hostName (claimed) (M1.1, M1.7)",
    },
    Sabotage {
        name: "other-commit-deployed",
        breaks: "a later commit (the Drone runner's capacity, hello in ccciRuntimeTools) \
                 committed on main and switched, after the review: the running system, its \
                 profile, boot entry, cc-ci-run and checkout are not the reviewed ones (M2.1)",
    },
    Sabotage {
        name: "failed-unit",
        breaks: "a unit in `failed` state (sabotage-failed-unit.service): systemctl \
                 --failed not empty (M2.2)",
    },
    Sabotage {
        name: "timer-stopped",
        breaks: "nightly-sweep.timer stopped (M2.2)",
    },
    Sabotage {
        name: "drone-build-fails",
        breaks: ".drone.yml gains a `notify` step whose endpoint is down (committed): \
                 new Drone builds end `failure`, though the test step still passes (M2.5)",
    },
    Sabotage {
        name: "endpoint-500",
        breaks: "Drone /healthz and the CI site answer 500 (M2.2)",
    },
    Sabotage {
        name: "diff-scope",
        breaks: "a commit touching runner/nightly_sweep.py (the promote path) inside the \
                 reviewed range (claimed): runner/ in the diff, not canon's sweep (M2.8)",
    },
    Sabotage {
        name: "rebuild-test",
        breaks: "the reviewed system activated with `nixos-rebuild test`, not `switch`: \
                 /run/current-system is reviewed, the system profile and the default boot \
                 entry still name the previous system (M2.1)",
    },
    Sabotage {
        name: "openssl-live-missing",
        breaks: "the live host's systemPackages filter openssl out of ccciRuntimeTools \
                 (claimed, switched): openssl MISSING on the host PATH, as before the deploy (M2.3)",
    },
    Sabotage {
        name: "bash-timer-missing",
        breaks: "the first half of DEFECT-3: bash out of ccciRuntimeTools and one-off on both \
                 hosts (claimed, switched): bash on the Drone path only, missing on the timer \
                 path (M2.6)",
    },
    Sabotage {
        name: "host-path-appended",
        breaks: "the DEFECT-3 host-PATH patch in another spelling and position: the sweep \
                 wrapper appends /nix/var/nix/profiles/system/sw/bin (claimed, switched): an \
                 unaccounted entry on the fire's process PATH (M2.4)",
    },
    Sabotage {
        name: "weekly-sweep-own-env",
        breaks: "a weekly sweep service and timer beside the nightly one, with its own \
                 `path = with pkgs; [ git git-lfs openssl curl ]` (claimed, switched): a sweep \
                 unit that keeps its own env (M2.4, every sweep unit)",
    },
    Sabotage {
        name: "docker-timer-missing",
        breaks: "docker out of ccciRuntimeTools and one-off on both hosts (claimed, switched): \
                 the known reds still end rc=1 on the timer path, now for a missing tool (M2.7: \
                 not the same error; M2.6)",
    },
    Sabotage {
        name: "warm-canonical-stuck",
        breaks: "custom-html's warm canonical already up at its known-good version: its \
                 promote fails like gitea's, so a green custom-html is not promoted (M2.7: \
                 a promote regression)",
    },
    Sabotage {
        name: "journal-lost",
        breaks: "journald's retention dropped everything before now: no sweep run is left in \
                 the claim's pre-deploy window, so there is no baseline to compare with (M2.7)",
    },
    Sabotage {
        name: "predeploy-fire-cut",
        breaks: "the last sweep run before the claim's deploy time ended before any recipe \
                 (the checkout mid-update): the baseline run has no outcomes (M2.7)",
    },
    Sabotage {
        name: "sweep-cut-short",
        breaks: "a time limit on the sweep unit shorter than a sweep (claimed, switched): \
                 systemd stops the fire half-way, so recipes of the pre-deploy run have no \
                 outcome in it (M2.7)",
    },
    Sabotage {
        name: "main-moved-on",
        breaks: "main moved on after the review: a commit the claim does not review pushed to \
                 main (not claimed, not switched). Drone builds main's head when a build names no \
                 commit, as the bridge's recipe builds do, so the nightly's observed build runs \
                 another commit than the reviewed one (M2.5, observe mode)",
    },
    Sabotage {
        name: "run-library-path",
        breaks: "another variable: cc-ci-run's text exports `LD_LIBRARY_PATH` (openssl's \
                 libraries), PATH untouched (claimed, switched): every process cc-ci-run starts \
                 has a variable of no declared kind, run_recipe_ci and its test process alike, \
                 on the timer path (M2.4) and the Drone path (M2.5)",
    },
];

/// `cargo xtask twin sabotage <name> | --list`.
pub fn sabotage(args: &[String]) -> Result<()> {
    match args {
        [flag] if flag == "--list" => {
            for s in ALL {
                println!("{:<22} {}", s.name, squeeze(s.breaks));
            }
            Ok(())
        }
        [name] => {
            let Some(s) = ALL.iter().find(|s| s.name == name) else {
                bail!("no sabotage named `{name}`; `cargo xtask twin sabotage --list` lists them");
            };
            let took = in_twin(&format!("sabotage {}", s.name))?;
            println!(
                "twin: sabotaged `{}` in {:.1}s: {}\ntwin: undo with `cargo xtask twin restore`",
                s.name,
                took.as_secs_f64(),
                squeeze(s.breaks)
            );
            Ok(())
        }
        _ => bail!("usage: cargo xtask twin sabotage <name> | --list"),
    }
}

/// `cargo xtask twin restore`.
pub fn restore() -> Result<()> {
    let took = in_twin("restore")?;
    println!(
        "twin: restored the pristine cc-ci twin in {:.1}s",
        took.as_secs_f64()
    );
    Ok(())
}

/// Runs `cc-ci-twin <args>` in the running twin, holding the twin lock so no
/// `up` or `down` runs meanwhile.
fn in_twin(args: &str) -> Result<std::time::Duration> {
    let paths = Paths::new();
    let Some(conn) = connection::read(&paths) else {
        bail!(
            "the twin is not running (no {}); run `cargo xtask twin up`",
            paths.connection.display()
        );
    };
    let _lock = lock::acquire(&paths.lock)?;
    let took = cc_ci::run(&paths, conn.port, args)?;
    // A restore (and a sabotage that rewrites the reviewed range) may move the pinned
    // values: the connection file always carries the twin's current ones.
    let pinned = cc_ci::pinned_vars(&paths, conn.port)?;
    connection::write(&paths, &conn, &pinned)?;
    Ok(took)
}

/// The descriptions are wrapped in the source; print each on one line.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The twin-side script handles exactly the switches listed here.
    #[test]
    fn every_listed_sabotage_is_implemented_and_vice_versa() {
        let script = std::fs::read_to_string(
            super::super::configure::twin_files("root").join(&cc_ci::SCRIPT[1..]),
        )
        .unwrap();
        let body = script
            .split("\nsabotage() {")
            .nth(1)
            // The function ends with a `}` line and a blank line (a heredoc in it may
            // hold a `}` line of its own).
            .and_then(|rest| rest.split("\n}\n\n").next())
            .expect("cc-ci-twin has a sabotage function");
        let cases: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter_map(|line| line.strip_suffix(')'))
            .filter(|name| {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .collect();
        let listed: Vec<&str> = ALL.iter().map(|s| s.name).collect();
        assert_eq!(cases, listed);
    }
}
