//! `systemd`: unit properties (`systemctl show`), "no failed units" minus an allowlist, and
//! start-and-wait for a unit (the timer-fire claims).
//!
//! Start-and-wait follows the NixOS test driver's `wait_for_unit`: it fails at once when
//! the unit enters `failed` instead of waiting out the deadline, and it tells a new run from
//! an old one by the unit's `InvocationID`, so a oneshot that already finished before the
//! first poll is still seen to have run.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use super::{Observed, StepCtx, StepError, quote};
use crate::interp::Quote;
use crate::judging::JudgingDate;
use crate::poll;
use crate::report::{Observation, Outcome};
use crate::scenario::{SystemdStep, Waiver};

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

pub(crate) fn run(s: &SystemdStep, cx: &StepCtx, deadline: Instant) -> Observed {
    let raw = |t: &str| cx.vars.interpolate(t, Quote::Raw);
    match s {
        SystemdStep::Show { unit, properties } => {
            let properties = properties
                .iter()
                .map(|(k, v)| Ok((k.clone(), raw(v)?)))
                .collect::<Result<BTreeMap<_, _>, StepError>>()?;
            show(&raw(unit)?, &properties, cx, deadline)
        }
        SystemdStep::NoFailed { allow } => {
            let allow = allow
                .iter()
                .map(|w| {
                    Ok(Waiver {
                        unit: raw(&w.unit)?,
                        ..w.clone()
                    })
                })
                .collect::<Result<Vec<_>, StepError>>()?;
            no_failed(&allow, cx.judging, cx, deadline)
        }
        SystemdStep::Start {
            unit,
            no_block: false,
            invocation_var,
        } => start(&raw(unit)?, invocation_var, cx, deadline),
        SystemdStep::Start {
            unit,
            no_block: true,
            invocation_var,
        } => start_no_block(&raw(unit)?, invocation_var, cx, deadline),
        SystemdStep::Wait {
            unit,
            invocation_var,
            any_result,
        } => wait(&raw(unit)?, invocation_var, *any_result, cx, deadline),
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
            platform: Vec::new(),
        });
    }
    Ok(obs)
}

/// `systemctl --failed`, judged against the waivers: a failed unit with a waiver in force
/// is tolerated (and shown as such); an expired waiver tolerates nothing and says so.
fn no_failed(
    allow: &[Waiver],
    on: &JudgingDate,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let cmd = "systemctl list-units --failed --all --plain --no-legend --no-pager".to_string();
    let mut obs = cx.remote_obs(cmd, deadline)?;
    let failed: Vec<String> = obs
        .stdout
        .lines()
        .filter_map(|l| l.trim_start_matches('●').split_whitespace().next())
        .map(str::to_string)
        .collect();
    obs.checks.extend(judge_failed(&failed, allow, on));
    obs.stdout = if failed.is_empty() {
        String::new()
    } else {
        failed.join("\n") + "\n"
    };
    Ok(obs)
}

/// The verdict on the failed units, shown as a diff against the waivers: `  ` waived,
/// `+` failed and not waived (or waived no longer). Then one failing check per expired
/// waiver, whether or not its unit failed today: a waiver is a promise to look again by
/// its date, and the file must be changed (renewed with a reason, or the waiver removed)
/// for the claim to pass again.
fn judge_failed(failed: &[String], allow: &[Waiver], on: &JudgingDate) -> Vec<Outcome> {
    let mut out = vec![judge_units(failed, allow, on)];
    out.extend(allow.iter().filter(|w| !w.in_force(on)).map(|w| {
        Outcome::fail(
            format!("the waiver of {} in force (until {})", w.unit, w.expires),
            format!(
                "the waiver of {} EXPIRED on {} ({}): renew it with a new date or remove it",
                w.unit, w.expires, w.reason
            ),
        )
    }));
    out
}

