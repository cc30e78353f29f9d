//! The next natural start of a unit: a new InvocationID that witness did not cause (it
//! starts nothing in observe mode), read from systemd itself (`systemctl show`), never from
//! a line the unit prints. A oneshot referenced by its timer stays loaded between runs and
//! keeps its last InvocationID, so a run that began and ended between two polls is seen too.

use std::time::{Duration, Instant};

use super::super::{StepCtx, StepError, quote, systemd};
use crate::report::{Observation, Outcome};
use crate::scenario::SystemdStep;

const POLL: Duration = Duration::from_secs(1);
const PROGRESS_EVERY: Duration = Duration::from_secs(60);
/// `InactiveExitTimestamp` is when the run began: a oneshot is `activating` while it runs
/// and only enters `active` (`ActiveEnterTimestamp`) once it is over.
const PROPS: &str = "InvocationID,ActiveState,InactiveExitTimestamp,TriggeredBy";

/// Wait until `unit` starts with an InvocationID other than the current one.
pub(super) fn next_start(
    unit: &str,
    var: &str,
    within: &str,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let show = format!(
        "systemctl show --no-pager --timestamp=utc -p {PROPS} {}",
        quote(unit)
    );
    let before = systemd::parse_props(&cx.remote_obs(show.clone(), deadline)?.stdout);
    let old = before.get("InvocationID").cloned().unwrap_or_default();
    let timers = before.get("TriggeredBy").cloned().unwrap_or_default();
    let triggered_before = last_triggered(&timers, cx, deadline)?;
    (cx.progress)(&format!(
        "observe: waiting up to {within} for the next start of {unit} that witness does not make ({})",
        elapse(&timers, cx, deadline)?
    ));
    let began = Instant::now();
    let mut last_progress = Instant::now();
    let mut obs = loop {
        let o = cx.remote_obs(show.clone(), deadline)?;
        let p = systemd::parse_props(&o.stdout);
        let id = p.get("InvocationID").cloned().unwrap_or_default();
        if !id.is_empty() && id != old {
            let mut obs = o;
            let since = p.get("InactiveExitTimestamp").cloned().unwrap_or_default();
            // Its timer's own record says whether the timer made this start.
            let by = if !timers.is_empty()
                && last_triggered(&timers, cx, deadline)? != triggered_before
            {
                timers.clone()
            } else {
                "something other than its timer".to_string()
            };
            obs.observed = Some(format!(
                "{unit}: run {id}, began {since}; started by {by}, not by witness"
            ));
            obs.defines.push((var.to_string(), id));
            obs.checks.push(Outcome::pass(format!(
                "a natural start of {unit} within {within} (its InvocationID recorded as ${{{var}}})"
            )));
            obs.stdout = "a new run began; witness did not start it\n".into();
            break obs;
        }
        if Instant::now() + POLL >= deadline {
            // The failing check says it all; `timed_out` would name the step's own timeout.
            let mut obs = o;
            let last = if old.is_empty() {
                "it has not run since it was loaded".to_string()
            } else {
                format!("its InvocationID is still {old}")
            };
            obs.checks.push(Outcome::fail(
                format!("a natural start of {unit} within {within}"),
                format!(
                    "no natural start of {unit} within {within} ({last}); {}",
                    elapse(&timers, cx, Instant::now() + Duration::from_secs(30))?
                ),
            ));
            obs.stdout = "no new run began\n".into();
            break obs;
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            (cx.progress)(&format!(
                "observe: still waiting for {unit} to start on its own: {:.0}s",
                began.elapsed().as_secs_f64()
            ));
            last_progress = Instant::now();
        }
        std::thread::sleep(POLL);
    };
    obs.command = format!(
        "# watch, without starting it, for the next start of {unit} (a new InvocationID), up to {within}\n{show}   # every {}s",
        POLL.as_secs()
    );
    obs.exit_applies = false;
    Ok(obs)
}

/// After an observed start, wait for that run's end as the blocking `systemctl start` would.
pub(super) fn until_end(
    started: Observation,
    unit: &str,
    var: &str,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let wait = SystemdStep::Wait {
        unit: unit.to_string(),
        invocation_var: var.to_string(),
        // As a blocking start: a failed run fails the step.
        any_result: false,
    };
    let mut obs = systemd::run(&wait, cx, deadline)?;
    obs.command = format!("{}\n{}", started.command, obs.command);
    let mut checks = started.checks;
    checks.append(&mut obs.checks);
    obs.checks = checks;
    obs.observed = started.observed;
    Ok(obs)
}

/// When each of the unit's timers last elapsed (`LastTriggerUSec`), as systemd says it.
fn last_triggered(timers: &str, cx: &StepCtx, deadline: Instant) -> Result<String, StepError> {
    if timers.trim().is_empty() {
        return Ok(String::new());
    }
    let words: Vec<String> = timers.split_whitespace().map(quote).collect();
    let o = cx.remote_obs(
        format!(
            "systemctl show --no-pager --timestamp=utc -p LastTriggerUSec {}",
            words.join(" ")
        ),
        deadline,
    )?;
    Ok(o.stdout)
}

/// What the unit's timers say about its next natural start, e.g. `the timer's next elapse
/// is Wed 2026-12-02 00:00:00 UTC (nightly-sweep.timer)`.
fn elapse(timers: &str, cx: &StepCtx, deadline: Instant) -> Result<String, StepError> {
    if timers.trim().is_empty() {
        return Ok("no timer triggers it".into());
    }
    let mut said = Vec::new();
    for t in timers.split_whitespace() {
        let o = cx.remote_obs(
            format!(
                "systemctl show --no-pager --timestamp=utc -p NextElapseUSecRealtime,LastTriggerUSec {}",
                quote(t)
            ),
            deadline,
        )?;
        let p = systemd::parse_props(&o.stdout);
        // systemd shows an unset time as empty or `n/a`.
        let time = |k: &str| p.get(k).filter(|v| !v.is_empty() && *v != "n/a");
        let next = time("NextElapseUSecRealtime").map_or("not scheduled", String::as_str);
        let last = time("LastTriggerUSec").map_or("never", String::as_str);
        said.push(format!(
            "the timer's next elapse is {next} ({t}, last triggered {last})"
        ));
    }
    Ok(said.join("; "))
}
