//! `cargo xtask <task>`: the project's automation (twin host, demo, bench, test).
//!
//! One binary, one module per task, as cargo-xtask recommends. Tasks use `anyhow`:
//! they are tooling, not library, and only ever report to a person.

mod bench;
mod cold;
mod demo;
mod evidence;
mod natural;
mod nightly;
mod sabotage_matrix;
mod test;
mod twin;
mod util;

use anyhow::{Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        bail!("{}", USAGE);
    };
    match task.as_str() {
        "twin" => twin::run(rest),
        "demo" => demo::run(rest),
        "bench" => bench::run(rest),
        "test" => test::run(rest),
        "sabotage-matrix" => sabotage_matrix::run(rest),
        "nightly-check" => nightly::run(rest),
        "evidence" => evidence::run(rest),
        "cold-recipe" => cold::run(rest),
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
  bench [--checks N]       N read-only checks through witness vs the one-session floor";
