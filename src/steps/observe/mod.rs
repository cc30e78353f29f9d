//! Observe mode (`WITNESS_OBSERVE=1`, the nightly gate): a step that would change the target
//! (start a unit, trigger a Drone build) watches for the next *natural* run instead, the
//! timer's own fire or a build someone else made, and records the same variables the
//! firing step would (`${invocation}`, `${build}`, …), so the steps after it and the
//! scenarios that read them run unchanged on what was observed.
//!
//! Every wait is bounded by the step's `observe.within` (default 26h, a daily timer's next
//! fire with slack) and, when nothing comes, fails saying what was waited for and what the
//! host says about when it should come (the timer's next elapse, the newest build). What
//! was observed (which run or build, when it began) goes into [`Observation::observed`] for
//! the report, never into the evidence: it changes every run.

mod build;
mod unit;

use std::time::Instant;

use super::{StepCtx, StepError};
use crate::interp::Quote;
use crate::report::Observation;
use crate::scenario::{Observe, ObserveWhat, StepKind, SystemdStep};

/// Run the observing counterpart of a step that changes the target.
pub(super) fn run(o: &Observe, kind: &StepKind, cx: &StepCtx) -> Result<Observation, StepError> {
    let deadline = Instant::now() + o.within;
    let within = humantime::format_duration(o.within).to_string();
    match (&o.what, kind) {
        (
            ObserveWhat::UnitStart(unit),
            StepKind::Systemd(SystemdStep::Start {
                no_block,
                invocation_var,
                ..
            }),
        ) => {
            let unit = cx.vars.interpolate(unit, Quote::Raw)?;
            let mut obs = unit::next_start(&unit, invocation_var, &within, cx, deadline)?;
            if !*no_block && obs.observed.is_some() {
                // The firing step waits for the end of the run: so does its observer.
                obs = unit::until_end(obs, &unit, invocation_var, cx, deadline)?;
            }
            Ok(obs)
        }
        (ObserveWhat::DroneBuild, StepKind::Drone(d)) => {
            build::next_build(d, &within, cx, deadline)
        }
        _ => unreachable!(
            "the loader pairs `observe.systemd` with `systemd.start` and `observe.drone` with `drone.trigger`"
        ),
    }
}

/// A UTC time from seconds since the epoch, as the report writes times.
fn utc(secs: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0).unsigned_abs());
    humantime::format_rfc3339_seconds(t).to_string()
}
