//! The gate run report: `report.md` (to paste into a REVIEW file), `report.json`
//! (schema [`wire::SCHEMA`]) and `junit.xml` (for a CI page), written to
//! `<state dir>/<gate>@<target>/` for every gate run.
//!
//! Under `cargo test` one process runs the whole gate; under `cargo nextest run` every
//! scenario is its own process. So each trial stores its own result as JSON under
//! `<state dir>/runs/<run id>/<gate>/results/`, and the three files are re-rendered from
//! all results of the run after each trial, under an exclusive flock: whichever process
//! finishes last leaves the complete report, and a crash leaves the results so far. The
//! host identity is gathered once per run (the first trial to get the lock) and stored
//! next to the results.
//!
//! Timings and attempts live here, never in the snapshots, so snapshots stay stable. Every
//! text comes from the redacted scenario report or goes through the target's redactor.

pub mod diff;
mod identity;
mod junit;
mod markdown;
pub mod wire;

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use crate::config::RunConfig;
use crate::report::{ScenarioReport, StepStatus, Verdict};
use crate::scenario::{Scenario, StepKind, SystemdStep};
use crate::target::TargetRuntime;

pub use identity::scenario_hashes;

/// What one trial contributes to the report.
pub struct TrialRecord<'a> {
    /// `<gate>::<id>`.
    pub name: &'a str,
    pub file: &'a Path,
    pub scenario: Option<&'a Scenario>,
    pub verdict: Verdict,
    /// The failure message (already redacted), when not passed.
    pub message: Option<String>,
    pub report: Option<&'a ScenarioReport>,
}

/// Store one trial's result and re-render the gate's report. Errors are returned as text
/// for the caller to print: a report that cannot be written must not change a verdict.
pub fn record(
    cfg: &RunConfig,
    gate: &str,
    total: usize,
    rt: Option<&TargetRuntime>,
    t: &TrialRecord,
) -> Result<PathBuf, String> {
    let run_dir = cfg.state_dir().join("runs").join(&cfg.run_id).join(gate);
    let results = run_dir.join("results");
    std::fs::create_dir_all(&results)
        .map_err(|e| format!("cannot create {}: {e}", results.display()))?;
    let file = t
        .file
        .strip_prefix(&cfg.root)
        .unwrap_or(t.file)
        .display()
        .to_string();
    let scenario = to_wire(t, file);
    write_json(
        &results.join(format!("{}.json", t.name.replace("::", "__"))),
        &scenario,
    )?;

    let _lock = lock(&run_dir.join("report.lock"))?;
    let identity_path = run_dir.join("identity.json");
    let mut identity: wire::Identity = match read_json(&identity_path) {
        Some(i) => i,
        None => {
            let started = now_utc();
            let i = match rt {
                Some(rt) => identity::gather(cfg, gate, rt, started),
                None => wire::Identity {
                    target: cfg.target.clone(),
                    transport: "(target unusable)".into(),
                    witness_version: env!("CARGO_PKG_VERSION").into(),
                    scenario_files: scenario_hashes(&cfg.root, gate),
                    role: cfg.role.clone(),
                    run_id: cfg.run_id.clone(),
                    started_utc: started,
                    ..wire::Identity::default()
                },
            };
            write_json(&identity_path, &i)?;
            i
        }
    };
    identity.ended_utc = now_utc();

    let mut scenarios: Vec<wire::Scenario> = std::fs::read_dir(&results)
        .map_err(|e| format!("cannot read {}: {e}", results.display()))?
        .flatten()
        .filter_map(|e| read_json(&e.path()))
        .collect();
    scenarios.sort_by(|a, b| a.name.cmp(&b.name));
    let waivers = collect_waivers(cfg, gate);
    let report = assemble(gate, &cfg.target, total, identity, scenarios, waivers);

    let out = cfg.state_dir().join(format!("{gate}@{}", cfg.target));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    write_json(&out.join("report.json"), &report)?;
    write_text(&out.join("report.md"), &markdown::render(&report))?;
    write_text(&out.join("junit.xml"), &junit::render(&report)?)?;
    Ok(out)
}

/// The report from its parts (counts and completeness derived).
pub fn assemble(
    gate: &str,
    target: &str,
    total: usize,
    identity: wire::Identity,
    scenarios: Vec<wire::Scenario>,
    waivers: Vec<wire::Waiver>,
) -> wire::Report {
    let mut counts = wire::Counts::default();
    for s in &scenarios {
        match s.verdict.as_str() {
            "passed" => counts.passed += 1,
            "failed" => counts.failed += 1,
            "error" => counts.error += 1,
            "refused" => counts.refused += 1,
            _ => counts.skipped += 1,
        }
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
    }
}

/// The gate's verdict in words, as the closing line says it.
pub fn headline(r: &wire::Report) -> &'static str {
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

fn to_wire(t: &TrialRecord, file: String) -> wire::Scenario {
    let steps = t
        .report
        .map(|r| {
            r.steps
                .iter()
                .map(|s| wire::Step {
                    index: s.index,
                    name: s.name.clone(),
                    kind: s.kind.to_string(),
                    status: match &s.status {
                        StepStatus::Passed => "passed",
                        StepStatus::Failed => "failed",
                        StepStatus::Error(_) => "error",
                        StepStatus::Skipped => "skipped",
                    }
                    .into(),
                    command: s.command.clone(),
                    exit: s.exit,
                    attempts: s.attempts,
                    duration_ms: s.elapsed.as_millis() as u64,
                    evidence: s.evidence.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    wire::Scenario {
        name: t.name.to_string(),
        file,
        title: t.scenario.map(|s| s.title.clone()).unwrap_or_default(),
        claim: t
            .scenario
            .map(|s| s.claim.trim().to_string())
            .unwrap_or_default(),
        verdict: t.verdict.label().into(),
        message: t.message.clone(),
        steps,
    }
}

/// Waivers in force in the gate's scenarios today.
fn collect_waivers(cfg: &RunConfig, gate: &str) -> Vec<wire::Waiver> {
    let today = crate::scenario::today_utc();
    let dir = cfg.root.join("scenarios").join(gate);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        let Ok(sc) = crate::scenario::load::load_file(&p) else {
            continue;
        };
        for step in &sc.steps {
            if let StepKind::Systemd(SystemdStep::NoFailed { allow }) = &step.kind {
                out.extend(
                    allow
                        .iter()
                        .filter(|w| w.in_force(&today))
                        .map(|w| wire::Waiver {
                            scenario: format!("{gate}::{}", sc.id),
                            unit: w.unit.clone(),
                            reason: w.reason.clone(),
                            expires: w.expires.clone(),
                        }),
                );
            }
        }
    }
    out
}

fn now_utc() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn lock(path: &Path) -> Result<std::fs::File, String> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.lock()
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(f)
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    write_text(path, &text)
}

/// Write via a temporary file and a rename: a reader never sees half a report.
fn write_text(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
