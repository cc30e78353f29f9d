//! Step kinds: one module each. A step runs, and returns an [`Observation`]: what ran and
//! what came back, plus any kind-specific checks (unit properties, HTTP status…).
//!
//! Steps never decide pass/fail on the generic expectations; [`crate::expect`] does that,
//! so retries, captures and evidence work the same for every kind.

mod drone;
mod http;
mod journal;
mod run;
mod systemd;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::error::TransportError;
use crate::expect::Outcome;
use crate::interp::{InterpError, Vars};
use crate::scenario::{Step, StepKind};
use crate::transport::{Exec, ExecOpts, LocalExec, Output};

/// What a step saw.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The command or request, as a person would type it (secrets still in: the engine
    /// redacts before anything is shown).
    pub command: String,
    pub stdout: String,
    pub stderr: String,
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
    pub exit: Option<i32>,
    pub signal: Option<String>,
    /// Whether `expect.exit` applies (not to HTTP or to systemd waits).
    pub exit_applies: bool,
    pub timed_out: bool,
    pub elapsed: Duration,
    /// Kind-specific checks, judged alongside the expectations.
    pub checks: Vec<Outcome>,
    /// How to reproduce by hand.
    pub manual: Option<String>,
    /// Variables the step defines itself (journal marks).
    pub defines: Vec<(String, String)>,
}

impl Observation {
    fn from_output(command: String, out: Output) -> Self {
        Observation {
            command,
            stdout: out.stdout.text(),
            stderr: out.stderr.text(),
            stdout_dropped: out.stdout.dropped(),
            stderr_dropped: out.stderr.dropped(),
            exit: out.exit,
            signal: out.signal,
            exit_applies: true,
            timed_out: out.timed_out,
            elapsed: out.elapsed,
            ..Observation::default()
        }
    }
}

/// A step could not be carried out (as opposed to carried out and judged failing).
#[derive(Debug, Error)]
pub enum StepError {
    /// Boxed: transport errors carry a lot of context, and this error is returned a lot.
    #[error(transparent)]
    Transport(Box<TransportError>),
    #[error(transparent)]
    Interp(#[from] InterpError),
    #[error("{0}")]
    Other(String),
}

impl From<TransportError> for StepError {
    fn from(e: TransportError) -> Self {
        StepError::Transport(Box::new(e))
    }
}

/// Everything a step needs from the run.
pub struct StepCtx<'a> {
    pub remote: &'a dyn Exec,
    pub local: &'a LocalExec,
    pub vars: &'a Vars,
    /// Resolved secrets by name (for `bearer_secret`).
    pub secrets: &'a BTreeMap<String, String>,
    pub timeout: Duration,
    pub output_limit: usize,
    /// Progress lines for a person watching (already redacted by the caller).
    pub progress: &'a (dyn Fn(&str) + Sync),
}

impl StepCtx<'_> {
    fn opts(&self, deadline: Instant) -> ExecOpts {
        ExecOpts {
            deadline: deadline.saturating_duration_since(Instant::now()),
            output_limit: self.output_limit,
        }
    }

    /// Run a command on the target and observe it.
    fn remote_obs(&self, cmd: String, deadline: Instant) -> Result<Observation, StepError> {
        let out = self.remote.exec(&cmd, self.opts(deadline))?;
        let mut obs = Observation::from_output(cmd.clone(), out);
        obs.manual = Some(format!(
            "{} {}",
            self.remote.manual_prefix(),
            shlex::try_quote(&cmd)
                .map(|c| c.into_owned())
                .unwrap_or(cmd)
        ));
        Ok(obs)
    }
}

/// One shell word for `s` (quoted only when it needs to be).
fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

/// An error with its causes: reqwest's Display hides them ("error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Run one attempt of a step.
pub fn run_step(step: &Step, cx: &StepCtx) -> Result<Observation, StepError> {
    let deadline = Instant::now() + cx.timeout;
    match &step.kind {
        StepKind::Run(r) => run::run(r, cx, deadline),
        StepKind::Systemd(s) => systemd::run(s, cx, deadline),
        StepKind::Journal(j) => journal::run(j, cx, deadline),
        StepKind::Http(h) => http::run(h, cx),
        StepKind::Drone(d) => drone::run(d, cx, deadline),
    }
}
