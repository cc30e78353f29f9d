//! What the test binaries that need the twin host share: the checkout's root, the twin
//! target, and the runner that reports a test ignored, with why, where what it needs is missing
//! (a fresh clone's `cargo test` stays green without a host, and never says `ok` for a test
//! that did not run).

use std::path::PathBuf;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};

use witness::target::{self, Target};

pub fn root() -> PathBuf {
    witness::RunConfig::from_env()
        .expect("the WITNESS_* variables are valid")
        .root
}

/// What a test binary needs that a fresh clone may lack.
#[allow(dead_code)] // each test binary uses one of them
pub enum Needs {
    /// The twin host (or a target asked for by `WITNESS_TARGET`, as `cargo xtask test` does).
    Twin,
    /// Nix's evaluator (`nix-instantiate`).
    Nix,
}

/// Why the tests cannot run here, or `None`. Asked for (`WITNESS_TARGET` set), a missing twin
/// is not a reason: the tests then run and fail, saying the twin is not up.
fn missing(needs: &Needs, binary: &str) -> Option<String> {
    match needs {
        Needs::Twin => (std::env::var_os("WITNESS_TARGET").is_none()
            && target::load(&root(), "twin").is_err())
        .then(|| {
            format!(
                "needs the twin host: cargo xtask twin up, then cargo test --test {binary} (cargo xtask test runs everything)"
            )
        }),
        Needs::Nix => std::process::Command::new("nix-instantiate")
            .arg("--version")
            .output()
            .is_err()
            .then(|| "needs nix-instantiate (apt-get install nix-bin)".to_string()),
    }
}

/// Run `tests` as libtest trials; where what they need is missing, each is reported ignored
/// with the reason (libtest's own word for "not run"), never passed.
pub fn run_needing(binary: &str, needs: Needs, tests: &[(&'static str, fn())]) -> ExitCode {
    let args = Arguments::from_args();
    let reason = missing(&needs, binary);
    if let Some(r) = &reason {
        println!("{binary}: not run here: {r}");
    }
    let trials = tests
        .iter()
        .map(|&(name, f)| {
            let trial = Trial::test(name, move || {
                f();
                Ok(())
            });
            match &reason {
                Some(r) => trial.with_ignored_flag(true).with_kind(r.clone()),
                None => trial,
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

#[allow(dead_code)] // not every test binary talks to the twin itself
pub fn twin() -> Target {
    target::load(&root(), "twin").unwrap_or_else(|e| {
        panic!("the twin host is not up ({e}); start it with: cargo xtask twin up")
    })
}
