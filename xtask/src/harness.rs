//! The tasks that need the witness library (they load scenarios, read reports or run gates
//! in-process): run here when xtask was built with the `harness` feature, else re-run by a
//! build that has it. The plain build exists so that `twin` and `demo` start at once on a
//! fresh clone; see `main.rs`.

use anyhow::Result;

/// Runs `task` (one of the harness tasks) with its arguments.
#[cfg(feature = "harness")]
pub fn run(task: &str, rest: &[String]) -> Result<()> {
    use crate::{bench, cold, evidence, fn_lengths, nightly, sabotage_matrix, test};
    match task {
        "bench" => bench::run(rest),
        "test" => test::run(rest),
        "sabotage-matrix" => sabotage_matrix::run(rest),
        "nightly-check" => nightly::run(rest),
        "evidence" => evidence::run(rest),
        "cold-recipe" => cold::run(rest),
        "fn-lengths" => fn_lengths::run(rest),
        other => unreachable!("`{other}` is not a harness task"),
    }
}

/// Runs `task` through a default build of xtask (`cargo run -p xtask`, `harness` on), with
/// this process's arguments, and exits with its status.
#[cfg(not(feature = "harness"))]
pub fn run(task: &str, rest: &[String]) -> Result<()> {
    use anyhow::Context as _;
    use std::process::Command;

    let status = Command::new(crate::util::cargo())
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .arg(task)
        .args(rest)
        .status()
        .with_context(|| format!("re-running `cargo xtask {task}` with the witness library"))?;
    std::process::exit(status.code().unwrap_or(1));
}
