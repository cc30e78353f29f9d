//! `witness`: the gates without cargo, for people and CI (an installed witness, the nightly
//! service, a Drone pipeline).
//!
//! - `witness <gate> [test options]`: a gate run, the same runner as `cargo test --test
//!   <gate>` (`--list`, `--exact NAME`, `--test-threads N`, `--format terse`; environment
//!   `WITNESS_ROOT`, `WITNESS_TARGET`, `WITNESS_TARGETS`, …).
//! - `witness check [gate…]`: every scenario loaded and validated offline against the
//!   target's variables; connects to nothing.
//! - `witness diff A B [--allowed-signers FILE [--require-signed]]`: do two gate runs agree
//!   (their `report.json`)? With allowed signers, each side's signed attestation is checked
//!   and its signer named.
//! - `witness verify ENVELOPE --allowed-signers FILE`: a run's signed attestation checked
//!   cold: who signed it, what it says, and whether this checkout's scenario files are the
//!   ones the run used.
//! - `witness schema scenario|targets|report`: the JSON Schema of scenario files, of the
//!   targets file or of `report.json` (what `schemas/*.schema.json` hold).
//! - `witness metrics REPORT…`: the runs as a node_exporter textfile (the nightly unit's).
//! - `witness --version`.
//!
//! Exit statuses: 0 the claims hold (or: checked, agree, verified), 1 a claim is broken (a
//! check failed, the runs disagree, the attestation is not verified), 2 could not witness (an error, a refusal, an unusable
//! target, an unreadable report), 64 usage.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use libtest_mimic::Arguments;
use witness::{RunConfig, USAGE_EXIT};

/// End-to-end acceptance gates for NixOS CI hosts: run a gate's scenarios against a target
/// host and judge its claims.
#[derive(Parser)]
#[command(
    name = "witness",
    after_help = "Run a gate: witness <GATE> [--list] [--exact NAME] [--test-threads N] [--format terse] [FILTER]\n\
                  (a gate is a folder of scenarios/, e.g. m1; `witness <GATE> --help` shows the test options).\n\n\
                  Exit status: 0 the claims hold, 1 a claim is broken, 2 could not witness, 64 usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate every scenario offline against $WITNESS_TARGET's variables (connects to nothing)
    Check {
        /// The gates to check (default: every folder of scenarios/)
        gates: Vec<String>,
    },
    /// Do two gate runs agree? (their report.json files, or the directories holding them)
    Diff {
        a: PathBuf,
        b: PathBuf,
        /// Check each side's signed attestation (attestation.dsse.json beside its report.json)
        /// against this OpenSSH allowed_signers file, and name its signer
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        /// Both sides must be signed by an allowed key, for that very report.json (else exit 1)
        #[arg(long, requires = "allowed_signers")]
        require_signed: bool,
    },
    /// Check a run's signed attestation: its signature (OpenSSH, against allowed_signers),
    /// who signed it, and whether this checkout's scenario files are the ones it used
    Verify {
        /// The DSSE envelope (attestation.dsse.json), or the report directory holding it
        envelope: PathBuf,
        /// OpenSSH allowed_signers file: `<principal> [namespaces="witness"] <key type> <base64>`
        #[arg(long, value_name = "FILE", required = true)]
        allowed_signers: PathBuf,
    },
    /// The JSON Schema of scenario files, of the targets file or of report.json
    Schema {
        #[arg(value_enum)]
        kind: SchemaKind,
    },
    /// The runs' verdicts and counts as a node_exporter textfile
    Metrics {
        #[arg(required = true)]
        reports: Vec<PathBuf>,
    },
    /// A gate run: the folder scenarios/<GATE>, then the test runner's options
    #[command(external_subcommand)]
    Gate(Vec<OsString>),
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaKind {
    Scenario,
    Targets,
    Report,
}

