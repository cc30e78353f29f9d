//! The engine: run a scenario's steps in order against a target and build its report.
//!
//! Per step: interpolate, run (retrying until the expectations hold when the step has a
//! `retry`), judge, capture variables. After a failed step the rest are reported as
//! skipped (unless the run asks for every step, `WITNESS_ALL_STEPS`: the sabotage matrix
//! judges each step, and a failed step's captures stay set for the steps after it). Everything put into the report is redacted first, so nothing downstream
//! (snapshot, failure message, log) can see a secret.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::error::{StepError, TransportError, chain};
use crate::evidence::select;
use crate::expect;
use crate::interp::{InterpError, Vars};
use crate::poll;
use crate::redact::Redactor;
use crate::report::{Observation, Outcome, ScenarioReport, StepReport, StepStatus};
use crate::scenario::{Scenario, Step, StepKind};
use crate::steps::{self, StepCtx};
use crate::target::TargetRuntime;

/// Run a scenario. `progress` receives redacted lines for a person watching.
pub fn run_scenario(
    sc: &Scenario,
    rt: &TargetRuntime,
    progress: &(dyn Fn(&str) + Sync),
) -> ScenarioReport {
    run_steps(sc, rt, &[], progress).report
}

/// What a run of a scenario's steps left: its report, and the variables its steps defined
/// (unredacted: an action's outputs are interpolated into later scenarios).
pub(crate) struct StepsRun {
    pub(crate) report: ScenarioReport,
    pub(crate) defined: Vec<(String, String)>,
    /// The natural runs its observing steps watched (observe mode), one sentence each.
    pub(crate) observed: Vec<String>,
}

/// Run a scenario's steps with extra variables `given` (an action's outputs, named
/// `<action>.<variable>`) on top of the target's.
pub(crate) fn run_steps(
    sc: &Scenario,
    rt: &TargetRuntime,
    given: &[(String, String)],
    progress: &(dyn Fn(&str) + Sync),
) -> StepsRun {
    let mut red = rt.redactor();
    for (re, rep) in &sc.redact {
        red.add_filter(re.clone(), rep.clone());
    }
    let (mut vars, secrets, secret_errors) = variables(rt, given, &red);
    // Progress is a log for a person: secrets go, the rest stays readable.
    let progress_red = |line: &str| progress(&red.secrets_only(line));
    let mut reports = Vec::new();
    let mut failed = false;
    let mut captured_names = Vec::new();
    let mut defined: Vec<(String, String)> = Vec::new();
    let mut observed = Vec::new();
    for (i, step) in sc.steps.iter().enumerate() {
        if failed && !rt.all_steps {
            reports.push(skipped(i + 1, step));
            continue;
        }
        let cx = StepCtx {
            remote: rt.remote.as_ref(),
            local: &rt.local,
            vars: &vars,
            secrets: &secrets,
            timeout: step.timeout,
            observe: rt.observe,
            output_limit: rt.output_limit,
            progress: &progress_red,
            judging: &rt.judging,
        };
        let (report, obs) = run_with_retry(i + 1, step, &cx, &red, &secret_errors);
        observed.extend(obs.as_ref().and_then(|o| o.observed.clone()));
        // A failed step's captures count only when every step is judged: a later step then
        // judges what was seen, not nothing.
        if (report.status == StepStatus::Passed || rt.all_steps)
            && let Some(obs) = obs
        {
            keep_defined(step, &obs, &mut vars, &mut captured_names, &mut defined);
        }
        failed |= report.status != StepStatus::Passed;
        reports.push(report);
    }
    let captures = captured_names
        .iter()
        .filter_map(|n| vars.get(n).map(|v| (n.clone(), red.apply(v))))
        .collect();
    StepsRun {
        report: ScenarioReport {
            steps: reports,
            captures,
            evidence: None,
        },
        defined,
        observed,
    }
}

/// The run's variables: the target's, those `given`, and the secrets that resolved
/// (also apart, by name); a secret that did not resolve is kept as its redacted error.
#[allow(clippy::type_complexity)]
fn variables(
    rt: &TargetRuntime,
    given: &[(String, String)],
    red: &Redactor,
) -> (Vars, BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut vars = Vars::default();
    for (k, v) in rt
        .target
        .vars
        .iter()
        .chain(given.iter().map(|(k, v)| (k, v)))
    {
        vars.set(k, v.clone());
    }
    let mut secrets = BTreeMap::new();
    let mut secret_errors = BTreeMap::new();
    for (k, v) in rt.secrets() {
        match v {
            Ok(v) => {
                vars.set(k, v.clone());
                secrets.insert(k.clone(), v.clone());
            }
            Err(e) => {
                secret_errors.insert(k.clone(), red.apply(&chain(e)));
            }
        }
    }
    (vars, secrets, secret_errors)
}

/// What a step defined and captured becomes variables of the steps after it (and of the
/// run, `defined`); captured names are remembered for the report.
fn keep_defined(
    step: &Step,
    obs: &Observation,
    vars: &mut Vars,
    captured_names: &mut Vec<String>,
    defined: &mut Vec<(String, String)>,
) {
    for (name, value) in &obs.defines {
        vars.set(name, value.clone());
        defined.push((name.clone(), value.clone()));
    }
    for re in &step.capture {
        if let Some(caps) = re.captures(&obs.stdout) {
            for name in re.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    vars.set(name, m.as_str().to_string());
                    captured_names.push(name.to_string());
                    defined.push((name.to_string(), m.as_str().to_string()));
                }
            }
        }
    }
}

