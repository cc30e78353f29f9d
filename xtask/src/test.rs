//! `cargo xtask test`: the README's test command. Brings the twin up (or reuses a running
//! one), runs `cargo test --workspace` against it with mutation allowed (the twin is
//! throw-away), then the sabotage matrix (every gate scenario must go red under its
//! sabotage), and stops the twin afterwards if it started it — also when tests fail.

use std::process::Command;

use anyhow::{Result, bail};

use crate::twin;

pub fn run(args: &[String]) -> Result<()> {
    let tw = twin::up()?;
    let status = Command::new(cargo())
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(args)
        .env("WITNESS_TARGET", "twin")
        .env("WITNESS_ALLOW_MUTATION", "1")
        .status();
    let matrix = match &status {
        Ok(s) if s.success() => crate::sabotage_matrix::run(&[]),
        _ => Ok(()),
    };
    if tw.started_here
        && let Err(e) = twin::down()
    {
        eprintln!("xtask test: stopping the twin failed: {e:#}");
    }
    let status = status?;
    if !status.success() {
        bail!("cargo test --workspace failed ({status})");
    }
    matrix
}

/// The cargo that runs us (cargo-xtask's advice), else `cargo`.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}
