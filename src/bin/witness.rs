//! `witness <gate> [test options]`: a gate run without cargo, for an installed witness (the
//! nightly service, a Drone pipeline). The same runner as `cargo test --test <gate>`: the same
//! options (`--list`, `--exact NAME`, `--test-threads N`, `--format terse`), environment
//! (`WITNESS_ROOT` for the scenarios/snapshots/targets.toml, `WITNESS_TARGET`, …) and exit
//! status (0 only when every scenario passed).

use std::process::ExitCode;

use libtest_mimic::Arguments;

const USAGE: &str =
    "usage: witness <gate> [--list] [--exact NAME] [--test-threads N] [--format terse] [FILTER]
  runs the scenarios of $WITNESS_ROOT/scenarios/<gate> against $WITNESS_TARGET (see the README)";

fn main() -> ExitCode {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "witness".into());
    let Some(gate) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if gate.starts_with('-') {
        let help = matches!(gate.as_str(), "-h" | "--help");
        eprintln!("{USAGE}");
        return if help {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    // libtest-mimic parses the rest as a test binary's arguments.
    let rest = Arguments::from_iter(std::iter::once(program).chain(args));
    witness::gate_main_with(&gate, rest)
}
