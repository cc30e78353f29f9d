//! `run`: a shell command on the target, or on this machine with `local = true`
//! (e.g. `nixos-rebuild build` or a `grep -rn` in a checkout).

use std::time::Instant;

use super::{StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::report::Observation;
use crate::scenario::RunStep;
use crate::transport::{Exec, LocalExec};

pub fn run(r: &RunStep, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    let cmd = cx.vars.interpolate(&r.cmd, Quote::Shell)?;
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
