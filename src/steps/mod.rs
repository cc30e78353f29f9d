//! Step kinds: one module each. A step runs, and returns an [`Observation`]: what ran and
//! what came back, plus any kind-specific checks (unit properties, HTTP status…).
//!
//! Steps never decide pass/fail on the generic expectations; [`crate::expect`] does that,
//! so retries, captures and evidence work the same for every kind.

mod commands;
mod drone;
mod http;
mod journal;
mod observe;
mod process;
mod run;
mod systemd;
mod unit_text;
mod units;
mod value;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub(crate) use crate::error::StepError;
use crate::interp::Vars;
use crate::judging::JudgingDate;
use crate::report::Observation;
use crate::scenario::{Step, StepKind};
use crate::transport::{Exec, ExecOpts, LocalExec, Output};

/// What a step kind's `run` returns: what it saw, or why it could not be carried out.
pub(crate) type Observed = Result<Observation, StepError>;

/// The observation of a finished command.
pub(crate) fn from_output(command: String, out: Output) -> Observation {
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

/// Everything a step needs from the run.
pub(crate) struct StepCtx<'a> {
    pub(crate) remote: &'a dyn Exec,
    pub(crate) local: &'a LocalExec,
    pub(crate) vars: &'a Vars,
    /// Resolved secrets by name (for `bearer_secret`).
    pub(crate) secrets: &'a BTreeMap<String, String>,
    pub(crate) timeout: Duration,
    /// Observe mode: a step with an `observe` alternative watches instead of changing the target.
    pub(crate) observe: bool,
    pub(crate) output_limit: usize,
    /// Progress lines for a person watching (already redacted by the caller).
    pub(crate) progress: &'a (dyn Fn(&str) + Sync),
    /// The date waivers are judged on.
    pub(crate) judging: &'a JudgingDate,
}

impl StepCtx<'_> {
    fn opts(&self, deadline: Instant) -> ExecOpts {
        ExecOpts {
            deadline: deadline.saturating_duration_since(Instant::now()),
            output_limit: self.output_limit,
        }
    }

    /// A secret of the target named by a step's `field` (a token), trimmed.
    fn secret(&self, field: &'static str, name: &str) -> Result<String, StepError> {
        let value = self
            .secrets
            .get(name)
            .ok_or_else(|| StepError::NoSuchSecret {
                field,
                name: name.to_string(),
            })?;
        Ok(value.trim().to_string())
    }

    /// Run a command on the target and observe it.
    fn remote_obs(&self, cmd: String, deadline: Instant) -> Result<Observation, StepError> {
        let out = self.remote.exec(&cmd, self.opts(deadline))?;
        let mut obs = from_output(cmd.clone(), out);
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

/// Run one attempt of a step.
pub(crate) fn run_step(step: &Step, cx: &StepCtx) -> Result<Observation, StepError> {
    if cx.observe
        && let Some(o) = &step.observe
    {
        return observe::run(o, &step.kind, cx);
    }
    // A comparison with a variable that was never captured can be neither held nor broken.
    if let Some(name) = step
        .expect
        .named_vars()
        .into_iter()
        .find(|v| cx.vars.get(v).is_none())
    {
        return Err(StepError::NeverCaptured {
            name: name.to_string(),
        });
    }
    let deadline = Instant::now() + cx.timeout;
    match &step.kind {
        StepKind::Run(r) => run::run(r, cx, deadline),
        StepKind::Systemd(s) => systemd::run(s, cx, deadline),
        StepKind::Journal(j) => journal::run(j, cx, deadline),
        StepKind::Http(h) => http::run(h, cx),
        StepKind::Drone(d) => drone::run(d, cx, deadline),
        StepKind::Process(p) => process::run(p, cx, deadline),
        StepKind::Commands(c) => commands::run(c, cx, deadline),
        StepKind::Units(u) => units::run(u, cx, deadline),
        StepKind::Value(v) => value::run(v, cx),
    }
}
