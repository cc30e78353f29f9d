//! `systemd`: unit properties (`systemctl show`), "no failed units" minus an allowlist, and
//! start-and-wait for a unit (the timer-fire claims).
//!
//! Start-and-wait follows the NixOS test driver's `wait_for_unit`: it fails at once when
//! the unit enters `failed` instead of waiting out the deadline, and it tells a new run from
//! an old one by the unit's `InvocationID`, so a oneshot that already finished before the
//! first poll is still seen to have run.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::{Observation, StepCtx, StepError};
use crate::expect::Outcome;
use crate::scenario::SystemdStep;

/// Properties shown when a step names none.
const DEFAULT_PROPS: &[&str] = &[
    "LoadState",
    "ActiveState",
    "SubState",
    "Result",
    "ExecMainStatus",
    "UnitFileState",
];
const POLL: Duration = Duration::from_millis(500);
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

pub fn run(s: &SystemdStep, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    match s {
        SystemdStep::Show { unit, properties } => show(unit, properties, cx, deadline),
        SystemdStep::NoFailed { allow } => no_failed(allow, cx, deadline),
        SystemdStep::Start { unit } => start(unit, cx, deadline, true),
        SystemdStep::Wait { unit } => start(unit, cx, deadline, false),
    }
}

fn show_cmd(unit: &str, props: &[&str]) -> String {
    format!(
        "systemctl show --no-pager -p {} {}",
        props.join(","),
        quote(unit)
    )
}

fn show(
    unit: &str,
    want: &BTreeMap<String, String>,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let mut props: Vec<&str> = DEFAULT_PROPS.to_vec();
    for k in want.keys() {
        if !props.contains(&k.as_str()) {
            props.push(k);
        }
    }
    let mut obs = cx.remote_obs(show_cmd(unit, &props), deadline)?;
    let seen = parse_props(&obs.stdout);
    for (k, v) in want {
        let got = seen.get(k).map(String::as_str).unwrap_or("(not shown)");
        obs.checks.push(Outcome {
            ok: got == v,
            expected: format!("{unit} {k}={v}"),
            seen: Some(format!("{k}={got}")),
            matched_lines: vec![format!("{k}={got}")],
        });
    }
    Ok(obs)
}

fn no_failed(allow: &[String], cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    let cmd = "systemctl list-units --failed --all --plain --no-legend --no-pager".to_string();
    let mut obs = cx.remote_obs(cmd, deadline)?;
    let failed: Vec<String> = obs
        .stdout
        .lines()
        .filter_map(|l| l.trim_start_matches('●').split_whitespace().next())
        .map(str::to_string)
        .collect();
    let unexpected: Vec<&String> = failed.iter().filter(|u| !allow.contains(u)).collect();
    // Shown as a diff against the allowlist: `-` allowed, `+` failed but not allowed.
    let mut diff = Vec::new();
    for u in &failed {
        diff.push(if allow.contains(u) {
            format!("  {u} (failed, allowed)")
        } else {
            format!("+ {u} (failed, NOT allowed)")
        });
    }
    let expected = if allow.is_empty() {
        "no failed units".to_string()
    } else {
        format!("no failed units except [{}]", allow.join(", "))
    };
    obs.checks.push(Outcome {
        ok: unexpected.is_empty(),
        expected,
        seen: Some(if failed.is_empty() {
            "none failed".into()
        } else {
            format!("\n{}", diff.join("\n"))
        }),
        matched_lines: diff,
    });
    obs.stdout = if failed.is_empty() {
        String::new()
    } else {
        failed.join("\n") + "\n"
    };
    Ok(obs)
}