fn judge_units(failed: &[String], allow: &[Waiver], on: &JudgingDate) -> Outcome {
    let mut diff = Vec::new();
    let mut ok = true;
    for u in failed {
        match allow.iter().find(|w| &w.unit == u) {
            Some(w) if w.in_force(on) => diff.push(format!(
                "  {u} (failed, waived until {}: {})",
                w.expires, w.reason
            )),
            Some(w) => {
                ok = false;
                diff.push(format!(
                    "+ {u} (failed; its waiver EXPIRED on {}: {})",
                    w.expires, w.reason
                ))
            }
            None => {
                ok = false;
                diff.push(format!("+ {u} (failed, NOT allowed)"))
            }
        }
    }
    let in_force: Vec<String> = allow
        .iter()
        .filter(|w| w.in_force(on))
        .map(|w| format!("{} until {}", w.unit, w.expires))
        .collect();
    let expected = if in_force.is_empty() {
        "no failed units".to_string()
    } else {
        format!(
            "no failed units except the waived [{}]",
            in_force.join(", ")
        )
    };
    Outcome {
        ok,
        expected,
        seen: Some(if failed.is_empty() {
            "none failed".into()
        } else {
            format!("\n{}", diff.join("\n"))
        }),
        matched_lines: diff,
        platform: Vec::new(),
    }
}

const STATE_PROPS: &[&str] = &[
    "Type",
    "ActiveState",
    "SubState",
    "Result",
    "ExecMainStatus",
    "InvocationID",
];

/// Before a start: the unit's current InvocationID (to tell the new run from the last one)
/// and the journal's cursor (to find the new run's id in the journal if the unit is gone
/// from memory by the time it is asked).
struct BeforeStart {
    invocation: String,
    cursor: Option<String>,
}

fn before_start(unit: &str, cx: &StepCtx, deadline: Instant) -> Result<BeforeStart, StepError> {
    let o = cx.remote_obs(
        format!(
            "systemctl show --no-pager -p InvocationID --value {}; journalctl --show-cursor -n 0 --no-pager -q",
            quote(unit)
        ),
        deadline,
    )?;
    let text = format!("{}\n{}", o.stdout, o.stderr);
    Ok(BeforeStart {
        invocation: o.stdout.lines().next().unwrap_or("").trim().to_string(),
        cursor: text
            .lines()
            .find_map(|l| l.trim().strip_prefix("-- cursor: "))
            .map(str::to_string),
    })
}

/// The InvocationID of the run that began after `before`: from the unit, else from the
/// journal (systemd's own "Starting…" line carries `INVOCATION_ID`, the unit's processes'
/// lines `_SYSTEMD_INVOCATION_ID`).
fn new_invocation(
    unit: &str,
    seen: &str,
    before: &BeforeStart,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Option<String>, StepError> {
    if !seen.is_empty() && seen != before.invocation {
        return Ok(Some(seen.to_string()));
    }
    let Some(cursor) = &before.cursor else {
        return Ok(None);
    };
    let o = cx.remote_obs(
        format!(
            "journalctl --no-pager -q -u {} -o json --after-cursor={}",
            quote(unit),
            quote(cursor)
        ),
        deadline,
    )?;
    Ok(o.stdout.lines().find_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        ["_SYSTEMD_INVOCATION_ID", "INVOCATION_ID"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_str()).map(str::to_string))
            .filter(|id| id != &before.invocation)
    }))
}

/// Record the run's InvocationID as `${var}`, or fail the step when the run was not seen.
fn define_invocation(obs: &mut Observation, unit: &str, var: &str, id: Option<String>) {
    match id {
        Some(id) => {
            obs.defines.push((var.to_string(), id));
            obs.checks.push(Outcome::pass(format!(
                "the run's InvocationID is recorded as ${{{var}}}"
            )));
        }
        None => obs.checks.push(Outcome::fail(
            format!("a new run of {unit} (a new InvocationID) is seen"),
            "the InvocationID did not change",
        )),
    }
}

/// Queue a start and return once the new run has begun: for probes that must watch a run
/// while it is under way (its processes), followed by a `wait` step.
fn start_no_block(
    unit: &str,
    var: &str,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let before = before_start(unit, cx, deadline)?;
    let cmd = format!("systemctl start --no-block {}", quote(unit));
    let mut obs = cx.remote_obs(cmd.clone(), deadline)?;
    obs.exit_applies = true;
    if obs.exit != Some(0) {
        return Ok(obs);
    }
    // Polled every 100 ms; the last look leaves a POLL for `new_invocation`.
    poll::until(deadline, Duration::from_millis(100), |a| {
        let o = cx.remote_obs(show_cmd(unit, STATE_PROPS), deadline)?;
        let p = parse_props(&o.stdout);
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("").to_string();
        let id = get("InvocationID");
        let begun = !id.is_empty() && id != before.invocation;
        if !(begun || get("ActiveState") == "failed" || a.ends_within(POLL)) {
            return Ok(ControlFlow::Continue(()));
        }
        let id = new_invocation(unit, &id, &before, cx, deadline)?;
        obs.command = format!("{cmd}   # returns once the run has begun");
        obs.stdout = if id.is_some() {
            "a new run began\n".to_string()
        } else {
            "no new run was seen\n".to_string()
        };
        define_invocation(&mut obs, unit, var, id);
        Ok(ControlFlow::Break(std::mem::take(&mut obs)))
    })
}

