//! `run`: a shell command on the target, or on this machine with `local = true`
//! (e.g. `nixos-rebuild build` or a `grep -rn` in a checkout).

use std::time::Instant;

use super::{StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::Observation;
use crate::scenario::RunStep;
use crate::transport::{Exec, LocalExec};

/// `export NAME='value'` lines in front of the command, one per `env` entry: each value is
/// interpolated as-is and written as one single-quoted shell word, so it arrives byte-exact.
fn with_env(r: &RunStep, cx: &StepCtx, cmd: String) -> Result<String, StepError> {
    if r.env.is_empty() {
        return Ok(cmd);
    }
    let mut out = String::new();
    for (name, template) in &r.env {
        let value = cx.vars.interpolate(template, Quote::Raw)?;
        let word =
            shlex::try_quote(&value).map_err(|_| StepError::EnvValue { name: name.clone() })?;
        out.push_str(&format!("export {name}={word}\n"));
    }
    out.push_str(&cmd);
    Ok(out)
}

pub(crate) fn run(r: &RunStep, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    let cmd = cx.vars.interpolate(&r.cmd, Quote::Shell)?;
    let cmd = with_env(r, cx, cmd)?;
    if !r.local {
        let cmd = match &r.cwd {
            Some(dir) => format!(
                "cd {} && {cmd}",
                quote(&cx.vars.interpolate(dir, Quote::Raw)?)
            ),
            None => cmd,
        };
        return cx.remote_obs(cmd, deadline);
    }
    let local = match &r.cwd {
        Some(dir) => LocalExec {
            cwd: cx.local.cwd.join(cx.vars.interpolate(dir, Quote::Raw)?),
        },
        None => cx.local.clone(),
    };
    let out = local.exec(&cmd, cx.opts(deadline))?;
    let mut obs = super::from_output(cmd.clone(), out);
    obs.manual = Some(format!("{} {}", local.manual_prefix(), quote(&cmd)));
    Ok(obs)
}
