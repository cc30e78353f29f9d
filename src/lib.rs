//! witness: milestone-gate claims as scenario files, run against a host over SSH, HTTP and
//! the Drone API, recorded as insta snapshots that are the gate's evidence.
//!
//! Flow: [`runner`] finds `scenarios/<gate>/*.toml` and makes one libtest-mimic trial each;
//! [`scenario::load`] validates a file; [`engine`] runs its steps ([`steps`]) through a
//! [`transport`] chosen by the [`target`]; [`expect`] judges what was seen; [`redact`]
//! scrubs it; [`evidence`] renders and snapshots it. See ARCHITECTURE.md.

pub(crate) mod action;
pub mod atomic_file;
pub(crate) mod config;
pub mod engine;
pub mod error;
pub mod evidence;
pub(crate) mod expect;
pub mod gate_report;
pub(crate) mod interp;
mod lock;
pub mod poll;
pub(crate) mod redact;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod schema;
pub(crate) mod steps;
pub mod target;
pub mod transport;

// The API boundary: what the binaries (`src/bin/witness.rs`, xtask) and `tests/*.rs` use is
// `pub` (these re-exports and the public modules' public items); `action`, `config`,
// `expect`, `interp`, `lock`, `redact` and `steps` are the crate's own.
pub use config::RunConfig;
pub use lock::{OnTarget, lock_on_target};
pub use runner::{GateVerdict, gate_main, gate_main_with, run_gate, run_gate_verdict};
