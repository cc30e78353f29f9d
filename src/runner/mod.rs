//! The gate runner: scenario files → libtest-mimic trials named `<gate>::<scenario>`.
//!
//! Obeys the custom-harness contract that `cargo test` and `cargo nextest` rely on: `--list`
//! prints only `name: test` lines and connects to nothing; `--exact NAME` loads only that
//! scenario (nextest runs one process per trial); trials are sorted. A scenario file that
//! fails to load is a failing trial carrying the diagnostic, never a crash.
//!
//! Mutation safety: a `mutates = true` scenario fails as *refused* unless
//! `WITNESS_ALLOW_MUTATION=1`, and while it runs it holds an exclusive lock on the target
//! (read-only scenarios hold a shared one; see [`crate::lock`]), so nothing else of ours touches
//! that target at the same time — across threads and across nextest's processes alike.
//! Each trial's verdict (passed, failed, error, refused) goes into the gate's closing line
//! ([`verdict`]).

mod check;
mod verdict;

pub use check::check_gate;
pub(crate) use verdict::GateVerdict;

use crate::lock::{OnTarget, TargetLock, lock_builds, lock_on_target, lock_target};

pub(crate) use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

use crate::action::{ActionUnavailable, Actions};
use crate::config::RunConfig;
use crate::engine::run_steps;
use crate::error::{GateError, LoadError, LockError, chain};
use crate::evidence::{self, Evidence, EvidenceCheck};
use crate::gate_report::{self, TrialRecord};
use crate::report::{ScenarioReport, Verdict};
use crate::scenario::check::check_vars;
use crate::scenario::{Scenario, load::load_file};
use crate::target::{self, TargetRuntime};
use verdict::Tally;

/// Trials run at once when `--test-threads` is not given.
pub(crate) const DEFAULT_THREADS: usize = 4;

/// Entry point of `tests/<gate>.rs`. With no target host (a fresh clone's `cargo test`), the
/// gate's trials are ignored and its closing line says NOT WITNESSED; libtest's exit status
/// for ignored tests (0) stands, so a fresh clone's `cargo test` stays green without a host.
pub fn gate_main(gate: &str) -> ExitCode {
    gate_exit(gate, Arguments::from_args(), true)
}

/// [`gate_main`] with the arguments already parsed (the `witness` binary shifts the gate
/// name off its command line first).
/// Exit status: 0 when the claims hold, 1 when a claim is broken, 2 when something could
/// not be witnessed ([`GateVerdict`]).
pub fn gate_main_with(gate: &str, args: Arguments) -> ExitCode {
    gate_exit(gate, args, false)
}

/// A gate run's exit status; `as_cargo_test`: no target host is libtest's "ignored", not 2.
fn gate_exit(gate: &str, args: Arguments, as_cargo_test: bool) -> ExitCode {
    let mut cfg = match RunConfig::from_env() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("witness: {e}");
            return ExitCode::from(crate::USAGE_EXIT);
        }
    };
    cfg.quiet = args.quiet || matches!(args.format, Some(libtest_mimic::FormatSetting::Terse));
    match run_gate_verdict(&cfg, gate, &args) {
        Ok((_, GateVerdict::NoTarget)) if as_cargo_test => ExitCode::SUCCESS,
        Ok((_, v)) => ExitCode::from(v.exit_code()),
        Err(msg) => {
            eprintln!("witness: {msg}");
            ExitCode::from(GateVerdict::NotWitnessed.exit_code())
        }
    }
}

/// Run the scenarios of `<root>/scenarios/<gate>` as gate `gate` (see [`run_gate_verdict`]).
pub fn run_gate(
    cfg: &RunConfig,
    gate: &str,
    args: &Arguments,
) -> Result<libtest_mimic::Conclusion, GateError> {
    run_gate_verdict(cfg, gate, args).map(|(c, _)| c)
}

