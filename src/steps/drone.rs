//! `drone`: trigger a Drone CI build with parameters (or take an existing one), wait for it
//! through Drone's statuses with a deadline, find a step by position (`log = "1/2"`, Drone's
//! `logs/<stage>/<step>`, its name at most a cross-check) or *by name* (`log_step`), and make
//! its log the step's stdout. The build's commit (`after`) is recorded as `${build_commit}`.
//!
//! Wire types follow drone-go's `Build`/`Stage`/`Step`/`Line`; every field is optional so a
//! newer server's extra or missing fields do not break the read. A `null` create response
//! (Drone skipped the build) is a clear failure, not a parse error.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use serde::Deserialize;

use super::{Observed, StepCtx, StepError};
use crate::error::{HttpError, HttpErrorKind};
use crate::interp::Quote;
use crate::poll;
use crate::report::{Observation, Outcome};
use crate::scenario::{DroneStep, DroneTrigger};

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Build {
    number: i64,
    status: String,
    after: String,
    error: String,
    stages: Vec<Stage>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Stage {
    number: i64,
    name: String,
    status: String,
    steps: Vec<Step>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Step {
    number: i64,
    name: String,
    status: String,
    exit_code: i64,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Line {
    out: String,
}

/// Statuses in which a build is not done yet (drone `Build.IsDone()` negated, minus
/// `blocked`, which waits for a person and is reported rather than waited out).
const NOT_DONE: &[&str] = &["pending", "running", "waiting_on_dependencies"];

pub(crate) fn run(d: &DroneStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let builds = builds_url(d, cx)?;
    let want_status = cx.vars.interpolate(&d.status, Quote::Raw)?;
    let log_step = match &d.log_step {
        Some(s) => Some(cx.vars.interpolate(s, Quote::Raw)?),
        None => None,
    };
    let api = Api::connect(builds, d, cx)?;
    let mut obs = Observation {
        exit_applies: false,
        ..Observation::default()
    };
    let mut commands = Vec::new();

    let number = match (&d.trigger, &d.build) {
        (Some(t), _) => match trigger(t, &api, cx, &mut commands)? {
            Some(number) => number,
            None => {
                obs.command = commands.join("\n");
                obs.checks.push(Outcome {
                    ok: false,
                    expected: "drone creates a build".into(),
                    seen: Some(
                        "drone answered `null`: it skipped the build (no pipeline matches event `custom`, `[ci skip]` in the commit message, or the repo is inactive)".into(),
                    ),
                    matched_lines: Vec::new(),
                    platform: Vec::new(),
                });
                return Ok(obs);
            }
        },
        (None, Some(b)) => build_number(b, cx)?,
        (None, None) => unreachable!("the loader requires trigger or build"),
    };
    obs.defines.push((d.build_var.clone(), number.to_string()));
    if !d.wait {
        // Observed while it runs (e.g. its process on the runner); a later
        // `build = "${build}"` step waits for it and reads its log.
        obs.command = commands.join("\n");
        obs.stdout = "build created, not waited for\n".to_string();
        obs.checks.push(Outcome::pass(format!(
            "drone created build ${{{}}}",
            d.build_var
        )));
        obs.manual = Some(api.manual(number));
        return Ok(obs);
    }
    commands.push(format!(
        "GET {}/{number}  (every {:?} until done)",
        api.builds, d.poll
    ));

    let begun = Instant::now();
    let build = match wait_for(&api, number, d.poll, cx, deadline)? {
        Ok(build) => build,
        Err(b) => {
            obs.command = commands.join("\n");
            obs.timed_out = true;
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("build #{number} finishes within {:?}", cx.timeout),
                seen: Some(format!("still {} ({})", b.status, step_states(&b))),
                matched_lines: Vec::new(),
                platform: Vec::new(),
            });
            return Ok(obs);
        }
    };
    let summary = judge_build(&build, &want_status, &mut obs);
    let log = Log {
        api: &api,
        number,
        build: &build,
        deadline,
    };
    obs.stdout = match (d.log_at, &log_step) {
        (Some(at), _) => log.by_position(at, log_step.as_deref(), &mut obs, &mut commands)?,
        (None, Some(name)) => log.by_name(name, &mut obs, &mut commands)?,
        (None, None) => summary.join("\n") + "\n",
    };
    obs.command = commands.join("\n");
    obs.elapsed = begun.elapsed();
    obs.manual = Some(api.manual(number));
    Ok(obs)
}

/// Where a repo's builds are, and how to ask (also the observing step's, `observe/build.rs`).
pub(super) struct Api {
    /// `<server>/api/repos/<repo>/builds`.
    pub(super) builds: String,
    token: String,
    client: Client,
}

/// `<server>/api/repos/<repo>/builds`, from the step's server and repo.
pub(super) fn builds_url(d: &DroneStep, cx: &StepCtx) -> Result<String, StepError> {
    let server = cx.vars.interpolate(&d.server, Quote::Raw)?;
    let server = server.trim_end_matches('/');
    let repo = cx.vars.interpolate(&d.repo, Quote::Raw)?;
    Ok(format!("{server}/api/repos/{repo}/builds"))
}

impl Api {
    /// The token (a secret of the target) and an HTTP client for `builds`.
    pub(super) fn connect(builds: String, d: &DroneStep, cx: &StepCtx) -> Result<Api, StepError> {
        let token = cx.secret("token_secret", &d.token_secret)?;
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| HttpError::new("drone client", HttpErrorKind::Client(e)))?;
        Ok(Api {
            builds,
            token,
            client,
        })
    }

    pub(super) fn get(&self, url: &str) -> RequestBuilder {
        self.client.get(url).bearer_auth(&self.token)
    }

    /// The build, as a person would look at it.
    pub(super) fn manual(&self, number: i64) -> String {
        format!(
            "curl -s -H \"Authorization: Bearer $TOKEN\" {}/{number} | jq .",
            self.builds
        )
    }
}

