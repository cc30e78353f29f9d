//! `cargo xtask twin sabotage <name> | --list` and `cargo xtask twin restore`:
//! switches that break one claim of the cc-ci `nixenv` gates on the running
//! twin, so each scenario can be seen to go red, and the way back to the
//! pristine cc-ci twin.
//!
//! The table here names each switch and what it breaks; the twin-side
//! `cc-ci-twin sabotage <name>` does it (a commit in /etc/cc-ci and a switch,
//! a unit stopped, a fault file...). Sabotages are meant for a pristine twin,
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
        breaks: "git-lfs dropped from ccciRuntimeTools, committed and switched (DEFECT-3 back): \
                 cc-ci-run's PATH has 14 dirs and sw/bin no git-lfs (M1.4, M1.6, M2.3); the \
                 timer fire and Drone builds report test_lfs_roundtrip FAILED (M2.4, M2.5)",
    },
    Sabotage {
        name: "duplicate-pyenv",
        breaks: "nightly-sweep.nix declares its own withPackages Python env and tool list \
                 (committed, switched): 2 withPackages / pytest playwright hits (M1.2, M1.3)",
    },
    Sabotage {
        name: "failed-unit",
        breaks: "a unit in `failed` state (sabotage-failed-unit.service): systemctl --failed \
                 not empty (M2.2)",
    },
    Sabotage {
        name: "timer-stopped",
        breaks: "nightly-sweep.timer stopped (M2.2)",
    },
    Sabotage {
        name: "drone-build-fails",
        breaks: ".drone.yml gains a `notify` step whose endpoint is down (committed): new Drone \
                 builds end `failure`, though the test step still passes (M2.5)",
    },
    Sabotage {
        name: "endpoint-500",
        breaks: "Drone /healthz and the CI site answer 500 (M2.2)",
    },
    Sabotage {
        name: "runner-tools-diverge",
        breaks: "drone-runner-exec runs the pre-nixenv cc-ci-run with Debian's /usr/bin next on \
                 its PATH: Drone builds resolve git-lfs, bash, openssl elsewhere than the timer \
                 (M2.6; the builds still pass)",
    },
    Sabotage {
        name: "current-system-stale",
        breaks: "/run/current-system points at the cc-ci host's build, not cc-ci-hetzner's (M2.1)",
    },
    Sabotage {
        name: "host-divergence",
        breaks: "the cc-ci host's systemPackages line differs and drops openssl (committed): \
                 (M1.6)",
    },
    Sabotage {
        name: "sweep-own-wrapper",
        breaks: "the sweep wrapper execs a cc-ci-run of its own, another store path than the \
                 Drone step's (committed, switched) (M1.5)",
    },
    Sabotage {
        name: "build-broken",
        breaks: "the cc-ci host no longer evaluates: a second, conflicting networking.hostName \
                 (committed) (M1.1)",
    },
    Sabotage {
        name: "sweep-regression",
        breaks: "the abra catalogue loses custom-html 1.13.0+1.31.1: the sweep SKIPs custom-html \
                 instead of promoting it (M2.7)",
    },
    Sabotage {
        name: "diff-scope",
        breaks: "a commit touching runner/ inside the nixenv range (nixenv-head retagged) (M2.8)",
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
            .and_then(|rest| rest.split("\n}\n").next())
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