/// Start `unit` and wait until its start job completes.
///
/// `systemctl start` (blocking) is the authority: it returns when a oneshot has run to the
/// end, or a service is up, and fails as soon as the unit fails. It runs on its own session
/// while this thread polls the unit's state, printing progress and noticing `failed` early.
/// Polling alone cannot tell a finished oneshot from one that never ran: systemd clears
/// `InvocationID` and, for unreferenced units, unloads them once inactive.
fn start(unit: &str, var: &str, cx: &StepCtx, deadline: Instant) -> Result<Observation, StepError> {
    let before = before_start(unit, cx, deadline)?;
    let begun = Instant::now();
    let start_cmd = format!("systemctl start {}", quote(unit));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = tx.send(cx.remote_obs(start_cmd.clone(), deadline));
        });
        let mut last_progress = Instant::now();
        let mut last_state = String::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(result) => {
                    let mut obs = result?;
                    let after = cx.remote_obs(show_cmd(unit, STATE_PROPS), deadline)?;
                    let p = parse_props(&after.stdout);
                    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("").to_string();
                    let oneshot = get("Type") == "oneshot";
                    let ok =
                        obs.exit == Some(0) && !obs.timed_out && get("ActiveState") != "failed";
                    (cx.progress)(&format!(
                        "{unit}: {}/{} after {:.1}s",
                        get("ActiveState"),
                        get("SubState"),
                        begun.elapsed().as_secs_f64()
                    ));
                    obs.command = format!("{start_cmd}   # waits until the start job completes");
                    obs.exit_applies = false;
                    obs.checks.push(Outcome {
                        ok,
                        expected: if oneshot {
                            format!("{unit} runs and ends with Result=success")
                        } else {
                            format!("{unit} starts and becomes active")
                        },
                        seen: Some(format!(
                            "systemctl start exit {} ; ActiveState={} Result={} ExecMainStatus={}",
                            obs.exit
                                .map(|e| e.to_string())
                                .unwrap_or_else(|| "none".into()),
                            get("ActiveState"),
                            get("Result"),
                            get("ExecMainStatus")
                        )),
                        matched_lines: Vec::new(),
                        platform: Vec::new(),
                    });
                    if obs.timed_out {
                        obs.checks.push(Outcome {
                            ok: false,
                            expected: format!("{unit} finishes within {:?}", cx.timeout),
                            seen: Some(format!("still {last_state} when the deadline passed")),
                            matched_lines: Vec::new(),
                            platform: Vec::new(),
                        });
                    }
                    obs.stdout = stable_props(&p);
                    let id = new_invocation(unit, &get("InvocationID"), &before, cx, deadline)?;
                    define_invocation(&mut obs, unit, var, id);
                    return Ok(obs);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if last_progress.elapsed() >= PROGRESS_EVERY {
                        if let Ok(o) = cx.remote_obs(show_cmd(unit, STATE_PROPS), deadline) {
                            let p = parse_props(&o.stdout);
                            last_state = format!(
                                "{}/{}",
                                p.get("ActiveState").map(String::as_str).unwrap_or(""),
                                p.get("SubState").map(String::as_str).unwrap_or("")
                            );
                        }
                        (cx.progress)(&format!(
                            "waiting for {unit}: {:.0}s, {last_state}",
                            begun.elapsed().as_secs_f64()
                        ));
                        last_progress = Instant::now();
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(StepError::StartLost {
                        unit: unit.to_string(),
                    });
                }
            }
        }
    })
}

