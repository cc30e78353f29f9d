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
    let mut value = cx.vars.interpolate(&v.of, Quote::Raw)?;
    let mut command = format!("# the value of {}", v.of);
    if let Some(under) = &v.under {
        let prefix = cx.vars.interpolate(under, Quote::Raw)?;
        value = value
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|l| format!("{l}\n"))
            .collect();
        command = format!("# the lines of {} under `{under}`", v.of);
    }
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