fn run_with_retry(
    index: usize,
    step: &Step,
    cx: &StepCtx,
    red: &Redactor,
    secret_errors: &BTreeMap<String, String>,
) -> (StepReport, Option<Observation>) {
    // Without `retry`, the first attempt is the last.
    let (deadline, interval) = match step.retry {
        Some(r) => (Instant::now() + r.deadline, r.interval),
        None => (Instant::now(), Duration::ZERO),
    };
    let Ok(done) = poll::until(deadline, interval, |a| {
        let result = with_heartbeat(index, step, cx, || steps::run_step(step, cx));
        let retry_left = !a.is_last();
        let finished = match result {
            Ok(obs) => judged(index, step, obs, cx, red, retry_left),
            Err(e) => failed(index, step, &e, red, secret_errors, retry_left),
        };
        if let Some((mut rep, obs)) = finished {
            rep.attempts = a.number();
            rep.elapsed = a.elapsed();
            return Ok::<_, Infallible>(ControlFlow::Break((rep, obs)));
        }
        if let Some(r) = step.retry {
            (cx.progress)(&format!(
                "step {index} ({}): attempt {} failed, retrying for up to {:.0}s more",
                step.name,
                a.number(),
                r.deadline.saturating_sub(a.elapsed()).as_secs_f64()
            ));
        }
        Ok(ControlFlow::Continue(()))
    });
    done
}

/// The report of an attempt that ran, unless it failed and may be tried again.
fn judged(
    index: usize,
    step: &Step,
    obs: Observation,
    cx: &StepCtx,
    red: &Redactor,
    retry_left: bool,
) -> Option<(StepReport, Option<Observation>)> {
    let mut outcomes = obs.checks.clone();
    outcomes.extend(expect::evaluate(&step.expect, &obs, cx.vars, cx.judging));
    let ok = !obs.timed_out && outcomes.iter().all(|o| o.ok) && check_capture(step, &obs);
    if !(ok || !retry_left || obs.settled) {
        return None;
    }
    let mut rep = select::step_report(index, step, &obs, outcomes, red);
    rep.status = if ok {
        StepStatus::Passed
    } else {
        StepStatus::Failed
    };
    if !ok && !check_capture(step, &obs) {
        rep.outcomes.push(Outcome::fail(
            "every capture regex matches stdout",
            "a capture found no match",
        ));
    }
    Some((rep, Some(obs)))
}

/// The report of an attempt that could not run, unless it may be tried again.
fn failed(
    index: usize,
    step: &Step,
    e: &StepError,
    red: &Redactor,
    secret_errors: &BTreeMap<String, String>,
    retry_left: bool,
) -> Option<(StepReport, Option<Observation>)> {
    // Transport failures are not retried: the pool already reconnected once, and a down
    // target must fail fast.
    // Nor is a variable that was never captured: no attempt can capture it now.
    let transport = matches!(e, StepError::Transport(_) | StepError::NeverCaptured { .. });
    if !transport && retry_left {
        return None;
    }
    let mut rep = skipped(index, step);
    // Only shown in failure messages, where the run's own details (ports, timeouts) help.
    rep.status = StepStatus::Error(red.secrets_only(&explain(e, secret_errors)));
    Some((rep, None))
}

/// How often a long step says it is still running.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(30);
/// Steps allowed longer than this are announced when they start.
const LONG_STEP: Duration = Duration::from_secs(120);

/// Run `f`, telling a person watching that a long step started and, every
/// [`HEARTBEAT_EVERY`], that it is still running (a nix build, a sweep, a Drone build can take
/// many minutes). `systemd` start/wait and `drone` steps report their own states instead.
fn with_heartbeat<T: Send>(index: usize, step: &Step, cx: &StepCtx, f: impl FnOnce() -> T) -> T {
    if matches!(step.kind, StepKind::Systemd(_) | StepKind::Drone(_)) {
        return f();
    }
    if step.timeout > LONG_STEP {
        (cx.progress)(&format!(
            "step {index} ({}): started, may take up to {}",
            step.name,
            humantime::format_duration(step.timeout)
        ));
    }
    let began = Instant::now();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(HEARTBEAT_EVERY)
            {
                (cx.progress)(&format!(
                    "step {index} ({}): still running after {}s",
                    step.name,
                    began.elapsed().as_secs()
                ));
            }
        });
        let out = f();
        drop(stop);
        out
    })
}

fn check_capture(step: &Step, obs: &Observation) -> bool {
    step.capture.iter().all(|re| re.is_match(&obs.stdout))
}

fn explain(e: &StepError, secret_errors: &BTreeMap<String, String>) -> String {
    if let StepError::Interp(InterpError::Unknown { name, .. }) = e
        && let Some(err) = secret_errors.get(name)
    {
        return err.clone();
    }
    match e {
        StepError::Transport(t) if matches!(**t, TransportError::Connect { .. }) => {
            format!("target unreachable: {}", chain(e))
        }
        _ => chain(e),
    }
}

fn skipped(index: usize, step: &Step) -> StepReport {
    StepReport::skipped(index, &step.name, step.kind.label(), step.timeout)
}
