//! The next natural Drone build of a repo: one whose number is above the newest when the
//! wait began, made by someone else (a push, the bridge, a person), read from Drone's own
//! list endpoint, `GET /api/repos/{owner}/{name}/builds` (newest first). Once it exists, the
//! step goes on exactly as the triggering step would: with `wait = false` it returns (the
//! build number in `${build}`), else it waits for the end and reads the log through the
//! `drone` step itself, given that build's number.

use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde::Deserialize;

use super::super::{StepCtx, StepError, drone};
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

/// Wait for the repo's next build; then do what the triggering step does after creating one.
pub(super) fn next_build(
    d: &DroneStep,
    within: &str,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let server = cx.vars.interpolate(&d.server, Quote::Raw)?;
    let repo = cx.vars.interpolate(&d.repo, Quote::Raw)?;
    let token = cx.secret("token_secret", &d.token_secret)?;
    let api = format!("{}/api/repos/{repo}/builds", server.trim_end_matches('/'));
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| HttpError::new("drone client", HttpErrorKind::Client(e)))?;
    let list = || -> Result<Vec<Listed>, StepError> {
        let what = format!("GET {api}");
        let resp = client
            .get(&api)
            .query(&[("page", "1"), ("per_page", "25")])
            .bearer_auth(&token)
            .send()
            .map_err(|e| HttpError::new(what.clone(), HttpErrorKind::Send(e)))?;
        let status = resp.status().as_u16();
        let body = resp
            .text()
            .map_err(|e| HttpError::new(what.clone(), HttpErrorKind::Body(e)))?;
        if status != 200 {
            let body = body.trim().to_string();
            return Err(HttpError::new(what, HttpErrorKind::Status { status, body }).into());
        }
        Ok(serde_json::from_str(&body)
            .map_err(|e| HttpError::new(what, HttpErrorKind::Decode(e)))?)
    };
    let newest = list()?.iter().map(|b| b.number).max().unwrap_or(0);
    (cx.progress)(&format!(
        "observe: waiting up to {within} for the next build of {repo} (above #{newest}, the newest now) that witness does not trigger"
    ));
    let command = format!(
        "# watch, without triggering one, for the next build of {repo} (a number above the newest when the wait began), up to {within}\nGET {api}?page=1&per_page=25   # every {:?}",
        d.poll
    );
    let began = Instant::now();
    let mut last_progress = Instant::now();
    let found = loop {
        if let Some(b) = list()?
            .into_iter()
            .filter(|b| b.number > newest)
            .min_by_key(|b| b.number)
        {
            break b;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
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
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            (cx.progress)(&format!(
                "observe: still waiting for a build of {repo} above #{newest}: {:.0}s",
                began.elapsed().as_secs_f64()
            ));
            last_progress = Instant::now();
        }
        std::thread::sleep(d.poll.min(left));
    };
    let number = found.number;
    (cx.progress)(&format!("observe: drone build #{number} of {repo} began"));
    let observed = format!(
        "{repo}: build #{number} (event `{}`, by {}), created {}; not triggered by witness",
        found.event,
        if found.trigger.is_empty() {
            "?"
        } else {
            found.trigger.as_str()
        },
        utc(found.created)
    );
    let mut obs = if d.wait {
        // The rest is the `drone` step's own, on that build.
        let existing = DroneStep {
            trigger: None,
            build: Some(number.to_string()),
            ..d.clone()
        };
        let mut obs = drone::run(&existing, cx, deadline)?;
        obs.command = format!("{command}\n{}", obs.command);
        obs
    } else {
        Observation {
            command,
            stdout: "a new build began; witness did not trigger it; not waited for\n".into(),
            defines: vec![(d.build_var.clone(), number.to_string())],
            manual: Some(format!(
                "curl -s -H \"Authorization: Bearer $TOKEN\" {api}/{number} | jq ."
            )),
            ..Observation::default()
        }
    };
    obs.checks.insert(
        0,
        Outcome::pass(format!(
            "a natural build of {repo} within {within} (its number recorded as ${{{}}})",
            d.build_var
        )),
    );
    obs.observed = Some(observed);
    Ok(obs)
}