/// Start `unit` (or, with `trigger = false`, only wait for its current run) until it finishes.
fn start(
    unit: &str,
    cx: &StepCtx,
    deadline: Instant,
    trigger: bool,
) -> Result<Observation, StepError> {
    let begun = Instant::now();
    let state_props = [
        "Type",
        "RemainAfterExit",
        "ActiveState",
        "SubState",
        "Result",
        "ExecMainStatus",
        "InvocationID",
    ];
    let before = cx.remote_obs(show_cmd(unit, &state_props), deadline)?;
    let before = parse_props(&before.stdout);
    // Waiting for a run already under way: it counts as "new" too.
    let running = matches!(
        before.get("ActiveState").map(String::as_str),
        Some("activating" | "reloading" | "deactivating")
    );
    let before_id = if trigger || !running {
        before.get("InvocationID").cloned().unwrap_or_default()
    } else {
        String::new()
    };
    let oneshot = before.get("Type").map(String::as_str) == Some("oneshot")
        && before.get("RemainAfterExit").map(String::as_str) != Some("yes");

    let start_cmd = if trigger {
        format!("systemctl start --no-block {}", quote(unit))
    } else {
        format!("# wait for the current run of {unit}")
    };
    if trigger {
        let started = cx.remote_obs(start_cmd.clone(), deadline)?;
        if started.exit != Some(0) {
            let mut obs = started;
            obs.exit_applies = true;
            return Ok(obs);
        }
    } else if !running && before_id.is_empty() {
        // Never ran: nothing to wait for.
        let mut obs = cx.remote_obs(show_cmd(unit, &state_props), deadline)?;
        obs.exit_applies = false;
        obs.stdout = stable_props(&before);
        obs.checks.push(Outcome {
            ok: false,
            expected: format!("{unit} is running or has run"),
            seen: Some("it never ran (no InvocationID)".into()),
            matched_lines: Vec::new(),
        });
        return Ok(obs);
    }

    let mut last_progress = Instant::now();
    loop {
        let mut obs = cx.remote_obs(show_cmd(unit, &state_props), deadline)?;
        let p = parse_props(&obs.stdout);
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let new_run = !get("InvocationID").is_empty()
            && (get("InvocationID") != before_id || (!trigger && !running));
        let state = format!("{}/{}", get("ActiveState"), get("SubState"));
        let elapsed = begun.elapsed();
        let finished = if get("ActiveState") == "failed" {
            Some(false)
        } else if new_run && oneshot && get("ActiveState") == "inactive" {
            Some(get("Result") == "success")
        } else if new_run && !oneshot && get("ActiveState") == "active" {
            Some(true)
        } else {
            None
        };
        if let Some(ok) = finished {
            obs.command = format!("{start_cmd}; wait until it finishes");
            obs.exit_applies = false;
            obs.stdout = stable_props(&p);
            obs.checks.push(Outcome {
                ok,
                expected: if oneshot {
                    format!("{unit} runs and ends inactive with Result=success")
                } else {
                    format!("{unit} starts and becomes active")
                },
                seen: Some(format!(
                    "ActiveState={} Result={} ExecMainStatus={}",
                    get("ActiveState"),
                    get("Result"),
                    get("ExecMainStatus")
                )),
                matched_lines: Vec::new(),
            });
            (cx.progress)(&format!(
                "{unit}: {state} after {:.1}s",
                elapsed.as_secs_f64()
            ));
            return Ok(obs);
        }
        if Instant::now() + POLL >= deadline {
            obs.command = format!("{start_cmd}; wait until it finishes");
            obs.exit_applies = false;
            obs.timed_out = true;
            obs.stdout = stable_props(&p);
            obs.checks.push(Outcome {
                ok: false,
                expected: format!("{unit} finishes within {:.0?}", cx.timeout),
                seen: Some(format!("still {state} after {:.1}s", elapsed.as_secs_f64())),
                matched_lines: Vec::new(),
            });
            return Ok(obs);
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            (cx.progress)(&format!(
                "waiting for {unit}: {:.0}s, {state}",
                elapsed.as_secs_f64()
            ));
            last_progress = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

/// The properties worth recording (the invocation id changes every run).
fn stable_props(p: &BTreeMap<String, String>) -> String {
    ["ActiveState", "SubState", "Result", "ExecMainStatus"]
        .iter()
        .map(|k| format!("{k}={}\n", p.get(*k).map(String::as_str).unwrap_or("")))
        .collect()
}

fn parse_props(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| s.to_string())
}
