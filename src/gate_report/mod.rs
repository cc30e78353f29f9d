//! The gate run report: `report.md` (to paste into a REVIEW file), `report.json`
//! (schema [`wire::SCHEMA`]) and `junit.xml` (for a CI page), written to
//! `<state dir>/<gate>@<target>/` for every gate run.
//!
//! Under `cargo test` one process runs the whole gate; under `cargo nextest run` every
//! scenario is its own process. So the report is never held in memory: [`begin`] stores the
//! host identity once per run (the first process to get there gathers it, before any
//! scenario runs), each trial stores its own result ([`record`]), and when a process's trials
//! are done the three files are re-rendered from everything stored for the run ([`finish`]),
//! under an exclusive flock (layout in [`store`]). Whichever process finishes last leaves the complete
//! report; a crash leaves the results so far, and `complete: false` says a run is partial.
//!
//! Timings and attempts live here, never in the snapshots, so snapshots stay stable. Every
//! text comes from the redacted scenario report and goes through the target's secrets once
//! more before it is stored.

pub mod attest;
pub mod diff;
mod identity;
mod junit;
mod markdown;
pub mod metrics;
mod store;
mod trial;
pub mod wire;

use std::path::PathBuf;

use crate::config::RunConfig;
use crate::error::{ReportError, chain};
use crate::judging::JudgingDate;
use crate::target::TargetRuntime;

pub use store::read_json;
pub(crate) use trial::TrialRecord;

/// The start of a gate run (in each of its processes): store the host identity unless
/// this run already has one. Read before any scenario runs, so it is the system the
/// scenarios saw, and `started_utc` is the run's start.
pub(crate) fn begin(
    cfg: &RunConfig,
    gate: &str,
    rt: Option<&TargetRuntime>,
) -> Result<(), ReportError> {
    let files = store::RunFiles::new(cfg, gate);
    let _lock = files.lock()?;
    identity_of_run(cfg, gate, rt, &files).map(drop)
}

/// Store one trial's result (cheap: one small JSON file). The reports are rendered once
/// per process, by [`finish`], not after every trial: re-reading every result after each
/// of a hundred trials cost more than the checks themselves.
pub(crate) fn record(
    cfg: &RunConfig,
    rt: Option<&TargetRuntime>,
    gate: &str,
    t: &TrialRecord,
) -> Result<(), ReportError> {
    let red = rt.map(TargetRuntime::redactor).unwrap_or_default();
    let judging = rt.map_or_else(JudgingDate::today_utc, |rt| rt.judging.clone());
    let result = trial::to_result(t, &cfg.root, &judging, &red);
    let files = store::RunFiles::new(cfg, gate);
    let _lock = files.lock()?;
    files.store_result(&result)
}

/// Render the gate's reports from every result the run has so far; returns the reports'
/// directory. Called when a process's trials are done: under `cargo test` that is the whole
/// gate, under nextest one scenario per process, so the last process leaves it complete.
/// A report that cannot be written must not change a verdict: the caller says so and goes on.
pub(crate) fn finish(
    cfg: &RunConfig,
    gate: &str,
    total: usize,
    rt: Option<&TargetRuntime>,
) -> Result<PathBuf, ReportError> {
    let files = store::RunFiles::new(cfg, gate);
    let _lock = files.lock()?;
    let mut identity = identity_of_run(cfg, gate, rt, &files)?;
    identity.ended_utc = identity::now_utc();
    let (mut scenarios, mut waivers, mut platform) = (Vec::new(), Vec::new(), Vec::new());
    for r in files.results()? {
        scenarios.push(r.scenario);
        waivers.extend(r.waivers);
        platform.extend(r.platform);
    }
    let mut report = assemble(gate, &cfg.target, total, identity, scenarios, waivers);
    report.platform = platform;
    let red = rt.map(TargetRuntime::redactor).unwrap_or_default();
    report.actions = crate::action::ran_in(cfg, gate)
        .into_iter()
        .map(|a| action(gate, a, &red))
        .collect();
    let dir = files.write_reports(&report)?;
    seal(cfg, &files, &dir, &report);
    Ok(dir)
}

