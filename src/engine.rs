//! The engine: run a scenario's steps in order against a target and build its report.
//!
//! Per step: interpolate, run (retrying until the expectations hold when the step has a
//! `retry`), judge, capture variables. After a failed step the rest are reported as
//! skipped. Everything put into the report is redacted first, so nothing downstream
//! (snapshot, failure message, log) can see a secret.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::error::TransportError;
use crate::expect::{self, Outcome};
use crate::interp::{InterpError, Vars};
use crate::redact::Redactor;
use crate::scenario::{Record, Scenario, Step};
use crate::steps::{self, Observation, StepCtx, StepError};
use crate::target::{SecretSource, Target, TargetTransport};
use crate::transport::{DEFAULT_OUTPUT_LIMIT, Exec, ExecOpts, LocalExec, SshPool};

/// Most stdout lines a step keeps in the evidence; the rest are counted.
const EVIDENCE_LINES: usize = 200;
/// Lines of output shown in a failure message.
const FAILURE_TAIL: usize = 20;

/// A target, connected lazily, shared by all trials of a run.
pub struct TargetRuntime {
    pub target: Target,
    pub remote: Arc<dyn Exec>,
    pub ssh: Option<Arc<SshPool>>,
    pub local: LocalExec,
    pub output_limit: usize,
    secrets: OnceLock<BTreeMap<String, Result<String, String>>>,
}

impl TargetRuntime {
    pub fn new(target: Target, root: &Path) -> Self {
        let local = LocalExec {
            cwd: root.to_path_buf(),
        };
        let (remote, ssh): (Arc<dyn Exec>, _) = match &target.transport {
            TargetTransport::Ssh(cfg) => {
                let pool = Arc::new(SshPool::new(cfg.clone()));
                (pool.clone(), Some(pool))
            }
            TargetTransport::Local => (Arc::new(local.clone()), None),
        };
        let output_limit = std::env::var("WITNESS_OUTPUT_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_OUTPUT_LIMIT);
        TargetRuntime {
            target,
            remote,
            ssh,
            local,
            output_limit,
            secrets: OnceLock::new(),
        }
    }

    /// Secrets, resolved once per run: a file is read on the target, an env var here.
    fn secrets(&self) -> &BTreeMap<String, Result<String, String>> {
        self.secrets.get_or_init(|| {
            self.target
                .secrets
                .iter()
                .map(|(name, src)| {
                    let value = match src {
                        SecretSource::Env(var) => std::env::var(var)
                            .map_err(|_| format!("environment variable {var} is not set")),
                        SecretSource::TargetFile(path) => self
                            .remote
                            .exec(
                                &format!("cat -- {}", shlex::try_quote(path).unwrap_or_default()),
                                ExecOpts {
                                    deadline: Duration::from_secs(30),
                                    output_limit: 64 * 1024,
                                },
                            )
                            .map_err(|e| e.to_string())
                            .and_then(|o| match o.exit {
                                // Never echo stdout here: it may hold part of the secret.
                                Some(0) => Ok(o.stdout.text().trim().to_string()),
                                _ => Err(format!(
                                    "cannot read {path} on the target: {}",
                                    o.stderr.text().trim()
                                )),
                            }),
                    };
                    (name.clone(), value)
                })
                .collect()
        })
    }

    /// A redactor that knows every secret of this target.
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        for v in self.secrets().values().flatten() {
            r.add_secret(v);
        }
        r
    }

    pub fn describe(&self) -> String {
        format!("{} ({})", self.target.name, self.remote.describe())
    }
}

/// Outcome of a step in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    Failed,
    /// The step could not be carried out (transport, variable, request error).
    Error(String),
    Skipped,
}

/// One step as reported (all text redacted).
#[derive(Debug, Clone)]
pub struct StepReport {
    pub index: usize,
    pub name: String,
    pub kind: &'static str,
    pub status: StepStatus,
    pub command: String,
    pub exit: Option<i32>,
    pub exit_applies: bool,
    pub signal: Option<String>,
    pub timed_out: bool,
    pub timeout: Duration,
    /// Evidence lines, selected by the step's `record` mode.
    pub evidence: Vec<String>,
    pub evidence_more: usize,
    pub stdout_tail: Vec<String>,
    pub stderr_tail: Vec<String>,
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
    pub outcomes: Vec<Outcome>,
    pub attempts: u32,
    pub elapsed: Duration,
    pub manual: Option<String>,
}