/// Trigger a build with the step's branch, commit and parameters: its number, or `None`
/// when Drone answered `null` (it skipped the build).
fn trigger(
    t: &DroneTrigger,
    api: &Api,
    cx: &StepCtx,
    commands: &mut Vec<String>,
) -> Result<Option<i64>, StepError> {
    let query = trigger_query(t, cx)?;
    let shown_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    commands.push(format!("POST {}?{shown_query}", api.builds));
    let request = api.client.post(&api.builds).query(&query);
    let (status, body) = send(request.bearer_auth(&api.token), "trigger")?;
    if !(200..300).contains(&status) {
        return Err(HttpError::new(
            "drone refused the build",
            HttpErrorKind::Status {
                status,
                body: body.trim().to_string(),
            },
        )
        .into());
    }
    if body.trim() == "null" {
        return Ok(None);
    }
    let b: Build = serde_json::from_str(&body)
        .map_err(|e| HttpError::new("drone create response", HttpErrorKind::Decode(e)))?;
    (cx.progress)(&format!("drone build #{} created", b.number));
    Ok(Some(b.number))
}

/// The trigger's query: branch, commit and parameters, interpolated.
fn trigger_query(t: &DroneTrigger, cx: &StepCtx) -> Result<Vec<(String, String)>, StepError> {
    let mut query: Vec<(String, String)> = Vec::new();
    if let Some(b) = &t.branch {
        query.push(("branch".into(), cx.vars.interpolate(b, Quote::Raw)?));
    }
    if let Some(c) = &t.commit {
        query.push(("commit".into(), cx.vars.interpolate(c, Quote::Raw)?));
    }
    for (k, v) in &t.params {
        query.push((k.clone(), cx.vars.interpolate(v, Quote::Raw)?));
    }
    Ok(query)
}