/// Run the scenarios of `<root>/scenarios/<gate>` as gate `gate`: libtest's conclusion and
/// the gate's verdict. Errors are gate-level (no scenarios at all).
pub(crate) fn run_gate_verdict(
    cfg: &RunConfig,
    gate: &str,
    args: &Arguments,
) -> Result<(libtest_mimic::Conclusion, GateVerdict), GateError> {
    check_role(cfg)?;
    let dir = cfg.root.join("scenarios").join(gate);
    let files = discover(gate, &dir, args)?;
    if args.list {
        let trials = files
            .iter()
            .map(|(name, _)| Trial::test(name.clone(), || Ok(())))
            .collect();
        return Ok((libtest_mimic::run(args, trials), GateVerdict::Passed));
    }

    let runtime = load_runtime(cfg);
    // No target asked for and the twin not up (a fresh clone's `cargo test`): the gate's
    // scenarios are skipped, saying how to run them, rather than failing for want of a host.
    if let Err(e) = &runtime
        && !cfg.target_explicit
    {
        return Ok((skip_gate(gate, &files, args, e), GateVerdict::NoTarget));
    }
    begin(cfg, gate, &runtime);

    // Trials wait on the target far more than they compute, so more threads than cores pay
    // off; each running trial holds one SSH session, which keeps well under sshd's
    // MaxStartups (10) when connecting. `--test-threads` still wins.
    let mut args = args.clone();
    if args.test_threads.is_none() {
        args.test_threads = Some(DEFAULT_THREADS);
    }
    let loaded_count = files.len();
    let total = count_scenarios(&dir);
    let gate_run = GateRun {
        cfg: cfg.clone(),
        gate: gate.to_string(),
        runtime,
        tally: Arc::new(Tally::default()),
        actions: Arc::new(Actions::load(&dir, gate)),
    };
    let trials = files
        .into_iter()
        .map(|(name, path)| gate_run.trial(name, path))
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let rt = gate_run.runtime.as_ref().ok().map(|r| &**r);
    match gate_report::finish(cfg, gate, total, rt) {
        Ok(dir) => cfg.progress("witness", &format!("reports: {}", dir.display())),
        Err(e) => eprintln!("witness: the gate report was not written: {}", chain(&e)),
    }
    // Under `--exact` only one file was loaded; the gate's other scenarios did not run.
    let not_loaded = count_scenarios(&dir).saturating_sub(loaded_count);
    let tally = &gate_run.tally;
    println!(
        "{}",
        tally.closing_line(gate, &cfg.target, &conclusion, not_loaded as u64)
    );
    Ok((conclusion, tally.verdict()))
}

/// Say which target the gate runs on, and store the host identity before any scenario can
/// change the host (once per run, whichever process of it gets here first).
fn begin(cfg: &RunConfig, gate: &str, runtime: &Result<Arc<TargetRuntime>, String>) {
    match runtime {
        Ok(rt) => println!("witness: gate {gate} on target {}", rt.describe()),
        Err(e) => println!(
            "witness: gate {gate} on target {}: UNUSABLE: {e}",
            cfg.target
        ),
    }
    if let Err(e) = gate_report::begin(cfg, gate, runtime.as_ref().ok().map(|r| &**r)) {
        eprintln!(
            "witness: the gate report will lack the host identity: {}",
            chain(&e)
        );
    }
}

/// A declared role (`WITNESS_ROLE`) must be one of [`ROLES`].
fn check_role(cfg: &RunConfig) -> Result<(), GateError> {
    match &cfg.role {
        Some(role) if !ROLES.contains(&role.as_str()) => Err(GateError::Role {
            role: role.clone(),
            roles: ROLES.join(", "),
        }),
        _ => Ok(()),
    }
}

/// The target of the run, its commits resolved; an unusable one as its rendered error.
fn load_runtime(cfg: &RunConfig) -> Result<Arc<TargetRuntime>, String> {
    target::load_with(&cfg.root, &cfg.target, cfg.targets_file.as_deref())
        .map(|t| {
            let mut rt = TargetRuntime::new(t, &cfg.root, cfg.output_limit);
            rt.all_steps = cfg.all_steps;
            rt.observe = cfg.observe;
            rt
        })
        .and_then(TargetRuntime::resolve_commits)
        .map(Arc::new)
        .map_err(|e| chain(&e))
}

/// The gate skipped for want of a host: every trial ignored, and how to run it said.
fn skip_gate(
    gate: &str,
    files: &[(String, PathBuf)],
    args: &Arguments,
    e: &str,
) -> libtest_mimic::Conclusion {
    println!(
        "witness: gate {gate}: no target host (WITNESS_TARGET is unset and the twin is not up: {e}).\n\
         To run it: cargo xtask twin up, then cargo test --test {gate}; or WITNESS_TARGET=<target> cargo test --test {gate}; \
         cargo xtask test runs everything."
    );
    let trials = files
        .iter()
        .map(|(name, _)| Trial::test(name.clone(), || Ok(())).with_ignored_flag(true))
        .collect();
    let c = libtest_mimic::run(args, trials);
    // The last line, as after any gate run: nothing was witnessed, and it says so.
    println!(
        "witness: gate {gate} on no target: NOT WITNESSED — 0 passed, 0 failed, {} not run (no target host)",
        files.len()
    );
    c
}

