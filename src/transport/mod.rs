//! Transports: run a shell command on a target (over SSH) or on this machine, with a real
//! deadline and bounded output.
//!
//! Both transports return the same [`Output`], so step kinds never care where a command ran.

mod bounded;
mod jump;
pub(crate) mod known_hosts;
mod local;
mod ssh;

use std::time::Duration;

pub(crate) use bounded::Bounded;
pub(crate) use local::LocalExec;
pub(crate) use ssh::Held;
pub use ssh::{Algorithms, IdentityAgent, IpFamily, SshConfig, SshPool, handshakes_total};

pub use crate::config::DEFAULT_OUTPUT_LIMIT;
use crate::error::TransportError;

/// What a command did.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub stdout: Bounded,
    pub stderr: Bounded,
    /// Exit status; `None` when the command was killed by a signal or hit the deadline.
    pub exit: Option<i32>,
    /// Signal name (`TERM`, `KILL`, …) when the command died of one.
    pub(crate) signal: Option<String>,
    /// The deadline passed before the command finished; it was stopped.
    pub(crate) timed_out: bool,
    pub(crate) elapsed: Duration,
}

/// Options for one command.
#[derive(Debug, Clone, Copy)]
pub struct ExecOpts {
    pub deadline: Duration,
    pub output_limit: usize,
}

/// Something that can run a shell command: the SSH pool, or this machine.
pub trait Exec: Send + Sync {
    /// Run `cmd` with `sh -c` semantics.
    fn exec(&self, cmd: &str, opts: ExecOpts) -> Result<Output, TransportError>;
    /// `user@host:port` or `local`, for messages.
    fn describe(&self) -> String;
    /// How to run a command by hand (`ssh -p 2222 … root@host`), for failure messages.
    fn manual_prefix(&self) -> String;
}