/// An existing build's number (`build = "${build}"`).
fn build_number(b: &str, cx: &StepCtx) -> Result<i64, StepError> {
    let b = cx.vars.interpolate(b, Quote::Raw)?;
    Ok(b.trim().parse().map_err(|_| {
        HttpError::new(
            "drone build",
            HttpErrorKind::NotABuildNumber { value: b.clone() },
        )
    })?)
}

/// Poll build `number` until it is done (`Ok`), or until the deadline leaves no other look
/// (`Err` with the last one seen), saying where it is every 10 s.
fn wait_for(
    api: &Api,
    number: i64,
    every: Duration,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Result<Build, Build>, StepError> {
    poll::until(deadline, every, |a| {
        let (status, body) = send(api.get(&format!("{}/{number}", api.builds)), "poll")?;
        if status != 200 {
            return Err(StepError::from(HttpError::new(
                format!("GET build {number}"),
                HttpErrorKind::Status {
                    status,
                    body: body.trim().to_string(),
                },
            )));
        }
        let b: Build = serde_json::from_str(&body).map_err(|e| {
            HttpError::new(format!("drone build {number}"), HttpErrorKind::Decode(e))
        })?;
        if !NOT_DONE.contains(&b.status.as_str()) {
            return Ok(ControlFlow::Break(Ok(b)));
        }
        if a.is_last() {
            return Ok(ControlFlow::Break(Err(b)));
        }
        if a.progress_due(Duration::from_secs(10)) {
            (cx.progress)(&format!(
                "drone build #{number}: {} after {:.0}s ({})",
                b.status,
                a.elapsed().as_secs_f64(),
                step_states(&b)
            ));
        }
        Ok(ControlFlow::Continue(()))
    })
}

/// The checks on how a finished build ended; defines `${build_status}` and
/// `${build_commit}`, and returns the build's summary lines.
fn judge_build(build: &Build, want_status: &str, obs: &mut Observation) -> Vec<String> {
    let mut summary = summary(build);
    obs.defines
        .push(("build_status".to_string(), build.status.clone()));
    obs.defines
        .push(("build_commit".to_string(), build.after.clone()));
    summary.push(format!("build commit: {}", build.after));
    // `status = "any"`: the step observes how the build ended (an action), and whoever reads
    // `${build_status}` judges it.
    let any = want_status == "any";
    obs.checks.push(Outcome {
        ok: any || build.status == want_status,
        expected: if any {
            "build ends (its status recorded as ${build_status})".to_string()
        } else {
            format!("build ends `{want_status}`")
        },
        seen: Some(if build.error.is_empty() {
            format!("build ends `{}` ({})", build.status, step_states(build))
        } else {
            format!("build ends `{}`: {}", build.status, build.error)
        }),
        matched_lines: summary.clone(),
        platform: Vec::new(),
    });
    if build.status == "blocked" {
        obs.checks.push(Outcome {
            ok: false,
            expected: "build runs without approval".into(),
            seen: Some("build is `blocked`: it waits for approval in Drone".into()),
            matched_lines: Vec::new(),
            platform: Vec::new(),
        });
    }
    summary
}

/// The build's status and each step's, one line each.
fn summary(build: &Build) -> Vec<String> {
    let mut summary = vec![format!("build status: {}", build.status)];
    for st in &build.stages {
        for s in &st.steps {
            summary.push(format!(
                "stage {} step {}: {} (exit {})",
                st.name, s.name, s.status, s.exit_code
            ));
        }
    }
    summary
}

/// Reading one step's log of a finished build.
struct Log<'a> {
    api: &'a Api,
    number: i64,
    build: &'a Build,
    deadline: Instant,
}