/// What every trial of one gate run shares (each trial's thread holds a copy).
#[derive(Clone)]
struct GateRun {
    cfg: RunConfig,
    gate: String,
    runtime: Result<Arc<TargetRuntime>, String>,
    tally: Arc<Tally>,
    actions: Arc<Actions>,
}

/// What a trial ends with: its verdict, libtest's result, and the report when steps ran.
type TrialOutcome = (Verdict, Result<Completion, Failed>, Option<ScenarioReport>);

impl GateRun {
    /// The trial of one scenario file (loaded now; a file that does not load is a failing
    /// trial). A skipped one is recorded at once: libtest never calls it.
    fn trial(&self, name: String, path: PathBuf) -> Trial {
        let (cfg, gate, actions) = (&self.cfg, &self.gate, &self.actions);
        let loaded = load_file(&path);
        // A read-only run (the nightly gate) leaves out what changes the target, as skipped
        // rather than refused: it was asked not to change anything, and did not.
        let changes_target = loaded.as_ref().is_ok_and(|s| {
            s.changes_target(cfg.observe)
                || s.uses
                    .iter()
                    .any(|(a, _)| actions.changes_target(a, cfg.observe))
        });
        // Why it is skipped: the scenario's own `ignore`, or a read-only run. The reason goes
        // into the report (report.md, report.json, JUnit's `<skipped message>`).
        let skipped_because = match loaded.as_ref().ok().and_then(|s| s.ignore.as_deref()) {
            Some(why) => Some(format!("skipped: {why} (the scenario's `ignore`)")),
            None if cfg.read_only && changes_target => Some(
                "skipped: it changes the target, and this run is read-only (WITNESS_READ_ONLY); \
                 it was not run, so its claim is not witnessed here"
                    .to_string(),
            ),
            None => None,
        };
        let ignored = skipped_because.is_some();
        if let Some(why) = &skipped_because {
            let rec = TrialRecord {
                name: &name,
                file: &path,
                scenario: loaded.as_ref().ok(),
                verdict: Verdict::Skipped,
                message: Some(why.clone()),
                report: None,
            };
            report_file(cfg, gate, self.runtime.as_ref().ok().map(|r| &**r), &rec);
        }
        let run = self.clone();
        let trial = Trial::ignorable_test(name.clone(), move || run.run(&name, &path, &loaded));
        trial.with_ignored_flag(ignored)
    }
}

impl GateRun {
    /// Run one trial (libtest calls it on a thread of its own), count its verdict and
    /// record its result for the gate report.
    fn run(
        &self,
        name: &str,
        path: &Path,
        loaded: &Result<Scenario, LoadError>,
    ) -> Result<Completion, Failed> {
        let (cfg, gate) = (&self.cfg, &self.gate);
        let (verdict, result, report) = match (loaded, &self.runtime) {
            (Err(e), _) => (Verdict::Error, Err(Failed::from(e.to_string())), None),
            (_, Err(e)) => (
                Verdict::Error,
                Err(format!("ERROR: target unusable, nothing was witnessed: {e}").into()),
                None,
            ),
            (Ok(sc), Ok(rt)) => run_trial(cfg, gate, sc, rt, &self.actions),
        };
        self.tally.record(verdict);
        self.tally
            .record_evidence(report.as_ref().and_then(|r| r.evidence));
        let rec = TrialRecord {
            name,
            file: path,
            scenario: loaded.as_ref().ok(),
            verdict,
            message: result
                .as_ref()
                .err()
                .and_then(|f| f.message())
                .map(str::to_string),
            report: report.as_ref(),
        };
        report_file(cfg, gate, self.runtime.as_ref().ok().map(|r| &**r), &rec);
        result
    }
}

/// A trial that ends before its steps run.
fn stopped(verdict: Verdict, message: impl Into<String>) -> TrialOutcome {
    (verdict, Err(message.into().into()), None)
}

