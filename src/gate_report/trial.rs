//! One trial's outcome as the report keeps it: the scenario's claim and verdict, each
//! step's command, exit, attempts, duration and evidence excerpt, the failure message, and
//! the waivers its steps had in force.
//!
//! The texts come from the redacted [`ScenarioReport`] and failure message; they go once
//! more through the target's secrets here, because this file outlives the run and some
//! messages (a refusal, an action's failure, a broken file) are made outside the engine.

use std::path::Path;

use super::store::TrialResult;
use super::wire;
use crate::judging::JudgingDate;
use crate::redact::Redactor;
use crate::report::{ScenarioReport, Verdict};
use crate::scenario::{Scenario, StepKind, SystemdStep};

/// What one trial contributes to the report.
pub(crate) struct TrialRecord<'a> {
    /// `<gate>::<id>`.
    pub(crate) name: &'a str,
    pub(crate) file: &'a Path,
    /// None when the file did not load.
    pub(crate) scenario: Option<&'a Scenario>,
    pub(crate) verdict: Verdict,
    /// The failure message (already redacted), when not passed.
    pub(crate) message: Option<String>,
    /// None when no step ran (refused, skipped, broken file, unusable target).
    pub(crate) report: Option<&'a ScenarioReport>,
}

/// The trial as stored: `file` relative to the project root, the waivers in force on the judging date
/// (for a scenario that ran), every text through the target's secrets.
pub(crate) fn to_result(
    t: &TrialRecord,
    root: &Path,
    judging: &JudgingDate,
    red: &Redactor,
) -> TrialResult {
    let gate = t.name.split("::").next().unwrap_or_default();
    let scenario = wire::Scenario {
        name: t.name.to_string(),
        file: t
            .file
            .strip_prefix(root)
            .unwrap_or(t.file)
            .display()
            .to_string(),
        title: t.scenario.map(|s| s.title.clone()).unwrap_or_default(),
        claim: t
            .scenario
            .map(|s| s.claim.trim().to_string())
            .unwrap_or_default(),
        verdict: t.verdict.into(),
        message: t.message.clone(),
        steps: t.report.map(steps).unwrap_or_default(),
        evidence: t.report.and_then(|r| r.evidence).map(Into::into),
    };
    // Only a scenario whose steps ran had a waiver bend its claim.
    let waivers = match (t.scenario, t.report) {
        (Some(s), Some(_)) => waivers_in_force(gate, s, judging),
        _ => Vec::new(),
    };
    TrialResult {
        scenario: redact(scenario, red),
        waivers,
        platform: t.report.map(|r| platform(t.name, r)).unwrap_or_default(),
    }
}

/// The differences the scenario's checks classed as the platform's, by step and source (the
/// outcomes were redacted in the engine).
fn platform(scenario: &str, r: &ScenarioReport) -> Vec<wire::Platform> {
    let mut out: Vec<wire::Platform> = Vec::new();
    for s in &r.steps {
        for p in s.outcomes.iter().flat_map(|o| &o.platform) {
            match out
                .iter_mut()
                .find(|w| w.step == s.index && w.from == p.from)
            {
                Some(w) => w.tools.push(p.tool.clone()),
                None => out.push(wire::Platform {
                    scenario: scenario.to_string(),
                    step: s.index,
                    from: p.from.clone(),
                    tools: vec![p.tool.clone()],
                }),
            }
        }
    }
    out
}

fn steps(r: &ScenarioReport) -> Vec<wire::Step> {
    r.steps
        .iter()
        .map(|s| wire::Step {
            index: s.index,
            name: s.name.clone(),
            kind: s.kind.to_string(),
            status: (&s.status).into(),
            command: s.command.clone(),
            exit: s.exit,
            attempts: s.attempts,
            duration_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
            evidence: s.evidence.clone(),
        })
        .collect()
}

/// The waivers of the scenario's steps that hold on the judging date: `systemctl --failed`
/// allowlists and inventory exceptions (`same_as.except`, `subset_of.except`). An expired one is not listed: it fails its step,
/// which says so.
fn waivers_in_force(gate: &str, sc: &Scenario, on: &JudgingDate) -> Vec<wire::Waiver> {
    let scenario = format!("{gate}::{}", sc.id);
    let mut out = Vec::new();
    for step in &sc.steps {
        if let StepKind::Systemd(SystemdStep::NoFailed { allow }) = &step.kind {
            out.extend(
                allow
                    .iter()
                    .filter(|w| w.in_force(on))
                    .map(|w| wire::Waiver {
                        scenario: scenario.clone(),
                        unit: w.unit.clone(),
                        tools: Vec::new(),
                        packages: Vec::new(),
                        reason: w.reason.clone(),
                        expires: w.expires.clone(),
                    }),
            );
        }
        let except = step.expect.same_as.iter().map(|sa| &sa.except);
        let except = except.chain(step.expect.subset_of.iter().map(|so| &so.except));
        out.extend(
            except
                .flatten()
                .filter(|w| w.in_force(on))
                .map(|w| wire::Waiver {
                    scenario: scenario.clone(),
                    unit: String::new(),
                    tools: w.tools.clone(),
                    packages: w.packages.clone(),
                    reason: w.reason.clone(),
                    expires: w.expires.clone(),
                }),
        );
        // The known non-regressions of a sweep's outcomes (`expect.regression`).
        for (what, k) in step.expect.regression.iter().flat_map(|r| r.known()) {
            if on.holds(&k.expires) {
                out.push(wire::Waiver {
                    scenario: scenario.clone(),
                    unit: what,
                    tools: Vec::new(),
                    packages: Vec::new(),
                    reason: k.reason.clone(),
                    expires: k.expires.clone(),
                });
            }
        }
    }
    out
}

/// Secrets out of every text the target or a message could have put there.
fn redact(mut s: wire::Scenario, red: &Redactor) -> wire::Scenario {
    let r = |t: &mut String| *t = red.secrets_only(t);
    if let Some(m) = s.message.as_mut() {
        r(m);
    }
    for st in &mut s.steps {
        r(&mut st.name);
        r(&mut st.command);
        st.evidence.iter_mut().for_each(r);
    }
    s
}