/// Wait, without starting anything, until the unit's current run is over. With `any_result`
/// a failed run is recorded (its state is the evidence), not a failed step.
fn wait(
    unit: &str,
    var: &str,
    any_result: bool,
    cx: &StepCtx,
    deadline: Instant,
) -> Result<Observation, StepError> {
    let mut run_id = String::new();
    poll::until(deadline, POLL, |a| {
        let mut obs = cx.remote_obs(show_cmd(unit, STATE_PROPS), deadline)?;
        let p = parse_props(&obs.stdout);
        let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
        let state = format!("{}/{}", get("ActiveState"), get("SubState"));
        // The run is under way while the unit changes state, or while its main process runs:
        // a oneshot is `activating` then, a simple or exec service `active/running`.
        let busy = matches!(
            get("ActiveState"),
            "activating" | "deactivating" | "reloading"
        ) || (get("ActiveState") == "active" && get("SubState") == "running");
        if !get("InvocationID").is_empty() {
            run_id = get("InvocationID").to_string();
        }
        if !busy || a.is_last() {
            obs.command = format!("# wait until the current run of {unit} is over");
            obs.exit_applies = false;
            obs.timed_out = busy;
            obs.stdout = stable_props(&p);
            obs.checks.push(Outcome {
                ok: !busy && (any_result || get("ActiveState") != "failed"),
                expected: if any_result {
                    format!("the current run of {unit} ends (however it ends)")
                } else {
                    format!("the current run of {unit} ends without failing")
                },
                seen: Some(format!(
                    "{state} Result={} after {:.1}s",
                    get("Result"),
                    a.elapsed().as_secs_f64()
                )),
                matched_lines: Vec::new(),
                platform: Vec::new(),
            });
            let run_id = Some(std::mem::take(&mut run_id)).filter(|i| !i.is_empty());
            define_invocation(&mut obs, unit, var, run_id);
            return Ok(ControlFlow::Break(obs));
        }
        if a.progress_due(PROGRESS_EVERY) {
            (cx.progress)(&format!(
                "waiting for {unit}: {:.0}s, {state}",
                a.elapsed().as_secs_f64()
            ));
        }
        Ok(ControlFlow::Continue(()))
    })
}

/// The properties worth recording (the invocation id changes every run).
fn stable_props(p: &BTreeMap<String, String>) -> String {
    ["ActiveState", "SubState", "Result", "ExecMainStatus"]
        .iter()
        .map(|k| format!("{k}={}\n", p.get(*k).map(String::as_str).unwrap_or("")))
        .collect()
}

pub(super) fn parse_props(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[cfg(test)]
mod waiver_tests {
    use super::*;

    /// Expiry is judged on a pinned clock, never the system's.
    fn on(date: &str) -> JudgingDate {
        JudgingDate::pinned(date).unwrap()
    }

    fn w(unit: &str, expires: &str) -> Waiver {
        Waiver {
            unit: unit.into(),
            reason: "known flake, ticket 42".into(),
            expires: expires.into(),
        }
    }

    #[test]
    fn a_waiver_tolerates_its_unit_until_its_last_day_then_fails_the_claim() {
        let failed = vec!["x.service".to_string()];
        let allow = [w("x.service", "2026-12-31")];
        assert!(judge_failed(&failed, &allow, &on("2026-12-31"))[0].ok);
        let expired = &judge_failed(&failed, &allow, &on("2027-01-01"))[0];
        assert!(!expired.ok);
        assert!(
            expired.seen.as_deref().unwrap().contains(
                "+ x.service (failed; its waiver EXPIRED on 2026-12-31: known flake, ticket 42)"
            ),
            "{expired:?}"
        );
        // Another failed unit is not covered by x's waiver.
        let other = &judge_failed(&["y.service".to_string()], &allow, &on("2026-12-01"))[0];
        assert!(!other.ok);
    }

    #[test]
    fn an_expired_waiver_fails_the_claim_even_when_its_unit_is_healthy() {
        let allow = [w("x.service", "2026-12-31")];
        let in_force = judge_failed(&[], &allow, &on("2026-12-31"));
        assert!(in_force.iter().all(|o| o.ok), "{in_force:?}");
        let expired = judge_failed(&[], &allow, &on("2027-01-01"));
        let failing: Vec<&Outcome> = expired.iter().filter(|o| !o.ok).collect();
        assert_eq!(failing.len(), 1, "{expired:?}");
        assert_eq!(
            failing[0].seen.as_deref(),
            Some(
                "the waiver of x.service EXPIRED on 2026-12-31 (known flake, ticket 42): renew it with a new date or remove it"
            )
        );
    }
}
