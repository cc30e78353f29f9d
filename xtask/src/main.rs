//! `cargo xtask <task>`: the project's automation (twin host, demo, bench, test).
//!
//! One binary, one module per task, as cargo-xtask recommends. Tasks use `anyhow`:
//! they are tooling, not library, and only ever report to a person.
//!
//! Two builds of it. `twin` and `demo` need nothing of the witness library, so the plain
//! build (`cargo xtask`) leaves it out: on a fresh clone the twin starts after seconds of
//! compiling, and the library compiles while the twin comes up. The tasks that load
//! scenarios or run gates in-process need it: they re-run xtask built with its default
//! `harness` feature (`harness::run`); cargo keeps both builds side by side.

// The plain build leaves the harness tasks out, and with them the only callers of some
// helpers: unused there, not dead.
#![cfg_attr(not(feature = "harness"), allow(dead_code, unused_imports))]

#[cfg(feature = "harness")]
mod bench;
#[cfg(feature = "harness")]
mod cold;
mod demo;
#[cfg(feature = "harness")]
mod evidence;
#[cfg(feature = "harness")]
mod fn_lengths;
mod harness;
#[cfg(feature = "harness")]
mod natural;
#[cfg(feature = "harness")]
mod nightly;
#[cfg(feature = "harness")]
mod sabotage_matrix;
#[cfg(feature = "harness")]
mod test;
mod twin;
mod util;

// Two small, self-contained modules of the library, compiled into xtask from the same files
// so that the plain build (without the library) has them too: one poll loop and one atomic
// write for the whole project.
// xtask uses part of each.
#[path = "../../src/atomic_file.rs"]
#[allow(dead_code)]
mod atomic_file;
#[path = "../../src/poll.rs"]
#[allow(dead_code)]
mod poll;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        bail!("{}", USAGE);
    };
    match task.as_str() {
        "twin" => twin::run(rest),
        "demo" => demo::run(rest),
        "bench" | "test" | "sabotage-matrix" | "nightly-check" | "evidence" | "cold-recipe"
        | "fn-lengths" => harness::run(task, rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task `{other}`\n{USAGE}"),
    }
}

const USAGE: &str = "usage: cargo xtask <task>
  twin up|down|status|ssh  run the built-in cc-ci twin host (a real systemd host in systemd-nspawn)
  twin sabotage NAME|--list, twin restore
                           break one cc-ci claim on the twin / undo it
  demo                     twin up, both gates, a short result table, twin down
  test                     the full test suite: twin up, cargo test --workspace, the sabotage matrix, twin down
  evidence diff A B        do two gate runs agree? (report.json files or dirs; exit 0 only if so)
  cold-recipe              walk the README's cold recipe against the twin (alias, keyscan, WITNESS_TARGETS, M1+M2 PASSED, a sabotage exit 1)
  nightly-check            install the nightly gate unit in the twin; fire it green, then red under a sabotage
  sabotage-matrix [--gate G] [NAME..]
                          every gate scenario goes red under its sabotage, naming its claim
  bench [--checks N]       N read-only checks through witness vs the one-session floor
  fn-lengths [--top N] [--root DIR]
                           the longest functions of src/ and xtask/src/, the median and p90; fails over the limits";
