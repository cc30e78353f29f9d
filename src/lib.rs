//! witness: milestone-gate claims as scenario files, run against a host over SSH, HTTP and
//! the Drone API, recorded as insta snapshots that are the gate's evidence.
//!
//! Flow: [`runner`] finds `scenarios/<gate>/*.toml` and makes one libtest-mimic trial each;
//! [`scenario::load`] validates a file; [`engine`] runs its steps (`steps`) through a
//! [`transport`] chosen by the [`target`]; `expect` judges what was seen; `redact` scrubs
//! it; [`evidence`] renders and snapshots it. See ARCHITECTURE.md.

// The API boundary. What other crates use is `pub`, and nothing else is: the binary
// (`src/bin/witness.rs`), the integration tests (`tests/`, `schemas/validate/tests/`) and
// xtask. They reach it through the public modules below and the re-exports at the end:
//
// - running a gate: [`gate_main`], [`gate_main_with`], [`run_gate`], [`RunConfig`],
//   [`runner::check_gate`];
// - a target and its transports: [`target::load`], [`target::load_with`],
//   [`target::Target`], [`target::TargetRuntime`], [`target::TwinConnection`],
//   [`transport::SshPool`], [`transport::Exec`], [`lock_on_target`];
// - one scenario by hand: [`scenario::load::load_str`], [`engine::run_scenario`],
//   [`evidence::render`], [`evidence::failure_message`], [`report::ScenarioReport`];
// - the gate report: [`gate_report::read_json`], [`gate_report::wire::Report`],
//   [`gate_report::diff`], [`gate_report::metrics`]; [`schema::Kind`];
// - [`error`]: the error types those return, and [`error::chain`] to render one.
//
// Everything else is `pub(crate)`, in the public modules too, and stays so: the rustc lint
// `unreachable_pub` (on below, an error under clippy's `-D warnings`) refuses a `pub` item no
// other crate can reach. `atomic_file` and `poll` are also compiled into xtask from their
// files (`#[path]`), not used through this crate.
#![warn(unreachable_pub)]

pub(crate) mod action;
pub(crate) mod atomic_file;
pub(crate) mod config;
pub mod engine;
pub mod error;
pub mod evidence;
pub(crate) mod expect;
pub mod gate_report;
pub(crate) mod interp;
pub mod judging;
mod lock;
pub(crate) mod platform;
pub(crate) mod poll;
pub(crate) mod redact;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schema;
pub(crate) mod steps;
pub mod target;
pub mod transport;

pub use config::{ConfigError, ENV_VARS, RunConfig, SnapshotUpdate};

/// The exit status of a usage error (sysexits' `EX_USAGE`): a bad command line or a `WITNESS_*`
/// value none of the accepted ones.
pub const USAGE_EXIT: u8 = 64;
pub use lock::{OnTarget, lock_on_target};
pub use runner::{gate_main, gate_main_with, run_gate};