fn run_trial(
    cfg: &RunConfig,
    gate: &str,
    sc: &Scenario,
    rt: &TargetRuntime,
    actions: &Actions,
) -> TrialOutcome {
    let target_name = &cfg.target;
    // In observe mode a scenario whose target-changing steps all watch instead changes nothing.
    if sc.changes_target(cfg.observe) && !cfg.allow_mutation {
        return stopped(Verdict::Refused, refused_mutation(cfg, gate, sc));
    }
    // Before anything runs (an action it uses included): every variable it reads is known.
    let given = rt.target.var_names();
    if let Err(e) = check_vars(sc, &given, &actions.outputs()) {
        return stopped(Verdict::Error, e.to_string());
    }
    let (from_actions, mut checks) = match from_actions(cfg, gate, sc, rt, actions, &given) {
        Ok(got) => got,
        Err(stop) => return stop,
    };
    let label = format!("{gate}::{}", sc.id);
    let progress = |line: &str| cfg.progress(&label, line);
    let _locks = match Locks::take(cfg, sc, rt, &label, &progress) {
        Ok(locks) => locks,
        Err(stop) => return stop,
    };
    let report = run_steps(sc, rt, &from_actions, &progress).report;
    let verdict = report.verdict();
    if verdict != Verdict::Passed {
        let msg = evidence::failure_message(gate, sc, &report, target_name, &rt.describe());
        return (verdict, Err(msg.into()), Some(report));
    }
    // The claims held. The evidence is compared apart: reported, and a failure only for a
    // strict run (the builder's CI), never accepted silently.
    let text = evidence::render(sc, &report);
    let own = evidence::compare_snapshot(cfg, gate, sc, target_name, &text);
    checks.insert(0, ("its evidence".to_string(), own));
    judge_evidence(cfg, gate, sc, report, &checks, &progress)
}

/// The refusal of a scenario that changes the target in a run that does not allow it.
fn refused_mutation(cfg: &RunConfig, gate: &str, sc: &Scenario) -> String {
    format!(
        "REFUSED: scenario {gate}::{} changes the target ({}) and WITNESS_ALLOW_MUTATION is not set.\n\
         it was not run, so its claim is NOT witnessed. To run it: WITNESS_ALLOW_MUTATION=1 WITNESS_TARGET={} cargo test --test {gate} -- --exact {gate}::{}",
        sc.id,
        sc.steps
            .iter()
            .filter(|s| s.kind.mutates())
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        cfg.target,
        sc.id
    )
}

/// The refusal of a scenario that observes an action that changes the target, in a run
/// that does not allow it.
fn refused_action(cfg: &RunConfig, gate: &str, sc: &Scenario, a: &str) -> String {
    format!(
        "REFUSED: scenario {gate}::{} observes action `{a}`, which changes the target, and WITNESS_ALLOW_MUTATION is not set.\n\
         it was not run, so its claim is NOT witnessed. To run it: WITNESS_ALLOW_MUTATION=1 WITNESS_TARGET={} cargo test --test {gate} -- --exact {gate}::{}",
        sc.id, cfg.target, sc.id
    )
}

/// The variables of the actions the scenario uses (each obtained, or awaited, once per
/// run) and their evidence checks; or how the trial ends when one is refused or failed.
#[allow(clippy::type_complexity)]
fn from_actions(
    cfg: &RunConfig,
    gate: &str,
    sc: &Scenario,
    rt: &TargetRuntime,
    actions: &Actions,
    given: &std::collections::BTreeSet<String>,
) -> Result<(Vec<(String, String)>, Vec<(String, EvidenceCheck)>), TrialOutcome> {
    if let Some((a, _)) = sc
        .uses
        .iter()
        .find(|(a, _)| actions.changes_target(a, cfg.observe) && !cfg.allow_mutation)
    {
        return Err(stopped(Verdict::Refused, refused_action(cfg, gate, sc, a)));
    }
    let mut vars = Vec::new();
    let mut checks = Vec::new();
    for (a, _) in &sc.uses {
        match actions.get(a, cfg, rt, given) {
            Ok(outputs) => {
                vars.extend(outputs.vars);
                checks.extend(outputs.evidence.map(|c| (format!("action `{a}`"), c)));
            }
            Err(ActionUnavailable::Refused(r)) => {
                return Err(stopped(Verdict::Refused, r.to_string()));
            }
            Err(ActionUnavailable::Failed(e)) => {
                return Err(stopped(
                    Verdict::Error,
                    format!(
                        "ERROR: scenario {gate}::{} could not be witnessed: {e}",
                        sc.id
                    ),
                ));
            }
        }
    }
    Ok((vars, checks))
}

/// The locks a running scenario holds: the target's (shared, or exclusive when it
/// mutates), the build lock when it builds, and the lock on the target itself when it
/// mutates. Released in the reverse order (fields drop in declaration order).
struct Locks {
    _on_target: Option<OnTarget>,
    _builds: Option<TargetLock>,
    _target: TargetLock,
}