fn main() -> ExitCode {
    restore_sigpipe();
    let args: Vec<OsString> = std::env::args_os().collect();
    // clap takes `'static` text (without its `string` feature): built once, for the process.
    let version: &'static str = Box::leak(version().into_boxed_str());
    let env_help: &'static str = Box::leak(env_help().into_boxed_str());
    let cmd = Cli::command().version(version).after_long_help(env_help);
    let cli = match cmd
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(USAGE_EXIT),
            };
        }
    };
    match cli.command {
        Command::Check { gates } => check(&gates),
        Command::Diff {
            a,
            b,
            allowed_signers,
            require_signed,
        } => diff(&a, &b, allowed_signers.as_deref(), require_signed),
        Command::Verify {
            envelope,
            allowed_signers,
        } => verify(&envelope, &allowed_signers),
        Command::Schema { kind } => schema(kind),
        Command::Metrics { reports } => metrics(&reports),
        Command::Gate(rest) => gate(&args[0], rest),
    }
}

/// `witness <gate> …`: a gate that is a folder of scenarios/; anything else is a usage error,
/// with the command or gate it was probably meant to be.
fn gate(program: &OsString, rest: Vec<OsString>) -> ExitCode {
    let name = rest[0].to_string_lossy().into_owned();
    let root = match RunConfig::from_env() {
        Ok(cfg) => cfg.root,
        Err(e) => {
            eprintln!("witness: {e}");
            return ExitCode::from(USAGE_EXIT);
        }
    };
    let gates = gates(&root);
    if !gates.contains(&name) {
        let commands = ["check", "diff", "verify", "schema", "metrics"];
        let known: Vec<&str> = commands
            .iter()
            .copied()
            .chain(gates.iter().map(String::as_str))
            .collect();
        let near = known
            .iter()
            .filter(|k| strsim::jaro(&name, k) > 0.8)
            .max_by(|a, b| strsim::jaro(&name, a).total_cmp(&strsim::jaro(&name, b)));
        eprintln!(
            "error: `{name}` is neither a command nor a gate (gates: {}; commands: {})",
            if gates.is_empty() {
                "none".to_string()
            } else {
                gates.join(", ")
            },
            commands.join(", ")
        );
        if let Some(n) = near {
            eprintln!("\n  tip: a similar name exists: `{n}`");
        }
        eprintln!("\nFor more information, try `witness --help`.");
        return ExitCode::from(USAGE_EXIT);
    }
    // libtest-mimic parses the rest as a test binary's arguments (its own `--help` included).
    let args = Arguments::from_iter(
        std::iter::once(program.clone())
            .chain(rest.into_iter().skip(1))
            .map(|a| a.to_string_lossy().into_owned()),
    );
    witness::gate_main_with(&name, args)
}

/// The gates: the folders of `<root>/scenarios`, sorted.
fn gates(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root.join("scenarios"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn version() -> String {
    format!(
        "{}{}",
        env!("CARGO_PKG_VERSION"),
        option_env!("WITNESS_GIT_COMMIT")
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    )
}

/// `--help`'s list of the environment variables a run reads.
fn env_help() -> String {
    let width = witness::ENV_VARS
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    let mut out = String::from("Environment:\n");
    for (name, what) in witness::ENV_VARS {
        out.push_str(&format!("  {name:<width$}  {what}\n"));
    }
    out.push_str("\nRun a gate: witness <GATE> [--list] [--exact NAME] [--test-threads N] [--format terse] [FILTER]\n\
                  Exit status: 0 the claims hold, 1 a claim is broken, 2 could not witness, 64 usage.");
    out
}

/// A closed pipe (`witness check | head -1`) ends the process quietly, as it ends `cat`,
/// instead of a panic in `println!`: the default action of SIGPIPE, which Rust's runtime
/// ignores.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to its default at the start of `main`, before
    // any thread exists, has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn check(gates_asked: &[String]) -> ExitCode {
    let cfg = match RunConfig::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("witness check: {e}");
            return ExitCode::from(USAGE_EXIT);
        }
    };
    let target =
        match witness::target::load_with(&cfg.root, &cfg.target, cfg.targets_file.as_deref()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("witness check: {}", witness::error::chain(&e));
                return ExitCode::from(2);
            }
        };
    let gates: Vec<String> = if gates_asked.is_empty() {
        gates(&cfg.root)
    } else {
        gates_asked.to_vec()
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

fn diff(a: &Path, b: &Path, allowed: Option<&Path>, require_signed: bool) -> ExitCode {
    let read = witness::gate_report::diff::read;
    let ((pa, ra), (pb, rb)) = match (read(a), read(b)) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("witness diff: {}", witness::error::chain(&e));
            return ExitCode::from(2);
        }
    };
    let (mut label_a, mut label_b) = (pa.display().to_string(), pb.display().to_string());
    let mut signature_broken = false;
    if let Some(allowed) = allowed {
        for (path, label) in [(&pa, &mut label_a), (&pb, &mut label_b)] {
            match signer_of(path, allowed, require_signed) {
                Ok(Some(who)) => label.push_str(&format!(" (signed by {who})")),
                Ok(None) => label.push_str(" (unsigned)"),
                Err(2) => return ExitCode::from(2),
                Err(_) => {
                    label.push_str(" (NOT SIGNED as required: see above)");
                    signature_broken = true;
                }
            }
        }
    }
    let c = witness::gate_report::diff::compare(&ra, &rb);
    print!(
        "{}",
        witness::gate_report::diff::render(&label_a, &label_b, &c)
    );
    ExitCode::from(u8::from(!c.agree() || signature_broken))
}