/// A scenario as reported.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub steps: Vec<StepReport>,
    pub captures: Vec<(String, String)>,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.status == StepStatus::Passed)
    }

    pub fn first_failure(&self) -> Option<&StepReport> {
        self.steps
            .iter()
            .find(|s| !matches!(s.status, StepStatus::Passed | StepStatus::Skipped))
    }
}

/// Run a scenario. `progress` receives redacted lines for a person watching.
pub fn run_scenario(
    sc: &Scenario,
    rt: &TargetRuntime,
    progress: &(dyn Fn(&str) + Sync),
) -> ScenarioReport {
    let mut red = rt.redactor();
    for (re, rep) in &sc.redact {
        red.add_filter(re.clone(), rep.clone());
    }
    let mut vars = Vars::default();
    for (k, v) in &rt.target.vars {
        vars.set(k, v.clone());
    }
    let mut secrets = BTreeMap::new();
    let mut secret_errors = BTreeMap::new();
    for (k, v) in rt.secrets() {
        match v {
            Ok(v) => {
                vars.set_secret(k, v.clone());
                secrets.insert(k.clone(), v.clone());
            }
            Err(e) => {
                secret_errors.insert(k.clone(), red.apply(e));
            }
        }
    }
    // Progress is a log for a person: secrets go, the rest stays readable.
    let progress_red = |line: &str| progress(&red.secrets_only(line));
    let mut reports = Vec::new();
    let mut failed = false;
    let mut captured_names = Vec::new();
    for (i, step) in sc.steps.iter().enumerate() {
        if failed {
            reports.push(skipped(i + 1, step));
            continue;
        }
        let cx = StepCtx {
            remote: rt.remote.as_ref(),
            local: &rt.local,
            vars: &vars,
            secrets: &secrets,
            timeout: step.timeout,
            output_limit: rt.output_limit,
            progress: &progress_red,
        };
        let (report, obs) = run_with_retry(i + 1, step, &cx, &red, &secret_errors);
        if report.status == StepStatus::Passed
            && let Some(obs) = obs
        {
            for (name, value) in &obs.defines {
                vars.set(name, value.clone());
            }
            for re in &step.capture {
                if let Some(caps) = re.captures(&obs.stdout) {
                    for name in re.capture_names().flatten() {
                        if let Some(m) = caps.name(name) {
                            vars.set(name, m.as_str().to_string());
                            captured_names.push(name.to_string());
                        }
                    }
                }
            }
        }
        failed = report.status != StepStatus::Passed;
        reports.push(report);
    }
    let captures = captured_names
        .iter()
        .filter_map(|n| vars.get(n).map(|v| (n.clone(), red.apply(v))))
        .collect();
    ScenarioReport {
        steps: reports,
        captures,
    }
}

fn run_with_retry(
    index: usize,
    step: &Step,
    cx: &StepCtx,
    red: &Redactor,
    secret_errors: &BTreeMap<String, String>,
) -> (StepReport, Option<Observation>) {
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = steps::run_step(step, cx);
        let retry_left = step
            .retry
            .map(|r| start.elapsed() + r.interval < r.deadline)
            .unwrap_or(false);
        match result {
            Ok(obs) => {
                let mut outcomes = obs.checks.clone();
                outcomes.extend(expect::evaluate(&step.expect, &obs, cx.vars));
                let ok =
                    !obs.timed_out && outcomes.iter().all(|o| o.ok) && check_capture(step, &obs);
                if ok || !retry_left {
                    let mut rep = report(index, step, &obs, outcomes, red);
                    rep.status = if ok {
                        StepStatus::Passed
                    } else {
                        StepStatus::Failed
                    };
                    if !ok && !check_capture(step, &obs) {
                        rep.outcomes.push(Outcome {
                            ok: false,
                            expected: "every capture regex matches stdout".into(),
                            seen: Some("a capture found no match".into()),
                            matched_lines: Vec::new(),
                        });
                    }
                    rep.attempts = attempts;
                    rep.elapsed = start.elapsed();
                    return (rep, Some(obs));
                }
            }
            Err(e) => {
                // Transport failures are not retried: the pool already reconnected once,
                // and a down target must fail fast.
                let transport = matches!(e, StepError::Transport(_));
                if transport || !retry_left {
                    let mut rep = skipped(index, step);
                    // Only shown in failure messages, where the run's own details (ports, timeouts) help.
                    rep.status = StepStatus::Error(red.secrets_only(&explain(&e, secret_errors)));
                    rep.attempts = attempts;
                    rep.elapsed = start.elapsed();
                    return (rep, None);
                }
            }
        }
        if let Some(r) = step.retry {
            (cx.progress)(&format!(
                "step {index} ({}): attempt {attempts} failed, retrying for up to {:.0}s more",
                step.name,
                r.deadline.saturating_sub(start.elapsed()).as_secs_f64()
            ));
            std::thread::sleep(r.interval);
        }
    }
}

