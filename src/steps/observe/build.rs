//! The next natural Drone build of a repo: one whose number is above the newest when the
//! wait began, made by someone else (a push, the bridge, a person), read from Drone's own
//! list endpoint, `GET /api/repos/{owner}/{name}/builds` (newest first). Once it exists, the
//! step goes on exactly as the triggering step would: with `wait = false` it returns (the
//! build number in `${build}`), else it waits for the end and reads the log through the
//! `drone` step itself, given that build's number.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::super::drone::{self, Api};
use super::super::{StepCtx, StepError};
use super::utc;
use crate::error::{HttpError, HttpErrorKind};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::DroneStep;

const PROGRESS_EVERY: Duration = Duration::from_secs(60);

/// A build as Drone's list shows it (drone-go's `Build`, only what is said about it).
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Listed {
    number: i64,
    event: String,
    trigger: String,
    created: i64,
}

/// The repo's newest 25 builds, from Drone's list endpoint.
fn newest_builds(api: &Api) -> Result<Vec<Listed>, StepError> {
    let req = api
        .get(&api.builds)
        .query(&[("page", "1"), ("per_page", "25")]);
    let (status, body) = drone::send(req, "list")?;
    let what = format!("GET {}", api.builds);
    if status != 200 {
        let body = body.trim().to_string();
        return Err(HttpError::new(what, HttpErrorKind::Status { status, body }).into());
    }
    Ok(serde_json::from_str(&body).map_err(|e| HttpError::new(what, HttpErrorKind::Decode(e)))?)
}

/// Wait for the repo's next build; then do what the triggering step does after creating one.
pub(super) fn next_build(
    d: &DroneStep,
    within: &str,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let repo = cx.vars.interpolate(&d.repo, Quote::Raw)?;
    let api = Api::connect(drone::builds_url(d, cx)?, d, cx)?;
    let newest = newest_builds(&api)?
        .iter()
        .map(|b| b.number)
        .max()
        .unwrap_or(0);
    (cx.progress)(&format!(
        "observe: waiting up to {within} for the next build of {repo} (above #{newest}, the newest now) that witness does not trigger"
    ));
    let command = format!(
        "# watch, without triggering one, for the next build of {repo} (a number above the newest when the wait began), up to {within}\nGET {}?page=1&per_page=25   # every {:?}",
        api.builds, d.poll
    );
    let Some(found) = first_above(&api, newest, &repo, cx, d.poll, deadline)? else {
        // The failing check says it all; `timed_out` would name the step's own timeout.
        return Ok(Observation {
            command,
            stdout: "no new build\n".into(),
            checks: vec![Outcome::fail(
                format!("a natural build of {repo} within {within}"),
                format!(
                    "no natural build of {repo} within {within}: the newest is still #{newest}"
                ),
            )],
            ..Observation::default()
        });
    };
    (cx.progress)(&format!(
        "observe: drone build #{} of {repo} began",
        found.number
    ));
    let mut obs = go_on(d, found.number, command, &api, cx, deadline)?;
    obs.checks.insert(
        0,
        Outcome::pass(format!(
            "a natural build of {repo} within {within} (its number recorded as ${{{}}})",
            d.build_var
        )),
    );
    obs.observed = Some(observed(&repo, &found));
    Ok(obs)
}

/// The first build numbered above `newest`, polled until the deadline; None if none came.
fn first_above(
    api: &Api,
    newest: i64,
    repo: &str,
    cx: &StepCtx,
    poll: Duration,
    deadline: Instant,
) -> Result<Option<Listed>, StepError> {
    crate::poll::until(deadline, poll, |a| {
        let next = newest_builds(api)?
            .into_iter()
            .filter(|b| b.number > newest)
            .min_by_key(|b| b.number);
        if next.is_some() || a.past_deadline() {
            return Ok(ControlFlow::Break(next));
        }
        if a.progress_due(PROGRESS_EVERY) {
            (cx.progress)(&format!(
                "observe: still waiting for a build of {repo} above #{newest}: {:.0}s",
                a.elapsed().as_secs_f64()
            ));
        }
        Ok(ControlFlow::Continue(()))
    })
}

/// What the triggering step does once its build exists: return its number, or wait for its
/// end and read its log (the `drone` step's own code, given that build).
fn go_on(
    d: &DroneStep,
    number: i64,
    command: String,
    api: &Api,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    if d.wait {
        let existing = DroneStep {
            trigger: None,
            build: Some(number.to_string()),
            ..d.clone()
        };
        let mut obs = drone::run(&existing, cx, deadline)?;
        obs.command = format!("{command}\n{}", obs.command);
        return Ok(obs);
    }
    Ok(Observation {
        command,
        stdout: "a new build began; witness did not trigger it; not waited for\n".into(),
        defines: vec![(d.build_var.clone(), number.to_string())],
        manual: Some(api.manual(number)),
        ..Observation::default()
    })
}

/// The report's line on the build observed.
fn observed(repo: &str, found: &Listed) -> String {
    format!(
        "{repo}: build #{} (event `{}`, by {}), created {}; not triggered by witness",
        found.number,
        found.event,
        if found.trigger.is_empty() {
            "?"
        } else {
            found.trigger.as_str()
        },
        utc(found.created)
    )
}