impl Log<'_> {
    /// Every (stage, step) of the build.
    fn steps(&self) -> impl Iterator<Item = (&Stage, &Step)> {
        self.build
            .stages
            .iter()
            .flat_map(|st| st.steps.iter().map(move |s| (st, s)))
    }

    fn url(&self, stage: i64, step: i64) -> String {
        format!("{}/{}/logs/{stage}/{step}", self.api.builds, self.number)
    }

    /// The log of step `stage/step` (`log = "1/2"`), its name cross-checked when the step
    /// names one; empty (and a failed check) when the build has no such step.
    fn by_position(
        &self,
        (stage_no, step_no): (i64, i64),
        name: Option<&str>,
        obs: &mut Observation,
        commands: &mut Vec<String>,
    ) -> Result<String, StepError> {
        let found = self
            .steps()
            .find(|(st, s)| st.number == stage_no && s.number == step_no);
        if let (Some(name), Some((_, s))) = (name, found)
            && s.name != name
        {
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("step {stage_no}/{step_no} is named `{name}`"),
                seen: Some(format!("it is named `{}`", s.name)),
                matched_lines: Vec::new(),
                platform: Vec::new(),
            });
        }
        if found.is_none() {
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("build has a step {stage_no}/{step_no}"),
                seen: Some(step_states(self.build)),
                matched_lines: Vec::new(),
                platform: Vec::new(),
            });
        }
        let url = self.url(stage_no, step_no);
        commands.push(format!("GET {url}"));
        match found {
            Some(_) => read_log(
                self.api,
                &url,
                &format!("{stage_no}/{step_no}"),
                self.deadline,
            ),
            None => Ok(String::new()),
        }
    }

    /// The log of the step named `name` (`log_step`); empty (and a failed check) when the
    /// build has no such step.
    fn by_name(
        &self,
        name: &str,
        obs: &mut Observation,
        commands: &mut Vec<String>,
    ) -> Result<String, StepError> {
        let Some((st, s)) = self.steps().find(|(_, s)| s.name == name) else {
            let names: Vec<String> = self.steps().map(|(_, s)| s.name.clone()).collect();
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("build has a step named `{name}`"),
                seen: Some(format!("steps: [{}]", names.join(", "))),
                matched_lines: Vec::new(),
                platform: Vec::new(),
            });
            return Ok(String::new());
        };
        let url = self.url(st.number, s.number);
        commands.push(format!("GET {url}"));
        read_log(self.api, &url, name, self.deadline)
    }
}

/// A step's log (`[{"out": …}]`), its lines joined. Logs are uploaded when the step ends:
/// a just-finished step gets a few seconds (404 meanwhile).
fn read_log(api: &Api, url: &str, which: &str, deadline: Instant) -> Result<String, StepError> {
    let lines: Vec<Line> = poll::until(deadline, Duration::from_secs(1), |a| {
        let (status, body) = send(api.get(url), "logs")?;
        if status == 200 {
            let lines = serde_json::from_str(&body).map_err(|e| {
                HttpError::new(
                    format!("drone log of step {which}"),
                    HttpErrorKind::Decode(e),
                )
            })?;
            return Ok(ControlFlow::Break(lines));
        }
        let tries = a.number();
        if status != 404 || tries >= 5 || a.past_deadline() {
            return Err(StepError::from(HttpError::new(
                format!("GET log of step `{which}` ({url})"),
                HttpErrorKind::NoLog { tries, status },
            )));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(lines.iter().map(|l| l.out.as_str()).collect())
}

pub(super) fn send(req: RequestBuilder, what: &str) -> Result<(u16, String), StepError> {
    let resp = req
        .send()
        .map_err(|e| HttpError::new(format!("drone {what}"), HttpErrorKind::Send(e)))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .map_err(|e| HttpError::new(format!("drone {what}"), HttpErrorKind::Body(e)))?;
    Ok((status, body))
}

fn step_states(b: &Build) -> String {
    let mut by_stage: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for st in &b.stages {
        let e = by_stage.entry(st.number).or_default();
        if st.steps.is_empty() {
            e.push(format!("{}: {}", st.name, st.status));
        }
        for s in &st.steps {
            e.push(format!("{} {}", s.name, s.status));
        }
    }
    let parts: Vec<String> = by_stage.into_values().flatten().collect();
    if parts.is_empty() {
        "no stage picked up yet".into()
    } else {
        parts.join(", ")
    }
}
