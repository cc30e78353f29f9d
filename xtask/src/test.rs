//! `cargo xtask test`: the README's test command. Brings the twin up (or reuses a running
//! one), runs `cargo test --workspace` against it with mutation allowed (the twin is
//! throw-away), then counts what one M2 gate run does to the host (one sweep fire and one
//! Drone build, under `cargo test` and, when installed, `cargo nextest run`), then the
//! sabotage matrix (every gate scenario must go red under its sabotage), then the README's
//! cold recipe walked against the twin (`cargo xtask cold-recipe`), then the nightly
//! gate unit installed in the twin (green, then red under a sabotage), and stops the twin
//! afterwards if it started it — also when tests fail.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};

use crate::twin::{self, Twin};
use crate::util::{self, cargo};

pub fn run(args: &[String]) -> Result<()> {
    twin::with_twin("test", |tw| {
        let status = Command::new(cargo())
            .args(["test", "--workspace", "--no-fail-fast"])
            .args(args)
            .env("WITNESS_TARGET", "twin")
            .env("WITNESS_ALLOW_MUTATION", "1")
            // The builder's CI: evidence that is new or differs fails too.
            .env("WITNESS_EVIDENCE", "strict")
            .status()?;
        if !status.success() {
            bail!("cargo test --workspace failed ({status})");
        }
        one_fire_one_build(tw)?;
        crate::sabotage_matrix::run(&[])?;
        crate::cold::walk_on_twin()?;
        crate::nightly::run(&[])
    })
}

/// Run gate M2 once per runner and count its production side effects on the twin: the
/// claims need one sweep fire and one Drone build, and run-scoped actions must keep it so
/// however many scenarios observe them, and whether one process runs them all (`cargo
/// test`) or one process each (`cargo nextest run`, sharing the run by NEXTEST_RUN_ID).
fn one_fire_one_build(tw: &Twin) -> Result<()> {
    let mut runners: Vec<(&str, Vec<&str>)> = vec![("cargo test", vec!["test", "--test", "m2"])];
    if util::have_program("cargo-nextest") {
        runners.push(("cargo nextest run", vec!["nextest", "run", "--test", "m2"]));
    } else {
        eprintln!(
            "xtask test: cargo-nextest is not installed; counting side effects under cargo test only"
        );
    }
    for (runner, args) in runners {
        let since = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let status = Command::new(cargo())
            .args(&args)
            .env("WITNESS_TARGET", "twin")
            .env("WITNESS_ALLOW_MUTATION", "1")
            // The builder's CI: evidence that is new or differs fails too.
            .env("WITNESS_EVIDENCE", "strict")
            .status()?;
        if !status.success() {
            bail!("gate m2 under {runner} failed ({status})");
        }
        let (fires, builds) = twin::side_effects_since(tw, since)?;
        println!(
            "xtask test: one M2 run under {runner}: {fires} sweep fire(s), {builds} Drone build(s)"
        );
        if (fires, builds) != (1, 1) {
            bail!(
                "one M2 run under {runner} fired the sweep {fires} time(s) and triggered {builds} Drone build(s); the claims need exactly one of each"
            );
        }
    }
    Ok(())
}