impl Locks {
    fn take(
        cfg: &RunConfig,
        sc: &Scenario,
        rt: &TargetRuntime,
        label: &str,
        progress: &dyn Fn(&str),
    ) -> Result<Locks, TrialOutcome> {
        let mutates = sc.changes_target(cfg.observe);
        let target = lock_target(&cfg.state_dir(), &cfg.target, mutates).map_err(error_outcome)?;
        let builds = if sc.builds {
            progress("runs Nix builds on the target: one building scenario or action at a time");
            Some(lock_builds(&cfg.state_dir(), &cfg.target).map_err(error_outcome)?)
        } else {
            None
        };
        // A scenario that changes the target holds the lock on the target itself too.
        let on_target = if mutates {
            let holder = cfg.lock_holder(label);
            Some(
                lock_on_target(rt, &holder, cfg.lock_wait, progress)
                    .map_err(|e| stopped(Verdict::Refused, e.to_string()))?,
            )
        } else {
            None
        };
        Ok(Locks {
            _on_target: on_target,
            _builds: builds,
            _target: target,
        })
    }
}

fn error_outcome(e: LockError) -> TrialOutcome {
    stopped(Verdict::Error, e.to_string())
}

/// A passed scenario's verdict once its evidence is compared: still passed, unless the run
/// is strict and some evidence is not the committed one.
fn judge_evidence(
    cfg: &RunConfig,
    gate: &str,
    sc: &Scenario,
    mut report: ScenarioReport,
    checks: &[(String, EvidenceCheck)],
    progress: &dyn Fn(&str),
) -> TrialOutcome {
    report.evidence = Evidence::worst(checks.iter().map(|(_, c)| c.state));
    for (what, c) in checks {
        progress(&format!("{what}: {}", c.describe()));
    }
    let unreviewed: Vec<String> = checks
        .iter()
        .filter(|(_, c)| c.state != Evidence::Same)
        .map(|(what, c)| format!("{what}: {}", c.describe()))
        .collect();
    if cfg.evidence_strict && !unreviewed.is_empty() {
        return (
            Verdict::Failed,
            Err(format!(
                "scenario {gate}::{} held, but WITNESS_EVIDENCE=strict and its evidence is not the committed one:\n  {}\n{}",
                sc.id,
                unreviewed.join("\n  "),
                evidence::review_hint(gate, &cfg.target)
            )
            .into()),
            Some(report),
        );
    }
    (Verdict::Passed, Ok(Completion::Completed), Some(report))
}

/// The roles a run may declare (`WITNESS_ROLE`), shown in its report.
const ROLES: &[&str] = &["builder", "adversary", "nightly"];

/// Record a trial's result for the gate's report; a result that cannot be stored is said,
/// and does not change the verdict.
fn report_file(cfg: &RunConfig, gate: &str, rt: Option<&TargetRuntime>, rec: &TrialRecord) {
    if let Err(e) = gate_report::record(cfg, rt, gate, rec) {
        eprintln!("witness: the gate report was not written: {}", chain(&e));
    }
}

/// Scenario files of the gate, as (trial name, path), sorted. With `--exact NAME` only the
/// one file is looked at, so nextest's process-per-trial does not parse the whole gate
/// for every trial.
fn discover(gate: &str, dir: &Path, args: &Arguments) -> Result<Vec<(String, PathBuf)>, GateError> {
    if !dir.is_dir() {
        return Err(GateError::NoFolder {
            gate: gate.to_string(),
            dir: dir.to_path_buf(),
        });
    }
    if args.exact
        && let Some(filter) = &args.filter
        && let Some(id) = filter.strip_prefix(&format!("{gate}::"))
    {
        let path = dir.join(format!("{id}.toml"));
        return Ok(if path.is_file() {
            vec![(filter.clone(), path)]
        } else {
            Vec::new()
        });
        // The others are not even parsed; `summary` counts them as not run.
    }
    let files = scenario_files(gate, dir)?;
    if files.is_empty() {
        return Err(GateError::Empty {
            gate: gate.to_string(),
            dir: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// Every `*.toml` of the gate's folder as (trial name, path), sorted.
fn scenario_files(gate: &str, dir: &Path) -> Result<Vec<(String, PathBuf)>, GateError> {
    let files = crate::scenario::load::toml_files(dir).map_err(|source| GateError::ReadDir {
        gate: gate.to_string(),
        dir: dir.to_path_buf(),
        source,
    })?;
    Ok(files
        .into_iter()
        .map(|p| {
            let id = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (format!("{gate}::{id}"), p)
        })
        .collect())
}

fn count_scenarios(dir: &Path) -> usize {
    crate::scenario::load::toml_files(dir).map_or(0, |f| f.len())
}
