//! `evidence diff A B`: where two runs of a gate disagree — the builder's and the
//! adversary's, or tonight's and the reviewed one. Scenario by scenario: a verdict, an
//! evidence line, a scenario present in one run only; and the host identity fields that
//! must agree for the two runs to witness the same claim on the same system (the running
//! and booted systems, the flake commit, the reviewed variables, the scenario files).
//! Who ran it, when, with which run id or SSH session are expected to differ and are shown
//! as notes, not disagreements.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::wire::{Identity, Report, Scenario};

/// One difference between run A and run B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `identity` or the scenario's name.
    pub scope: String,
    pub what: String,
    pub a: String,
    pub b: String,
}

/// The differences that make two runs disagree (empty: they agree), and notes on fields
/// allowed to differ.
pub fn compare(a: &Report, b: &Report) -> (Vec<Difference>, Vec<Difference>) {
    let mut diffs = Vec::new();
    let mut notes = Vec::new();
    let d = |list: &mut Vec<Difference>, scope: &str, what: &str, x: String, y: String| {
        if x != y {
            list.push(Difference {
                scope: scope.into(),
                what: what.into(),
                a: x,
                b: y,
            });
        }
    };
    d(&mut diffs, "gate", "gate", a.gate.clone(), b.gate.clone());
    identity(&a.identity, &b.identity, &mut diffs, &mut notes);

    let by_name = |r: &Report| -> BTreeMap<String, Scenario> {
        r.scenarios
            .iter()
            .map(|s| (s.name.clone(), s.clone()))
            .collect()
    };
    let (sa, sb) = (by_name(a), by_name(b));
    let names: std::collections::BTreeSet<&String> = sa.keys().chain(sb.keys()).collect();
    for name in names {
        match (sa.get(name), sb.get(name)) {
            (Some(x), Some(y)) => {
                d(
                    &mut diffs,
                    name,
                    "verdict",
                    x.verdict.clone(),
                    y.verdict.clone(),
                );
                let lines = |s: &Scenario| -> Vec<String> {
                    s.steps
                        .iter()
                        .flat_map(|st| {
                            st.evidence
                                .iter()
                                .map(move |l| format!("step {}: {l}", st.index))
                        })
                        .collect()
                };
                let (lx, ly) = (lines(x), lines(y));
                for line in &lx {
                    if !ly.contains(line) {
                        d(
                            &mut diffs,
                            name,
                            "evidence line",
                            line.clone(),
                            "(absent)".into(),
                        );
                    }
                }
                for line in &ly {
                    if !lx.contains(line) {
                        d(
                            &mut diffs,
                            name,
                            "evidence line",
                            "(absent)".into(),
                            line.clone(),
                        );
                    }
                }
            }
            (Some(x), None) => d(
                &mut diffs,
                name,
                "scenario",
                x.verdict.clone(),
                "(not run)".into(),
            ),
            (None, Some(y)) => d(
                &mut diffs,
                name,
                "scenario",
                "(not run)".into(),
                y.verdict.clone(),
            ),
            (None, None) => {}
        }
    }
    (diffs, notes)
}

fn identity(a: &Identity, b: &Identity, diffs: &mut Vec<Difference>, notes: &mut Vec<Difference>) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not read)".into());
    let must = [
        (
            "/run/current-system",
            opt(&a.current_system),
            opt(&b.current_system),
        ),
        (
            "/run/booted-system",
            opt(&a.booted_system),
            opt(&b.booted_system),
        ),
        ("flake commit", opt(&a.flake_commit), opt(&b.flake_commit)),
        (
            "reviewed variables",
            format!("{:?}", a.reviewed),
            format!("{:?}", b.reviewed),
        ),
        (
            "scenario files",
            format!("{:?}", a.scenario_files),
            format!("{:?}", b.scenario_files),
        ),
    ];
    let may = [
        ("role", opt(&a.role), opt(&b.role)),
        ("transport", a.transport.clone(), b.transport.clone()),
        ("SSH host key", opt(&a.host_key), opt(&b.host_key)),
        (
            "witness checkout",
            opt(&a.witness_commit),
            opt(&b.witness_commit),
        ),
        ("started", a.started_utc.clone(), b.started_utc.clone()),
    ];
    for (what, x, y) in must {
        if x != y {
            diffs.push(Difference {
                scope: "identity".into(),
                what: what.into(),
                a: x,
                b: y,
            });
        }
    }
    for (what, x, y) in may {
        if x != y {
            notes.push(Difference {
                scope: "identity".into(),
                what: what.into(),
                a: x,
                b: y,
            });
        }
    }
}

/// The comparison as a person reads it.
pub fn render(a_label: &str, b_label: &str, diffs: &[Difference], notes: &[Difference]) -> String {
    let mut m = String::new();
    let _ = writeln!(m, "A: {a_label}\nB: {b_label}");
    if diffs.is_empty() {
        let _ = writeln!(
            m,
            "AGREE: same verdicts, same evidence, same host and claim"
        );
    } else {
        let _ = writeln!(m, "DISAGREE: {} difference(s)", diffs.len());
        for x in diffs {
            let _ = writeln!(
                m,
                "  {} — {}:\n    A: {}\n    B: {}",
                x.scope, x.what, x.a, x.b
            );
        }
    }
    if !notes.is_empty() {
        let _ = writeln!(m, "expected to differ:");
        for x in notes {
            let _ = writeln!(m, "  {}: A {} / B {}", x.what, x.a, x.b);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Counts, Step};
    use super::*;

    fn report(verdict: &str, line: &str, role: &str) -> Report {
        Report {
            schema: super::super::wire::SCHEMA.into(),
            gate: "m2".into(),
            target: "cc-ci".into(),
            complete: true,
            counts: Counts::default(),
            identity: Identity {
                current_system: Some("/nix/store/aaa-nixos-system".into()),
                role: Some(role.into()),
                ..Identity::default()
            },
            scenarios: vec![Scenario {
                name: "m2::c2_host_healthy".into(),
                file: "scenarios/m2/c2_host_healthy.toml".into(),
                title: "M2.2 Host healthy".into(),
                claim: "M2.2".into(),
                verdict: verdict.into(),
                message: None,
                steps: vec![Step {
                    index: 1,
                    name: "no failed units".into(),
                    kind: "systemd".into(),
                    status: verdict.into(),
                    command: "systemctl list-units --failed".into(),
                    exit: Some(0),
                    attempts: 1,
                    duration_ms: 12,
                    evidence: vec![line.into()],
                }],
            }],
            waivers: vec![],
        }
    }

    #[test]
    fn the_same_run_by_builder_and_adversary_agrees() {
        let (d, notes) = compare(
            &report("passed", "none failed", "builder"),
            &report("passed", "none failed", "adversary"),
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(notes.len(), 1, "the role is noted, not a disagreement");
    }

    #[test]
    fn a_sabotaged_run_disagrees_naming_the_scenario() {
        let (d, notes) = compare(
            &report("passed", "none failed", "builder"),
            &report("failed", "+ x.service (failed, NOT allowed)", "adversary"),
        );
        insta::assert_snapshot!(render(
            "builder/report.json",
            "adversary/report.json",
            &d,
            &notes
        ));
    }
}
