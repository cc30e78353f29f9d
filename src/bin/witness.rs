//! `witness`: the gates without cargo, for people and CI (an installed witness, the nightly
//! service, a Drone pipeline).
//!
//! - `witness <gate> [test options]`: a gate run, the same runner as `cargo test --test
//!   <gate>` (`--list`, `--exact NAME`, `--test-threads N`, `--format terse`; environment
//!   `WITNESS_ROOT`, `WITNESS_TARGET`, `WITNESS_TARGETS`, …).
//! - `witness check [gate…]`: every scenario loaded and validated offline against the
//!   target's variables; connects to nothing.
//! - `witness diff A B`: do two gate runs agree (their `report.json`)?
//! - `witness schema scenario|report`: the JSON Schema of scenario files or of
//!   `report.json` (what `schemas/*.schema.json` hold).
//! - `witness metrics REPORT…`: the runs as a node_exporter textfile (the nightly unit's).
//! - `witness --version`.
//!
//! Exit statuses: 0 the claims hold (or: checked, agree), 1 a claim is broken (a check
//! failed, the runs disagree), 2 could not witness (an error, a refusal, an unusable
//! target, an unreadable report), 64 usage.

use std::path::Path;
use std::process::ExitCode;

use libtest_mimic::Arguments;
use witness::RunConfig;

const USAGE: &str = "usage: witness <gate> [--list] [--exact NAME] [--test-threads N] [--format terse] [FILTER]
       witness check [GATE…]      validate every scenario offline against $WITNESS_TARGET's variables
       witness diff A B           do two gate runs agree? (report.json files or their directories)
       witness schema scenario|report   the JSON Schema of scenario files or of report.json
       witness metrics REPORT…    the runs' verdicts and counts as a node_exporter textfile
       witness --version
  exit status: 0 claims hold, 1 a claim is broken, 2 could not witness, 64 usage (see the README)";

const USAGE_EXIT: u8 = 64;

fn main() -> ExitCode {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "witness".into());
    let Some(first) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(USAGE_EXIT);
    };
    match first.as_str() {
        "-h" | "--help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        "-V" | "--version" => {
            println!(
                "witness {}{}",
                env!("CARGO_PKG_VERSION"),
                option_env!("WITNESS_GIT_COMMIT")
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        "check" => check(&args.collect::<Vec<_>>()),
        "diff" => diff(&args.collect::<Vec<_>>()),
        "schema" => schema(&args.collect::<Vec<_>>()),
        "metrics" => metrics(&args.collect::<Vec<_>>()),
        flag if flag.starts_with('-') => {
            eprintln!("{USAGE}");
            ExitCode::from(USAGE_EXIT)
        }
        gate => {
            // libtest-mimic parses the rest as a test binary's arguments.
            let rest = Arguments::from_iter(std::iter::once(program).chain(args));
            witness::gate_main_with(gate, rest)
        }
    }
}

fn check(gates: &[String]) -> ExitCode {
    let cfg = RunConfig::from_env();
    let target =
        match witness::target::load_with(&cfg.root, &cfg.target, cfg.targets_file.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("witness check: {}", witness::error::chain(&e));
                return ExitCode::from(2);
            }
        };
    let gates: Vec<String> = if gates.is_empty() {
        let mut v: Vec<String> = std::fs::read_dir(cfg.root.join("scenarios"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    } else {
        gates.to_vec()
    };
    let mut bad = false;
    for gate in &gates {
        match witness::runner::check_gate(&cfg.root, gate, &target) {
            Ok(n) => println!(
                "witness check: gate {gate}: {n} files load, every variable known on target {}",
                cfg.target
            ),
            Err(errors) => {
                bad = true;
                for e in errors {
                    eprintln!("{e}\n");
                }
                println!("witness check: gate {gate}: FAILED");
            }
        }
    }
    ExitCode::from(u8::from(bad))
}

fn diff(args: &[String]) -> ExitCode {
    let [a, b] = args else {
        eprintln!("{USAGE}");
        return ExitCode::from(USAGE_EXIT);
    };
    let read = |p: &str| witness::gate_report::diff::read(Path::new(p));
    let ((pa, ra), (pb, rb)) = match (read(a), read(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("witness diff: {}", witness::error::chain(&e));
            return ExitCode::from(2);
        }
    };
    let c = witness::gate_report::diff::compare(&ra, &rb);
    print!(
        "{}",
        witness::gate_report::diff::render(
            &pa.display().to_string(),
            &pb.display().to_string(),
            &c
        )
    );
    ExitCode::from(u8::from(!c.agree()))
}

fn schema(args: &[String]) -> ExitCode {
    let [name] = args else {
        eprintln!("{USAGE}");
        return ExitCode::from(USAGE_EXIT);
    };
    let Some(kind) = witness::schema::Kind::parse(name) else {
        eprintln!("witness schema: no schema named {name:?} (scenario, report)\n{USAGE}");
        return ExitCode::from(USAGE_EXIT);
    };
    print!("{}", kind.text());
    ExitCode::SUCCESS
}

/// Every report must read: a textfile missing a gate would look like a gate that vanished.
fn metrics(paths: &[String]) -> ExitCode {
    if paths.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(USAGE_EXIT);
    }
    let mut reports = Vec::new();
    for p in paths {
        match witness::gate_report::diff::read(Path::new(p)) {
            Ok((_, r)) => reports.push(r),
            Err(e) => {
                eprintln!("witness metrics: {}", witness::error::chain(&e));
                return ExitCode::from(2);
            }
        }
    }
    print!("{}", witness::gate_report::metrics::render(&reports));
    ExitCode::SUCCESS
}
