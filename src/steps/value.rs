//! `value`: judge a value the run already holds — an action's captured log, the tools a
//! process resolved — as if it were a command's stdout, without running anything.
//!
//! A command such as `printf '%s' ${drone_build.log}` would do the same, but would put the
//! whole value into the evidence's command line; here the evidence shows the template.

use super::{StepCtx, StepError};
use crate::interp::Quote;
use crate::report::Observation;

pub(crate) fn run(template: &str, cx: &StepCtx) -> Result<Observation, StepError> {
    let value = cx.vars.interpolate(template, Quote::Raw)?;
    Ok(Observation {
        command: format!("# the value of {template}"),
        stdout: if value.ends_with('\n') || value.is_empty() {
            value
        } else {
            value + "\n"
        },
        exit_applies: false,
        ..Observation::default()
    })
}