fn check_capture(step: &Step, obs: &Observation) -> bool {
    step.capture.iter().all(|re| re.is_match(&obs.stdout))
}

fn explain(e: &StepError, secret_errors: &BTreeMap<String, String>) -> String {
    if let StepError::Interp(InterpError::Unknown { name, .. }) = e
        && let Some(err) = secret_errors.get(name)
    {
        return format!("secret `{name}` is unavailable: {err}");
    }
    match e {
        StepError::Transport(t) if matches!(**t, TransportError::Connect { .. }) => {
            format!("target unreachable: {e}")
        }
        _ => e.to_string(),
    }
}

fn skipped(index: usize, step: &Step) -> StepReport {
    StepReport {
        index,
        name: step.name.clone(),
        kind: step.kind.label(),
        status: StepStatus::Skipped,
        command: String::new(),
        exit: None,
        exit_applies: false,
        signal: None,
        timed_out: false,
        timeout: step.timeout,
        evidence: Vec::new(),
        evidence_more: 0,
        stdout_tail: Vec::new(),
        stderr_tail: Vec::new(),
        stdout_dropped: 0,
        stderr_dropped: 0,
        outcomes: Vec::new(),
        attempts: 0,
        elapsed: Duration::ZERO,
        manual: None,
    }
}

fn report(
    index: usize,
    step: &Step,
    obs: &Observation,
    outcomes: Vec<Outcome>,
    red: &Redactor,
) -> StepReport {
    let stdout = red.apply(&obs.stdout);
    let stderr = red.apply(&obs.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    let (evidence, evidence_more) = match step.record {
        Record::All => {
            let kept: Vec<String> = lines
                .iter()
                .take(EVIDENCE_LINES)
                .map(|s| s.to_string())
                .collect();
            (kept, lines.len().saturating_sub(EVIDENCE_LINES))
        }
        Record::Matched => {
            let mut seen = Vec::new();
            for o in &outcomes {
                for l in &o.matched_lines {
                    let l = red.apply(l);
                    if !seen.contains(&l) {
                        seen.push(l);
                    }
                }
            }
            (seen, 0)
        }
        Record::None => (Vec::new(), 0),
    };
    let tail = |t: &str, n: usize| {
        let v: Vec<String> = t.lines().map(str::to_string).collect();
        v[v.len().saturating_sub(n)..].to_vec()
    };
    StepReport {
        index,
        name: red.apply(&step.name),
        kind: step.kind.label(),
        status: StepStatus::Passed,
        command: red.apply(&obs.command),
        exit: obs.exit,
        exit_applies: obs.exit_applies,
        signal: obs.signal.clone(),
        timed_out: obs.timed_out,
        timeout: step.timeout,
        evidence,
        evidence_more,
        stdout_tail: tail(&stdout, FAILURE_TAIL),
        stderr_tail: tail(&stderr, FAILURE_TAIL / 2),
        stdout_dropped: obs.stdout_dropped,
        stderr_dropped: obs.stderr_dropped,
        outcomes: outcomes
            .into_iter()
            .map(|o| Outcome {
                ok: o.ok,
                expected: red.apply(&o.expected),
                seen: o.seen.map(|s| red.apply(&s)),
                matched_lines: Vec::new(),
            })
            .collect(),
        attempts: 1,
        elapsed: obs.elapsed,
        manual: obs.manual.as_ref().map(|m| red.secrets_only(m)),
    }
}
