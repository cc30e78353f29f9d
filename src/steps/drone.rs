//! `drone`: trigger a Drone CI build with parameters (or take an existing one), wait for it
//! through Drone's statuses with a deadline, find a step by position (`log = "1/2"`, Drone's
//! `logs/<stage>/<step>`, its name at most a cross-check) or *by name* (`log_step`), and make
//! its log the step's stdout. The build's commit (`after`) is recorded as `${build_commit}`.
//!
//! Wire types follow drone-go's `Build`/`Stage`/`Step`/`Line`; every field is optional so a
//! newer server's extra or missing fields do not break the read. A `null` create response
//! (Drone skipped the build) is a clear failure, not a parse error.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use serde::Deserialize;

use super::{StepCtx, StepError};
use crate::error::{HttpError, HttpErrorKind};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::DroneStep;

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

pub fn run(d: &DroneStep, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    let server = cx.vars.interpolate(&d.server, Quote::Raw)?;
    let server = server.trim_end_matches('/');
    let repo = cx.vars.interpolate(&d.repo, Quote::Raw)?;
    let want_status = cx.vars.interpolate(&d.status, Quote::Raw)?;
    let log_step = match &d.log_step {
        Some(s) => Some(cx.vars.interpolate(s, Quote::Raw)?),
        None => None,
    };
    let token = cx.secret("token_secret", &d.token_secret)?;
    let client = Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| HttpError::new("drone client", HttpErrorKind::Client(e)))?;
    let api = format!("{server}/api/repos/{repo}/builds");
    let auth = |r: RequestBuilder| r.bearer_auth(&token);
    let mut obs = Observation {
        exit_applies: false,
        ..Observation::default()
    };
    let mut commands = Vec::new();

    let number = match (&d.trigger, &d.build) {
        (Some(t), _) => {
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
            let shown_query = query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            commands.push(format!("POST {api}?{shown_query}"));
            let resp = send(auth(client.post(&api).query(&query)), "trigger")?;
            let (status, body) = resp;
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
                obs.command = commands.join("\n");
                obs.checks.push(Outcome {
                    ok: false,
                    expected: "drone creates a build".into(),
                    seen: Some(
                        "drone answered `null`: it skipped the build (no pipeline matches event `custom`, `[ci skip]` in the commit message, or the repo is inactive)".into(),
                    ),
                    matched_lines: Vec::new(),
                });
                return Ok(obs);
            }
            let b: Build = serde_json::from_str(&body)
                .map_err(|e| HttpError::new("drone create response", HttpErrorKind::Decode(e)))?;
            (cx.progress)(&format!("drone build #{} created", b.number));
            b.number
        }
        (None, Some(b)) => {
            let b = cx.vars.interpolate(b, Quote::Raw)?;
            b.trim().parse().map_err(|_| {
                HttpError::new(
                    "drone build",
                    HttpErrorKind::NotABuildNumber { value: b.clone() },
                )
            })?
        }
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
        obs.manual = Some(format!(
            "curl -s -H \"Authorization: Bearer $TOKEN\" {api}/{number} | jq ."
        ));
        return Ok(obs);
    }
    commands.push(format!(
        "GET {api}/{number}  (every {:?} until done)",
        d.poll
    ));

    let begun = Instant::now();
    let mut last_progress = Instant::now();
    let build = loop {
        let (status, body) = send(auth(client.get(format!("{api}/{number}"))), "poll")?;
        if status != 200 {
            return Err(HttpError::new(
                format!("GET build {number}"),
                HttpErrorKind::Status {
                    status,
                    body: body.trim().to_string(),
                },
            )
            .into());
        }
        let b: Build = serde_json::from_str(&body).map_err(|e| {
            HttpError::new(format!("drone build {number}"), HttpErrorKind::Decode(e))
        })?;
        if !NOT_DONE.contains(&b.status.as_str()) {
            break b;
        }
        if Instant::now() + d.poll >= deadline {
            obs.command = commands.join("\n");
            obs.timed_out = true;
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("build #{number} finishes within {:?}", cx.timeout),
                seen: Some(format!("still {} ({})", b.status, step_states(&b))),
                matched_lines: Vec::new(),
            });
            return Ok(obs);
        }
        if last_progress.elapsed() >= Duration::from_secs(10) {
            (cx.progress)(&format!(
                "drone build #{number}: {} after {:.0}s ({})",
                b.status,
                begun.elapsed().as_secs_f64(),
                step_states(&b)
            ));
            last_progress = Instant::now();
        }
        std::thread::sleep(d.poll);
    };

    let mut summary = vec![format!("build status: {}", build.status)];
    for st in &build.stages {
        for s in &st.steps {
            summary.push(format!(
                "stage {} step {}: {} (exit {})",
                st.name, s.name, s.status, s.exit_code
            ));
        }
    }
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
            format!("build ends `{}` ({})", build.status, step_states(&build))
        } else {
            format!("build ends `{}`: {}", build.status, build.error)
        }),
        matched_lines: summary.clone(),
    });
    if build.status == "blocked" {
        obs.checks.push(Outcome {
            ok: false,
            expected: "build runs without approval".into(),
            seen: Some("build is `blocked`: it waits for approval in Drone".into()),
            matched_lines: Vec::new(),
        });
    }

    if let Some((stage_no, step_no)) = d.log_at {
        let found = build
            .stages
            .iter()
            .flat_map(|st| st.steps.iter().map(move |s| (st, s)))
            .find(|(st, s)| st.number == stage_no && s.number == step_no);
        if let (Some(name), Some((_, s))) = (&log_step, found)
            && &s.name != name
        {
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("step {stage_no}/{step_no} is named `{name}`"),
                seen: Some(format!("it is named `{}`", s.name)),
                matched_lines: Vec::new(),
            });
        }
        if found.is_none() {
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("build has a step {stage_no}/{step_no}"),
                seen: Some(step_states(&build)),
                matched_lines: Vec::new(),
            });
        }
        let url = format!("{api}/{number}/logs/{stage_no}/{step_no}");
        commands.push(format!("GET {url}"));
        if found.is_some() {
            obs.stdout = read_log(
                &client,
                &token,
                &url,
                &format!("{stage_no}/{step_no}"),
                deadline,
            )?;
        }
    } else if let Some(name) = &log_step {
        let found = build
            .stages
            .iter()
            .flat_map(|st| st.steps.iter().map(move |s| (st, s)))
            .find(|(_, s)| &s.name == name);
        match found {
            None => {
                let names: Vec<String> = build
                    .stages
                    .iter()
                    .flat_map(|st| st.steps.iter().map(|s| s.name.clone()))
                    .collect();
                obs.checks.push(Outcome {
                    ok: false,
                    expected: format!("build has a step named `{name}`"),
                    seen: Some(format!("steps: [{}]", names.join(", "))),
                    matched_lines: Vec::new(),
                });
            }
            Some((st, s)) => {
                let url = format!("{api}/{number}/logs/{}/{}", st.number, s.number);
                commands.push(format!("GET {url}"));
                obs.stdout = read_log(&client, &token, &url, name, deadline)?;
            }
        }
    } else {
        obs.stdout = summary.join("\n") + "\n";
    }
    obs.command = commands.join("\n");
    obs.elapsed = begun.elapsed();
    obs.manual = Some(format!(
        "curl -s -H \"Authorization: Bearer $TOKEN\" {api}/{number} | jq ."
    ));
    Ok(obs)
}

/// A step's log (`[{"out": …}]`), its lines joined. Logs are uploaded when the step ends:
/// a just-finished step gets a few seconds (404 meanwhile).
fn read_log(
    client: &Client,
    token: &str,
    url: &str,
    which: &str,
    deadline: Instant,
) -> Result<String, StepError> {
    let mut tries = 0;
    let lines: Vec<Line> = loop {
        let (status, body) = send(client.get(url).bearer_auth(token), "logs")?;
        if status == 200 {
            break serde_json::from_str(&body).map_err(|e| {
                HttpError::new(
                    format!("drone log of step {which}"),
                    HttpErrorKind::Decode(e),
                )
            })?;
        }
        tries += 1;
        if status != 404 || tries >= 5 || Instant::now() >= deadline {
            return Err(HttpError::new(
                format!("GET log of step `{which}` ({url})"),
                HttpErrorKind::NoLog { tries, status },
            )
            .into());
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    Ok(lines.iter().map(|l| l.out.as_str()).collect())
}

fn send(req: RequestBuilder, what: &str) -> Result<(u16, String), StepError> {
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