/// The signer of the attestation beside a report (`None`: unsigned, and that is allowed);
/// `Err(exit status)` once the problem is said: 1 rejected (or unsigned when required), 2
/// could not check.
fn signer_of(report: &Path, allowed: &Path, required: bool) -> Result<Option<String>, u8> {
    use witness::gate_report::attest::{ENVELOPE_FILE, verify::signed_report};
    match signed_report(report, allowed) {
        Ok(Some(opened)) => Ok(Some(opened.signed_by())),
        Ok(None) if required => {
            eprintln!(
                "witness diff: {}: no signed attestation beside it ({ENVELOPE_FILE} is missing)",
                report.display()
            );
            Err(1)
        }
        Ok(None) => Ok(None),
        Err(e) => {
            eprintln!("witness diff: {}", witness::error::chain(&e));
            Err(if e.is_rejection() { 1 } else { 2 })
        }
    }
}

/// Exit 0 when the signature verifies and the checkout's scenario files are the run's, 1 when
/// either does not (the message says what differs), 2 when it cannot be checked.
fn verify(envelope: &Path, allowed: &Path) -> ExitCode {
    use witness::gate_report::attest::{ENVELOPE_FILE, verify};
    let root = match RunConfig::from_env() {
        Ok(cfg) => cfg.root,
        Err(e) => {
            eprintln!("witness verify: {e}");
            return ExitCode::from(USAGE_EXIT);
        }
    };
    let file = if envelope.is_dir() {
        envelope.join(ENVELOPE_FILE)
    } else {
        envelope.to_path_buf()
    };
    match verify::verify(&file, allowed, &root) {
        Ok(v) => {
            print!("{}", verify::render(&file.display().to_string(), &v));
            ExitCode::from(u8::from(!v.files_match()))
        }
        Err(e) => {
            let broken = e.is_rejection();
            println!("witness verify: {}", file.display());
            println!(
                "{}: {}",
                if broken {
                    "NOT VERIFIED"
                } else {
                    "CANNOT CHECK"
                },
                witness::error::chain(&e)
            );
            ExitCode::from(if broken { 1 } else { 2 })
        }
    }
}

fn schema(kind: SchemaKind) -> ExitCode {
    let kind = match kind {
        SchemaKind::Scenario => witness::schema::Kind::Scenario,
        SchemaKind::Targets => witness::schema::Kind::Targets,
        SchemaKind::Report => witness::schema::Kind::Report,
    };
    print!("{}", kind.text());
    ExitCode::SUCCESS
}

/// Every report must read: a textfile missing a gate would look like a gate that vanished.
fn metrics(paths: &[PathBuf]) -> ExitCode {
    let mut reports = Vec::new();
    for p in paths {
        match witness::gate_report::diff::read(p) {
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