/// The run's attestation beside its report, under the same lock, so the two belong together.
/// Like the report, an attestation that cannot be made is said and never changes a verdict;
/// a run without a signing key says so once (the first of its processes to get here).
fn seal(cfg: &RunConfig, files: &store::RunFiles, dir: &std::path::Path, report: &wire::Report) {
    match attest::seal(cfg, dir, report) {
        Ok(attest::Sealed::Signed {
            fingerprint,
            key_type,
        }) => cfg.progress(
            "witness",
            &format!(
                "attestation signed with {key_type} key {fingerprint}: {}",
                dir.join(attest::ENVELOPE_FILE).display()
            ),
        ),
        Ok(attest::Sealed::Unsigned) => {
            if files.first_to_say("unsigned") {
                eprintln!(
                    "witness: the attestation is unsigned (no WITNESS_SIGNING_KEY): {}",
                    dir.join(attest::STATEMENT_FILE).display()
                );
            }
        }
        Err(e) => eprintln!(
            "witness: the attestation was not {}: {}",
            if cfg.signing_key.is_some() {
                "signed"
            } else {
                "written"
            },
            chain(&e)
        ),
    }
}

/// An action's stored result as the report shows it. Its outputs and message were
/// redacted when stored; once more here, as every text of the report is.
fn action(gate: &str, a: crate::action::ActionRun, red: &crate::redact::Redactor) -> wire::Action {
    wire::Action {
        name: format!("{gate}::actions::{}", a.name),
        title: a.title,
        mutates: a.mutates,
        verdict: match a.failure {
            None => wire::Verdict::Passed,
            Some(_) => wire::Verdict::Failed,
        },
        started_utc: a.started_utc,
        duration_ms: a.duration_ms,
        outputs: a
            .outputs
            .into_iter()
            .map(|(k, v)| (k, red.secrets_only(&v)))
            .collect(),
        message: a.failure.map(|m| red.secrets_only(&m)),
        observed: a.observed.iter().map(|o| red.secrets_only(o)).collect(),
    }
}

/// The run's stored identity, gathered and stored now if it has none. Call with the
/// report lock held.
fn identity_of_run(
    cfg: &RunConfig,
    gate: &str,
    rt: Option<&TargetRuntime>,
    files: &store::RunFiles,
) -> Result<wire::Identity, ReportError> {
    if let Some(i) = read_json(&files.identity()) {
        return Ok(i);
    }
    let i = match rt {
        Some(rt) => {
            // Read-only commands, but witness's own: a mutating scenario of another process
            // has the target to itself, so wait for it like any read-only scenario.
            let _target = crate::lock::lock_target(&cfg.state_dir(), &cfg.target, false)
                .map_err(ReportError::TargetLock)?;
            identity::gather(cfg, gate, rt)
        }
        None => identity::unusable_target(cfg, gate),
    };
    store::write_json(&files.identity(), &i)?;
    Ok(i)
}

/// The report from its parts (counts and completeness derived).
pub(crate) fn assemble(
    gate: &str,
    target: &str,
    total: usize,
    identity: wire::Identity,
    scenarios: Vec<wire::Scenario>,
    waivers: Vec<wire::Waiver>,
) -> wire::Report {
    let mut counts = wire::Counts::default();
    for s in &scenarios {
        *match s.verdict {
            wire::Verdict::Passed => &mut counts.passed,
            wire::Verdict::Failed => &mut counts.failed,
            wire::Verdict::Error => &mut counts.error,
            wire::Verdict::Refused => &mut counts.refused,
            wire::Verdict::Skipped => &mut counts.skipped,
        } += 1;
    }
    wire::Report {
        schema: wire::SCHEMA.into(),
        gate: gate.into(),
        target: target.into(),
        complete: scenarios.len() >= total,
        counts,
        identity,
        scenarios,
        waivers,
        platform: Vec::new(),
        actions: Vec::new(),
    }
}

/// The gate's verdict in words, as the closing line says it.
pub(crate) fn headline(r: &wire::Report) -> &'static str {
    let c = &r.counts;
    if c.failed > 0 {
        "FAILED"
    } else if c.error > 0 || c.refused > 0 {
        "NOT WITNESSED"
    } else if !r.complete || c.skipped > 0 {
        "INCOMPLETE"
    } else {
        "PASSED"
    }
}
