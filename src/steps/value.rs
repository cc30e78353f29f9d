//! `value`: judge a value the run already holds — an action's captured log, the tools a
//! process resolved — as if it were a command's stdout, without running anything.
//!
//! A command such as `printf '%s' ${drone_build.log}` would do the same, but would put the
//! whole value into the evidence's command line; here the evidence shows the template.
//!
//! `under` picks the lines of a value that begin with a prefix (an action's facts are lines
//! such as `head cc-ci-hetzner: shared cc-ci-run = /nix/store/…`): the loader's own cut, so
//! no scenario copies an `awk` prefix cut.

use super::{StepCtx, StepError};
use crate::interp::Quote;
use crate::report::Observation;
use crate::scenario::ValueStep;

pub(crate) fn run(v: &ValueStep, cx: &StepCtx) -> Result<Observation, StepError> {
    let value = text(v, cx)?;
    let command = match (&v.under, &v.split) {
        (Some(under), Some(sep)) => {
            format!("# the lines of {} under `{under}`, split at `{sep}`", v.of)
        }
        (Some(under), None) => format!("# the lines of {} under `{under}`", v.of),
        _ => format!("# the value of {}", v.of),
    };
    Ok(Observation {
        command,
        stdout: if value.ends_with('\n') || value.is_empty() {
            value
        } else {
            value + "\n"
        },
        exit_applies: false,
        ..Observation::default()
    })
}

/// The text a value names: the template's value, or only its lines under the prefix, without
/// it (also what a `commands` step's `{ of, under }` directory list reads).
pub(super) fn text(v: &ValueStep, cx: &StepCtx) -> Result<String, StepError> {
    let value = cx.vars.interpolate(&v.of, Quote::Raw)?;
    let Some(under) = &v.under else {
        return Ok(value);
    };
    let prefix = cx.vars.interpolate(under, Quote::Raw)?;
    let lines = value
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()));
    Ok(match &v.split {
        // A PATH judged entry by entry: one line each.
        Some(sep) => lines
            .flat_map(|l| l.split(sep.as_str()))
            .map(|l| format!("{l}\n"))
            .collect(),
        None => lines.map(|l| format!("{l}\n")).collect(),
    })
}
